package reader

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"
)

// maxJSONLine is the longest JSONL line read; a longer one is an invalid row.
const maxJSONLine = 16 << 20

// keyCacheSize bounds the memo of key lists -> columns (keys repeat from
// line to line; a file of ever-new keys must not grow it forever).
const keyCacheSize = 1024

// jsonlSource reads one JSON object per line.
type jsonlSource struct {
	path      string
	br        *bufio.Reader
	line      int
	buf       []byte
	checkUTF8 bool
	mapping   map[string]string
	byKeys    map[string]keyColumns // key list (joined by NUL) -> its columns
}

// keyColumns is how an object with a given list of keys gives the
// identity: its keys read as a header by MatchColumns.
type keyColumns struct {
	cols   Columns
	reason string // when no key identifies a person
}

// newJSONL checks that a JSONL text has something to read and that the
// --map entries name known fields.
func newJSONL(path string, text io.Reader, dialect Dialect, opt Options, log *slog.Logger) (*Reader, error) {
	br := bufio.NewReaderSize(text, sniffSize)
	head, err := br.Peek(sniffSize)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, &InputError{Path: path, Msg: "read: " + err.Error()}
	}
	if len(head) == 0 {
		return nil, &InputError{Path: path, Msg: "empty file"}
	}
	if errors.Is(err, io.EOF) && len(bytes.TrimSpace(head)) == 0 {
		return nil, &InputError{Path: path, Msg: "no rows: the file has only blank lines"}
	}
	seen := make(map[Field]string)
	for _, name := range slices.Sorted(maps.Keys(opt.Map)) {
		key := opt.Map[name]
		f, ok := mapField(name)
		if !ok {
			return nil, &InputError{Path: path, Msg: fmt.Sprintf("--map %s=%s: unknown field %q (want one of %s)", name, key, name, fieldList())}
		}
		if strings.TrimSpace(key) == "" {
			return nil, &InputError{Path: path, Msg: fmt.Sprintf("--map %s=: no key named", name)}
		}
		if prev, ok := seen[f]; ok && prev != key {
			return nil, &InputError{Path: path, Msg: fmt.Sprintf("--map %s=%s: field %s is already mapped to key %q", name, key, f, prev)}
		}
		seen[f] = key
	}
	s := &jsonlSource{
		path:      path,
		br:        br,
		checkUTF8: dialect.Encoding == encUTF8,
		mapping:   opt.Map,
		byKeys:    make(map[string]keyColumns),
	}
	return &Reader{path: path, format: FormatJSONL, dialect: dialect, src: s}, nil
}

// readLine returns the next line without its ending; tooLong when it was
// longer than maxJSONLine (its excess is skipped). The slice is reused.
func (s *jsonlSource) readLine() (line []byte, tooLong bool, err error) {
	s.buf = s.buf[:0]
	for {
		chunk, err := s.br.ReadSlice('\n')
		if len(s.buf)+len(chunk) > maxJSONLine {
			tooLong = true
		} else if !tooLong {
			s.buf = append(s.buf, chunk...)
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && (len(s.buf) > 0 || tooLong):
			err = nil
		}
		return bytes.TrimRight(s.buf, "\r\n"), tooLong, err
	}
}

func (s *jsonlSource) next() (Row, error) {
	for {
		text, tooLong, err := s.readLine()
		if errors.Is(err, io.EOF) {
			return Row{}, io.EOF
		} else if err != nil {
			return Row{}, &InputError{Path: s.path, Line: s.line + 1, Msg: "read: " + err.Error()}
		}
		s.line++
		line := s.line
		if tooLong {
			return Row{Line: line, Invalid: fmt.Sprintf("line %d: line is longer than %d MiB", line, maxJSONLine>>20)}, nil
		}
		obj := bytes.TrimSpace(text)
		if len(obj) == 0 {
			continue
		}
		if s.checkUTF8 && !utf8.Valid(obj) {
			return Row{Line: line, Text: string(text), Invalid: fmt.Sprintf("line %d: %s", line, invalidUTF8)}, nil
		}
		if reason := notObject(obj); reason != "" {
			return Row{Line: line, Text: string(text), Invalid: fmt.Sprintf("line %d: not a JSON object: %s", line, reason)}, nil
		}
		row := Row{Line: line, Raw: bytes.Clone(obj)}
		id, reason, err := s.identify(row.Raw)
		if err != nil { // json.Valid said yes, so this is not expected
			return Row{Line: line, Text: string(text), Invalid: fmt.Sprintf("line %d: not a JSON object: %v", line, err)}, nil
		}
		row.Identity = id
		if reason != "" {
			row.Invalid = fmt.Sprintf("line %d: %s", line, reason)
		}
		return row, nil
	}
}

// notObject says why b is not one JSON object, or "" when it is.
func notObject(b []byte) string {
	if !json.Valid(b) {
		var v any
		err := json.Unmarshal(b, &v)
		if err == nil {
			return "invalid JSON"
		}
		msg := err.Error()
		if len(msg) > 100 {
			msg = msg[:100] + "…"
		}
		return msg
	}
	switch b[0] {
	case '{':
		return ""
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// identify reads the keys of a valid JSON object as a header and its
// values as that header's row, and gives the identity they make: keys
// match like column names (an exact --map key first, then a folded one).
// Numbers come as written, null and non-scalars as "".
func (s *jsonlSource) identify(obj []byte) (Identity, string, error) {
	dec := json.NewDecoder(bytes.NewReader(obj))
	if _, err := dec.Token(); err != nil { // {
		return Identity{}, "", err
	}
	var keys []string
	var raws []json.RawMessage
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return Identity{}, "", err
		}
		key, _ := t.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return Identity{}, "", err
		}
		keys = append(keys, key)
		raws = append(raws, raw)
	}
	kc := s.columns(keys)
	if kc.reason != "" {
		return Identity{}, kc.reason, nil
	}
	cells := make([]string, len(keys))
	for _, i := range kc.cols {
		if i >= 0 && i < len(cells) {
			cells[i] = scalar(raws[i])
		}
	}
	id, reason := kc.cols.Identify(cells)
	return id, reason, nil
}

// columns matches an object's keys, remembering the answer for the next
// object with the same keys (usually every line).
func (s *jsonlSource) columns(keys []string) keyColumns {
	sig := strings.Join(keys, "\x00")
	if kc, ok := s.byKeys[sig]; ok {
		return kc
	}
	// A --map key missing from this object just leaves its field empty.
	var mapping map[string]string
	for name, key := range s.mapping {
		if findColumn(keys, key) >= 0 {
			if mapping == nil {
				mapping = make(map[string]string)
			}
			mapping[name] = key
		}
	}
	var kc keyColumns
	cols, err := MatchColumns(keys, mapping)
	if err != nil {
		kc.reason = `no key identifies a person (need "name", or "first name" and "last name", or "linkedin url"); keys: ` + headerList(keys)
	}
	kc.cols = cols
	if len(s.byKeys) < keyCacheSize {
		s.byKeys[sig] = kc
	}
	return kc
}

// scalar is a JSON value as a cell: a string's text, a number as written,
// true/false, and "" for null, objects and arrays.
func scalar(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return ""
		}
		return s
	case 'n', '{', '[':
		return ""
	}
	return string(raw)
}
