package writer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"

	"github.com/clodura/enrich/reader"
)

// jsonlEncoder writes one JSON object per line:
//   - a JSONL object row is the input object's bytes unchanged, with
//     ,"clodura":{...} spliced in before its final '}' (an input key named
//     "clodura" stays too; JSON readers take the last one, which is ours);
//   - a JSONL line that is not an object becomes
//     {"input_line":"<the line>","clodura":{"status":...,"error":...}};
//   - a CSV/XLSX row becomes an object of its cells, keys in header order,
//     then "clodura".
//
// The "clodura" object always has every key (a stable schema): the names of
// Columns without the prefix, match_count a number or null, "record" the
// best record as returned (null when none), and "candidates" the other
// records when there are any. Strings are not HTML-escaped.
type jsonlEncoder struct {
	bw     *bufio.Writer
	header []string
	buf    bytes.Buffer
	enc    *json.Encoder // into buf
}

func newJSONL(out io.Writer, header []string) *jsonlEncoder {
	e := &jsonlEncoder{bw: bufio.NewWriterSize(out, bufSize), header: header}
	e.enc = json.NewEncoder(&e.buf)
	e.enc.SetEscapeHTML(false)
	return e
}

// jsonClodura is the "clodura" object. Its tags are Columns without the
// "clodura_" prefix, in the same order (a test checks it).
type jsonClodura struct {
	Status        string            `json:"status"`
	PersonID      string            `json:"person_id"`
	FirstName     string            `json:"first_name"`
	LastName      string            `json:"last_name"`
	Title         string            `json:"title"`
	Seniority     string            `json:"seniority"`
	Department    string            `json:"department"`
	Company       string            `json:"company"`
	CompanyDomain string            `json:"company_domain"`
	LinkedInURL   string            `json:"linkedin_url"`
	City          string            `json:"city"`
	State         string            `json:"state"`
	Country       string            `json:"country"`
	EmailStatus   string            `json:"email_status"`
	MatchCount    *int              `json:"match_count"`
	Error         string            `json:"error"`
	Record        json.RawMessage   `json:"record"`
	Candidates    []json.RawMessage `json:"candidates,omitempty"`
}

// jsonInvalidLine is the "clodura" object of a line that is not an object,
// exactly as shared/product.md shows it.
type jsonInvalidLine struct {
	Status string `json:"status"`
	Error  string `json:"error"`
}

func (o *outcome) json() *jsonClodura {
	p := &o.person
	return &jsonClodura{
		Status: o.status, PersonID: p.PersonID, FirstName: p.FirstName, LastName: p.LastName,
		Title: p.PersonTitle, Seniority: p.Seniority, Department: p.Functional,
		Company: p.OrganizationName, CompanyDomain: p.CompanyDomain, LinkedInURL: p.LinkedInURL,
		City: p.PersonCity, State: p.PersonState, Country: p.PersonCountry,
		EmailStatus: p.ContactEmailStatus, MatchCount: o.count, Error: o.err,
		Record: o.record, Candidates: o.candidates,
	}
}

func (e *jsonlEncoder) write(row reader.Row, o *outcome) error {
	e.buf.Reset()
	var err error
	switch obj := trimSpace(row.Raw); {
	case row.Raw != nil && isObject(obj):
		err = e.splice(obj, o)
	case row.Raw != nil:
		// Not what the reader promises; keep the bytes all the same.
		err = e.line(string(row.Raw), o)
	case row.Fields != nil:
		err = e.cells(row.Fields, o)
	default:
		err = e.line(row.Text, o)
	}
	if err != nil {
		return err
	}
	e.buf.WriteByte('\n')
	_, err = e.bw.Write(e.buf.Bytes())
	return err
}

// splice writes obj (a valid JSON object, trimmed) with the clodura member
// added before its final '}', after any whitespace that precedes it.
func (e *jsonlEncoder) splice(obj []byte, o *outcome) error {
	body := obj[:len(obj)-1]
	inner := trimSpace(body) // ends in '{' only when the object is empty
	e.buf.Write(inner)
	if inner[len(inner)-1] != '{' {
		e.buf.WriteByte(',')
	}
	e.buf.WriteString(`"clodura":`)
	if err := e.encode(o.json()); err != nil {
		return err
	}
	e.buf.Write(body[len(inner):])
	e.buf.WriteByte('}')
	// A line break between tokens is valid JSON but would end the JSONL
	// line; inside strings it cannot occur (isObject checked), so a space
	// is an exact replacement.
	b := e.buf.Bytes()
	for i, c := range b {
		if c == '\n' || c == '\r' {
			b[i] = ' '
		}
	}
	return nil
}

// line writes a line that is not a JSON object.
func (e *jsonlEncoder) line(text string, o *outcome) error {
	e.buf.WriteString(`{"input_line":`)
	if err := e.encode(text); err != nil {
		return err
	}
	e.buf.WriteString(`,"clodura":`)
	if err := e.encode(jsonInvalidLine{Status: o.status, Error: o.err}); err != nil {
		return err
	}
	e.buf.WriteByte('}')
	return nil
}

// cells writes a CSV/XLSX row as an object keyed by the header: exactly one
// key per column, "" for a missing cell, extra cells dropped (as in CSV).
func (e *jsonlEncoder) cells(fields []string, o *outcome) error {
	e.buf.WriteByte('{')
	for i, h := range e.header {
		v := ""
		if i < len(fields) {
			v = fields[i]
		}
		if err := e.encode(h); err != nil {
			return err
		}
		e.buf.WriteByte(':')
		if err := e.encode(v); err != nil {
			return err
		}
		e.buf.WriteByte(',')
	}
	e.buf.WriteString(`"clodura":`)
	if err := e.encode(o.json()); err != nil {
		return err
	}
	e.buf.WriteByte('}')
	return nil
}

// encode appends v's JSON to buf, without the encoder's newline.
func (e *jsonlEncoder) encode(v any) error {
	if err := e.enc.Encode(v); err != nil {
		return err
	}
	e.buf.Truncate(e.buf.Len() - 1)
	return nil
}

func (e *jsonlEncoder) finish() error { return e.bw.Flush() }

func (e *jsonlEncoder) close() {}

// isObject reports whether b (trimmed) is one valid JSON object.
func isObject(b []byte) bool {
	return len(b) >= 2 && b[0] == '{' && json.Valid(b)
}
