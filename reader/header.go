package reader

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode"
)

// Field is an identity field a column can feed. Its value is the name used
// by --map FIELD=COLUMN and in the product's documentation.
type Field string

// The identity fields, in the order of Fields and of Columns.
const (
	FieldName      Field = "name"
	FieldFirstName Field = "first_name"
	FieldLastName  Field = "last_name"
	FieldLinkedIn  Field = "linkedin_url"
	FieldCompany   Field = "company"
	FieldDomain    Field = "company_domain"
)

var fields = [...]Field{FieldName, FieldFirstName, FieldLastName, FieldLinkedIn, FieldCompany, FieldDomain}

// Fields returns the six identity fields in Columns order. The slice is a
// fresh copy the caller may modify.
func Fields() []Field {
	out := make([]Field, len(fields))
	copy(out, fields[:])
	return out
}

// index returns f's position in Fields, or -1 for an unknown field.
func (f Field) index() int {
	for i, g := range fields {
		if g == f {
			return i
		}
	}
	return -1
}

// headerAliases maps a folded column name (see fold) to its field. The list
// is deliberately closed: a bare "url" or "email" could mean anything, so it
// does not feed a field by itself (an email column is only a fallback domain
// source, see emailAliases).
var headerAliases = map[string]Field{
	"name":        FieldName,
	"fullname":    FieldName,
	"contactname": FieldName,
	"personname":  FieldName,
	"contact":     FieldName,

	"firstname":        FieldFirstName,
	"first":            FieldFirstName,
	"givenname":        FieldFirstName,
	"forename":         FieldFirstName,
	"contactfirstname": FieldFirstName,

	"lastname":        FieldLastName,
	"last":            FieldLastName,
	"surname":         FieldLastName,
	"familyname":      FieldLastName,
	"contactlastname": FieldLastName,

	"linkedin":           FieldLinkedIn,
	"linkedinurl":        FieldLinkedIn,
	"linkedinprofile":    FieldLinkedIn,
	"linkedinprofileurl": FieldLinkedIn,
	"personlinkedinurl":  FieldLinkedIn,
	"contactlinkedinurl": FieldLinkedIn,

	"company":          FieldCompany,
	"companyname":      FieldCompany,
	"organization":     FieldCompany,
	"organisation":     FieldCompany,
	"organizationname": FieldCompany,
	"organisationname": FieldCompany,
	"account":          FieldCompany,
	"accountname":      FieldCompany,
	"employer":         FieldCompany,

	"domain":         FieldDomain,
	"companydomain":  FieldDomain,
	"website":        FieldDomain,
	"companywebsite": FieldDomain,
	"websiteurl":     FieldDomain,
	"companyurl":     FieldDomain,
	"emaildomain":    FieldDomain,
}

// emailAliases are folded names of email columns. When no column gives the
// domain, the first email column does: Identify takes the part after '@'.
var emailAliases = map[string]bool{
	"email":            true,
	"workemail":        true,
	"emailaddress":     true,
	"workemailaddress": true,
	"businessemail":    true,
}

// mapAliases are the extra names --map accepts for a field, folded.
var mapAliases = map[string]Field{
	"first":        FieldFirstName,
	"last":         FieldLastName,
	"linkedin":     FieldLinkedIn,
	"domain":       FieldDomain,
	"organization": FieldCompany,
}

