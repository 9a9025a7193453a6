package reader

import (
	"bufio"
	"bytes"
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
	p    *csvParser
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
	} else if delim <= 0 || delim >= utf8.RuneSelf || delim == '"' || delim == '\r' || delim == '\n' {
		return nil, &InputError{Path: path, Msg: fmt.Sprintf("invalid delimiter %q: want one ASCII character other than a quote or line break", delim)}
	}
	dialect.Delimiter = delim

	p := &csvParser{src: br, comma: byte(delim), line: 1}
	rec, err := p.read()
	if errors.Is(err, io.EOF) {
		return nil, &InputError{Path: path, Msg: "empty file"}
	} else if err != nil {
		return nil, &InputError{Path: path, Line: p.line, Msg: "read: " + err.Error()}
	}
	if rec.invalid != "" {
		return nil, &InputError{Path: path, Line: rec.line, Msg: "header: " + rec.invalid}
	}
	t, err := newTable(path, rec.line, rec.fields, opt.Map, log)
	if err != nil {
		return nil, err
	}
	t.checkUTF8 = dialect.Encoding == encUTF8
	return &Reader{
		path:    path,
		format:  FormatCSV,
		header:  t.header,
		dialect: dialect,
		src:     &csvSource{path: path, p: p, t: *t},
	}, nil
}

