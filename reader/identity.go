package reader

import (
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Values are a row's identity cells as written, before any cleaning. Empty
// means the row has no such column or the cell is blank.
type Values struct {
	Name, FirstName, LastName, LinkedIn, Company, Domain string
}

// Reasons returned by ParseIdentity for an unusable row.
const (
	reasonNoIdentifier = "no identifier: need a first and last name or a LinkedIn URL"
	needSuffix         = ": need a first and last name or a LinkedIn URL"
)

// ParseIdentity cleans a row's identity cells into the Identity sent to the
// search. The reason is "" when the identity is Usable; otherwise it says
// why not, e.g. `one-word name "Madonna": need a first and last name or a
// LinkedIn URL`, and the Identity still carries what was understood
// (company, domain, Notes) for the output.
//
// Names: a first and last name from their own columns win when both are
// non-empty (each cleaned like SplitName's parts); otherwise the full name
// is split with SplitName; failing that, a lone first or last name cell
// holding several words is split. A one-word name is not enough: with a
// usable LinkedIn URL the row searches on the URL alone (names omitted),
// without one the row is unusable. Company and domain never identify a
// person on their own.
//
// LinkedIn: any linkedin.com/in/<slug> URL, with or without scheme, "www."
// or a country subdomain, query, fragment or trailing locale segment,
// becomes https://www.linkedin.com/in/<slug> with the slug percent-decoded
// and lower-cased. Sales Navigator, company pages, other sites and garbage
// are dropped with a note.
//
// Domain: a URL, host:port, e-mail address or "mailto:" link is reduced to
// its bare, lower-cased host without "www."; a value that is no domain
// ("n/a", "acme", an IP address) is dropped with a note.
//
// Placeholders ("n/a", "-", "none", "null", "unknown", "tbd", ...) count as
// empty in every field except domain, where they are noted. Every repair or
// dropped value adds a short remark to Identity.Notes, quoting at most 60
// characters of the value concerned.
func ParseIdentity(v Values) (Identity, string) {
	var id Identity
	note := func(s string) { id.Notes = append(id.Notes, s) }

	var n string
	id.LinkedInURL, n = normLinkedIn(v.LinkedIn)
	if n != "" {
		note(n)
	}
	id.Domain, n = normDomain(v.Domain)
	if n != "" {
		note(n)
	}
	id.Company = normCompany(v.Company)

	first, last := namePart(v.FirstName, true), namePart(v.LastName, false)
	lone := "" // a first or last name cell alone, as the reason quotes it
	switch {
	case first != "" && last != "":
	case clean(v.Name) != "" && !isPlaceholder(clean(v.Name)):
		first, last = SplitName(v.Name)
	case first != "":
		lone = "first name " + quote(first) + " without a last name"
	case last != "":
		lone = "last name " + quote(last) + " without a first name"
	}
	word := first + last
	if first != "" && last != "" {
		id.FirstName, id.LastName = first, last
		return id, ""
	}
	if lone != "" && strings.Contains(word, " ") {
		word = "" // several words: say which half is missing instead
	}
	if id.LinkedInURL != "" {
		if word != "" || lone != "" {
			note("name: incomplete name not used; searching by LinkedIn URL")
		}
		return id, ""
	}
	switch {
	case word != "":
		return id, "one-word name " + quote(word) + needSuffix
	case lone != "":
		return id, lone + needSuffix
	}
	for _, s := range []string{v.Name, v.FirstName, v.LastName} {
		if s = clean(s); s != "" && !isPlaceholder(s) {
			return id, "name " + quote(s) + " has no first or last name" + needSuffix
		}
	}
	return id, reasonNoIdentifier
}

// namePart cleans a first-name or last-name cell: whitespace collapsed,
// honorifics (first) or suffixes (last) dropped, initials after a first name
// dropped, capitals fixed. Placeholders read as "".
func namePart(s string, isFirst bool) string {
	s = clean(s)
	if s == "" || isPlaceholder(s) {
		return ""
	}
	toks := tokens(strings.ReplaceAll(s, ",", " "))
	if isFirst {
		toks, _ = dropHonorifics(toks)
		toks = dropSuffixes(toks)
		if len(toks) > 1 {
			toks = append(toks[:1], dropInitials(toks[1:])...)
		}
	} else {
		toks, _ = dropHonorifics(toks)
		toks = dropSuffixes(toks)
	}
	return fixCase(strings.Join(toks, " "), !isFirst)
}

// SplitName splits a full name as people write it into a first and a last
// name. The rule, in order:
//
//   - Whitespace of any kind (tabs, no-break spaces) is collapsed, control and
//     zero-width characters dropped, invalid UTF-8 removed; a nickname in
//     parentheses or double quotes is dropped.
//   - Comma-separated parts that are only suffixes ("John Smith, PhD") are
//     dropped. If two parts remain, the name is "Last, First": "Smith, John A."
//     is John / Smith; lower-case particles at the end of the given part move
//     to the surname ("Berg, Jan van der" is Jan / van der Berg).
//   - Leading honorifics (Mr, Mrs, Ms, Miss, Mx, Dr, Prof, Sir, Dame, Rev,
//     Sra, Herr, Frau, Mme, ..., with or without '.') and trailing suffixes (Jr, Sr, II, III, IV, PhD, MD,
//     MBA, Esq, CPA, ...) are dropped. A couple ("John & Jane Smith", "Mr. &
//     Mrs. Smith") keeps its first person.
//   - The first word is the first name; the remaining words, minus initials
//     ("A.", "J.R."), are the last name, so particles stay with it ("Jane van
//     der Berg" is Jane / van der Berg) and "Mary Ann Smith" is Mary / Ann
//     Smith. A name starting with a lower-case particle ("de la Cruz") is a
//     surname only.
//   - A single remaining word is the first name, unless an honorific preceded
//     it ("Dr. Smith") or it stood before the comma ("Smith,"): then it is the
//     last name.
//   - A part written all in capitals or all in lower case is title-cased per
//     word and around '-' and '\” ("JOHN O'BRIEN" is John O'Brien, "MCDONALD"
//     is McDonald), with particles inside a surname kept lower-case ("JAN VAN
//     DER BERG" is Jan van der Berg). Mixed-case parts are kept as written.
//
// Both results are trimmed; they are both "" only when the input holds no
// word that is not an honorific, suffix or punctuation.
func SplitName(full string) (first, last string) {
	s := clean(full)
	if s == "" {
		return "", ""
	}
	if first, last = splitName(dropNicknames(s)); first != "" || last != "" {
		return first, last
	}
	return splitName(strings.Join(tokens(stripQuotes(s)), " "))
}

// stripQuotes turns the brackets and quotes of nicknames into spaces.
func stripQuotes(s string) string {
	return strings.Map(func(r rune) rune {
		if strings.ContainsRune(quoteChars, r) {
			return ' '
		}
		return r
	}, s)
}

const quoteChars = "()\"\u201C\u201D"

// splitName is SplitName on a cleaned string.
func splitName(s string) (first, last string) {
	var parts []string
	surnameOnly := false // "Smith,": the one part stood before an empty given name
	for i, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		if toks := tokens(p); len(toks) == 0 || allHonorifics(toks) {
			// "Smith," and "Smith, Dr.": nothing but the surname.
			surnameOnly = surnameOnly || (i > 0 && len(parts) == 1)
			continue
		} else if allSuffixes(toks) {
			continue
		}
		parts = append(parts, p)
	}

	var givenToks, lastToks []string
	honorific := false
	switch len(parts) {
	case 0:
		return "", ""
	case 1:
		toks, h := dropHonorifics(tokens(parts[0]))
		honorific = h
		toks = dropCouple(toks)
		toks = dropSuffixes(toks)
		if len(toks) == 0 {
			return "", ""
		}
		if len(toks) > 1 && isLowerParticle(toks[0]) {
			return "", fixCase(strings.Join(toks, " "), true)
		}
		givenToks = toks[:1]
		lastToks = dropInitials(toks[1:])
		if len(toks) == 1 && (honorific || surnameOnly) {
			givenToks, lastToks = nil, toks
		}
	default:
		lt, _ := dropHonorifics(tokens(parts[0]))
		lastToks = dropSuffixes(lt)
		// "Last, First, anything else": the rest is not part of the name.
		gt, _ := dropHonorifics(tokens(parts[1]))
		gt = dropCouple(gt)
		gt = dropSuffixes(gt)
		// Trailing lower-case particles belong to the surname.
		k := len(gt)
		for k > 1 && isLowerParticle(gt[k-1]) {
			k--
		}
		lastToks = append(append([]string(nil), gt[k:]...), lastToks...)
		gt = gt[:k]
		if len(gt) > 1 {
			gt = append(gt[:1], dropInitials(gt[1:])...)
		}
		givenToks = gt
	}
	first = fixCase(strings.Join(givenToks, " "), false)
	last = fixCase(strings.Join(lastToks, " "), true)
	return first, last
}

