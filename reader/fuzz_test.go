package reader

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"reflect"
	"slices"
	"testing"
	"unicode/utf8"
)

// fuzzRead reads data as format through the same path Open takes after
// opening the file, and checks what every row must satisfy.
func fuzzRead(t *testing.T, format string, data []byte) {
	r, err := newText("fuzz."+format, format, bytes.NewReader(data), Options{}, slog.New(slog.DiscardHandler))
	if err != nil {
		var ie *InputError
		if !errors.As(err, &ie) || ie.Path != "fuzz."+format {
			t.Fatalf("Open error %T %v, want *InputError naming the file", err, err)
		}
		return
	}
	for i := 0; ; i++ {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		checkRow(t, r, row, i)
		if i > len(data) {
			t.Fatalf("more rows (%d) than input bytes (%d)", i, len(data))
		}
	}
}

func FuzzCSV(f *testing.F) {
	for _, s := range []string{
		"name,company\nJohn Smith,Acme\n",
		"\xef\xbb\xbfFirst Name;Last Name\r\nJosé;Muñoz\r\n",
		"\xff\xfeN\x00a\x00m\x00e\x00\t\x00x\x00\r\x00\n\x00A\x00 \x00B\x00\t\x00y\x00\r\x00\n\x00",
		"name,linkedin\n\"Ann\nLee\",\nBob O\"Neil,x\n\"unterminated,\n",
		"name|domain\n a b |c.d\n\n|||||\n",
		"Full Name,,Email,Email\nMary Jones,,m@j.k,,,,z\n,,,\n",
		"name\n\xe9t\xe9 a\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzRead(t, FormatCSV, data)
		checkParser(t, data)
	})
}

func FuzzJSONL(f *testing.F) {
	for _, s := range []string{
		`{"name":"John Smith","company":"Acme"}` + "\n",
		"\xef\xbb\xbf{\"first_name\":\"A\",\"last_name\":\"B\"}\r\n\r\n[1]\n",
		`{"name":1e3,"linkedin":null}` + "\n{\"name\":\n\"str\"\n",
		`{"linkedin_url":"linkedin.com/in/x","name":{"a":[1,2]}}`,
		"{\"name\":\"\xff\xfe\"}\n  \n\t{}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzRead(t, FormatJSONL, data)
		for _, line := range bytes.Split(data, []byte("\n")) {
			checkMembers(t, bytes.TrimSpace(line))
		}
	})
}

// checkMembers compares members with encoding/json on a valid object (of
// valid UTF-8: the reader refuses other lines before members sees them).
func checkMembers(t *testing.T, obj []byte) {
	t.Helper()
	if len(obj) == 0 || obj[0] != '{' || !json.Valid(obj) || !utf8.Valid(obj) {
		return
	}
	var got []string
	if err := members(obj, func(key string, raw []byte) {
		got = append(got, key+"="+string(raw))
	}); err != nil {
		t.Fatalf("members(%q): %v", obj, err)
	}
	dec := json.NewDecoder(bytes.NewReader(obj))
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	var want []string
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			t.Fatal(err)
		}
		want = append(want, k.(string)+"="+string(raw))
	}
	if !slices.Equal(got, want) {
		t.Fatalf("members(%q) = %q, encoding/json says %q", obj, got, want)
	}
}

// checkParser compares csvParser with encoding/csv on text that
// encoding/csv reads without complaint: same fields, same start lines.
func checkParser(t *testing.T, data []byte) {
	t.Helper()
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	var want []csvRecord
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return // not a CSV encoding/csv accepts
		}
		line, _ := cr.FieldPos(0)
		want = append(want, csvRecord{fields: rec, line: line})
	}
	p := &csvParser{src: bufio.NewReader(bytes.NewReader(data)), comma: ',', line: 1}
	var got []csvRecord
	for {
		rec, err := p.read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("csvParser: %v", err)
		}
		got = append(got, rec)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("csvParser read %#v\nencoding/csv   %#v", got, want)
	}
}
