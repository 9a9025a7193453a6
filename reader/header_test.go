package reader

import (
	"reflect"
	"strings"
	"testing"
)

func TestFields(t *testing.T) {
	want := []Field{"name", "first_name", "last_name", "linkedin_url", "company", "company_domain"}
	got := Fields()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Fields() = %q, want %q", got, want)
	}
	got[0] = "changed"
	if Fields()[0] != FieldName {
		t.Error("Fields() shares its backing array with the caller")
	}
	for i, f := range want {
		if f.index() != i {
			t.Errorf("%s.index() = %d, want %d", f, f.index(), i)
		}
	}
}

func TestFieldOf(t *testing.T) {
	tests := []struct {
		column string
		want   Field // "" = no field
	}{
		{"name", FieldName},
		{"Name", FieldName},
		{"Full Name", FieldName},
		{"full_name", FieldName},
		{"FULL-NAME", FieldName},
		{"fullname", FieldName},
		{"Contact Name", FieldName},
		{"Person Name", FieldName},
		{"\uFEFFName", FieldName},
		{"  name\t", FieldName},
		{"First Name", FieldFirstName},
		{"firstname", FieldFirstName},
		{"first_name", FieldFirstName},
		{"Given Name", FieldFirstName},
		{"Forename", FieldFirstName},
		{"Last Name", FieldLastName},
		{"LASTNAME", FieldLastName},
		{"Surname", FieldLastName},
		{"Family Name", FieldLastName},
		{"LinkedIn", FieldLinkedIn},
		{"LinkedIn URL", FieldLinkedIn},
		{"linkedin_url", FieldLinkedIn},
		{"linkedinurl", FieldLinkedIn},
		{"LinkedIn Profile", FieldLinkedIn},
		{"Person Linkedin Url", FieldLinkedIn},
		{"Company", FieldCompany},
		{"Company Name", FieldCompany},
		{"Organization", FieldCompany},
		{"Organisation", FieldCompany},
		{"Account", FieldCompany},
		{"Account Name", FieldCompany},
		{"Employer", FieldCompany},
		{"Domain", FieldDomain},
		{"Company Domain", FieldDomain},
		{"company_domain", FieldDomain},
		{"Website", FieldDomain},
		{"Company Website", FieldDomain},
		// Not identity columns.
		{"URL", ""},
		{"Email", ""},
		{"Work Email", ""},
		{"Company Linkedin Url", ""},
		{"Title", ""},
		{"Names", ""},
		{"", ""},
		{"nom", ""},
	}
	for _, tt := range tests {
		got, ok := FieldOf(tt.column)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("FieldOf(%q) = %q, %v; want %q, %v", tt.column, got, ok, tt.want, tt.want != "")
		}
	}
}

// cols builds a Columns from field=index pairs, every other field -1.
func cols(pairs map[Field]int) Columns {
	c := Columns{-1, -1, -1, -1, -1, -1}
	for f, i := range pairs {
		c[f.index()] = i
	}
	return c
}

