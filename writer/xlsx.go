package writer

import (
	"bufio"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/clodura/enrich/reader"
)

// DefaultSheet is the XLSX sheet name when Options.Sheet is empty.
const DefaultSheet = "Enriched"

// xlsxEncoder streams rows into one sheet with excelize's StreamWriter
// (which keeps at most a few MB in memory and spills the rest to a
// temporary file) and writes the workbook to the partial file at finish.
// The header row is bold and frozen. Every value is a string cell: the
// reader gives cells as their displayed text, so numbers and dates come out
// as the user saw them, and IDs keep their leading zeros. excelize cuts a
// value longer than Excel's 32,767 characters per cell.
type xlsxEncoder struct {
	out    io.Writer
	file   *excelize.File
	sw     *excelize.StreamWriter
	header []string // input columns (nil = the "input" column)
	row    int      // last row written, 1-based
	rec    []string
	cells  []any
	closed bool
}

func newXLSX(out io.Writer, sheet string, input []string) (_ *xlsxEncoder, err error) {
	if sheet == "" {
		sheet = DefaultSheet
	}
	f := excelize.NewFile()
	defer func() {
		if err != nil {
			_ = f.Close()
		}
	}()
	if err := f.SetSheetName(f.GetSheetName(0), sheet); err != nil {
		return nil, fmt.Errorf("sheet name %q: %w", sheet, err)
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return nil, err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return nil, err
	}
	// Panes and widths must be set before the first SetRow.
	err = sw.SetPanes(&excelize.Panes{
		Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}},
	})
	if err != nil {
		return nil, err
	}
	header := tableHeader(input)
	for i, h := range header {
		if err := sw.SetColWidth(i+1, i+1, colWidth(h)); err != nil {
			return nil, err
		}
	}
	e := &xlsxEncoder{out: out, file: f, sw: sw, header: input}
	if err := e.setRow(header, excelize.RowOpts{StyleID: bold}); err != nil {
		return nil, err
	}
	return e, nil
}

// colWidth is a column's width in characters. Rows are streamed, so it can
// only go by the header: wide enough for it, within bounds that keep a
// sheet of many columns readable.
func colWidth(header string) float64 {
	return float64(min(max(utf8.RuneCountInString(header)+2, 12), 40))
}

func (e *xlsxEncoder) write(row reader.Row, o *outcome) error {
	rec, err := tableRow(e.rec[:0], e.header, row, o)
	if err != nil {
		return err
	}
	e.rec = rec
	return e.setRow(rec)
}

func (e *xlsxEncoder) setRow(values []string, opts ...excelize.RowOpts) error {
	e.cells = e.cells[:0]
	for _, v := range values {
		if v == "" {
			e.cells = append(e.cells, nil) // no cell at all: a smaller file
		} else {
			e.cells = append(e.cells, v)
		}
	}
	e.row++
	cell, err := excelize.CoordinatesToCellName(1, e.row)
	if err != nil {
		return err
	}
	return e.sw.SetRow(cell, e.cells, opts...)
}

func (e *xlsxEncoder) finish() error {
	if err := e.sw.Flush(); err != nil {
		return err
	}
	bw := bufio.NewWriterSize(e.out, bufSize)
	if _, err := e.file.WriteTo(bw); err != nil {
		return err
	}
	return bw.Flush()
}

func (e *xlsxEncoder) close() {
	if !e.closed {
		e.closed = true
		_ = e.file.Close() // removes the temporary files
	}
}
