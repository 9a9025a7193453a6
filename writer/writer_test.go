package writer

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/clodura/enrich/reader"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// Records as the API returns them: every mapped field, one unknown field
// (lastUpdated) that JSONL must pass through, and values that need CSV
// quoting or would be HTML-escaped by a careless encoder.
var (
	recJose = json.RawMessage(`{"personId":"P0123456789ab","firstName":"José","lastName":"Núñez",` +
		`"personTitle":"VP Sales","seniority":"Vice President","functional":"Sales",` +
		`"personCity":"Pune","personState":"Maharashtra","personCountry":"India",` +
		`"linkedinUrl":"https://www.linkedin.com/in/jose-nunez","organizationName":"Acme; Sons & Co",` +
		`"organizationId":"O42","companyDomain":"acme.com","contactEmailStatus":"verified",` +
		`"lastUpdated":"2026-01-02"}`)
	recJose2 = json.RawMessage(`{ "personId": "P2", "firstName": "Jose", "lastName": "Nunez", "personTitle": "<CTO>" }`)
	recAnn   = json.RawMessage(`{"personId":"P3","firstName":"Ann","lastName":"Lee","personTitle":"Buyer",` +
		`"functional":"Procurement","organizationName":"Lee \"Big\" Ltd","personCountry":"UK","extra":{"a":[1,2]}}`)
)

type step struct {
	row reader.Row
	e   Enrichment
}

func fieldsRow(line int, fields ...string) reader.Row {
	return reader.Row{Index: line - 2, Line: line, Fields: fields}
}

func rawRow(line int, raw string) reader.Row {
	return reader.Row{Index: line - 1, Line: line, Raw: []byte(raw)}
}

// writeAll writes steps to a new file named name in a temporary folder,
// commits it and returns its bytes.
func writeAll(t *testing.T, name string, opt Options, steps []step) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	w, err := Create(path, opt)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	for _, s := range steps {
		if err := w.Write(s.row, s.e); err != nil {
			t.Fatalf("Write(line %d): %v", s.row.Line, err)
		}
	}
	if err := w.Commit(); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./writer -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file\n--- got:\n%s\n--- want:\n%s", name, got, want)
	}
}

