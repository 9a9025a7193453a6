// Package writer writes the enriched output: every input row once, in the
// order written, followed by the clodura columns (CSV, XLSX) or a "clodura"
// object (JSONL). The file appears atomically: rows go to a partial file
// next to the target, which Commit renames over it, so a crash or a failed
// write never leaves half a file in place of the previous output.
package writer

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/clodura/enrich/clodura"
	"github.com/clodura/enrich/reader"
)

// Options configure Create. The zero value writes the format given by the
// path's extension, with no input columns (JSONL input), comma-separated
// and without a byte order mark.
type Options struct {
	// Format is "csv", "jsonl" or "xlsx"; "" = from the extension (FormatOf).
	Format string
	// Header holds the input's columns (CSV/XLSX input), written before
	// Columns. Leave it empty for JSONL input: CSV and XLSX output then
	// start with a single "input" column holding the raw line.
	Header []string
	// Delimiter separates CSV fields; 0 = ',' ('\t' for a .tsv path). Pass
	// the input's delimiter so the output reopens in the same program.
	Delimiter rune
	// BOM writes a UTF-8 byte order mark first (CSV only). Set it when the
	// input had one or was not UTF-8, so that Excel shows accents.
	BOM bool
	// Sheet names the XLSX sheet; "" = "Enriched". Pass the input's sheet
	// name to keep it.
	Sheet string
}

// Enrichment is what the job knows about one row.
type Enrichment struct {
	Status  string            // one of the Status* constants
	Records []json.RawMessage // as the API returned them, best first
	Total   int               // matches the API reported (clodura_match_count)
	Error   string            // clodura_error; for an invalid row, "" = the row's Invalid
}

// Writer writes one output file. It is not safe for concurrent use: one
// goroutine owns it, calls Write for each row in input order, then Commit
// or Abort exactly once (a later Abort is a no-op, so defer w.Abort() is
// the way to clean up on every error path).
type Writer struct {
	path    string // the target
	partial string // where rows go until Commit
	file    *os.File
	enc     encoder
	table   bool // the output has Options.Header as its input columns
	err     error
	done    bool
}

// encoder turns rows into one format's bytes. write must not retain row
// or o past the call.
type encoder interface {
	write(row reader.Row, o *outcome) error
	// finish writes everything still buffered to the file.
	finish() error
	// close releases what the encoder holds (temporary files) without
	// writing more.
	close()
}

// FormatOf returns the output format for path's extension, case-insensitive:
// .csv, .tsv and .txt are "csv"; .jsonl and .ndjson are "jsonl"; .xlsx is
// "xlsx". Any other extension is an error naming it and the path.
func FormatOf(path string) (string, error) {
	ext := strings.ToLower(filepath.Ext(path))
	switch ext {
	case ".csv", ".tsv", ".txt":
		return "csv", nil
	case ".jsonl", ".ndjson":
		return "jsonl", nil
	case ".xlsx":
		return "xlsx", nil
	case "":
		return "", fmt.Errorf("writer: %s: no file extension to choose the output format (use .csv, .tsv, .txt, .jsonl, .ndjson or .xlsx)", path)
	}
	return "", fmt.Errorf("writer: %s: unknown output extension %q (use .csv, .tsv, .txt, .jsonl, .ndjson or .xlsx)", path, ext)
}

// Create starts the output at path. It creates "<dir>/.<base>.partial"
// (mode 0600, truncated) right away, so that a folder that is missing or
// not writable is reported, with its path, before any API call is made.
// Nothing at path changes until Commit.
func Create(path string, opt Options) (*Writer, error) {
	return create(path, opt, nil)
}

// create is Create with a seam: wrap, when not nil, is put between the
// encoder and the partial file (tests inject write failures with it).
func create(path string, opt Options, wrap func(io.Writer) io.Writer) (*Writer, error) {
	format := opt.Format
	if format == "" {
		var err error
		if format, err = FormatOf(path); err != nil {
			return nil, err
		}
	}
	delim := opt.Delimiter
	switch format {
	case "csv":
		if delim == 0 {
			delim = ','
			if strings.EqualFold(filepath.Ext(path), ".tsv") {
				delim = '\t'
			}
		}
		if !validDelim(delim) {
			return nil, fmt.Errorf("writer: %s: invalid CSV delimiter %q", path, delim)
		}
	case "jsonl", "xlsx":
	default:
		return nil, fmt.Errorf("writer: %s: unknown output format %q (want csv, jsonl or xlsx)", path, format)
	}

	f, partial, err := createPartial(path)
	if err != nil {
		return nil, err
	}
	w := &Writer{path: path, partial: partial, file: f, table: len(opt.Header) > 0}
	var out io.Writer = f
	if wrap != nil {
		out = wrap(f)
	}
	switch format {
	case "csv":
		w.enc, err = newCSV(out, delim, opt.BOM, opt.Header)
	case "jsonl":
		w.enc = newJSONL(out, opt.Header)
	case "xlsx":
		w.enc, err = newXLSX(out, opt.Sheet, opt.Header)
	}
	if err != nil {
		_ = f.Close()
		_ = os.Remove(partial)
		return nil, fmt.Errorf("writer: %s: %w", path, err)
	}
	return w, nil
}