// clean makes s valid UTF-8, turns every kind of whitespace and control
// character into a space, drops zero-width characters, collapses runs of
// spaces and trims.
func clean(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "")
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case r == '\u200B' || r == '\u200C' || r == '\u200D' || r == '\u2060' || r == '\uFEFF' || r == '\u00AD':
			continue
		case unicode.IsSpace(r) || unicode.IsControl(r) || r == '\u2028' || r == '\u2029':
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

func tokens(s string) []string { return strings.Fields(s) }

// dropNicknames removes "(Johnny)" and `"Johnny"` from a name. It runs in
// linear time: an opener without a closer after it is kept as it is.
func dropNicknames(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	unclosed := map[rune]bool{}
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		closer := rune(0)
		switch r {
		case '(':
			closer = ')'
		case '"':
			closer = '"'
		case '\u201C':
			closer = '\u201D'
		}
		if closer != 0 && !unclosed[r] {
			if j := strings.IndexRune(s[i+size:], closer); j >= 0 {
				b.WriteByte(' ')
				i += size + j + utf8.RuneLen(closer)
				continue
			}
			unclosed[r] = true
		}
		b.WriteString(s[i : i+size])
		i += size
	}
	return strings.Join(tokens(b.String()), " ")
}

// key folds a name token for list lookups: lower case, without '.' and with
// a trailing ',' or ';' removed.
func key(tok string) string {
	tok = strings.TrimRight(tok, ",;")
	return strings.ToLower(strings.ReplaceAll(tok, ".", ""))
}

