package reader

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// csvSource reads the data records of a CSV text.
type csvSource struct {
	path string
	cr   *csv.Reader
	t    table
}

// newCSV reads the header of a CSV text and matches its columns.
func newCSV(path string, text io.Reader, dialect Dialect, opt Options, log *slog.Logger) (*Reader, error) {
	br := bufio.NewReaderSize(text, sniffSize)
	delim := opt.Delimiter
	if delim == 0 {
		sample, err := br.Peek(sniffSize)
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
			return nil, &InputError{Path: path, Msg: "read: " + err.Error()}
		}
		prefer := byte(',')
		if strings.EqualFold(filepath.Ext(path), ".tsv") || dialect.Encoding == encUTF16LE || dialect.Encoding == encUTF16BE {
			prefer = '\t' // what .tsv says, and what Excel's "Unicode Text" is
		}
		delim = sniffDelimiter(sample, errors.Is(err, io.EOF), prefer)
	} else if delim == '"' || delim == '\r' || delim == '\n' || delim == utf8.RuneError || !utf8.ValidRune(delim) {
		return nil, &InputError{Path: path, Msg: fmt.Sprintf("invalid delimiter %q", delim)}
	}
	dialect.Delimiter = delim

	cr := csv.NewReader(br)
	cr.Comma = delim
	cr.LazyQuotes = true
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false

	rec, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, &InputError{Path: path, Msg: "empty file"}
	} else if err != nil {
		return nil, csvError(path, err)
	}
	line, _ := cr.FieldPos(0)
	t, err := newTable(path, line, rec, opt.Map, log)
	if err != nil {
		return nil, err
	}
	t.checkUTF8 = dialect.Encoding == encUTF8
	return &Reader{
		path:    path,
		format:  FormatCSV,
		header:  t.header,
		dialect: dialect,
		src:     &csvSource{path: path, cr: cr, t: *t},
	}, nil
}

func (s *csvSource) next() (Row, error) {
	for {
		rec, err := s.cr.Read()
		if errors.Is(err, io.EOF) {
			return Row{}, io.EOF
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) && (errors.Is(pe.Err, csv.ErrQuote) || errors.Is(pe.Err, csv.ErrBareQuote) || errors.Is(pe.Err, csv.ErrFieldCount)) {
			// Not expected with LazyQuotes; should it happen, the row is
			// reported and reading goes on with the next one.
			line := max(pe.StartLine, 1)
			return Row{
				Line:    line,
				Fields:  make([]string, len(s.t.header)),
				Invalid: fmt.Sprintf("line %d: %v", line, pe.Err),
			}, nil
		}
		if err != nil {
			return Row{}, csvError(s.path, err)
		}
		line, _ := s.cr.FieldPos(0)
		if row, ok := s.t.row(rec, line); ok {
			return row, nil
		}
	}
}

// csvError turns a read failure into an *InputError with its line.
func csvError(path string, err error) *InputError {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &InputError{Path: path, Line: pe.Line, Msg: "read: " + pe.Err.Error()}
	}
	return &InputError{Path: path, Msg: "read: " + err.Error()}
}

// table holds what CSV and XLSX share: the header and the rules that turn a
// record of cells into a Row.
type table struct {
	header    []string
	cols      Columns
	checkUTF8 bool // reject fields that are not UTF-8 (text read as UTF-8)
}

// newTable makes the header from the record at line and matches its
// columns against the identity fields (with mapping, --map).
func newTable(path string, line int, rec []string, mapping map[string]string, log *slog.Logger) (*table, error) {
	header, notes := makeHeader(rec)
	if header == nil {
		return nil, &InputError{Path: path, Line: line, Msg: "header row is blank: the first row must name the columns"}
	}
	if len(notes) > 0 {
		log.Warn(path + ": header: " + strings.Join(notes, "; "))
	}
	cols, err := MatchColumns(header, mapping)
	if err != nil {
		return nil, &InputError{Path: path, Line: line, Msg: err.Error()}
	}
	return &table{header: header, cols: cols}, nil
}

// makeHeader names the columns of a header record: trailing unnamed
// columns are dropped (spreadsheets leave them), other blank names become
// "column_N" (1-based) and a repeated name gets a suffix ("Email_2"). It
// returns nil when every name is blank, and notes on what it renamed.
func makeHeader(rec []string) ([]string, []string) {
	width := len(rec)
	for width > 0 && strings.TrimSpace(rec[width-1]) == "" {
		width--
	}
	if width == 0 {
		return nil, nil
	}
	used := make(map[string]bool, width)
	for _, name := range rec[:width] {
		used[name] = true
	}
	unique := func(base string) string {
		for n := 2; ; n++ {
			if name := fmt.Sprintf("%s_%d", base, n); !used[name] {
				used[name] = true
				return name
			}
		}
	}
	header := make([]string, width)
	seen := make(map[string]bool, width)
	var notes []string
	for i, name := range rec[:width] {
		switch {
		case strings.TrimSpace(name) == "":
			name = fmt.Sprintf("column_%d", i+1)
			if used[name] {
				name = unique(name)
			}
			used[name] = true
			notes = append(notes, fmt.Sprintf("column %d has no name; calling it %q", i+1, name))
		case seen[name]:
			renamed := unique(name)
			notes = append(notes, fmt.Sprintf("column %d repeats %q; calling it %q", i+1, name, renamed))
			name = renamed
		}
		seen[name] = true
		header[i] = name
	}
	return header, notes
}

// blank reports whether every cell is empty or spaces.
func blank(rec []string) bool {
	for _, c := range rec {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// row turns the record starting at line into a Row, or reports false for
// a blank record, which is not a row. A short record is padded with "";
// a long one is accepted when its extra cells are empty, else Invalid.
func (t *table) row(rec []string, line int) (Row, bool) {
	if blank(rec) {
		return Row{}, false
	}
	width := len(t.header)
	row := Row{Line: line}
	switch {
	case len(rec) > width:
		if !blank(rec[width:]) {
			n := len(rec)
			for strings.TrimSpace(rec[n-1]) == "" {
				n--
			}
			row.Invalid = fmt.Sprintf("line %d: row has %d fields, header has %d", line, n, width)
		}
		rec = rec[:width:width]
	case len(rec) < width:
		padded := make([]string, width)
		copy(padded, rec)
		rec = padded
	}
	row.Fields = rec
	if row.Invalid == "" && t.checkUTF8 {
		for _, c := range rec {
			if !utf8.ValidString(c) {
				row.Invalid = fmt.Sprintf("line %d: %s", line, invalidUTF8)
				break
			}
		}
	}
	if row.Invalid == "" {
		id, reason := t.cols.Identify(rec)
		row.Identity = id
		if reason != "" {
			row.Invalid = fmt.Sprintf("line %d: %s", line, reason)
		}
	}
	return row, true
}