func TestGolden(t *testing.T) {
	tests := []struct {
		name  string // golden file, also the output's name
		opt   Options
		steps []step
	}{
		{
			name: "bom_semicolon.csv",
			opt:  Options{Header: []string{"Name", "Company", "Note"}, Delimiter: ';', BOM: true},
			steps: []step{
				{fieldsRow(2, "José Núñez", "Acme", "first"), Enrichment{Status: StatusMatched, Records: []json.RawMessage{recJose}, Total: 1}},
				{fieldsRow(3, "Nobody Here", "", "has; semicolon"), Enrichment{Status: StatusNotFound}},
				// a short row is padded to the header
				{fieldsRow(4, "Madonna"), Enrichment{Status: StatusInvalid, Error: `line 4: one-word name "Madonna": need a first and last name or a LinkedIn URL`}},
				// a long row keeps exactly the header's cells; its error comes from the row
				{reader.Row{Line: 5, Fields: []string{"A B", "C", "D", "extra"}, Invalid: "line 5: 4 cells, header has 3"}, Enrichment{Status: StatusInvalid}},
				{fieldsRow(6, "Quote \"Q\" Person", "multi\nline", " lead space"), Enrichment{Status: StatusPending}},
				{fieldsRow(7, "Fail Ed", "X", ""), Enrichment{Status: StatusFailed, Error: "HTTP 500: Internal Server Error after 5 tries"}},
			},
		},
		{
			name: "plain.csv",
			opt:  Options{Header: []string{"first_name", "last_name", "linkedin"}},
			steps: []step{
				{fieldsRow(2, "Jose", "Nunez", ""), Enrichment{Status: StatusMatched, Records: []json.RawMessage{recJose, recJose2}, Total: 3}},
				{reader.Row{Line: 3, Fields: []string{"Ann", "Lee", "https://www.linkedin.com/sales/people/x"},
					Identity: reader.Identity{FirstName: "Ann", LastName: "Lee", Notes: []string{"Sales Navigator URL ignored"}}},
					Enrichment{Status: StatusMatched, Records: []json.RawMessage{recAnn}}},
			},
		},
		{
			name: "tab.tsv",
			opt:  Options{Header: []string{"name"}},
			steps: []step{
				{fieldsRow(2, "Ann\tLee"), Enrichment{Status: StatusMatched, Records: []json.RawMessage{recAnn}, Total: 1}},
			},
		},
		{
			name: "splice.jsonl",
			steps: []step{
				{rawRow(1, `{"name":"José Núñez","n":1}`), Enrichment{Status: StatusMatched, Records: []json.RawMessage{recJose}, Total: 1}},
				{rawRow(2, `{}`), Enrichment{Status: StatusPending}},
				{rawRow(3, `{ "a":1 }  `), Enrichment{Status: StatusNotFound}},
				{rawRow(4, "{\"name\":\"B C\",\t\"x\":[1, {}]\r\n}\r"), Enrichment{Status: StatusFailed, Error: "HTTP 503"}},
				{rawRow(5, `{ }`), Enrichment{Status: StatusMatched, Records: []json.RawMessage{recJose2, recAnn, recJose}, Total: 4}},
				{reader.Row{Line: 6, Text: `["not", "an object"]`, Invalid: "line 6: not a JSON object"}, Enrichment{Status: StatusInvalid}},
				{reader.Row{Line: 7, Text: `{"broken": `, Invalid: `line 7: invalid JSON: unexpected end`}, Enrichment{Status: StatusInvalid}},
				{rawRow(8, `{"html":"<a&b>","clodura":"theirs"}`), Enrichment{Status: StatusNotFound}},
			},
		},
		{
			name: "csv_to.jsonl",
			opt:  Options{Header: []string{"Name", "Company"}},
			steps: []step{
				{fieldsRow(2, "Ann Lee", "Lee Ltd"), Enrichment{Status: StatusMatched, Records: []json.RawMessage{recAnn}, Total: 1}},
				{fieldsRow(3, "Madonna"), Enrichment{Status: StatusInvalid, Error: `line 3: one-word name "Madonna"`}},
			},
		},
		{
			name: "jsonl_to.csv",
			steps: []step{
				{rawRow(1, `{"name":"José Núñez"}`), Enrichment{Status: StatusMatched, Records: []json.RawMessage{recJose}, Total: 1}},
				{rawRow(2, `{ "name" : "Ann Lee" }  `), Enrichment{Status: StatusNotFound}},
				{reader.Row{Line: 3, Text: `plain text`, Invalid: "line 3: not a JSON object"}, Enrichment{Status: StatusInvalid}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := writeAll(t, tt.name, tt.opt, tt.steps)
			checkGolden(t, tt.name, got)
			if strings.HasSuffix(tt.name, ".jsonl") {
				checkJSONL(t, got, len(tt.steps))
			}
		})
	}
}

// checkJSONL checks what every JSONL line must be, whatever its input: one
// valid JSON object with a "clodura" object whose keys are the documented
// ones, in order.
func checkJSONL(t *testing.T, b []byte, rows int) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != rows {
		t.Fatalf("%d lines, want %d", len(lines), rows)
	}
	want := make([]string, len(Columns))
	for i, c := range Columns {
		want[i] = strings.TrimPrefix(c, "clodura_")
	}
	for i, line := range lines {
		if !json.Valid([]byte(line)) {
			t.Errorf("line %d is not valid JSON: %s", i+1, line)
			continue
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal([]byte(line), &obj); err != nil {
			t.Errorf("line %d: %v", i+1, err)
			continue
		}
		if _, ok := obj["input_line"]; ok {
			var c map[string]string
			if err := json.Unmarshal(obj["clodura"], &c); err != nil || c["status"] != StatusInvalid || !strings.HasPrefix(c["error"], "line ") {
				t.Errorf("line %d: input_line without an invalid status and a line error: %s", i+1, line)
			}
			continue
		}
		keys := objectKeys(t, obj["clodura"])
		keys = slicesDelete(keys, "record", "candidates")
		if !reflect.DeepEqual(keys, want) {
			t.Errorf("line %d: clodura keys %v, want %v", i+1, keys, want)
		}
	}
}

// objectKeys returns the keys of a JSON object in document order.
func objectKeys(t *testing.T, raw json.RawMessage) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %s", raw)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

func slicesDelete(s []string, drop ...string) []string {
	var out []string
	for _, v := range s {
		if !contains(drop, v) {
			out = append(out, v)
		}
	}
	return out
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// TestSpliceKeepsInput checks the JSONL contract on decoded values: the
// input object's keys as they were, then clodura with the record whole
// (unknown fields too) and candidates only when there are more records.
func TestSpliceKeepsInput(t *testing.T) {
	got := writeAll(t, "out.jsonl", Options{}, []step{
		{rawRow(1, `{"name":"José Núñez","tags":["a"],"n":1.50}`), Enrichment{Status: StatusMatched, Records: []json.RawMessage{recJose}, Total: 1}},
		{rawRow(2, `{"name":"Jose Nunez"}`), Enrichment{Status: StatusMatched, Records: []json.RawMessage{recJose, recJose2}, Total: 2}},
		{rawRow(3, `{"name":"Nobody"}`), Enrichment{Status: StatusNotFound}},
		{rawRow(4, `{"name":"Later"}`), Enrichment{Status: StatusPending}},
	})
	lines := strings.Split(strings.TrimSuffix(string(got), "\n"), "\n")
	type clo struct {
		Status     string            `json:"status"`
		FirstName  string            `json:"first_name"`
		Company    string            `json:"company"`
		MatchCount *int              `json:"match_count"`
		Record     json.RawMessage   `json:"record"`
		Candidates []json.RawMessage `json:"candidates"`
	}
	type line struct {
		Name    string   `json:"name"`
		Tags    []string `json:"tags"`
		Clodura clo      `json:"clodura"`
	}
	var rows []line
	for _, l := range lines {
		var r line
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("%v: %s", err, l)
		}
		rows = append(rows, r)
	}
	if len(rows) != 4 {
		t.Fatalf("%d rows, want 4", len(rows))
	}
	if !strings.HasPrefix(lines[0], `{"name":"José Núñez","tags":["a"],"n":1.50,"clodura":{`) {
		t.Errorf("input bytes changed: %s", lines[0])
	}
	if c := rows[0].Clodura; c.Status != StatusMatched || c.FirstName != "José" || c.Company != "Acme; Sons & Co" ||
		c.MatchCount == nil || *c.MatchCount != 1 || !bytes.Contains(c.Record, []byte(`"lastUpdated":"2026-01-02"`)) || c.Candidates != nil {
		t.Errorf("row 1 clodura = %+v", c)
	}
	if c := rows[1].Clodura; len(c.Candidates) != 1 || !bytes.Contains(c.Candidates[0], []byte(`"P2"`)) || *c.MatchCount != 2 {
		t.Errorf("row 2 candidates = %s, match_count %v", c.Candidates, c.MatchCount)
	}
	if c := rows[2].Clodura; c.MatchCount == nil || *c.MatchCount != 0 || string(c.Record) != "null" && c.Record != nil {
		t.Errorf("row 3 (not found) = %+v", c)
	}
	if !strings.Contains(lines[3], `"match_count":null`) || !strings.Contains(lines[3], `"record":null`) {
		t.Errorf("pending row lacks null match_count/record: %s", lines[3])
	}
}

func TestColumnsMatchJSONKeys(t *testing.T) {
	b, err := json.Marshal(jsonClodura{})
	if err != nil {
		t.Fatal(err)
	}
	keys := objectKeys(t, b)
	if got, want := len(keys), len(Columns)+1; got != want { // + record
		t.Fatalf("jsonClodura has %d keys %v, want %d", got, keys, want)
	}
	for i, c := range Columns {
		if want := strings.TrimPrefix(c, "clodura_"); keys[i] != want {
			t.Errorf("key %d = %q, want %q", i, keys[i], want)
		}
	}
}

func TestCells(t *testing.T) {
	tests := []struct {
		name string
		row  reader.Row
		e    Enrichment
		want map[string]string // column -> value; others must be ""
	}{
		{
			name: "matched maps every person field",
			e:    Enrichment{Status: StatusMatched, Records: []json.RawMessage{recJose}, Total: 1},
			want: map[string]string{
				"clodura_status": "matched", "clodura_person_id": "P0123456789ab", "clodura_first_name": "José",
				"clodura_last_name": "Núñez", "clodura_title": "VP Sales", "clodura_seniority": "Vice President",
				"clodura_department": "Sales", "clodura_company": "Acme; Sons & Co", "clodura_company_domain": "acme.com",
				"clodura_linkedin_url": "https://www.linkedin.com/in/jose-nunez", "clodura_city": "Pune",
				"clodura_state": "Maharashtra", "clodura_country": "India", "clodura_email_status": "verified",
				"clodura_match_count": "1",
			},
		},
		{
			name: "matched count is at least the records",
			e:    Enrichment{Status: StatusMatched, Records: []json.RawMessage{recJose2, recAnn}},
			want: map[string]string{"clodura_status": "matched", "clodura_person_id": "P2", "clodura_first_name": "Jose",
				"clodura_last_name": "Nunez", "clodura_title": "<CTO>", "clodura_match_count": "2"},
		},
		{
			name: "not found counts zero",
			e:    Enrichment{Status: StatusNotFound, Total: 7},
			want: map[string]string{"clodura_status": "not_found", "clodura_match_count": "0"},
		},
		{
			name: "invalid takes the row's reason and notes",
			row:  reader.Row{Invalid: "line 9: no name", Identity: reader.Identity{Notes: []string{"Sales Navigator URL ignored"}}},
			e:    Enrichment{Status: StatusInvalid},
			want: map[string]string{"clodura_status": "invalid", "clodura_error": "line 9: no name; Sales Navigator URL ignored"},
		},
		{
			name: "notes already in the error are not repeated",
			row:  reader.Row{Identity: reader.Identity{Notes: []string{"www. removed"}}},
			e:    Enrichment{Status: StatusFailed, Error: "HTTP 500; www. removed"},
			want: map[string]string{"clodura_status": "failed", "clodura_error": "HTTP 500; www. removed"},
		},
		{
			name: "pending has no count",
			e:    Enrichment{Status: StatusPending, Total: 3},
			want: map[string]string{"clodura_status": "pending"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := newOutcome(tt.row, tt.e)
			cells := o.appendCells(nil)
			if len(cells) != len(Columns) {
				t.Fatalf("%d cells, want %d", len(cells), len(Columns))
			}
			for i, c := range Columns {
				if cells[i] != tt.want[c] {
					t.Errorf("%s = %q, want %q", c, cells[i], tt.want[c])
				}
			}
		})
	}
}

func TestWriteRejects(t *testing.T) {
	tests := []struct {
		name string
		file string
		opt  Options
		row  reader.Row
		e    Enrichment
		want string
	}{
		{"unknown status", "o.csv", Options{Header: []string{"a"}}, fieldsRow(2, "x"), Enrichment{Status: "done"}, `unknown status "done"`},
		{"empty status", "o.jsonl", Options{}, rawRow(1, `{}`), Enrichment{}, `unknown status ""`},
		{"cells without a header", "o.jsonl", Options{}, fieldsRow(2, "x"), Enrichment{Status: StatusPending}, "Options.Header is empty"},
		{"JSONL row into a CSV with a header", "o.csv", Options{Header: []string{"a"}}, rawRow(1, `{}`), Enrichment{Status: StatusPending}, "Options.Header is set"},
		{"record that is not JSON", "o.jsonl", Options{}, rawRow(1, `{}`), Enrichment{Status: StatusMatched, Records: []json.RawMessage{json.RawMessage(`{"a":`)}}, "json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tt.file)
			w, err := Create(path, tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Abort()
			tt.row.Line = 12
			err = w.Write(tt.row, tt.e)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "line 12") {
				t.Fatalf("Write error = %v, want one naming %s, line 12 and %q", err, path, tt.want)
			}
			// The error is final: a good row afterwards is refused and the
			// output never appears.
			if err2 := w.Write(rawRow(13, `{}`), Enrichment{Status: StatusPending}); err2 == nil {
				t.Error("Write after a failed Write succeeded")
			}
			if err := w.Commit(); err == nil {
				t.Error("Commit after a failed Write succeeded")
			}
			if _, err := os.Stat(path); !os.IsNotExist(err) {
				t.Errorf("output exists after a failed Write (stat: %v)", err)
			}
		})
	}
}