var honorifics = setOf("mr", "mrs", "ms", "miss", "mx", "dr", "prof", "professor", "sir", "dame", "rev", "mister",
	"sra", "srta", "herr", "frau", "mme", "mlle")

var suffixes = setOf("jr", "sr", "ii", "iii", "iv", "phd", "md", "mba", "esq", "cpa", "cfa", "pmp", "dds",
	"dmd", "dvm", "jd", "llm", "msc", "mph", "rn", "obe", "mbe", "cbe", "kbe", "frs", "retd", "ret")

// particles are surname particles kept lower-case when title-casing and kept
// with the surname.
var particles = setOf("van", "von", "der", "den", "de", "del", "della", "dela", "di", "da", "du", "la", "le",
	"ter", "ten", "dos", "das", "do", "bin", "binti", "bint", "al", "el", "ibn", "y", "zu", "af", "av")

func setOf(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

func isConnector(tok string) bool { return tok == "&" || tok == "+" || strings.EqualFold(tok, "and") }

// dropHonorifics removes leading honorifics (and the "&" of "Mr. & Mrs.");
// it reports whether there were any.
func dropHonorifics(toks []string) ([]string, bool) {
	found := false
	for len(toks) > 0 && (honorifics[key(toks[0])] || (found && isConnector(toks[0]))) {
		toks = toks[1:]
		found = true
	}
	return toks, found
}

// dropCouple keeps the first person of "John & Jane Smith": the connector and
// the word after it go, when a first person precedes and a surname still
// follows. A stray connector goes.
func dropCouple(toks []string) []string {
	out := make([]string, 0, len(toks))
	for i := 0; i < len(toks); i++ {
		if toks[i] == "&" || toks[i] == "+" {
			if len(out) > 0 && i+2 < len(toks) {
				i++
			}
			continue
		}
		out = append(out, toks[i])
	}
	return out
}

// dropSuffixes removes trailing suffixes while a word remains before them.
func dropSuffixes(toks []string) []string {
	for len(toks) > 1 && suffixes[key(toks[len(toks)-1])] {
		toks = toks[:len(toks)-1]
	}
	return toks
}

// allHonorifics reports whether toks hold nothing but honorifics (and
// the connectors between them: "Mr. & Mrs.").
func allHonorifics(toks []string) bool {
	rest, _ := dropHonorifics(toks)
	return len(rest) == 0
}

func allSuffixes(toks []string) bool {
	for _, t := range toks {
		if !suffixes[key(t)] {
			return false
		}
	}
	return len(toks) > 0
}

// isInitial reports whether tok is an initial: "A", "A." or "J.R.".
func isInitial(tok string) bool {
	tok = strings.TrimRight(tok, ",;")
	n, dots := 0, 0
	for _, r := range tok {
		switch {
		case r == '.':
			dots++
		case unicode.IsLetter(r):
			n++
		default:
			return false
		}
	}
	return n == 1 || (n > 1 && dots >= n)
}

// dropInitials removes initials.
func dropInitials(toks []string) []string {
	out := make([]string, 0, len(toks))
	for _, t := range toks {
		if !isInitial(t) {
			out = append(out, t)
		}
	}
	return out
}

func isLowerParticle(tok string) bool {
	return particles[tok]
}

// fixCase title-cases s when it is written all in capitals or all in lower
// case; mixed case is kept. In a surname, particles followed by another word
// stay lower-case.
func fixCase(s string, surname bool) string {
	upper, lower := false, false
	for _, r := range s {
		if unicode.IsUpper(r) || unicode.IsTitle(r) {
			upper = true
		} else if unicode.IsLower(r) {
			lower = true
		}
	}
	if upper == lower { // mixed, or no cased letters at all
		return s
	}
	toks := tokens(s)
	for i, t := range toks {
		if surname && i < len(toks)-1 && particles[strings.ToLower(t)] {
			toks[i] = strings.ToLower(t)
			continue
		}
		toks[i] = titleWord(t)
	}
	return strings.Join(toks, " ")
}

// titleWord capitalises the first letter of each segment of w separated by
// '-', '\” or '’', lower-casing the rest; "mcdonald" becomes "McDonald".
func titleWord(w string) string {
	var b strings.Builder
	start := true
	seg := 0 // letters written in the current segment
	for _, r := range w {
		switch {
		case r == '-' || r == '\'' || r == '\u2019' || r == '.':
			b.WriteRune(r)
			start, seg = true, 0
			continue
		case start && unicode.IsLetter(r):
			b.WriteRune(unicode.ToTitle(r))
			start = false
		case seg == 2 && strings.HasSuffix(b.String(), "Mc"):
			b.WriteRune(unicode.ToTitle(r))
		default:
			b.WriteRune(unicode.ToLower(r))
		}
		seg++
	}
	return b.String()
}

// placeholders are cell values that mean "no value". Folded like key, so
// "N/A" and "n.a" match.
var placeholders = setOf("-", "--", "---", "\u2013", "\u2014", "n/a", "#n/a", "none", "null", "nil",
	"unknown", "tbd", "tba", "?", "notavailable", "not available", "undefined")

func isPlaceholder(s string) bool {
	return placeholders[strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), ".", ""))]
}

