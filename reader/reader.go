// Package reader streams the rows of an input file (CSV, JSONL or XLSX) and
// the identity each row gives, without holding the file in memory.
package reader

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// Input formats, as returned by Reader.Format.
const (
	FormatCSV   = "csv"
	FormatJSONL = "jsonl"
	FormatXLSX  = "xlsx"
)

// formatOf maps a file extension to its format.
func formatOf(path string) (string, bool) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv", ".tsv", ".txt":
		return FormatCSV, true
	case ".jsonl", ".ndjson":
		return FormatJSONL, true
	case ".xlsx":
		return FormatXLSX, true
	}
	return "", false
}

// A Reader yields the data rows of one input file in file order.
//
// A Reader is not safe for concurrent use. It holds the file open until
// Close; opening the same file again is cheap (nothing is cached between
// Readers), so a job may read it once per pass.
type Reader struct {
	path    string
	format  string
	header  []string
	dialect Dialect
	src     source
	close   func() error
	index   int
}

// source yields a format's rows, without Index, and io.EOF at the end.
type source interface {
	next() (Row, error)
}

// Open opens the input at path. Its format is opt.Format or, when that is
// empty, the extension's: .csv .tsv .txt (CSV), .jsonl .ndjson (JSONL),
// .xlsx. CSV and JSONL are read with their encoding and (CSV) delimiter
// detected unless opt forces them; guesses worth knowing are logged to
// opt.Logger as warnings.
//
// Every error is an *InputError naming the file: it cannot be opened, the
// extension or format is unknown, the file is empty, the header row is
// blank, the header has no identifying column (name, first and last name,
// or LinkedIn URL), opt.Map names an unknown field or column, opt.Encoding
// is unknown, or opt.Sheet is not in the workbook.
func Open(path string, opt Options) (*Reader, error) {
	format := strings.ToLower(strings.TrimSpace(opt.Format))
	switch format {
	case "":
		f, ok := formatOf(path)
		if !ok {
			ext := filepath.Ext(path)
			if ext == "" {
				ext = "(none)"
			}
			return nil, &InputError{Path: path, Msg: fmt.Sprintf(
				"unknown file extension %s: want .csv, .tsv, .txt, .jsonl, .ndjson or .xlsx", ext)}
		}
		format = f
	case FormatCSV, FormatJSONL, FormatXLSX:
	case "tsv", "txt":
		format = FormatCSV
	case "ndjson":
		format = FormatJSONL
	default:
		return nil, &InputError{Path: path, Msg: fmt.Sprintf("unknown format %q: want csv, jsonl or xlsx", opt.Format)}
	}
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}

	if format == FormatXLSX {
		return openXLSX(path, opt, log)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, openError(path, err)
	}
	if fi, err := f.Stat(); err != nil {
		f.Close()
		return nil, openError(path, err)
	} else if fi.IsDir() {
		f.Close()
		return nil, &InputError{Path: path, Msg: "cannot read: is a directory"}
	}
	r, err := newText(path, format, f, opt, log)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.close = f.Close
	return r, nil
}

// newText reads CSV or JSONL text from src; the caller closes src.
func newText(path, format string, src io.Reader, opt Options, log *slog.Logger) (*Reader, error) {
	warn := func(msg string) { log.Warn(path + ": " + msg) }
	text, dialect, err := decodeInput(src, opt.Encoding, warn)
	if errors.Is(err, errUnknownEncoding) {
		return nil, &InputError{Path: path, Msg: "--encoding: " + err.Error()}
	} else if err != nil {
		return nil, &InputError{Path: path, Msg: "read: " + err.Error()}
	}
	if format == FormatJSONL {
		return newJSONL(path, text, dialect, opt, log)
	}
	return newCSV(path, text, dialect, opt, log)
}

// openError describes a failure to open the file without repeating its path.
func openError(path string, err error) *InputError {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return &InputError{Path: path, Msg: "cannot open: " + err.Error()}
}

// Header returns the CSV or XLSX column names, blanks named ("column_5")
// and duplicates made unique ("Email_2"), without trailing unnamed
// columns. Row.Fields line up with it. Nil for JSONL.
func (r *Reader) Header() []string { return r.header }

// Format returns "csv", "jsonl" or "xlsx".
func (r *Reader) Format() string { return r.format }

// Dialect returns the text encoding and delimiter found (or forced); the
// zero Dialect for XLSX.
func (r *Reader) Dialect() Dialect { return r.dialect }

// errClosed is returned by Next after Close.
var errClosed = errors.New("reader: Next after Close")

// Next returns the next data row, or io.EOF after the last. A row that
// cannot be used (malformed, no usable identity) comes back with Invalid
// set, not as an error; an error is a failure to read the file (an
// *InputError with the line) and ends the reading.
func (r *Reader) Next() (Row, error) {
	if r.src == nil {
		return Row{}, errClosed
	}
	row, err := r.src.next()
	if err != nil {
		return Row{}, err
	}
	row.Index = r.index
	r.index++
	if row.Invalid == "" && !row.Identity.Usable() {
		row.Invalid = fmt.Sprintf("line %d: no usable name or LinkedIn URL", row.Line)
	}
	return row, nil
}

// Close releases the file. It is safe to call more than once.
func (r *Reader) Close() error {
	r.src = nil
	if r.close == nil {
		return nil
	}
	c := r.close
	r.close = nil
	return c()
}

// invalidUTF8 is the reason given for a row with bytes that are not UTF-8
// in a file read as UTF-8 (its start was valid, so it was not guessed
// otherwise).
const invalidUTF8 = "not valid UTF-8 (the file was read as UTF-8; use --encoding windows-1252 or another if it is not)"
