package reader

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// -update (the flag is declared in identity_test.go, shared by the package's
// golden tests) also rewrites testdata/book.xlsx.

// golden is the expected parse of one input, as stored in testdata/*.golden.
type golden struct {
	Format   string        `json:"format"`
	Header   []string      `json:"header"`
	Dialect  goldenDialect `json:"dialect"`
	Warnings []string      `json:"warnings,omitempty"`
	Rows     []goldenRow   `json:"rows"`
}

type goldenDialect struct {
	Encoding  string `json:"encoding"`
	BOM       bool   `json:"bom"`
	Delimiter string `json:"delimiter"`
}

type goldenRow struct {
	Index    int       `json:"index"`
	Line     int       `json:"line"`
	Fields   []string  `json:"fields,omitempty"`
	Raw      string    `json:"raw,omitempty"`
	Text     string    `json:"text,omitempty"`
	Identity *Identity `json:"identity,omitempty"`
	Invalid  string    `json:"invalid,omitempty"`
}

// warnings is a slog.Handler that keeps the messages logged at Warn and above.
type warnings struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warnings) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }
func (w *warnings) Handle(_ context.Context, r slog.Record) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, r.Message)
	return nil
}
func (w *warnings) WithAttrs([]slog.Attr) slog.Handler { return w }
func (w *warnings) WithGroup(string) slog.Handler      { return w }

func (w *warnings) list() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.msgs...)
}

// parse reads the whole input into its golden form.
func parse(t *testing.T, path string, opt Options) golden {
	t.Helper()
	w := &warnings{}
	opt.Logger = slog.New(w)
	r, err := Open(path, opt)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	defer r.Close()
	g := golden{Format: r.Format(), Header: r.Header()}
	d := r.Dialect()
	g.Dialect = goldenDialect{Encoding: d.Encoding, BOM: d.BOM}
	if d.Delimiter != 0 {
		g.Dialect.Delimiter = string(d.Delimiter)
	}
	g.Rows = []goldenRow{}
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: Next: %v", path, err)
		}
		checkRow(t, r, row, len(g.Rows))
		gr := goldenRow{Index: row.Index, Line: row.Line, Fields: row.Fields, Raw: string(row.Raw), Text: row.Text, Invalid: row.Invalid}
		if id := row.Identity; id.Usable() || id.Company != "" || id.Domain != "" || len(id.Notes) > 0 {
			gr.Identity = &id
		}
		g.Rows = append(g.Rows, gr)
	}
	if _, err := r.Next(); !errors.Is(err, io.EOF) {
		t.Errorf("%s: Next after the end = %v, want io.EOF again", path, err)
	}
	g.Warnings = w.list()
	return g
}

// checkRow asserts what holds for every row of every input.
func checkRow(t *testing.T, r *Reader, row Row, index int) {
	t.Helper()
	if row.Index != index {
		t.Errorf("row %d: Index = %d", index, row.Index)
	}
	if row.Line < 1 {
		t.Errorf("row %d: Line = %d, want >= 1", index, row.Line)
	}
	if row.Invalid == "" && !row.Identity.Usable() {
		t.Errorf("row %d (line %d): neither Invalid nor a usable Identity: %+v", index, row.Line, row.Identity)
	}
	if r.Format() != FormatJSONL && len(row.Fields) != len(r.Header()) {
		t.Errorf("row %d (line %d): %d fields, header has %d", index, row.Line, len(row.Fields), len(r.Header()))
	}
	// A JSONL row is an object (Raw) or a line that is not one (Text), but
	// a line too long to keep is neither.
	if r.Format() == FormatJSONL && (row.Raw != nil) == (row.Text != "") && !strings.Contains(row.Invalid, "longer than") {
		t.Errorf("row %d (line %d): Raw %q, Text %q", index, row.Line, row.Raw, row.Text)
	}
}

