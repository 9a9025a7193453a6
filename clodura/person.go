package clodura

import (
	"bytes"
	"encoding/json"
	"strings"
)

// ParsePerson maps the known fields of one search record onto a Person. It
// never fails, because the record schema is assumed, not published: a
// string field that holds a number or a bool gets its JSON text ("12",
// "true"), null gives "", an object or array gives its compact JSON text,
// unknown fields are ignored, and a key matches its field exactly or else
// case-insensitively ("linkedInUrl"; of a key sent in several cases, which
// one wins is not specified). Anything but a JSON object gives the zero
// Person. The raw record is what is kept; this is only for columns.
func ParsePerson(raw json.RawMessage) Person {
	// The common case, a record of the assumed shape, decodes straight
	// into the struct; only a surprise (a number where a string was
	// expected, a key in another case) takes the tolerant way.
	if p, ok := parseStrict(raw); ok {
		return p
	}
	var m map[string]json.RawMessage
	if jsonKind(raw) != '{' || json.Unmarshal(raw, &m) != nil {
		return Person{}
	}
	var p Person
	for _, f := range []struct {
		name string
		dst  *string
	}{
		{"personId", &p.PersonID},
		{"firstName", &p.FirstName},
		{"lastName", &p.LastName},
		{"personTitle", &p.PersonTitle},
		{"seniority", &p.Seniority},
		{"functional", &p.Functional},
		{"personCity", &p.PersonCity},
		{"personState", &p.PersonState},
		{"personCountry", &p.PersonCountry},
		{"linkedinUrl", &p.LinkedInURL},
		{"organizationName", &p.OrganizationName},
		{"organizationId", &p.OrganizationID},
		{"companyDomain", &p.CompanyDomain},
		{"contactEmailStatus", &p.ContactEmailStatus},
	} {
		v, ok := m[f.name]
		if !ok {
			v, ok = lookupFold(m, f.name)
		}
		if ok {
			*f.dst = stringify(v)
		}
	}
	return p
}

// lookupFold finds key case-insensitively. With several candidates
// ("LinkedinUrl" and "LINKEDINURL") the smallest key wins, so the
// result does not depend on map order.
func lookupFold(m map[string]json.RawMessage, key string) (json.RawMessage, bool) {
	best, found := "", false
	for k := range m {
		if strings.EqualFold(k, key) && (!found || k < best) {
			best, found = k, true
		}
	}
	return m[best], found
}

// stringify renders a JSON value as a column value.
func stringify(raw json.RawMessage) string {
	switch jsonKind(raw) {
	case 0, 'n':
		return ""
	case '"':
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
	case '{', '[':
		var buf bytes.Buffer
		if json.Compact(&buf, raw) == nil {
			return buf.String()
		}
	}
	// Numbers and booleans: their JSON text, as sent ("1e3" stays "1e3").
	return string(bytes.TrimSpace(raw))
}

// parseStrict decodes a record whose known fields are all strings or
// null. encoding/json matches a key exactly or else case-insensitively,
// as the tolerant way does; it reports false on any type mismatch.
func parseStrict(raw json.RawMessage) (Person, bool) {
	var p Person
	if jsonKind(raw) != '{' || json.Unmarshal(raw, &p) != nil {
		return Person{}, false
	}
	return p, true
}