// Write appends one row. Rows come out in the order written. An error
// (disk full, a record that is not JSON, a status that is not one of the
// Status* constants, a row whose kind does not match Options.Header) names
// the path and the row's line, and is final: every later Write and Commit
// return it, and the target is never replaced.
func (w *Writer) Write(row reader.Row, e Enrichment) error {
	if w.done {
		return fmt.Errorf("writer: %s: write after Commit or Abort", w.path)
	}
	if w.err != nil {
		return w.err
	}
	if err := w.write(row, e); err != nil {
		w.err = fmt.Errorf("writer: %s: row at line %d: %w", w.path, row.Line, err)
		return w.err
	}
	return nil
}

func (w *Writer) write(row reader.Row, e Enrichment) error {
	switch e.Status {
	case StatusMatched, StatusNotFound, StatusInvalid, StatusFailed, StatusPending:
	default:
		return fmt.Errorf("unknown status %q", e.Status)
	}
	if row.Fields != nil && !w.table {
		return errors.New("row has cells but Options.Header is empty")
	}
	o := newOutcome(row, e)
	return w.enc.write(row, &o)
}

// Commit finishes the output: it writes what is buffered, fsyncs the
// partial file, renames it over the target and fsyncs the folder, so the
// target is either the old file or the whole new one, mode 0600. After an
// earlier Write error, or if any of these steps fails, the partial file is
// removed, the target is left as it was, and the error names the path.
// Commit may be called once; Abort after it does nothing.
func (w *Writer) Commit() error {
	if w.done {
		return fmt.Errorf("writer: %s: Commit after Commit or Abort", w.path)
	}
	w.done = true
	if w.err != nil {
		w.discard()
		return fmt.Errorf("%w (%s left unchanged)", w.err, w.path)
	}
	if err := w.enc.finish(); err != nil {
		w.discard()
		return fmt.Errorf("writer: %s: %w (left unchanged)", w.path, err)
	}
	w.enc.close()
	if err := commitPartial(w.file, w.partial, w.path); err != nil {
		_ = os.Remove(w.partial)
		return err
	}
	return nil
}

// Abort drops the output: it removes the partial file and leaves the target
// as it was. It returns nil when called after Commit or a previous Abort.
func (w *Writer) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	w.enc.close()
	_ = w.file.Close()
	if err := os.Remove(w.partial); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("writer: removing %s: %w", w.partial, err)
	}
	return nil
}

func (w *Writer) discard() {
	w.enc.close()
	_ = w.file.Close()
	_ = os.Remove(w.partial)
}

// tableHeader is the header row of CSV and XLSX output.
func tableHeader(input []string) []string {
	if len(input) == 0 {
		input = []string{"input"}
	}
	h := make([]string, 0, len(input)+len(Columns))
	return append(append(h, input...), Columns...)
}

// tableRow appends the cells of one CSV/XLSX row to dst: exactly one input
// cell per header column (a short row is padded with "", the extra cells
// of a long row, which the reader marks invalid, are dropped: its error says
// so), or the raw line when the input was JSONL, then the clodura columns.
func tableRow(dst []string, header []string, row reader.Row, o *outcome) ([]string, error) {
	switch {
	case len(header) > 0:
		if row.Fields == nil {
			return nil, errors.New("JSONL row but Options.Header is set")
		}
		for i := range header {
			v := ""
			if i < len(row.Fields) {
				v = row.Fields[i]
			}
			dst = append(dst, v)
		}
	case row.Raw != nil:
		dst = append(dst, string(trimSpace(row.Raw)))
	default:
		dst = append(dst, row.Text)
	}
	return o.appendCells(dst), nil
}

// outcome is the clodura part of one output row, shared by all formats.
type outcome struct {
	status     string
	person     clodura.Person
	count      *int // nil = empty / null
	err        string
	record     json.RawMessage // nil = none
	candidates []json.RawMessage
}

func newOutcome(row reader.Row, e Enrichment) outcome {
	o := outcome{status: e.Status, err: errorText(row, e)}
	if len(e.Records) > 0 {
		o.record = e.Records[0]
		o.person = clodura.ParsePerson(e.Records[0])
		o.candidates = e.Records[1:]
		if len(o.candidates) == 0 {
			o.candidates = nil
		}
	}
	switch e.Status {
	case StatusMatched:
		n := max(e.Total, len(e.Records))
		o.count = &n
	case StatusNotFound:
		n := 0
		o.count = &n
	}
	return o
}

// errorText is clodura_error: the enrichment's error, or the row's own
// reason for an invalid row, followed by the reader's notes about values it
// ignored or repaired (unless the job already put them in).
func errorText(row reader.Row, e Enrichment) string {
	msg := e.Error
	if msg == "" && e.Status == StatusInvalid {
		msg = row.Invalid
	}
	for _, n := range row.Identity.Notes {
		if n == "" || strings.Contains(msg, n) {
			continue
		}
		if msg != "" {
			msg += "; "
		}
		msg += n
	}
	return msg
}

// appendCells appends the values of Columns, in order.
func (o *outcome) appendCells(dst []string) []string {
	count := ""
	if o.count != nil {
		count = strconv.Itoa(*o.count)
	}
	p := &o.person
	return append(dst, o.status, p.PersonID, p.FirstName, p.LastName,
		p.PersonTitle, p.Seniority, p.Functional, p.OrganizationName,
		p.CompanyDomain, p.LinkedInURL, p.PersonCity, p.PersonState,
		p.PersonCountry, p.ContactEmailStatus, count, o.err)
}

// trimSpace trims JSON whitespace.
func trimSpace(b []byte) []byte {
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}