// normCompany collapses whitespace; a placeholder reads as "".
func normCompany(s string) string {
	s = clean(s)
	if isPlaceholder(s) {
		return ""
	}
	return s
}

const salesNavNote = "linkedin: Sales Navigator URL ignored (not supported by search)"

// normLinkedIn returns the canonical profile URL for s, or "" and a note
// saying why s was ignored (no note for an empty cell or a placeholder).
func normLinkedIn(s string) (string, string) {
	s = clean(s)
	if s == "" || isPlaceholder(s) {
		return "", ""
	}
	s = strings.Trim(s, "<>")
	raw := s
	lower := strings.ToLower(s)
	switch {
	case strings.HasPrefix(lower, "//"):
		s = "https:" + s
	case !strings.Contains(s, "://"):
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || strings.ContainsAny(s, " ") {
		return "", "linkedin: " + quote(raw) + " is not a URL; ignored"
	}
	host := strings.ToLower(u.Hostname())
	if host == "lnkd.in" {
		return "", "linkedin: short link " + quote(raw) + " ignored (need a linkedin.com/in/ profile URL)"
	}
	if host != "linkedin.com" && !strings.HasSuffix(host, ".linkedin.com") {
		return "", "linkedin: " + quote(raw) + " is not a LinkedIn URL; ignored"
	}
	if sc := strings.ToLower(u.Scheme); sc != "http" && sc != "https" {
		return "", "linkedin: " + quote(raw) + " is not a web URL; ignored"
	}
	var segs []string
	for _, p := range strings.Split(u.Path, "/") {
		if p != "" {
			segs = append(segs, p)
		}
	}
	if len(segs) > 0 && strings.EqualFold(segs[0], "mwlite") {
		segs = segs[1:]
	}
	if len(segs) == 0 {
		return "", "linkedin: " + quote(raw) + " is not a profile URL; ignored"
	}
	switch strings.ToLower(segs[0]) {
	case "in":
	case "sales":
		return "", salesNavNote
	case "company", "school", "showcase", "organization":
		return "", "linkedin: company page " + quote(raw) + " ignored (not a person's profile)"
	default:
		return "", "linkedin: " + quote(raw) + " is not a profile URL (want linkedin.com/in/...); ignored"
	}
	if len(segs) < 2 {
		return "", "linkedin: " + quote(raw) + " has no profile name; ignored"
	}
	slug := strings.ToLower(segs[1])
	for _, r := range slug {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_' || unicode.Is(unicode.Mn, r)) {
			return "", "linkedin: " + quote(raw) + " has an invalid profile name; ignored"
		}
	}
	return "https://www.linkedin.com/in/" + slug, ""
}

