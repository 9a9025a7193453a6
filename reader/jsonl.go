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
	lastKeys  []string              // the previous object's keys, and
	last      keyColumns            // their columns
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
	var keys []string
	var raws [][]byte
	err := members(obj, func(key string, raw []byte) {
		keys = append(keys, key)
		raws = append(raws, raw)
	})
	if err != nil {
		return Identity{}, "", err
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

// errMalformed is returned by members for what json.Valid should have refused.
var errMalformed = errors.New("malformed object")

// members calls fn with each key and raw value of the JSON object obj,
// in order. obj must have passed json.Valid; it is not checked again, but
// a malformed obj gives an error, never a panic. Faster than a
// json.Decoder, which matters: every row of every pass comes here.
func members(obj []byte, fn func(key string, raw []byte)) error {
	i := skipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return errMalformed
	}
	i = skipSpace(obj, i+1)
	if i < len(obj) && obj[i] == '}' {
		return nil
	}
	for i < len(obj) {
		if obj[i] != '"' {
			return errMalformed
		}
		end := stringEnd(obj, i)
		if end < 0 {
			return errMalformed
		}
		key, ok := unquote(obj[i:end])
		if !ok {
			return errMalformed
		}
		i = skipSpace(obj, end)
		if i >= len(obj) || obj[i] != ':' {
			return errMalformed
		}
		i = skipSpace(obj, i+1)
		end = valueEnd(obj, i)
		if end < 0 {
			return errMalformed
		}
		fn(key, obj[i:end])
		i = skipSpace(obj, end)
		if i >= len(obj) {
			break
		}
		switch obj[i] {
		case ',':
			i = skipSpace(obj, i+1)
		case '}':
			return nil
		default:
			return errMalformed
		}
	}
	return errMalformed
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index after the JSON string starting at b[i], or -1.
func stringEnd(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return -1
}

// valueEnd returns the index after the JSON value starting at b[i], or -1.
func valueEnd(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end := stringEnd(b, j)
				if end < 0 {
					return -1
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	}
	j := i
	for j < len(b) && !strings.ContainsRune(",}] \t\r\n", rune(b[j])) {
		j++
	}
	if j == i {
		return -1
	}
	return j
}

// unquote decodes a JSON string literal, without allocating twice for the
// usual string that has no escapes.
func unquote(lit []byte) (string, bool) {
	if len(lit) < 2 {
		return "", false
	}
	if bytes.IndexByte(lit, '\\') < 0 {
		return string(lit[1 : len(lit)-1]), true
	}
	var s string
	if json.Unmarshal(lit, &s) != nil {
		return "", false
	}
	return s, true
}

// columns matches an object's keys, remembering the answer for the next
// object with the same keys (usually every line).
func (s *jsonlSource) columns(keys []string) keyColumns {
	if slices.Equal(keys, s.lastKeys) {
		return s.last
	}
	sig := strings.Join(keys, "\x00")
	kc, ok := s.byKeys[sig]
	if !ok {
		kc = s.match(keys)
		if len(s.byKeys) < keyCacheSize {
			s.byKeys[sig] = kc
		}
	}
	s.lastKeys, s.last = keys, kc
	return kc
}

// match reads keys as a header.
func (s *jsonlSource) match(keys []string) keyColumns {
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
	return kc
}

// scalar is a JSON value as a cell: a string's text, a number as written,
// true/false, and "" for null, objects and arrays.
func scalar(raw []byte) string {
	if len(raw) == 0 {
		return ""
	}
	switch raw[0] {
	case '"':
		s, _ := unquote(raw)
		return s
	case 'n', '{', '[':
		return ""
	}
	return string(raw)
}
