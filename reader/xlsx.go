package reader

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strings"

	"github.com/xuri/excelize/v2"
)

// xlsxSource streams the rows of one worksheet, as formatted for display.
type xlsxSource struct {
	path  string
	sheet string
	rows  *excelize.Rows
	line  int // sheet row number of the last row read
	t     table
}

// openXLSX opens a workbook and reads the header of opt.Sheet (or the
// first sheet). excelize keeps the shared strings in memory; the sheet
// itself is streamed.
func openXLSX(path string, opt Options, log *slog.Logger) (*Reader, error) {
	if fi, err := os.Stat(path); err != nil {
		return nil, openError(path, err)
	} else if fi.IsDir() {
		return nil, &InputError{Path: path, Msg: "cannot read: is a directory"}
	}
	f, err := excelize.OpenFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return nil, openError(path, err)
		}
		if errors.Is(err, zip.ErrFormat) {
			return nil, &InputError{Path: path, Msg: "not an XLSX workbook (not a zip file)"}
		}
		return nil, &InputError{Path: path, Msg: "not a readable XLSX workbook: " + err.Error()}
	}
	r, err := newXLSX(path, f, opt, log)
	if err != nil {
		f.Close()
		return nil, err
	}
	return r, nil
}

func newXLSX(path string, f *excelize.File, opt Options, log *slog.Logger) (*Reader, error) {
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, &InputError{Path: path, Msg: "workbook has no sheets"}
	}
	sheet := sheets[0]
	if opt.Sheet != "" {
		sheet = ""
		for _, s := range sheets {
			if s == opt.Sheet {
				sheet = s
				break
			}
			if sheet == "" && strings.EqualFold(s, opt.Sheet) { // as Excel compares them
				sheet = s
			}
		}
		if sheet == "" {
			return nil, &InputError{Path: path, Msg: fmt.Sprintf("no sheet %q; the sheets are %s", opt.Sheet, quoteList(sheets))}
		}
	}
	rows, err := f.Rows(sheet)
	if err != nil {
		return nil, &InputError{Path: path, Msg: fmt.Sprintf("sheet %q: %v", sheet, err)}
	}
	s := &xlsxSource{path: path, sheet: sheet, rows: rows}
	rec, ok, err := s.record()
	if err != nil {
		rows.Close()
		return nil, err
	}
	if !ok {
		rows.Close()
		return nil, &InputError{Path: path, Msg: fmt.Sprintf("sheet %q is empty", sheet)}
	}
	t, err := newTable(path, s.line, rec, opt.Map, log)
	if err != nil {
		rows.Close()
		return nil, err
	}
	s.t = *t
	return &Reader{
		path:   path,
		format: FormatXLSX,
		header: t.header,
		src:    s,
		close: func() error {
			err := rows.Close()
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			return err
		},
	}, nil
}

// record reads the next sheet row's cells; false at the end.
func (s *xlsxSource) record() ([]string, bool, error) {
	if !s.rows.Next() {
		if err := s.rows.Error(); err != nil {
			return nil, false, &InputError{Path: s.path, Line: s.line + 1, Msg: fmt.Sprintf("sheet %q: %v", s.sheet, err)}
		}
		return nil, false, nil
	}
	s.line++
	cells, err := s.rows.Columns()
	if err != nil {
		return nil, false, &InputError{Path: s.path, Line: s.line, Msg: fmt.Sprintf("sheet %q: %v", s.sheet, err)}
	}
	return cells, true, nil
}

func (s *xlsxSource) next() (Row, error) {
	for {
		rec, ok, err := s.record()
		if err != nil {
			return Row{}, err
		}
		if !ok {
			return Row{}, io.EOF
		}
		if row, ok := s.t.row(rec, s.line); ok {
			return row, nil
		}
	}
}

// quoteList formats names as "a", "b", "c".
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}
