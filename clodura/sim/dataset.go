package sim

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"time"
	"unicode"
)

// query is a validated search request, trimmed (names as sent, for echo).
type query struct {
	page, perPage int
	first, last   string
	slug          string // lower-cased linkedin.com/in/ slug
	personID      string
	org, domain   string
	canonical     []byte // the request without page, for ChargedTwice
}

// person is one search record: the contract's assumed shape plus
// lastUpdated, a field clodura.Person does not know, so that tests can see
// unknown fields pass through.
type person struct {
	PersonID           string `json:"personId"`
	FirstName          string `json:"firstName"`
	LastName           string `json:"lastName"`
	PersonTitle        string `json:"personTitle"`
	Seniority          string `json:"seniority"`
	Functional         string `json:"functional"`
	PersonCity         string `json:"personCity"`
	PersonState        string `json:"personState"`
	PersonCountry      string `json:"personCountry"`
	LinkedInURL        string `json:"linkedinUrl"`
	OrganizationName   string `json:"organizationName"`
	OrganizationID     string `json:"organizationId"`
	CompanyDomain      string `json:"companyDomain"`
	ContactEmailStatus string `json:"contactEmailStatus"`
	LastUpdated        string `json:"lastUpdated"`
}

// matches is what the dataset holds for one query.
type matches struct {
	seed   int64
	h      [32]byte
	q      query
	total  int  // people matching
	use404 bool // when total is 0: answer 404 rather than 200 with no data
}

// match looks q up. About 15% of queries find nobody, 20% find 2 to 4
// people, the rest exactly one; the split is a function of the normalised
// query and the seed only.
func (s *Server) match(q query) matches {
	hs := sha256.New()
	var seed [8]byte
	binary.BigEndian.PutUint64(seed[:], uint64(s.seed))
	hs.Write(seed[:])
	for _, f := range []string{q.first, q.last, q.slug, q.personID, q.org, q.domain} {
		hs.Write([]byte(strings.ToLower(strings.Join(strings.Fields(f), " "))))
		hs.Write([]byte{0})
	}
	m := matches{seed: s.seed, q: q}
	hs.Sum(m.h[:0])
	switch bucket := binary.BigEndian.Uint16(m.h[0:2]) % 100; {
	case bucket < 15:
		m.use404 = m.h[2]&1 == 1
	case bucket < 35:
		m.total = 2 + int(m.h[3]%3)
	default:
		m.total = 1
	}
	return m
}

var (
	firstNames = []string{"Aarav", "Priya", "John", "Maria", "Wei", "Fatima", "Lukas", "Sofia", "Kenji", "Amara"}
	lastNames  = []string{"Sharma", "Patel", "Smith", "Garcia", "Chen", "Khan", "Müller", "Rossi", "Tanaka", "Okafor"}
	titles     = []struct{ title, seniority, functional string }{
		{"VP Sales", "Vice President", "Sales"},
		{"Head of Marketing", "Head", "Marketing"},
		{"Senior Software Engineer", "Senior", "Engineering"},
		{"Chief Financial Officer", "C-Level", "Finance"},
		{"HR Manager", "Manager", "Human Resources"},
		{"Director of Operations", "Director", "Operations"},
		{"Account Executive", "Senior", "Sales"},
		{"Product Manager", "Manager", "Product"},
	}
	places = []struct{ city, state, country string }{
		{"Pune", "Maharashtra", "India"},
		{"Bengaluru", "Karnataka", "India"},
		{"Austin", "Texas", "United States"},
		{"London", "England", "United Kingdom"},
		{"Toronto", "Ontario", "Canada"},
		{"Sydney", "New South Wales", "Australia"},
		{"Berlin", "Berlin", "Germany"},
		{"Singapore", "", "Singapore"},
	}
	companies     = []string{"Acme", "Globex", "Initech", "Umbrella Corp", "Hooli", "Stark Industries", "Wayne Enterprises", "Tyrell"}
	emailStatuses = []string{"verified", "verified", "guessed", "unavailable", "catch-all"}
)

// person returns the i-th match (0-based) of the query.
func (m matches) person(i int) person {
	rh := sha256.Sum256(append(m.h[:], byte(i), byte(i>>8)))
	pick := func(at, n int) int { return int(binary.BigEndian.Uint16(rh[at:at+2])) % n }

	first, last := titleCase(m.q.first), titleCase(m.q.last)
	if first == "" || last == "" {
		first, last = slugName(m.q.slug)
	}
	if first == "" {
		first = firstNames[pick(0, len(firstNames))]
	}
	if last == "" {
		last = lastNames[pick(2, len(lastNames))]
	}
	t := titles[pick(4, len(titles))]
	pl := places[pick(6, len(places))]
	org := m.q.org
	if org == "" {
		org = companies[pick(8, len(companies))]
	}
	domain := m.q.domain
	if domain == "" {
		domain = domainOf(org)
	}
	id := "P" + hex.EncodeToString(rh[10:16])
	if i == 0 && m.q.personID != "" {
		id = m.q.personID
	}
	li := "https://www.linkedin.com/in/" + m.q.slug
	if i > 0 || m.q.slug == "" {
		li = "https://www.linkedin.com/in/" + strings.ToLower(strings.Join(strings.Fields(first+" "+last), "-")) +
			"-" + hex.EncodeToString(rh[16:19])
	}
	var seed [8]byte
	binary.BigEndian.PutUint64(seed[:], uint64(m.seed))
	oh := sha256.Sum256(append(seed[:], strings.ToLower(org)...))
	updated := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, pick(19, 700))
	return person{
		PersonID:           id,
		FirstName:          first,
		LastName:           last,
		PersonTitle:        t.title,
		Seniority:          t.seniority,
		Functional:         t.functional,
		PersonCity:         pl.city,
		PersonState:        pl.state,
		PersonCountry:      pl.country,
		LinkedInURL:        li,
		OrganizationName:   org,
		OrganizationID:     "O" + hex.EncodeToString(oh[:6]),
		CompanyDomain:      domain,
		ContactEmailStatus: emailStatuses[pick(21, len(emailStatuses))],
		LastUpdated:        updated.Format(time.RFC3339),
	}
}

// slugName reads a name out of a LinkedIn slug: "jane-van-dyke-4a1b2c" is
// Jane "Van Dyke"; parts with digits are LinkedIn's suffix, not a name.
func slugName(slug string) (first, last string) {
	var words []string
	for _, w := range strings.FieldsFunc(slug, func(r rune) bool { return r == '-' || r == '_' || r == '.' }) {
		if !strings.ContainsFunc(w, unicode.IsDigit) {
			words = append(words, w)
		}
	}
	if len(words) == 0 {
		return "", ""
	}
	return titleCase(words[0]), titleCase(strings.Join(words[1:], " "))
}

// titleCase upper-cases the first letter of each word and lower-cases the
// rest: "o'BRIEN smith-jones" is "O'Brien Smith-Jones".
func titleCase(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	var b strings.Builder
	prevLetter := false
	for _, r := range s {
		if prevLetter {
			b.WriteRune(unicode.ToLower(r))
		} else {
			b.WriteRune(unicode.ToUpper(r))
		}
		prevLetter = unicode.IsLetter(r)
	}
	return b.String()
}

// domainOf derives a company's domain from its name: "Umbrella Corp" is
// umbrellacorp.com.
func domainOf(org string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(org) {
		if r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "example.com"
	}
	return b.String() + ".com"
}
