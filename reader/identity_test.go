package reader

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

func TestSplitName(t *testing.T) {
	tests := []struct {
		in, first, last string
	}{
		// Plain and reordered.
		{"John Smith", "John", "Smith"},
		{"Smith, John", "John", "Smith"},
		{"Smith, John A.", "John", "Smith"},
		{"Smith,John", "John", "Smith"},
		{"Smith, Mary Ann", "Mary Ann", "Smith"},
		{"Berg, Jan van der", "Jan", "van der Berg"},
		{"Smith, John, Jr.", "John", "Smith"},
		{"Smith Jr., John", "John", "Smith"},
		{"Smith, Dr. John", "John", "Smith"},
		{"Smith,", "", "Smith"},
		{", John", "John", ""},
		// Honorifics.
		{"Dr. Jane van der Berg", "Jane", "van der Berg"},
		{"Dr Jane Smith", "Jane", "Smith"},
		{"Mr. John Smith", "John", "Smith"},
		{"mrs jane smith", "Jane", "Smith"},
		{"Ms. Jane Doe", "Jane", "Doe"},
		{"Miss Jane Doe", "Jane", "Doe"},
		{"Mx Sam Lee", "Sam", "Lee"},
		{"Prof. Dr. Hans Müller", "Hans", "Müller"},
		{"Sir Elton John", "Elton", "John"},
		{"Dame Judi Dench", "Judi", "Dench"},
		{"Sra. Ana García", "Ana", "García"},
		{"Herr Hans Müller", "Hans", "Müller"},
		{"Dr. Smith", "", "Smith"},
		{"Smith, Dr.", "", "Smith"},
		{"Dr., Mr., John", "John", ""},
		{"Dr.", "", ""},
		{"Mr. & Mrs. Smith", "", "Smith"},
		{"Mr and Mrs John Smith", "John", "Smith"},
		{"John & Jane Smith", "John", "Smith"},
		// Suffixes.
		{"John A. Smith Jr.", "John", "Smith"},
		{"John Smith, PhD", "John", "Smith"},
		{"John Smith, Ph.D.", "John", "Smith"},
		{"John Smith III", "John", "Smith"},
		{"Jane Doe MD MBA", "Jane", "Doe"},
		{"John Smith, Jr., CPA", "John", "Smith"},
		{"John Smith Esq.", "John", "Smith"},
		{"Martin Luther King Jr", "Martin", "Luther King"},
		// Initials and middle names.
		{"John A. Smith", "John", "Smith"},
		{"John A Smith", "John", "Smith"},
		{"John J.R. Smith", "John", "Smith"},
		{"J. Smith", "J.", "Smith"},
		{"Mary Ann Smith", "Mary", "Ann Smith"},
		{"John A.", "John", ""},
		// Particles.
		{"Jane van der Berg", "Jane", "van der Berg"},
		{"Ludwig von Mises", "Ludwig", "von Mises"},
		{"Juan de la Cruz", "Juan", "de la Cruz"},
		{"Lula da Silva", "Lula", "da Silva"},
		{"Mohammed bin Salman", "Mohammed", "bin Salman"},
		{"Ahmed al Rashid", "Ahmed", "al Rashid"},
		{"de la Cruz", "", "de la Cruz"},
		{"Van Morrison", "Van", "Morrison"},
		// Capitals.
		{"JOHN O'BRIEN", "John", "O'Brien"},
		{"MARY-JANE SMITH", "Mary-Jane", "Smith"},
		{"JAN VAN DER BERG", "Jan", "van der Berg"},
		{"john smith", "John", "Smith"},
		{"JOHN MCDONALD", "John", "McDonald"},
		{"Ronald McDonald", "Ronald", "McDonald"},
		{"DeShawn Jackson", "DeShawn", "Jackson"},
		{"John SMITH", "John", "Smith"},
		{"SMITH, JOHN", "John", "Smith"},
		{"d'angelo russell", "D'Angelo", "Russell"},
		// Unicode.
		{"José Ñúñez", "José", "Ñúñez"},
		{"JOSÉ ÑÚÑEZ", "José", "Ñúñez"},
		{"Zoë Ångström", "Zoë", "Ångström"},
		{"ÆSA ØVERGAARD", "Æsa", "Øvergaard"},
		{"Łukasz Żółć", "Łukasz", "Żółć"},
		{"毛 泽东", "毛", "泽东"},
		{"Олег Петров", "Олег", "Петров"},
		// Whitespace and noise.
		{"  John   Smith  ", "John", "Smith"},
		{"John\u00A0Smith", "John", "Smith"},
		{"John\tSmith\n", "John", "Smith"},
		{"\uFEFFJohn\u200B Smith", "John", "Smith"},
		{"John \"Johnny\" Smith", "John", "Smith"},
		{"John (Jack) Smith", "John", "Smith"},
		{"\"John Smith\"", "John", "Smith"},
		{"John\xffSmith Doe", "JohnSmith", "Doe"},
		// Too little.
		{"Madonna", "Madonna", ""},
		{"", "", ""},
		{"   ", "", ""},
		{"PhD", "", ""},
		{",", "", ""},
	}
	for _, tt := range tests {
		first, last := SplitName(tt.in)
		if first != tt.first || last != tt.last {
			t.Errorf("SplitName(%q) = %q / %q, want %q / %q", tt.in, first, last, tt.first, tt.last)
		}
	}
	if len(tests) < 40 {
		t.Fatalf("only %d cases", len(tests))
	}
}