var goldenCases = []struct {
	name string // golden file: testdata/<name>.golden
	file string
	opt  Options
}{
	{"utf8_bom.csv", "utf8_bom.csv", Options{}},
	{"excel_unicode_text.txt", "excel_unicode_text.txt", Options{}},
	{"utf16be.csv", "utf16be.csv", Options{}},
	{"windows1252.csv", "windows1252.csv", Options{}},
	{"windows1252.csv-forced-utf8", "windows1252.csv", Options{Encoding: "UTF-8"}},
	{"windows1252.csv-forced-latin1", "windows1252.csv", Options{Encoding: "latin1"}},
	{"semicolon_excel.csv", "semicolon_excel.csv", Options{Map: map[string]string{"first_name": "Vorname", "last_name": "nachname", "company": "Firma"}}},
	{"semicolon_excel.csv-forced-comma", "semicolon_excel.csv", Options{Delimiter: ',', Map: map[string]string{"name": "Vorname;Nachname;Firma;Umsatz"}}},
	{"pipe.txt", "pipe.txt", Options{}},
	{"crlf_multiline.csv", "crlf_multiline.csv", Options{}},
	{"bad_quotes.csv", "bad_quotes.csv", Options{}},
	{"ragged.csv", "ragged.csv", Options{}},
	{"header_blank_dup.csv", "header_blank_dup.csv", Options{}},
	{"trailing_empty.csv", "trailing_empty.csv", Options{}},
	{"tabs.tsv", "tabs.tsv", Options{}},
	{"header_only.csv", "header_only.csv", Options{}},
	{"one_column.csv", "one_column.csv", Options{}},
	{"mapped.csv", "mapped.csv", Options{Map: map[string]string{"first_name": "given", "last_name": "Family"}}},
	{"people.jsonl", "people.jsonl", Options{}},
	{"mapped.jsonl", "mapped.jsonl", Options{Map: map[string]string{"first_name": "Given", "last_name": "family-name-x"}}},
	{"people.jsonl-as-txt", "people.jsonl", Options{Format: "ndjson"}},
	{"book.xlsx", "book.xlsx", Options{}},
	{"book.xlsx-sheet2", "book.xlsx", Options{Sheet: "second"}},
}

func TestGolden(t *testing.T) {
	if *update {
		if err := writeBook(filepath.Join("testdata", "book.xlsx")); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			got := parse(t, filepath.Join("testdata", tc.file), tc.opt)
			checkGolden(t, filepath.Join("testdata", tc.name+".golden"), got)
		})
	}
}

// checkGolden compares got with the golden file, or rewrites it with -update.
func checkGolden(t *testing.T, path string, got golden) {
	t.Helper()
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	if *update {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./reader -run TestGolden -update)", err)
	}
	if !bytes.Equal(b, want) {
		t.Errorf("%s differs (run with -update to accept):\ngot:\n%s\nwant:\n%s", path, b, want)
	}
}

// writeBook builds the test workbook: a first sheet "People" with the
// messes a spreadsheet has (numbers and a date formatted for display,
// blank and duplicate headers, a blank row, a short row, rows of empty
// strings at the end) and a second sheet.
func writeBook(path string) error {
	f := excelize.NewFile()
	defer f.Close()
	const s = "People"
	if err := f.SetSheetName("Sheet1", s); err != nil {
		return err
	}
	money, err := f.NewStyle(&excelize.Style{NumFmt: 4}) // #,##0.00
	if err != nil {
		return err
	}
	custom := "yyyy-mm-dd"
	date, err := f.NewStyle(&excelize.Style{CustomNumFmt: &custom})
	if err != nil {
		return err
	}
	rows := [][]any{
		{"Name", "Company", "Revenue", "Joined", nil, "Email", "Email", "LinkedIn"},
		{"Ada Lovelace", "Engines", 1234.5, time.Date(2024, 3, 15, 0, 0, 0, 0, time.UTC), "x", "ada@engines.example", "a2", nil},
		{"Prince", "Paisley Park", 42, nil, nil, nil, nil, "https://www.linkedin.com/in/prince/"},
		nil, // a blank row 4
		{"Short Row"},
		{"Grace Hopper", "Navy", 0, time.Date(1906, 12, 9, 0, 0, 0, 0, time.UTC), nil, nil, nil, nil, nil, "beyond"},
		{"", "", "", nil, nil, "", ""},
	}
	for i, row := range rows {
		for j, v := range row {
			if v == nil {
				continue
			}
			cell, err := excelize.CoordinatesToCellName(j+1, i+1)
			if err != nil {
				return err
			}
			if err := f.SetCellValue(s, cell, v); err != nil {
				return err
			}
			switch v.(type) {
			case float64:
				err = f.SetCellStyle(s, cell, cell, money)
			case time.Time:
				err = f.SetCellStyle(s, cell, cell, date)
			}
			if err != nil {
				return err
			}
		}
	}
	if _, err := f.NewSheet("Second"); err != nil {
		return err
	}
	for i, row := range [][]any{{"First Name", "Last Name"}, {"Alan", "Turing"}, {"Solo", nil}} {
		if err := f.SetSheetRow("Second", "A"+string(rune('1'+i)), &row); err != nil {
			return err
		}
	}
	return f.SaveAs(path)
}