func TestMatchColumns(t *testing.T) {
	tests := []struct {
		name    string
		header  []string
		mapping map[string]string
		want    Columns
		err     string // substring of the error; "" = no error
	}{
		{
			name:   "aliases",
			header: []string{"Full Name", "Title", "Company Name", "Website", "LinkedIn URL"},
			want:   cols(map[Field]int{FieldName: 0, FieldCompany: 2, FieldDomain: 3, FieldLinkedIn: 4}),
		},
		{
			name:   "first and last",
			header: []string{"first_name", "last_name", "organisation"},
			want:   cols(map[Field]int{FieldFirstName: 0, FieldLastName: 1, FieldCompany: 2}),
		},
		{
			name:   "linkedin alone identifies",
			header: []string{"id", "linkedin"},
			want:   cols(map[Field]int{FieldLinkedIn: 1}),
		},
		{
			name:   "first duplicate wins",
			header: []string{"Name", "Company", "name", "Organization", "Domain", "Website"},
			want:   cols(map[Field]int{FieldName: 0, FieldCompany: 1, FieldDomain: 4}),
		},
		{
			name:   "BOM on first column",
			header: []string{"\uFEFFfirst name", "surname"},
			want:   cols(map[Field]int{FieldFirstName: 0, FieldLastName: 1}),
		},
		{
			name:   "email is the domain source without a domain column",
			header: []string{"Name", "Work Email", "Email"},
			want:   cols(map[Field]int{FieldName: 0, FieldDomain: 1}),
		},
		{
			name:   "e-mail address",
			header: []string{"Name", "E-mail Address"},
			want:   cols(map[Field]int{FieldName: 0, FieldDomain: 1}),
		},
		{
			name:   "domain column beats email",
			header: []string{"Email", "Name", "Company Domain"},
			want:   cols(map[Field]int{FieldName: 1, FieldDomain: 2}),
		},
		{
			name:    "mapping exact",
			header:  []string{"Vorname", "Nachname", "Firma"},
			mapping: map[string]string{"first_name": "Vorname", "last_name": "Nachname", "company": "Firma"},
			want:    cols(map[Field]int{FieldFirstName: 0, FieldLastName: 1, FieldCompany: 2}),
		},
		{
			name:    "mapping folded column and field aliases",
			header:  []string{"Given", "Family", "Profile Link", "Web Site", "Org"},
			mapping: map[string]string{"first": "given", "LAST": "FAMILY", "linkedin": "profile_link", "domain": "website", "Organization": "org"},
			want:    cols(map[Field]int{FieldFirstName: 0, FieldLastName: 1, FieldLinkedIn: 2, FieldDomain: 3, FieldCompany: 4}),
		},
		{
			name:    "mapping exact match before folded",
			header:  []string{"Contact", "contact"},
			mapping: map[string]string{"name": "contact"},
			want:    cols(map[Field]int{FieldName: 1}),
		},
		{
			name:    "mapping overrides alias",
			header:  []string{"Name", "Display Name"},
			mapping: map[string]string{"name": "Display Name"},
			want:    cols(map[Field]int{FieldName: 1}),
		},
		{
			name:    "mapped column is not matched again",
			header:  []string{"Account", "Person"},
			mapping: map[string]string{"name": "Person", "first_name": "Account"},
			want:    cols(map[Field]int{FieldName: 1, FieldFirstName: 0}),
		},
		{
			name:    "mapped domain disables the email fallback",
			header:  []string{"Name", "Email", "Site"},
			mapping: map[string]string{"company_domain": "Site"},
			want:    cols(map[Field]int{FieldName: 0, FieldDomain: 2}),
		},
		{
			name:    "unknown field",
			header:  []string{"Name", "Company"},
			mapping: map[string]string{"job_title": "Company"},
			err:     `--map job_title=Company: unknown field "job_title" (want one of name, first_name, last_name, linkedin_url, company, company_domain); header is: Name, Company`,
		},
		{
			name:    "column not in header",
			header:  []string{"Name", "Company"},
			mapping: map[string]string{"company": "Employer Name"},
			err:     `--map company=Employer Name: no column "Employer Name" in the header; header is: Name, Company`,
		},
		{
			name:    "one field mapped to two columns",
			header:  []string{"A", "B"},
			mapping: map[string]string{"first": "A", "first_name": "B"},
			err:     `already mapped`,
		},
		{
			name:   "no identifying column",
			header: []string{"a", "b", "c"},
			err:    `no column identifies a person (need "name", or "first name" and "last name", or "linkedin url"); header is: a, b, c`,
		},
		{
			name:   "first name without last name",
			header: []string{"First Name", "Company", "Email"},
			err:    `no column identifies a person`,
		},
		{
			name:   "empty header",
			header: nil,
			err:    `header is: (empty)`,
		},
		{
			name:    "mapping to a non-identifying column only",
			header:  []string{"x", "y"},
			mapping: map[string]string{"company": "x"},
			err:     `no column identifies a person`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := MatchColumns(tt.header, tt.mapping)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error = %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if got != tt.want {
				t.Errorf("MatchColumns = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMatchColumnsLongHeader(t *testing.T) {
	header := make([]string, 100)
	for i := range header {
		header[i] = "col"
	}
	_, err := MatchColumns(header, nil)
	if err == nil || !strings.Contains(err.Error(), "(60 more)") {
		t.Fatalf("error = %v, want the header list cut with \"(60 more)\"", err)
	}
}

func TestColumnsIdentify(t *testing.T) {
	c, err := MatchColumns([]string{"First", "Last", "Email", "LinkedIn", "Organization"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		fields []string
		want   Identity
		reason string
	}{
		{
			name:   "full row",
			fields: []string{"JANE", "DOE", "jane@Acme.com", "linkedin.com/in/jdoe", "Acme"},
			want:   Identity{FirstName: "Jane", LastName: "Doe", LinkedInURL: "https://www.linkedin.com/in/jdoe", Company: "Acme", Domain: "acme.com"},
		},
		{
			name:   "short row",
			fields: []string{"Jane", "Doe"},
			want:   Identity{FirstName: "Jane", LastName: "Doe"},
		},
		{
			name:   "empty row",
			fields: nil,
			reason: reasonNoIdentifier,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, reason := c.Identify(tt.fields)
			if reason != tt.reason {
				t.Errorf("reason = %q, want %q", reason, tt.reason)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Identify = %+v, want %+v", got, tt.want)
			}
		})
	}
}