func TestNormLinkedIn(t *testing.T) {
	const canon = "https://www.linkedin.com/in/jdoe"
	tests := []struct {
		in, want, note string // note: a substring of the note; "" = no note
	}{
		{"linkedin.com/in/jdoe", canon, ""},
		{"www.linkedin.com/in/jdoe/", canon, ""},
		{"https://uk.linkedin.com/in/jdoe?trk=x", canon, ""},
		{"http://linkedin.com/in/j-doe-123abc/en", "https://www.linkedin.com/in/j-doe-123abc", ""},
		{"HTTPS://WWW.LINKEDIN.COM/IN/JDoe", canon, ""},
		{"https://www.linkedin.com/in/jdoe#experience", canon, ""},
		{"//linkedin.com/in/jdoe", canon, ""},
		{"<https://linkedin.com/in/jdoe>", canon, ""},
		{"  linkedin.com/in/jdoe  ", canon, ""},
		{"https://m.linkedin.com/in/jdoe", canon, ""},
		{"https://www.linkedin.com/mwlite/in/jdoe", canon, ""},
		{"https://www.linkedin.com/in/jos%C3%A9-%C3%B1%C3%BA%C3%B1ez", "https://www.linkedin.com/in/josé-ñúñez", ""},
		{"https://www.linkedin.com/in/Jos%C3%A9", "https://www.linkedin.com/in/josé", ""},
		{"https://www.linkedin.com/sales/lead/ACwAAA,NAME_SEARCH", "", "Sales Navigator URL ignored (not supported by search)"},
		{"https://www.linkedin.com/sales/people/ACwAAA", "", "Sales Navigator"},
		{"https://www.linkedin.com/company/acme", "", "company page"},
		{"https://www.linkedin.com/school/mit/", "", "company page"},
		{"https://www.linkedin.com/feed/", "", "not a profile URL"},
		{"https://www.linkedin.com/", "", "not a profile URL"},
		{"https://www.linkedin.com/in/", "", "no profile name"},
		{"https://www.linkedin.com/in/j%20doe", "", "invalid profile name"},
		{"https://twitter.com/jdoe", "", "not a LinkedIn URL"},
		{"https://notlinkedin.com/in/jdoe", "", "not a LinkedIn URL"},
		{"https://lnkd.in/abc", "", "short link"},
		{"ftp://linkedin.com/in/jdoe", "", "not a web URL"},
		{"jdoe", "", "not a LinkedIn URL"},
		{"john doe linkedin", "", "not a URL"},
		{"", "", ""},
		{"n/a", "", ""},
		{"-", "", ""},
	}
	for _, tt := range tests {
		got, note := normLinkedIn(tt.in)
		if got != tt.want {
			t.Errorf("normLinkedIn(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if (tt.note == "") != (note == "") || !strings.Contains(note, tt.note) {
			t.Errorf("normLinkedIn(%q) note = %q, want one containing %q", tt.in, note, tt.note)
		}
		if note != "" && !strings.HasPrefix(note, "linkedin: ") {
			t.Errorf("normLinkedIn(%q) note = %q, want the prefix \"linkedin: \"", tt.in, note)
		}
	}
}

func TestNormDomain(t *testing.T) {
	tests := []struct {
		in, want, note string
	}{
		{"acme.com", "acme.com", ""},
		{"https://www.acme.com/about", "acme.com", ""},
		{"WWW.Acme.COM", "acme.com", ""},
		{"acme.com:443", "acme.com", ""},
		{"https://acme.com:8443/x?y=1", "acme.com", ""},
		{"jane@acme.com", "acme.com", ""},
		{"mailto:jane@acme.com", "acme.com", ""},
		{"Jane.Doe@Mail.Acme.co.uk", "mail.acme.co.uk", ""},
		{"acme.com.", "acme.com", ""},
		{"//acme.com", "acme.com", ""},
		{"sub.acme.io/", "sub.acme.io", ""},
		{"www.com", "www.com", ""},
		{"bücher.de", "bücher.de", ""},
		{"BÜCHER.DE", "bücher.de", ""},
		{"xn--bcher-kva.de", "xn--bcher-kva.de", ""},
		{"acme.com, acme.io", "acme.com", "several values"},
		{"n/a", "", "is not a domain"},
		{"-", "", "is not a domain"},
		{"none", "", "is not a domain"},
		{"acme", "", "is not a domain"},
		{"192.168.0.1", "", "is not a domain"},
		{"acme..com", "", "is not a domain"},
		{"-acme.com", "", "is not a domain"},
		{"acme.c", "", "is not a domain"},
		{"acme_inc.com", "", "is not a domain"},
		{"", "", ""},
		{"   ", "", ""},
	}
	for _, tt := range tests {
		got, note := normDomain(tt.in)
		if got != tt.want {
			t.Errorf("normDomain(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if (tt.note == "") != (note == "") || !strings.Contains(note, tt.note) {
			t.Errorf("normDomain(%q) note = %q, want one containing %q", tt.in, note, tt.note)
		}
	}
}

func TestNormCompany(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Acme Inc.", "Acme Inc."},
		{"  Acme \t  Corp\u00A0Ltd ", "Acme Corp Ltd"},
		{"n/a", ""},
		{"N/A", ""},
		{"-", ""},
		{"none", ""},
		{"NULL", ""},
		{"Unknown", ""},
		{"TBD", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := normCompany(tt.in); got != tt.want {
			t.Errorf("normCompany(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseIdentityReasons(t *testing.T) {
	const li = "https://www.linkedin.com/in/jdoe"
	tests := []struct {
		name   string
		in     Values
		first  string
		last   string
		url    string
		reason string
	}{
		{"full name", Values{Name: "Jane Doe"}, "Jane", "Doe", "", ""},
		{"pair wins", Values{Name: "Janet Doe", FirstName: "Jane", LastName: "Doe"}, "Jane", "Doe", "", ""},
		{"lone first loses to full name", Values{Name: "Jane Doe", FirstName: "Janet"}, "Jane", "Doe", "", ""},
		{"lone last loses to full name", Values{Name: "Jane Doe", LastName: "Smith"}, "Jane", "Doe", "", ""},
		{"pair cleaned", Values{FirstName: " Dr. JANE A. ", LastName: "DOE, PhD"}, "Jane", "Doe", "", ""},
		{"pair with particle", Values{FirstName: "Jan", LastName: "VAN DER BERG"}, "Jan", "van der Berg", "", ""},
		{"linkedin only", Values{LinkedIn: "linkedin.com/in/JDoe"}, "", "", li, ""},
		{"linkedin and name", Values{Name: "Jane Doe", LinkedIn: "linkedin.com/in/jdoe"}, "Jane", "Doe", li, ""},
		{"one word with linkedin", Values{Name: "Madonna", LinkedIn: "linkedin.com/in/jdoe"}, "", "", li, ""},
		{"one word", Values{Name: "Madonna"}, "", "", "",
			`one-word name "Madonna": need a first and last name or a LinkedIn URL`},
		{"one word after honorific", Values{Name: "Dr. Smith", Company: "Acme"}, "", "", "",
			`one-word name "Smith": need a first and last name or a LinkedIn URL`},
		{"lone first", Values{FirstName: "Jane"}, "", "", "",
			`one-word name "Jane": need a first and last name or a LinkedIn URL`},
		{"lone first of two words", Values{FirstName: "Mary Ann"}, "", "", "",
			`first name "Mary Ann" without a last name: need a first and last name or a LinkedIn URL`},
		{"lone last of two words", Values{LastName: "van Berg"}, "", "", "",
			`last name "van Berg" without a first name: need a first and last name or a LinkedIn URL`},
		{"nothing", Values{}, "", "", "", "no identifier: need a first and last name or a LinkedIn URL"},
		{"company and domain only", Values{Company: "Acme", Domain: "acme.com"}, "", "", "",
			"no identifier: need a first and last name or a LinkedIn URL"},
		{"placeholder name", Values{Name: "n/a", FirstName: "-", LastName: "NULL"}, "", "", "",
			"no identifier: need a first and last name or a LinkedIn URL"},
		{"honorific only", Values{Name: "Dr."}, "", "", "",
			`name "Dr." has no first or last name: need a first and last name or a LinkedIn URL`},
		{"sales navigator only", Values{LinkedIn: "https://www.linkedin.com/sales/lead/x"}, "", "", "",
			"no identifier: need a first and last name or a LinkedIn URL"},
		{"short name is quoted truncated", Values{Name: strings.Repeat("x", 100)}, "", "", "",
			`one-word name "X` + strings.Repeat("x", 58) + `…": need a first and last name or a LinkedIn URL`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, reason := ParseIdentity(tt.in)
			if reason != tt.reason {
				t.Errorf("reason = %q, want %q", reason, tt.reason)
			}
			if id.FirstName != tt.first || id.LastName != tt.last || id.LinkedInURL != tt.url {
				t.Errorf("identity = %q / %q / %q, want %q / %q / %q",
					id.FirstName, id.LastName, id.LinkedInURL, tt.first, tt.last, tt.url)
			}
			if id.Usable() != (reason == "") {
				t.Errorf("Usable() = %v with reason %q", id.Usable(), reason)
			}
		})
	}
}

func TestParseIdentityNotes(t *testing.T) {
	id, reason := ParseIdentity(Values{
		Name:     "Jane Doe",
		LinkedIn: "https://www.linkedin.com/sales/people/ACwAAB",
		Company:  " Acme\u00A0 Corp ",
		Domain:   "n/a",
	})
	if reason != "" {
		t.Fatalf("reason = %q, want usable", reason)
	}
	want := []string{
		"linkedin: Sales Navigator URL ignored (not supported by search)",
		`domain: "n/a" is not a domain; dropped`,
	}
	if !reflect.DeepEqual(id.Notes, want) {
		t.Errorf("Notes = %q, want %q", id.Notes, want)
	}
	if id.Company != "Acme Corp" || id.Domain != "" {
		t.Errorf("company/domain = %q / %q, want %q / %q", id.Company, id.Domain, "Acme Corp", "")
	}

	long := "https://example.com/" + strings.Repeat("a", 200)
	id, _ = ParseIdentity(Values{Name: "Jane Doe", LinkedIn: long})
	if len(id.Notes) != 1 || len([]rune(id.Notes[0])) > 120 {
		t.Errorf("Notes = %q, want one short note", id.Notes)
	}
}

// goldenCase is one entry of testdata/identity/cases.json.
type goldenCase struct {
	Name string       `json:"name"`
	In   goldenValues `json:"in"`
	Want goldenWant   `json:"want"`
}

type goldenValues struct {
	Name      string `json:"name,omitempty"`
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
	LinkedIn  string `json:"linkedin_url,omitempty"`
	Company   string `json:"company,omitempty"`
	Domain    string `json:"company_domain,omitempty"`
}

type goldenWant struct {
	FirstName   string   `json:"first_name"`
	LastName    string   `json:"last_name"`
	LinkedInURL string   `json:"linkedin_url"`
	Company     string   `json:"company"`
	Domain      string   `json:"company_domain"`
	Notes       []string `json:"notes"`
	Reason      string   `json:"reason"`
}

// TestParseIdentityGolden checks the identities of testdata/identity/cases.json;
// with -update it rewrites each case's "want" from the current code.
func TestParseIdentityGolden(t *testing.T) {
	path := filepath.Join("testdata", "identity", "cases.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var cases []goldenCase
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(cases) == 0 {
		t.Fatalf("%s: no cases", path)
	}
	for i := range cases {
		c := &cases[i]
		id, reason := ParseIdentity(Values(c.In))
		got := goldenWant{id.FirstName, id.LastName, id.LinkedInURL, id.Company, id.Domain, id.Notes, reason}
		if got.Notes == nil {
			got.Notes = []string{}
		}
		if *update {
			c.Want = got
			continue
		}
		if c.Want.Notes == nil {
			c.Want.Notes = []string{}
		}
		if !reflect.DeepEqual(got, c.Want) {
			t.Errorf("%s: case %q:\n got %+v\nwant %+v", path, c.Name, got, c.Want)
		}
	}
	if *update {
		out, err := json.MarshalIndent(cases, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, append(out, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