func TestFormatOf(t *testing.T) {
	tests := []struct {
		path, want, err string
	}{
		{"out.csv", "csv", ""},
		{"dir.v2/OUT.CSV", "csv", ""},
		{"a.tsv", "csv", ""},
		{"a.txt", "csv", ""},
		{"a.jsonl", "jsonl", ""},
		{"a.NDJSON", "jsonl", ""},
		{"a.xlsx", "xlsx", ""},
		{"a.xls", "", `".xls"`},
		{"a.json", "", `".json"`},
		{"noext", "", "no file extension"},
	}
	for _, tt := range tests {
		got, err := FormatOf(tt.path)
		if got != tt.want {
			t.Errorf("FormatOf(%q) = %q, want %q", tt.path, got, tt.want)
		}
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("FormatOf(%q): %v", tt.path, err)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err) || !strings.Contains(err.Error(), tt.path)):
			t.Errorf("FormatOf(%q) error = %v, want one naming the path and %s", tt.path, err, tt.err)
		}
	}
}

// TestFormatOption checks that Options.Format wins over the extension.
func TestFormatOption(t *testing.T) {
	got := writeAll(t, "out.txt", Options{Format: "jsonl"}, []step{
		{rawRow(1, `{"a":1}`), Enrichment{Status: StatusPending}},
	})
	if !json.Valid(bytes.TrimSpace(got)) || !bytes.HasPrefix(got, []byte(`{"a":1,"clodura":{"status":"pending"`)) {
		t.Errorf("Format jsonl into .txt gave %s", got)
	}
	if _, err := Create(filepath.Join(t.TempDir(), "x.csv"), Options{Format: "xls"}); err == nil || !strings.Contains(err.Error(), `"xls"`) {
		t.Errorf("Create with Format xls: %v", err)
	}
}
