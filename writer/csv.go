package writer

import (
	"bufio"
	"encoding/csv"
	"io"
	"unicode/utf8"

	"github.com/clodura/enrich/reader"
)

// bufSize is the write buffer of the text formats.
const bufSize = 64 << 10

// csvEncoder writes CSV with encoding/csv, which owns the quoting. The
// output is always UTF-8 (the reader decoded the input), with the input's
// delimiter, and lines end in "\n" (UseCRLF false): Excel and every CSV
// reader accept it, and a "\r\n" inside a quoted input cell stays as it was.
type csvEncoder struct {
	cw     *csv.Writer
	header []string // input columns only (nil = the "input" column)
	rec    []string
}

func newCSV(out io.Writer, delim rune, bom bool, input []string) (*csvEncoder, error) {
	bw := bufio.NewWriterSize(out, bufSize)
	if bom {
		if _, err := bw.WriteString("\uFEFF"); err != nil {
			return nil, err
		}
	}
	// csv.NewWriter reuses bw (a *bufio.Writer big enough): one buffer.
	cw := csv.NewWriter(bw)
	cw.Comma = delim
	cw.UseCRLF = false
	e := &csvEncoder{cw: cw, header: input}
	if err := cw.Write(tableHeader(input)); err != nil {
		return nil, err
	}
	return e, nil
}

func (e *csvEncoder) write(row reader.Row, o *outcome) error {
	rec, err := tableRow(e.rec[:0], e.header, row, o)
	if err != nil {
		return err
	}
	e.rec = rec
	return e.cw.Write(rec)
}

func (e *csvEncoder) finish() error {
	e.cw.Flush()
	return e.cw.Error()
}

func (e *csvEncoder) close() {}

// validDelim reports whether encoding/csv accepts r as a delimiter.
func validDelim(r rune) bool {
	return r != 0 && r != '"' && r != '\r' && r != '\n' && utf8.ValidRune(r) && r != utf8.RuneError
}