// fold reduces a column name to its matching key: surrounding whitespace and
// a UTF-8 byte order mark removed, lower-cased, with every space, '_' and '-'
// dropped, so "First Name", "first_name" and "FIRST-NAME" all read "firstname".
func fold(s string) string {
	s = strings.TrimPrefix(strings.TrimSpace(s), "\uFEFF")
	var b strings.Builder
	for _, r := range s {
		if r == '_' || r == '-' || r == '\uFEFF' || unicode.IsSpace(r) {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// FieldOf reports which identity field a column name stands for, matching
// case-insensitively and ignoring spaces, '_' and '-' (so "Full Name",
// "full_name" and "FULLNAME" are all FieldName). Columns that merely contain
// an email address ("Email") or an ambiguous "URL" report false.
func FieldOf(column string) (Field, bool) {
	f, ok := headerAliases[fold(column)]
	return f, ok
}

// Columns holds, for each field in Fields order, the index of the input
// column that feeds it, or -1 when no column does. The zero value maps every
// field to column 0 and is not meaningful; build one with MatchColumns.
type Columns [6]int

// Index returns the column feeding f, or -1.
func (c Columns) Index(f Field) int {
	if i := f.index(); i >= 0 {
		return c[i]
	}
	return -1
}

// identifies reports whether the columns can name a person at all.
func (c Columns) identifies() bool {
	return c[0] >= 0 || (c[1] >= 0 && c[2] >= 0) || c[3] >= 0
}

// MatchColumns decides which header column feeds each identity field.
//
// mapping comes from --map FIELD=COLUMN and wins over the aliases of FieldOf.
// FIELD is a field name ("first_name") or one of the short aliases "first",
// "last", "linkedin", "domain", "organization", compared like column names;
// COLUMN is looked up exactly first, then folded like FieldOf. Columns
// claimed by the mapping are not matched again by alias. Otherwise the first
// column whose name is an alias of a field feeds it, and later duplicates are
// ignored. With no domain column, the first email column ("Email", "Work
// Email", "E-mail address") becomes the domain source.
//
// The error, plain text for the caller to wrap with the file name, names the
// offending --map entry or, when no column can identify a person (name, or
// first and last name, or LinkedIn URL), says so; both list the header.
func MatchColumns(header []string, mapping map[string]string) (Columns, error) {
	var c Columns
	for i := range c {
		c[i] = -1
	}
	claimed := make(map[int]bool)

	keys := make([]string, 0, len(mapping))
	for k := range mapping {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		col := mapping[k]
		f, ok := mapField(k)
		if !ok {
			return c, fmt.Errorf("--map %s=%s: unknown field %q (want one of %s); header is: %s",
				k, col, k, fieldList(), headerList(header))
		}
		i := findColumn(header, col)
		if i < 0 {
			return c, fmt.Errorf("--map %s=%s: no column %q in the header; header is: %s",
				k, col, col, headerList(header))
		}
		if c[f.index()] >= 0 && c[f.index()] != i {
			return c, fmt.Errorf("--map %s=%s: field %s is already mapped to column %q; header is: %s",
				k, col, f, header[c[f.index()]], headerList(header))
		}
		c[f.index()] = i
		claimed[i] = true
	}
	mapped := c

	email := -1
	for i, h := range header {
		if claimed[i] {
			continue
		}
		if f, ok := FieldOf(h); ok {
			if j := f.index(); mapped[j] < 0 && c[j] < 0 {
				c[j] = i
			}
			continue
		}
		if email < 0 && emailAliases[fold(h)] {
			email = i
		}
	}
	if j := FieldDomain.index(); c[j] < 0 {
		c[j] = email
	}

	if !c.identifies() {
		return c, errors.New(`no column identifies a person (need "name", or "first name" and "last name", or "linkedin url"); header is: ` + headerList(header))
	}
	return c, nil
}

// mapField resolves the FIELD of a --map entry.
func mapField(name string) (Field, bool) {
	k := fold(name)
	for _, f := range fields {
		if k == fold(string(f)) {
			return f, true
		}
	}
	f, ok := mapAliases[k]
	return f, ok
}

// findColumn finds col in header: an exact match first, then a folded one.
func findColumn(header []string, col string) int {
	for i, h := range header {
		if h == col {
			return i
		}
	}
	k := fold(col)
	if k == "" {
		return -1
	}
	for i, h := range header {
		if fold(h) == k {
			return i
		}
	}
	return -1
}

func fieldList() string {
	s := make([]string, len(fields))
	for i, f := range fields {
		s[i] = string(f)
	}
	return strings.Join(s, ", ")
}

// maxListed caps how many columns an error lists, so a 500-column export
// does not produce a 20 kB message.
const maxListed = 40

func headerList(header []string) string {
	if len(header) == 0 {
		return "(empty)"
	}
	n := min(len(header), maxListed)
	s := make([]string, n)
	for i := range n {
		s[i] = truncate(strings.TrimPrefix(header[i], "\uFEFF"), 60)
	}
	out := strings.Join(s, ", ")
	if len(header) > n {
		out += fmt.Sprintf(", ... (%d more)", len(header)-n)
	}
	return out
}

// Identify reads the identity out of one row's cells and normalises it like
// ParseIdentity; the reason is "" when the identity is usable. Cells beyond
// the end of fields read as empty, so a short row is safe.
func (c Columns) Identify(fields []string) (Identity, string) {
	get := func(f Field) string {
		i := c.Index(f)
		if i < 0 || i >= len(fields) {
			return ""
		}
		return fields[i]
	}
	return ParseIdentity(Values{
		Name:      get(FieldName),
		FirstName: get(FieldFirstName),
		LastName:  get(FieldLastName),
		LinkedIn:  get(FieldLinkedIn),
		Company:   get(FieldCompany),
		Domain:    get(FieldDomain),
	})
}
