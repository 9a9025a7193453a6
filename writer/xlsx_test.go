package writer

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/clodura/enrich/reader"
)

func TestXLSXRoundTrip(t *testing.T) {
	tests := []struct {
		name, sheet, wantSheet string
	}{
		{"default sheet", "", DefaultSheet},
		{"input's sheet", "People 2026", "People 2026"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			header := []string{"Name", "Zip", "Joined", "Amount"}
			steps := []step{
				{fieldsRow(2, "José Núñez", "01234", "2024-01-02", "1,234.50"), Enrichment{Status: StatusMatched, Records: []json.RawMessage{recJose}, Total: 2}},
				{fieldsRow(3, "Madonna"), Enrichment{Status: StatusInvalid, Error: `line 3: one-word name "Madonna"`}},
				{fieldsRow(4, "=1+1", "", "", "multi\nline"), Enrichment{Status: StatusPending}},
			}
			path := filepath.Join(t.TempDir(), "out.xlsx")
			w, err := Create(path, Options{Header: header, Sheet: tt.sheet})
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range steps {
				if err := w.Write(s.row, s.e); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Commit(); err != nil {
				t.Fatal(err)
			}

			f, err := excelize.OpenFile(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if got := f.GetSheetList(); !reflect.DeepEqual(got, []string{tt.wantSheet}) {
				t.Fatalf("sheets %v, want [%s]", got, tt.wantSheet)
			}
			sheet := tt.wantSheet
			rows, err := f.GetRows(sheet)
			if err != nil {
				t.Fatal(err)
			}
			want := [][]string{tableHeader(header)}
			for _, s := range steps {
				o := newOutcome(s.row, s.e)
				r, err := tableRow(nil, header, s.row, &o)
				if err != nil {
					t.Fatal(err)
				}
				want = append(want, trimTrailing(r))
			}
			if !reflect.DeepEqual(rows, want) {
				t.Errorf("rows\n got %q\nwant %q", rows, want)
			}
			if rows[1][len(header)+1] != "P0123456789ab" || rows[1][len(header)+14] != "2" {
				t.Errorf("person id / match count not in place: %q", rows[1])
			}

			// Every value is a string cell, numbers and formulas included.
			for _, cell := range []string{"B2", "C2", "D2", "A4", "S2"} {
				typ, err := f.GetCellType(sheet, cell)
				if err != nil {
					t.Fatal(err)
				}
				if typ != excelize.CellTypeInlineString {
					t.Errorf("%s has type %v, want an inline string", cell, typ)
				}
				if formula, _ := f.GetCellFormula(sheet, cell); formula != "" {
					t.Errorf("%s has formula %q", cell, formula)
				}
			}

			// Header bold, data not.
			for cell, bold := range map[string]bool{"A1": true, "T1": true, "A2": false} {
				id, err := f.GetCellStyle(sheet, cell)
				if err != nil {
					t.Fatal(err)
				}
				style, err := f.GetStyle(id)
				if err != nil {
					t.Fatal(err)
				}
				if got := style.Font != nil && style.Font.Bold; got != bold {
					t.Errorf("%s bold = %v (style %d), want %v", cell, got, id, bold)
				}
			}

			panes, err := f.GetPanes(sheet)
			if err != nil {
				t.Fatal(err)
			}
			if !panes.Freeze || panes.YSplit != 1 || panes.XSplit != 0 || panes.TopLeftCell != "A2" {
				t.Errorf("panes %+v, want row 1 frozen", panes)
			}

			for col, wantWidth := range map[string]float64{"A": 12, "R": float64(len("clodura_email_status") + 2)} {
				got, err := f.GetColWidth(sheet, col)
				if err != nil {
					t.Fatal(err)
				}
				if got != wantWidth {
					t.Errorf("column %s width %v, want %v", col, got, wantWidth)
				}
			}
		})
	}
}

// TestXLSXFromJSONL checks JSONL input written to XLSX: the raw line in one
// "input" column.
func TestXLSXFromJSONL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.xlsx")
	w, err := Create(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rawRow(1, ` {"name":"Ann Lee"} `), Enrichment{Status: StatusNotFound}); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(reader.Row{Line: 2, Text: "oops", Invalid: "line 2: not a JSON object"}, Enrichment{Status: StatusInvalid}); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(DefaultSheet)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0][0] != "input" || rows[1][0] != `{"name":"Ann Lee"}` || rows[2][0] != "oops" ||
		rows[1][1] != StatusNotFound || rows[2][len(rows[2])-1] != "line 2: not a JSON object" {
		t.Errorf("rows = %q", rows)
	}
	if !strings.HasPrefix(strings.Join(rows[0], ","), "input,clodura_status,") {
		t.Errorf("header = %q", rows[0])
	}
}

func TestXLSXBadSheetName(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.xlsx")
	_, err := Create(path, Options{Sheet: "a/b"})
	if err == nil || !strings.Contains(err.Error(), `"a/b"`) || !strings.Contains(err.Error(), path) {
		t.Fatalf("Create with sheet a/b: %v", err)
	}
	checkNoPartial(t, path)
}

func trimTrailing(r []string) []string {
	for len(r) > 0 && r[len(r)-1] == "" {
		r = r[:len(r)-1]
	}
	return r
}