func (s *csvSource) next() (Row, error) {
	for {
		rec, err := s.p.read()
		if errors.Is(err, io.EOF) {
			return Row{}, io.EOF
		} else if err != nil {
			return Row{}, &InputError{Path: s.path, Line: s.p.line, Msg: "read: " + err.Error()}
		}
		row, ok := s.t.row(rec.fields, rec.line)
		if rec.invalid != "" {
			// Even a blank-looking record is reported: it was not blank.
			if !ok {
				row = Row{Line: rec.line, Fields: make([]string, len(s.t.header))}
			}
			row.Identity = Identity{}
			row.Invalid = fmt.Sprintf("line %d: %s", rec.line, rec.invalid)
			return row, nil
		}
		if ok {
			return row, nil
		}
	}
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

// maxRecord is the longest CSV record read; a longer one is an invalid row.
const maxRecord = 16 << 20

// A quoted field going on past more lines or bytes than these is taken for
// a stray opening quote (see csvParser). The limits also bound the work a
// file of stray quotes costs: each take-back rereads at most this much.
const (
	maxQuotedLines = 100
	maxQuotedBytes = 1 << 20
)

// csvParser splits CSV text into records. It reads what encoding/csv
// reads, giving the same fields for every input encoding/csv accepts
// (FuzzCSV checks this), and unlike encoding/csv with LazyQuotes it
// cannot swallow the rest of the file into one field:
//   - a quote inside an unquoted field is a literal character (Bob O"Neil);
//   - a quoted field's closing quote followed by more text keeps that text
//     ("Bob" Smith reads Bob Smith), on the same line;
//   - a quoted field that runs past its line and then never closes, or
//     closes followed by more text (so its opening quote was a stray one),
//     is taken back: its record is the first line alone, reported invalid,
//     and reading resumes on the next line.
//
// Line endings are "\n" or "\r\n"; "\r\n" inside a quoted field reads as
// "\n". Empty lines are skipped.
type csvParser struct {
	src     *bufio.Reader
	pending []byte // text taken back, read before src
	comma   byte
	line    int    // number of the next line to read
	buf     []byte // raw text of the record being read
}

// csvRecord is one record: its fields, the line it starts on and, when
// it could not be read as written, why.
type csvRecord struct {
	fields  []string
	line    int
	invalid string
}

// readLine appends the next physical line, with its "\n" if any, to p.buf
// and returns it (a slice of p.buf); io.EOF when there is none.
func (p *csvParser) readLine() ([]byte, error) {
	start := len(p.buf)
	if len(p.pending) > 0 {
		n := bytes.IndexByte(p.pending, '\n') + 1
		if n == 0 {
			n = len(p.pending)
		}
		p.buf = append(p.buf, p.pending[:n]...)
		p.pending = p.pending[n:]
		p.line++
		return p.buf[start:], nil
	}
	for {
		chunk, err := p.src.ReadSlice('\n')
		p.buf = append(p.buf, chunk...)
		if len(p.buf) > maxRecord {
			// Kept in p.buf, so that taking the record back loses nothing.
			return nil, errRecordTooLong
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if len(p.buf) > start {
			p.line++
			return p.buf[start:], nil
		}
		if err == nil {
			err = io.EOF // not reached: ReadSlice returns a line or an error
		}
		return nil, err
	}
}

// errRecordTooLong stops a record at maxRecord bytes.
var errRecordTooLong = fmt.Errorf("record longer than %d MiB", maxRecord>>20)

// skipLine discards the rest of the current physical line after a record
// grew too long.
func (p *csvParser) skipLine() error {
	if len(p.pending) > 0 {
		n := bytes.IndexByte(p.pending, '\n') + 1
		if n == 0 {
			n = len(p.pending)
		}
		p.pending = p.pending[n:]
		return nil
	}
	for {
		_, err := p.src.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		return err
	}
}

// read returns the next record, or io.EOF.
func (p *csvParser) read() (csvRecord, error) {
	for {
		p.buf = p.buf[:0]
		start := p.line
		line, err := p.readLine()
		if errors.Is(err, errRecordTooLong) {
			if err := p.skipLine(); err != nil {
				return csvRecord{}, err
			}
			p.line = start + 1
			return csvRecord{line: start, invalid: err.Error()}, nil
		}
		if err != nil {
			return csvRecord{}, err
		}
		if len(trimEOL(line)) == 0 {
			continue // encoding/csv skips empty lines too
		}
		firstLen := len(line)
		var sc fieldScanner
		sc.comma = p.comma
		for {
			done := sc.scan(trimEOL(line), bytes.HasSuffix(line, []byte("\n")))
			if done {
				break
			}
			if sc.spanned && sc.badClose || p.line-start > maxQuotedLines || len(p.buf) > maxQuotedBytes {
				sc.badClose = true
				break // take back, below
			}
			line, err = p.readLine()
			if errors.Is(err, io.EOF) || errors.Is(err, errRecordTooLong) {
				break // an unclosed quote: take back
			}
			if err != nil {
				return csvRecord{}, err
			}
		}
		if !sc.takeBack() {
			return csvRecord{fields: sc.fields, line: start}, nil
		}
		// The quote that opened the spanning field was a stray one: read
		// the first line on its own and resume reading after it.
		rest := p.buf[firstLen:]
		p.pending = append(append([]byte(nil), rest...), p.pending...)
		p.line = start + 1
		var one fieldScanner
		one.comma = p.comma
		one.scan(trimEOL(p.buf[:firstLen]), false) // as if the text ended there
		one.endLine()
		return csvRecord{
			fields:  one.fields,
			line:    start,
			invalid: `unbalanced quote: a field opens with " and does not close on this line (quote the whole field and double the quotes inside it)`,
		}, nil
	}
}

// trimEOL removes a line's "\n" or "\r\n", or the "\r" that ends the
// text (as encoding/csv does).
func trimEOL(line []byte) []byte {
	line = bytes.TrimSuffix(line, []byte("\n"))
	return bytes.TrimSuffix(line, []byte("\r"))
}

// fieldScanner splits a record's text into fields, one physical line at a
// time, so a quoted field can go on over several lines.
type fieldScanner struct {
	comma    byte
	fields   []string
	cur      []byte
	inQuotes bool // inside a quoted field
	quoted   bool // the current field started with a quote
	started  bool // the current field has begun (a quote now is literal)
	closed   bool // a quoted field's closing quote was just read
	spanned  bool // the open quoted field has gone past a line end
	badClose bool // a spanning quoted field closed, followed by more text
	open     bool // a quoted field is still open at the last line end
}

// scan reads one line of the record (without its line ending); eol says
// whether it had one. It reports true when the record is complete.
func (s *fieldScanner) scan(line []byte, eol bool) bool {
	for i := 0; i < len(line); i++ {
		c := line[i]
		if s.inQuotes {
			if c == '"' {
				if i+1 < len(line) && line[i+1] == '"' {
					s.cur = append(s.cur, '"')
					i++
					continue
				}
				s.inQuotes, s.closed = false, true
				continue
			}
			s.cur = append(s.cur, c)
			continue
		}
		switch {
		case c == s.comma:
			s.endField()
		case c == '"' && !s.started:
			s.inQuotes, s.quoted, s.started = true, true, true
		default:
			if s.closed && s.spanned {
				s.badClose = true
				return false
			}
			s.cur = append(s.cur, c)
			s.started = true
		}
	}
	if s.inQuotes {
		if !eol {
			s.open = true
			return false // EOF inside quotes
		}
		s.cur = append(s.cur, '\n')
		s.spanned = true
		s.open = true
		return false
	}
	s.endLine()
	return true
}

// endField closes the current field.
func (s *fieldScanner) endField() {
	s.fields = append(s.fields, string(s.cur))
	s.cur = s.cur[:0]
	s.quoted, s.started, s.closed, s.spanned, s.open = false, false, false, false, false
}

// endLine closes the record at a line end, even inside an open quote.
func (s *fieldScanner) endLine() {
	s.inQuotes = false
	s.endField()
}

// takeBack reports whether the record must be read again as one line: a
// quoted field went past a line end and then closed badly or never.
func (s *fieldScanner) takeBack() bool {
	return s.badClose || s.inQuotes && s.spanned || s.open && s.inQuotes
}