// normDomain reduces s to a bare lower-case host name, or returns "" and a
// note when s holds no domain.
func normDomain(s string) (string, string) {
	s = clean(s)
	if s == "" {
		return "", ""
	}
	raw := s
	var note string
	if f := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' }); len(f) > 1 {
		s = f[0]
		note = "domain: several values in " + quote(raw) + "; used the first"
	} else if len(f) == 1 {
		s = f[0]
	}
	d := strings.ToLower(s)
	d = strings.TrimPrefix(d, "mailto:")
	if i := strings.Index(d, "://"); i >= 0 {
		d = d[i+3:]
	}
	d = strings.TrimPrefix(d, "//")
	if i := strings.IndexAny(d, "/?#"); i >= 0 {
		d = d[:i]
	}
	if i := strings.LastIndexByte(d, '@'); i >= 0 {
		d = d[i+1:]
	}
	if i := strings.LastIndexByte(d, ':'); i >= 0 {
		if _, err := strconv.Atoi(d[i+1:]); err == nil || i == len(d)-1 {
			d = d[:i]
		}
	}
	d = strings.TrimSuffix(d, ".")
	if rest, ok := strings.CutPrefix(d, "www."); ok && strings.Contains(rest, ".") {
		d = rest
	}
	if !isDomain(d) {
		return "", "domain: " + quote(raw) + " is not a domain; dropped"
	}
	return d, note
}

// isDomain reports whether d looks like a host name with a public suffix:
// two or more labels of letters, digits and inner hyphens, the last not all
// digits (so IP addresses are refused). Non-ASCII letters are allowed (IDN).
func isDomain(d string) bool {
	if len(d) > 253 {
		return false
	}
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || unicode.Is(unicode.Mn, r)) {
				return false
			}
		}
	}
	tld := labels[len(labels)-1]
	for _, r := range tld {
		if !unicode.IsDigit(r) {
			return len(tld) >= 2
		}
	}
	return false
}

// truncate shortens s to at most n runes, marking the cut with "…".
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// quote quotes a value for a note or reason, cut to 60 characters.
func quote(s string) string { return strconv.Quote(truncate(s, 60)) }
