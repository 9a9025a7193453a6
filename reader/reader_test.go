package reader

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// writeFile writes data to name in a fresh temp dir and returns its path.
func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// readAll opens path and returns its rows.
func readAll(t *testing.T, path string, opt Options) (*Reader, []Row) {
	t.Helper()
	r, err := Open(path, opt)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { r.Close() })
	var rows []Row
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			return r, rows
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		checkRow(t, r, row, len(rows))
		rows = append(rows, row)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	file := func(name, data string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	book := filepath.Join(dir, "book.xlsx")
	if err := writeBook(book); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		path  string
		opt   Options
		line  int
		wants []string // substrings of the message
	}{
		{"missing file", filepath.Join(dir, "nope.csv"), Options{}, 0, []string{"cannot open", "no such file"}},
		{"missing xlsx", filepath.Join(dir, "nope.xlsx"), Options{}, 0, []string{"cannot open", "no such file"}},
		{"directory", dirNamed(t, dir, "folder.csv"), Options{}, 0, []string{"is a directory"}},
		{"empty csv", file("empty.csv", ""), Options{}, 0, []string{"empty file"}},
		{"only a BOM", file("bom.csv", "\xef\xbb\xbf"), Options{}, 0, []string{"empty file"}},
		{"only blank lines", file("blank.csv", "\n\r\n\n"), Options{}, 0, []string{"empty file"}},
		{"blank header", file("blankhdr.csv", ",,,\nJohn Smith,Acme\n"), Options{}, 1, []string{"header row is blank"}},
		{"no identifying column", file("noid.csv", "Company,Email\nAcme,a@b.c\n"), Options{}, 1, []string{"no column identifies a person", "Company, Email"}},
		{"first name alone", file("first.csv", "First Name,Company\nAnn,Acme\n"), Options{}, 1, []string{"no column identifies"}},
		{"map unknown field", file("map1.csv", "Given,Family\nA,B\n"), Options{Map: map[string]string{"nickname": "Given"}}, 1, []string{"--map nickname=Given", "unknown field"}},
		{"map unknown column", file("map2.csv", "Given,Family\nA,B\n"), Options{Map: map[string]string{"first_name": "Vorname"}}, 1, []string{"--map first_name=Vorname", "Given, Family"}},
		{"unknown extension", file("people.doc", "name\nA B\n"), Options{}, 0, []string{"unknown file extension .doc"}},
		{"no extension", file("people", "name\nA B\n"), Options{}, 0, []string{"unknown file extension (none)"}},
		{"unknown format", file("people2.csv", "name\nA B\n"), Options{Format: "parquet"}, 0, []string{`unknown format "parquet"`}},
		{"bad encoding", file("enc.csv", "name\nA B\n"), Options{Encoding: "ebcdic"}, 0, []string{"--encoding", `unknown encoding "ebcdic"`}},
		{"bad delimiter", file("delim.csv", "name\nA B\n"), Options{Delimiter: '"'}, 0, []string{"invalid delimiter"}},
		{"empty jsonl", file("empty.jsonl", ""), Options{}, 0, []string{"empty file"}},
		{"blank jsonl", file("blank.jsonl", "\n  \n\r\n"), Options{}, 0, []string{"no rows"}},
		{"jsonl map unknown field", file("m.jsonl", `{"a":1}`), Options{Map: map[string]string{"email": "a"}}, 0, []string{"--map email=a", "unknown field"}},
		{"unknown sheet", book, Options{Sheet: "Nope"}, 0, []string{`no sheet "Nope"`, `"People", "Second"`}},
		{"not a workbook", file("fake.xlsx", "name\nA B\n"), Options{}, 0, []string{"not an XLSX workbook"}},
		{"xlsx no identifying column", book, Options{Sheet: "Second", Map: map[string]string{"first_name": "Nope"}}, 1, []string{"--map first_name=Nope", "First Name, Last Name"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Open(tc.path, tc.opt)
			if err == nil {
				r.Close()
				t.Fatalf("Open(%s) succeeded, want an error", tc.path)
			}
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error %T %v, want *InputError", err, err)
			}
			if ie.Path != tc.path || !strings.HasPrefix(err.Error(), tc.path+": ") {
				t.Errorf("error %q does not name %s", err, tc.path)
			}
			if ie.Line != tc.line {
				t.Errorf("Line = %d, want %d (%v)", ie.Line, tc.line, err)
			}
			for _, w := range tc.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func dirNamed(t *testing.T, dir, name string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.Mkdir(p, 0o700); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFormatByExtension(t *testing.T) {
	csv := []byte("name\nAda Lovelace\n")
	jsonl := []byte(`{"name":"Ada Lovelace"}` + "\n")
	tests := []struct {
		file   string
		data   []byte
		opt    Options
		format string
	}{
		{"a.csv", csv, Options{}, FormatCSV},
		{"a.TSV", csv, Options{}, FormatCSV},
		{"a.txt", csv, Options{}, FormatCSV},
		{"a.jsonl", jsonl, Options{}, FormatJSONL},
		{"a.NDJSON", jsonl, Options{}, FormatJSONL},
		{"a.dat", jsonl, Options{Format: "jsonl"}, FormatJSONL},
		{"a.jsonl", csv, Options{Format: "CSV"}, FormatCSV},
	}
	for _, tc := range tests {
		t.Run(tc.file+"/"+tc.opt.Format, func(t *testing.T) {
			r, rows := readAll(t, writeFile(t, tc.file, tc.data), tc.opt)
			if r.Format() != tc.format {
				t.Errorf("Format() = %q, want %q", r.Format(), tc.format)
			}
			if len(rows) != 1 || rows[0].Identity.FirstName != "Ada" || rows[0].Invalid != "" {
				t.Errorf("rows = %+v, want one usable Ada", rows)
			}
		})
	}
}

func TestSniffDelimiter(t *testing.T) {
	tests := []struct {
		name   string
		text   string
		prefer byte
		want   rune
	}{
		{"comma", "a,b,c\n1,2,3\n", ',', ','},
		{"semicolon with decimal commas", "a;b;c\n1,5;2,5;3\n4;5,1;6\n", ',', ';'},
		{"tab with commas in values", "a\tb\nSmith, J\tAcme, Inc\n", ',', '\t'},
		{"pipe", "a|b\nx|y\n", ',', '|'},
		{"quoted delimiters do not count", "a;b\n\"x;y;z\";w\n\"p;q\";r\n", ',', ';'},
		{"quoted newline", "a,b\n\"x\ny;z;w\",v\n", ',', ','},
		{"stray quote mid-field", "a;b\n5'11\" tall;x\ny;z\n", ',', ';'},
		{"consistency beats preference", "Name;Title, Dept;Company\nA;x, y;C\nB;z;D\n", ',', ';'},
		{"ragged rows still count", "a,b,c\n1,2\n3,4,5\n6\n", ',', ','},
		{"tie goes to comma", "a,b;c\n", ',', ','},
		{"tie goes to the preferred", "a,b\tc\n", '\t', '\t'},
		{"one column", "name\nAda\n", ',', ','},
		{"one column prefers tab", "name\nAda\n", '\t', '\t'},
		{"empty", "", ',', ','},
		{"blank lines skipped", "a;b\n\n\n1;2\n", ',', ';'},
		{"CRLF", "a|b|c\r\n1|2|3\r\n", ',', '|'},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := sniffDelimiter([]byte(tc.text), true, tc.prefer); got != tc.want {
				t.Errorf("sniffDelimiter(%q) = %q, want %q", tc.text, got, tc.want)
			}
		})
	}
}

func TestFieldCountsCutSample(t *testing.T) {
	// Not at EOF, the last (possibly cut) record is not counted.
	if got := fieldCounts([]byte("a,b\n1,2\n3,"), ',', false, 10); !slices.Equal(got, []int{2, 2}) {
		t.Errorf("cut sample: %v, want [2 2]", got)
	}
	if got := fieldCounts([]byte("a,b\n1,2\n3,"), ',', true, 10); !slices.Equal(got, []int{2, 2, 2}) {
		t.Errorf("whole text: %v, want [2 2 2]", got)
	}
	if got := fieldCounts([]byte("a,b\n1,2\n3,4\n"), ',', true, 2); !slices.Equal(got, []int{2, 2}) {
		t.Errorf("max 2: %v", got)
	}
}

func TestParseEncoding(t *testing.T) {
	tests := map[string]string{
		"utf-8": encUTF8, "UTF8": encUTF8, "utf-16": "utf-16", "UTF-16LE": encUTF16LE, "utf_16be": encUTF16BE,
		"windows-1252": encCP1252, "cp1252": encCP1252, "latin1": encCP1252, "ISO-8859-1": encCP1252,
	}
	for in, want := range tests {
		if got, err := parseEncoding(in); err != nil || got != want {
			t.Errorf("parseEncoding(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "ascii", "utf-32", "shift-jis"} {
		if _, err := parseEncoding(in); !errors.Is(err, errUnknownEncoding) {
			t.Errorf("parseEncoding(%q) error = %v, want errUnknownEncoding", in, err)
		}
	}
}

func TestValidUTF8Prefix(t *testing.T) {
	e := []byte("caf\xc3\xa9") // café
	tests := []struct {
		b     []byte
		atEOF bool
		want  bool
	}{
		{e, true, true},
		{e[:4], false, true},             // é cut by the sample's end
		{e[:4], true, false},             // é cut by the file's end
		{[]byte("caf\xe9"), false, true}, // could be the start of a cut rune
		{[]byte("caf\xe9"), true, false},
		{[]byte("caf\xe9 au lait"), false, false},
		{nil, true, true},
	}
	for _, tc := range tests {
		if got := validUTF8Prefix(tc.b, tc.atEOF); got != tc.want {
			t.Errorf("validUTF8Prefix(%q, %v) = %v, want %v", tc.b, tc.atEOF, got, tc.want)
		}
	}
}

func TestForcedEncodings(t *testing.T) {
	le := utf16(t, "\ufeffname\tcompany\r\nJürgen Groß\tX\r\n", false)
	be := utf16(t, "name,company\nJürgen Groß,X\n", true)
	tests := []struct {
		name    string
		data    []byte
		enc     string
		dialect Dialect
	}{
		{"utf-16 follows the BOM", le, "utf-16", Dialect{Encoding: encUTF16LE, BOM: true, Delimiter: '\t'}},
		{"utf-16be without BOM", be, "utf-16be", Dialect{Encoding: encUTF16BE, Delimiter: ','}},
		{"utf-16le matching BOM", le, "utf-16le", Dialect{Encoding: encUTF16LE, BOM: true, Delimiter: '\t'}},
		{"utf-8 with BOM", []byte("\xef\xbb\xbfname\nJürgen Groß\n"), "utf-8", Dialect{Encoding: encUTF8, BOM: true, Delimiter: ','}},
		{"windows-1252 over valid UTF-8 bytes", []byte("name\nJ\xfcrgen Gro\xdf\n"), "windows-1252", Dialect{Encoding: encCP1252, Delimiter: ','}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, rows := readAll(t, writeFile(t, "in.csv", tc.data), Options{Encoding: tc.enc})
			if r.Dialect() != tc.dialect {
				t.Errorf("Dialect() = %+v, want %+v", r.Dialect(), tc.dialect)
			}
			if len(rows) != 1 || rows[0].Fields[0] != "Jürgen Groß" {
				t.Errorf("rows = %+v, want one Jürgen Groß", rows)
			}
		})
	}
}

// utf16 encodes s (ASCII and Latin-1 only) as UTF-16.
func utf16(t *testing.T, s string, bigEndian bool) []byte {
	t.Helper()
	var b bytes.Buffer
	for _, r := range s {
		if r > 0xFFFF {
			t.Fatalf("utf16: %q outside the BMP", r)
		}
		if bigEndian {
			b.WriteByte(byte(r >> 8))
			b.WriteByte(byte(r))
		} else {
			b.WriteByte(byte(r))
			b.WriteByte(byte(r >> 8))
		}
	}
	return b.Bytes()
}

func TestWindows1252Warning(t *testing.T) {
	w := &warnings{}
	path := writeFile(t, "w.csv", []byte("name\nAndr\xe9 Gagn\xe9\n"))
	r, rows := readAll(t, path, Options{Logger: slog.New(w)})
	if r.Dialect().Encoding != encCP1252 || rows[0].Identity.FirstName != "André" {
		t.Errorf("dialect %+v, row %+v", r.Dialect(), rows[0])
	}
	want := path + ": not valid UTF-8; reading as Windows-1252 (use --encoding to force)"
	if got := w.list(); !slices.Equal(got, []string{want}) {
		t.Errorf("warnings = %q, want %q", got, want)
	}
}

// TestInvalidUTF8AfterSample: bytes that are not UTF-8 past the sniffed
// start make that row invalid, with its line, and nothing else.
func TestInvalidUTF8AfterSample(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("name,company\n")
	n := 0
	for b.Len() <= sniffSize {
		n++
		fmt.Fprintf(&b, "Person%d Smith,Acme\n", n)
	}
	b.WriteString("Andr\xe9 Gagn\xe9,Soci\xe9t\xe9\n")
	b.WriteString("Last Person,Acme\n")
	for _, format := range []string{"csv", "jsonl"} {
		t.Run(format, func(t *testing.T) {
			data := b.Bytes()
			if format == "jsonl" {
				var j bytes.Buffer
				for i, line := range bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n")) {
					if i > 0 {
						name, _, _ := bytes.Cut(line, []byte(","))
						fmt.Fprintf(&j, "{\"name\":\"%s\"}\n", name)
					}
				}
				data = j.Bytes()
			}
			r, rows := readAll(t, writeFile(t, "big."+format, data), Options{})
			if r.Dialect().Encoding != encUTF8 {
				t.Fatalf("encoding %q, want utf-8", r.Dialect().Encoding)
			}
			if len(rows) != n+2 {
				t.Fatalf("%d rows, want %d", len(rows), n+2)
			}
			bad := rows[n]
			line := n + 2
			if format == "jsonl" {
				line = n + 1
			}
			wantPrefix := fmt.Sprintf("line %d: not valid UTF-8", line)
			if !strings.HasPrefix(bad.Invalid, wantPrefix) || !strings.Contains(bad.Invalid, "--encoding") {
				t.Errorf("row %d Invalid = %q, want %q... with an --encoding hint", n, bad.Invalid, wantPrefix)
			}
			for i, row := range rows {
				if i != n && row.Invalid != "" {
					t.Errorf("row %d: Invalid %q", i, row.Invalid)
				}
			}
		})
	}
}

func TestHeaderNames(t *testing.T) {
	tests := []struct {
		in    []string
		want  []string
		notes int
	}{
		{[]string{"a", "b"}, []string{"a", "b"}, 0},
		{[]string{"a", "", "b", " ", ""}, []string{"a", "column_2", "b"}, 1},
		{[]string{"Email", "email", "Email", "Email_2"}, []string{"Email", "email", "Email_3", "Email_2"}, 1},
		{[]string{"x", "", "column_2"}, []string{"x", "column_2_2", "column_2"}, 1},
		{[]string{"", "", ""}, nil, 0},
		{[]string{"a", "a", "a"}, []string{"a", "a_2", "a_3"}, 2},
	}
	for _, tc := range tests {
		got, notes := makeHeader(tc.in)
		if !slices.Equal(got, tc.want) || len(notes) != tc.notes {
			t.Errorf("makeHeader(%q) = %q, %q; want %q with %d notes", tc.in, got, notes, tc.want, tc.notes)
		}
	}
}

func TestReopenAndClose(t *testing.T) {
	path := filepath.Join("testdata", "crlf_multiline.csv")
	var first []Row
	for pass := range 3 {
		_, rows := readAll(t, path, Options{})
		if pass == 0 {
			first = rows
			continue
		}
		if len(rows) != len(first) {
			t.Fatalf("pass %d: %d rows, first pass %d", pass, len(rows), len(first))
		}
		for i := range rows {
			if !slices.Equal(rows[i].Fields, first[i].Fields) || rows[i].Line != first[i].Line {
				t.Errorf("pass %d row %d differs: %+v vs %+v", pass, i, rows[i], first[i])
			}
		}
	}
	r, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := r.Next(); err == nil || errors.Is(err, io.EOF) {
		t.Errorf("Next after Close = %v, want an error", err)
	}
}

// TestRowsDoNotAlias: a row's Fields and Raw stay intact after the next
// rows are read (the job keeps rows while others are read).
func TestRowsDoNotAlias(t *testing.T) {
	for _, name := range []string{"ragged.csv", "people.jsonl", "book.xlsx"} {
		t.Run(name, func(t *testing.T) {
			r, err := Open(filepath.Join("testdata", name), Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			var rows, copies []Row
			for {
				row, err := r.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				c := row
				c.Fields = slices.Clone(row.Fields)
				c.Raw = bytes.Clone(row.Raw)
				rows, copies = append(rows, row), append(copies, c)
			}
			for i := range rows {
				if !slices.Equal(rows[i].Fields, copies[i].Fields) || !bytes.Equal(rows[i].Raw, copies[i].Raw) {
					t.Errorf("row %d changed after later reads: %q %q, was %q %q", i, rows[i].Fields, rows[i].Raw, copies[i].Fields, copies[i].Raw)
				}
			}
		})
	}
}

func TestJSONLLongLines(t *testing.T) {
	pad := strings.Repeat("x", 200<<10) // longer than any buffer but the limit
	var b bytes.Buffer
	fmt.Fprintf(&b, "{\"name\":\"Ada Lovelace\",\"pad\":%q}\n", pad)
	fmt.Fprintf(&b, "{\"name\":\"Too Long\",\"pad\":%q}\n", strings.Repeat("y", maxJSONLine))
	b.WriteString("{\"name\":\"After Long\"}")
	_, rows := readAll(t, writeFile(t, "long.jsonl", b.Bytes()), Options{})
	if len(rows) != 3 {
		t.Fatalf("%d rows, want 3", len(rows))
	}
	if rows[0].Invalid != "" || len(rows[0].Raw) != len(pad)+len(`{"name":"Ada Lovelace","pad":""}`) {
		t.Errorf("row 0: Invalid %q, %d raw bytes", rows[0].Invalid, len(rows[0].Raw))
	}
	if rows[1].Invalid != "line 2: line is longer than 16 MiB" || rows[1].Raw != nil {
		t.Errorf("row 1: Invalid %q, %d raw bytes", rows[1].Invalid, len(rows[1].Raw))
	}
	if rows[2].Line != 3 || rows[2].Identity.LastName != "Long" || string(rows[2].Raw) != `{"name":"After Long"}` {
		t.Errorf("row 2 = %+v", rows[2])
	}
}

// TestXLSXBuilt reads a workbook built here, so the committed
// testdata/book.xlsx cannot drift from writeBook unnoticed.
func TestXLSXBuilt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "built.xlsx")
	if err := writeBook(path); err != nil {
		t.Fatal(err)
	}
	built := parse(t, path, Options{})
	committed := parse(t, filepath.Join("testdata", "book.xlsx"), Options{})
	b1, _ := json.Marshal([]any{built.Header, built.Rows})
	b2, _ := json.Marshal([]any{committed.Header, committed.Rows})
	if !bytes.Equal(b1, b2) {
		t.Errorf("testdata/book.xlsx is stale (run -update):\nbuilt     %s\ncommitted %s", b1, b2)
	}
	// What the user saw in Excel, not the stored numbers.
	want := [][]string{
		{"Ada Lovelace", "Engines", "1,234.50", "2024-03-15", "x", "ada@engines.example", "a2", ""},
		{"Prince", "Paisley Park", "42", "", "", "", "", "https://www.linkedin.com/in/prince/"},
		{"Short Row", "", "", "", "", "", "", ""},
	}
	if len(built.Rows) < 3 {
		t.Fatalf("%d rows", len(built.Rows))
	}
	for i, w := range want {
		if !slices.Equal(built.Rows[i].Fields, w) {
			t.Errorf("row %d fields %q, want %q", i, built.Rows[i].Fields, w)
		}
	}
	if lines := []int{built.Rows[0].Line, built.Rows[1].Line, built.Rows[2].Line}; !slices.Equal(lines, []int{2, 3, 5}) {
		t.Errorf("lines %v, want [2 3 5] (row 4 is blank)", lines)
	}
}

