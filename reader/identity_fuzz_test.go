package reader

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// nameWords returns the words of a cleaned full name that SplitName must not
// lose: tokens (split on spaces and commas, nickname quotes removed) that
// are not honorifics, suffixes or connectors and hold a letter or digit.
func nameWords(full string) []string {
	var words []string
	for _, tok := range strings.FieldsFunc(stripQuotes(clean(full)), func(r rune) bool {
		return r == ',' || r == ' '
	}) {
		k := key(tok)
		if honorifics[k] || suffixes[k] || isConnector(tok) {
			continue
		}
		if strings.IndexFunc(tok, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0 {
			words = append(words, tok)
		}
	}
	return words
}

func checkNamePart(t *testing.T, what, in, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Errorf("%s of %q is not valid UTF-8: %q", what, in, s)
	}
	if strings.TrimSpace(s) != s || strings.Contains(s, "  ") {
		t.Errorf("%s of %q has stray spaces: %q", what, in, s)
	}
	if strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) || (unicode.IsSpace(r) && r != ' ') }) >= 0 {
		t.Errorf("%s of %q holds control or non-space whitespace characters: %q", what, in, s)
	}
}

func FuzzSplitName(f *testing.F) {
	for _, s := range []string{
		"John Smith", "Smith, John A.", "Dr. Jane van der Berg", "José Ñúñez", "JOSÉ ÑÚÑEZ",
		"John A. Smith Jr.", "JOHN O'BRIEN", "  John \t Smith\u00a0", "Madonna", "", "Dr.",
		"Mr. & Mrs. Smith", "Berg, Jan van der", "John \"Johnny\" Smith", "Dr., Mr., John",
		"y x", "MCDONALD", "ǆemal ǅokić", "\xff\xfe", "(Dr.)",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, full string) {
		first, last := SplitName(full)
		checkNamePart(t, "first name", full, first)
		checkNamePart(t, "last name", full, last)
		if first == "" && last == "" {
			if w := nameWords(full); len(w) > 0 {
				t.Errorf("SplitName(%q) lost every word of %q", full, w)
			}
		}
		if first2, last2 := SplitName(full); first2 != first || last2 != last {
			t.Errorf("SplitName(%q) is not deterministic", full)
		}
	})
}

func FuzzParseIdentity(f *testing.F) {
	f.Add("Jane Doe", "", "", "linkedin.com/in/jdoe", "Acme", "acme.com")
	f.Add("", "JANE", "DOE", "https://www.linkedin.com/sales/lead/x", "n/a", "jane@acme.com")
	f.Add("Madonna", "", "", "", "", "")
	f.Add("", "", "", "https://uk.linkedin.com/in/Jos%C3%A9?x=1", "", "https://www.acme.com:443/about")
	f.Add("Dr.", "-", "", "garbage", "  Acme  ", "192.168.0.1")
	f.Fuzz(func(t *testing.T, name, first, last, linkedin, company, domain string) {
		in := Values{name, first, last, linkedin, company, domain}
		id, reason := ParseIdentity(in)
		if id.Usable() != (reason == "") {
			t.Fatalf("ParseIdentity(%+v): Usable() = %v with reason %q", in, id.Usable(), reason)
		}
		if (id.FirstName == "") != (id.LastName == "") {
			t.Errorf("ParseIdentity(%+v): only one name half set: %q / %q", in, id.FirstName, id.LastName)
		}
		checkNamePart(t, "first name", name, id.FirstName)
		checkNamePart(t, "last name", name, id.LastName)
		checkNamePart(t, "company", company, id.Company)
		if id.LinkedInURL != "" {
			slug, ok := strings.CutPrefix(id.LinkedInURL, "https://www.linkedin.com/in/")
			if !ok || slug == "" || strings.ContainsAny(slug, "/?#% ") || strings.ToLower(slug) != slug {
				t.Errorf("ParseIdentity(%+v): LinkedInURL %q is not canonical", in, id.LinkedInURL)
			}
		}
		if id.Domain != "" && (!isDomain(id.Domain) || strings.ToLower(id.Domain) != id.Domain) {
			t.Errorf("ParseIdentity(%+v): Domain %q is not a bare lower-case domain", in, id.Domain)
		}
		for _, n := range append(id.Notes, reason) {
			if utf8.RuneCountInString(n) > 300 || !utf8.ValidString(n) {
				t.Errorf("ParseIdentity(%+v): note or reason too long or not UTF-8: %q", in, n)
			}
		}
		if reason != "" && !strings.HasSuffix(reason, needSuffix) {
			t.Errorf("ParseIdentity(%+v): reason %q does not say what is needed", in, reason)
		}
	})
}

// FuzzMatchColumns takes the header as one string with columns separated by
// '|', and one --map entry (none when field is empty).
func FuzzMatchColumns(f *testing.F) {
	f.Add("Full Name|Company|Website", "", "")
	f.Add("first_name|last_name|Email", "", "")
	f.Add("Vorname|Nachname|Firma", "first", "vorname")
	f.Add("a|b|c", "", "")
	f.Add("Name|name|NAME|linkedin", "linkedin_url", "NAME")
	f.Add("\ufeffname|e-mail", "job", "x")
	f.Fuzz(func(t *testing.T, joined, field, column string) {
		header := strings.Split(joined, "|")
		var mapping map[string]string
		if field != "" {
			mapping = map[string]string{field: column}
		}
		c, err := MatchColumns(header, mapping)
		if err != nil {
			if !strings.Contains(err.Error(), "header is: ") {
				t.Errorf("MatchColumns(%q, %q): error %q does not list the header", header, mapping, err)
			}
			return
		}
		if !c.identifies() {
			t.Errorf("MatchColumns(%q, %q) = %v without an identifying column", header, mapping, c)
		}
		for i, idx := range c {
			if idx < -1 || idx >= len(header) {
				t.Fatalf("MatchColumns(%q, %q) = %v: index out of range", header, mapping, c)
			}
			if mapping != nil || idx < 0 {
				continue
			}
			f := fields[i]
			got, ok := FieldOf(header[idx])
			switch {
			case ok && got == f:
			case f == FieldDomain && !ok && emailAliases[fold(header[idx])]:
			default:
				t.Errorf("MatchColumns(%q) gave %s column %d %q, which FieldOf calls %q", header, f, idx, header[idx], got)
			}
			for j := range idx {
				if g, ok := FieldOf(header[j]); ok && g == f {
					t.Errorf("MatchColumns(%q) gave %s column %d, not the first such column %d", header, f, idx, j)
				}
			}
		}
		if mapping == nil {
			for j, h := range header {
				if g, ok := FieldOf(h); ok && c.Index(g) < 0 {
					t.Errorf("MatchColumns(%q) left %s unmatched though column %d %q is one", header, g, j, h)
				}
			}
		}
		// Identify must cope with any row length.
		for _, row := range [][]string{nil, header, append(header, "extra")} {
			if id, reason := c.Identify(row); id.Usable() != (reason == "") {
				t.Errorf("Identify(%q): Usable() = %v with reason %q", row, id.Usable(), reason)
			}
		}
	})
}