func benchInput(b *testing.B, format string) string {
	b.Helper()
	var buf bytes.Buffer
	const n = 10000
	if format == FormatCSV {
		buf.WriteString("First Name,Last Name,Company,Website,LinkedIn,Notes\n")
	}
	for i := range n {
		if format == FormatCSV {
			fmt.Fprintf(&buf, "Person%d,Smith,Acme %d Ltd,https://acme%d.example,https://www.linkedin.com/in/p%d,\"note, with comma\"\n", i, i, i, i)
		} else {
			fmt.Fprintf(&buf, `{"first_name":"Person%d","last_name":"Smith","company":"Acme %d Ltd","website":"https://acme%d.example","linkedin":"https://www.linkedin.com/in/p%d","n":%d}`+"\n", i, i, i, i, i)
		}
	}
	path := filepath.Join(b.TempDir(), "bench."+format)
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		b.Fatal(err)
	}
	return path
}

func benchRead(b *testing.B, format string) {
	path := benchInput(b, format)
	rows := 0
	b.ResetTimer()
	for b.Loop() {
		r, err := Open(path, Options{})
		if err != nil {
			b.Fatal(err)
		}
		for {
			row, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil || row.Invalid != "" {
				b.Fatalf("%v %q", err, row.Invalid)
			}
			rows++
		}
		r.Close()
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkCSV(b *testing.B)   { benchRead(b, FormatCSV) }
func BenchmarkJSONL(b *testing.B) { benchRead(b, FormatJSONL) }

func TestMembers(t *testing.T) {
	for _, obj := range []string{
		`{}`,
		` { } `,
		`{"a":1}`,
		`{ "a" : "x\"y" , "b\u00e9\n" : [1,{"c":"]}"}] ,"d":{"e":{}},"f":null,"g":-1.5e+3,"h":true}`,
		`{"":""}`,
		`{"a":"{[","a":"dup"}`,
	} {
		checkMembers(t, []byte(obj))
	}
	for _, bad := range []string{``, `[]`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{"a":1`, `{"a":"x`, `{a:1}`, `{"a":1 "b":2}`, `{"a":[1,2}`} {
		if err := members([]byte(bad), func(string, []byte) {}); err == nil {
			t.Errorf("members(%q) = nil error, want errMalformed", bad)
		}
	}
}

func TestCSVParser(t *testing.T) {
	const unbalanced = `unbalanced quote: a field opens with " and does not close on this line (quote the whole field and double the quotes inside it)`
	type rec struct {
		line    int
		fields  []string
		invalid string
	}
	tests := []struct {
		name string
		in   string
		want []rec
	}{
		{"plain", "a,b\n1,2\n", []rec{{1, []string{"a", "b"}, ""}, {2, []string{"1", "2"}, ""}}},
		{"CRLF and no final newline", "a,b\r\n1,2", []rec{{1, []string{"a", "b"}, ""}, {2, []string{"1", "2"}, ""}}},
		{"empty lines skipped", "\n\na\r\n\r\nb\n", []rec{{3, []string{"a"}, ""}, {5, []string{"b"}, ""}}},
		{"quoted newline", "\"x\r\ny\",z\nn\n", []rec{{1, []string{"x\ny", "z"}, ""}, {3, []string{"n"}, ""}}},
		{"escaped quotes", `"say ""hi""",b` + "\n", []rec{{1, []string{`say "hi"`, "b"}, ""}}},
		{"stray quote in unquoted field", "Bob O\"Neil,6'2\"\nx\n", []rec{{1, []string{`Bob O"Neil`, `6'2"`}, ""}, {2, []string{"x"}, ""}}},
		{"text after a closing quote", "\"Bob\" Smith,Acme\nJane Doe,Globex\n", []rec{{1, []string{"Bob Smith", "Acme"}, ""}, {2, []string{"Jane Doe", "Globex"}, ""}}},
		{"unclosed quote at the end", "a,b\n\"Ann Lee,Initech\nTom Hardy,X\n", []rec{
			{1, []string{"a", "b"}, ""},
			{2, []string{"Ann Lee,Initech"}, unbalanced},
			{3, []string{"Tom Hardy", "X"}, ""},
		}},
		{"stray opening quote closed by a later field", "\"Ann Lee,Initech\nTom,X\n\"Smith, John\",Acme\n", []rec{
			{1, []string{"Ann Lee,Initech"}, unbalanced},
			{2, []string{"Tom", "X"}, ""},
			{3, []string{"Smith, John", "Acme"}, ""},
		}},
		{"quoted field ending the file without newline", `a,"b`, []rec{{1, []string{"a", "b"}, unbalanced}}},
		{"empty quoted fields", `"",""` + "\n", []rec{{1, []string{"", ""}, ""}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := &csvParser{src: bufio.NewReader(strings.NewReader(tc.in)), comma: ',', line: 1}
			var got []rec
			for {
				r, err := p.read()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, rec{r.line, r.fields, r.invalid})
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("read %q\n got %#v\nwant %#v", tc.in, got, tc.want)
			}
			checkParser(t, []byte(tc.in))
		})
	}
}

func TestCSVLongQuotedField(t *testing.T) {
	// A stray quote must not make the reader hold or skip the whole file.
	var b strings.Builder
	b.WriteString("name,company\n\"Ann Lee,Initech\n")
	for i := range 2 * maxQuotedLines {
		fmt.Fprintf(&b, "Person%d Smith,Acme\n", i)
	}
	_, rows := readAll(t, writeFile(t, "q.csv", []byte(b.String())), Options{})
	if len(rows) != 1+2*maxQuotedLines {
		t.Fatalf("%d rows, want %d", len(rows), 1+2*maxQuotedLines)
	}
	if !strings.HasPrefix(rows[0].Invalid, "line 2: unbalanced quote") {
		t.Errorf("row 0 Invalid = %q", rows[0].Invalid)
	}
	if last := rows[len(rows)-1]; last.Line != 2*maxQuotedLines+2 || last.Invalid != "" {
		t.Errorf("last row %+v", last)
	}
}

func TestUTF16WithoutBOM(t *testing.T) {
	for _, bigEndian := range []bool{false, true} {
		want := encUTF16LE
		if bigEndian {
			want = encUTF16BE
		}
		t.Run(want, func(t *testing.T) {
			w := &warnings{}
			data := utf16(t, "name\tcompany\r\nJürgen Groß\tX\r\n", bigEndian)
			r, rows := readAll(t, writeFile(t, "u.txt", data), Options{Logger: slog.New(w)})
			if r.Dialect() != (Dialect{Encoding: want, Delimiter: '\t'}) {
				t.Errorf("Dialect() = %+v", r.Dialect())
			}
			if len(rows) != 1 || rows[0].Identity.LastName != "Groß" {
				t.Errorf("rows %+v", rows)
			}
			if got := w.list(); len(got) != 1 || !strings.Contains(got[0], "looks like "+strings.ToUpper(want)) {
				t.Errorf("warnings %q", got)
			}
		})
	}
	for in, want := range map[string]string{
		"name\nA B\n":                      "",
		"short\x00":                        "",
		"\x00\x00\x00\x00\x00\x00\x00\x00": "", // zeros everywhere: not text
		"a\x00b\x00c\x00d\x00\n":           encUTF16LE,
		"\x00a\x00b\x00c\x00d":             encUTF16BE,
	} {
		if got := utf16Guess([]byte(in)); got != want {
			t.Errorf("utf16Guess(%q) = %q, want %q", in, got, want)
		}
	}
}
