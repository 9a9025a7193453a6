package checkpoint

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"strconv"
	"time"
)

// The journal is a text file, one record per line, appended to and never
// rewritten (except that Open cuts off a torn last line). Every line ends
// with a CRC-32C, written as 8 hex digits, over the whole line except the
// CRC field itself, its following space and the final '\n':
//
//	J <crc> <json jobHeader>                 first line: format version, input, created
//	N <crc> <json Run>                       a run started
//	B <key> <crc>                            key begun: a request is in flight
//	A <key> <crc>                            key abandoned: the request was not completed
//	R <key> <status> <requests> <credits> <unix seconds> <crc> <json resultPayload>
//	C <crc> <json CreditsNote>               a credit balance seen
//	S <crc> <json Stop>                      the run stopped early
//
// <key> is 16 lower-case hex digits. The prefix of an R line carries all
// that replay needs (key, status, counters, day), so replay never decodes
// the JSON of a result: it verifies the CRC and remembers the offset.

// formatVersion is the journal format this package writes and the newest
// one it reads.
const formatVersion = 1

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// jobHeader is the payload of the J line.
type jobHeader struct {
	Version int       `json:"version"`
	Input   string    `json:"input"`
	Created time.Time `json:"created"`
}

// resultPayload is the JSON part of an R line: the Result without the
// fields already in the prefix.
type resultPayload struct {
	Records  []json.RawMessage `json:"records,omitempty"`
	Total    int               `json:"total,omitempty"`
	Error    string            `json:"error,omitempty"`
	Credits  float64           `json:"credits,omitempty"`
	Requests int               `json:"requests,omitempty"`
	At       time.Time         `json:"at"`
}

// status codes packed into an index entry.
const (
	codeNone uint64 = iota
	codeMatched
	codeNotFound
	codeFailed
)

var statusNames = [...]string{codeNone: "", codeMatched: "matched", codeNotFound: "not_found", codeFailed: "failed"}

func statusCode(s []byte) (uint64, bool) {
	switch string(s) { // no allocation: the compiler special-cases this
	case "matched":
		return codeMatched, true
	case "not_found":
		return codeNotFound, true
	case "failed":
		return codeFailed, true
	}
	return codeNone, false
}

// appendCRC completes a line: head, CRC, and when payload is not nil a
// space and the payload. payload, if any, must end with '\n'; without one
// the line gets a '\n'.
func appendCRC(head, payload []byte) []byte {
	body := payload
	if len(body) > 0 {
		body = body[:len(body)-1]
	}
	sum := crc32.Update(crc32.Checksum(head, castagnoli), castagnoli, body)
	line := make([]byte, 0, len(head)+9+len(payload)+1)
	line = append(line, head...)
	line = appendHex32(line, sum)
	if payload != nil {
		line = append(line, ' ')
		line = append(line, payload...)
	} else {
		line = append(line, '\n')
	}
	return line
}

func appendHex32(b []byte, v uint32) []byte {
	const digits = "0123456789abcdef"
	for shift := 28; shift >= 0; shift -= 4 {
		b = append(b, digits[(v>>uint(shift))&0xf])
	}
	return b
}

func appendKey(b []byte, k Key) []byte {
	const digits = "0123456789abcdef"
	for shift := 60; shift >= 0; shift -= 4 {
		b = append(b, digits[(uint64(k)>>uint(shift))&0xf])
	}
	return b
}

func parseHex(b []byte) (uint64, bool) {
	var v uint64
	for _, c := range b {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		default:
			return 0, false
		}
		v = v<<4 | uint64(c)
	}
	return v, true
}

// jsonLine encodes a J, N, C or S line.
func jsonLine(kind byte, v any) ([]byte, error) {
	payload, err := encodeJSON(v)
	if err != nil {
		return nil, err
	}
	return appendCRC([]byte{kind, ' '}, payload), nil
}

// encodeJSON marshals v on one line ending in '\n', without HTML escaping
// so that stored records keep their text.
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// keyLine encodes a B or A line into b (which needs 28 bytes of room).
func keyLine(b []byte, kind byte, k Key) []byte {
	b = append(b[:0], kind, ' ')
	b = appendKey(b, k)
	b = append(b, ' ')
	sum := crc32.Checksum(b, castagnoli)
	b = appendHex32(b, sum)
	return append(b, '\n')
}

// resultLine encodes an R line in one allocation. The payload is written
// by hand rather than by encoding/json: records are copied as they are
// (after a validity check; compacted only if they span lines), which is
// the bulk of the cost of a Record.
func resultLine(r *Result) ([]byte, error) {
	size := 160 + len(r.Error)
	for _, raw := range r.Records {
		size += len(raw) + 1
	}
	b := make([]byte, 0, size)
	b = append(b, 'R', ' ')
	b = appendKey(b, r.Key)
	b = append(b, ' ')
	b = append(b, r.Status...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(r.Requests), 10)
	b = append(b, ' ')
	b = strconv.AppendFloat(b, r.Credits, 'g', -1, 64)
	b = append(b, ' ')
	b = strconv.AppendInt(b, r.At.Unix(), 10)
	b = append(b, ' ')
	crcAt := len(b)
	b = append(b, "00000000 "...)
	payloadAt := len(b)
	b, err := appendPayload(b, r)
	if err != nil {
		return nil, fmt.Errorf("encode result %s: %w", r.Key, err)
	}
	sum := crc32.Update(crc32.Checksum(b[:crcAt], castagnoli), castagnoli, b[payloadAt:])
	appendHex32(b[crcAt:crcAt], sum)
	return append(b, '\n'), nil
}

// appendPayload appends the JSON of r's resultPayload.
func appendPayload(b []byte, r *Result) ([]byte, error) {
	if math.IsNaN(r.Credits) || math.IsInf(r.Credits, 0) {
		return nil, fmt.Errorf("credits %v", r.Credits)
	}
	if y := r.At.Year(); y < 0 || y > 9999 {
		return nil, fmt.Errorf("time %v out of range", r.At)
	}
	b = append(b, '{')
	if len(r.Records) > 0 {
		b = append(b, `"records":[`...)
		for i, raw := range r.Records {
			if i > 0 {
				b = append(b, ',')
			}
			if bytes.IndexByte(raw, '\n') >= 0 {
				buf := bytes.NewBuffer(b)
				if err := json.Compact(buf, raw); err != nil {
					return nil, fmt.Errorf("record %d: %w", i, err)
				}
				b = buf.Bytes()
				continue
			}
			if !json.Valid(raw) {
				return nil, fmt.Errorf("record %d is not valid JSON", i)
			}
			b = append(b, raw...)
		}
		b = append(b, "],"...)
	}
	if r.Total != 0 {
		b = append(b, `"total":`...)
		b = strconv.AppendInt(b, int64(r.Total), 10)
		b = append(b, ',')
	}
	if r.Error != "" {
		msg, err := json.Marshal(r.Error)
		if err != nil {
			return nil, err
		}
		b = append(b, `"error":`...)
		b = append(b, msg...)
		b = append(b, ',')
	}
	if r.Credits != 0 {
		b = append(b, `"credits":`...)
		b = strconv.AppendFloat(b, r.Credits, 'g', -1, 64)
		b = append(b, ',')
	}
	if r.Requests != 0 {
		b = append(b, `"requests":`...)
		b = strconv.AppendInt(b, int64(r.Requests), 10)
		b = append(b, ',')
	}
	b = append(b, `"at":"`...)
	b = r.At.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"', '}'), nil
}

// record is one parsed journal line. For R lines payload is the undecoded
// JSON; for J, N, C and S lines it is decoded into the matching field.
type record struct {
	kind     byte
	key      Key
	status   uint64
	requests int
	credits  float64
	at       int64 // unix seconds
	payload  []byte
	header   jobHeader
	run      Run
	credit   CreditsNote
	stop     Stop
}

var (
	errNoNewline = errors.New("incomplete line (no end of line)")
	errCRC       = errors.New("checksum mismatch")
)

// parseLine parses and verifies one line, '\n' included. It decodes the
// JSON of every kind but R.
func parseLine(line []byte) (record, error) {
	var rec record
	if len(line) == 0 || line[len(line)-1] != '\n' {
		return rec, errNoNewline
	}
	body := line[:len(line)-1]
	if len(body) < 2 || body[1] != ' ' {
		return rec, errors.New("malformed line")
	}
	rec.kind = body[0]
	fields := body[2:]
	switch rec.kind {
	case 'B', 'A':
		// "<key16> <crc8>"
		if len(fields) != 16+1+8 || fields[16] != ' ' {
			return rec, errors.New("malformed key line")
		}
		k, ok := parseHex(fields[:16])
		if !ok || k == 0 {
			return rec, errors.New("malformed key")
		}
		if err := checkCRC(body[:2+17], nil, fields[17:]); err != nil {
			return rec, err
		}
		rec.key = Key(k)
		return rec, nil
	case 'R':
		return parseResultLine(body)
	case 'J', 'N', 'C', 'S':
		// "<crc8> <json>"
		if len(fields) < 8+1+2 || fields[8] != ' ' {
			return rec, errors.New("malformed line")
		}
		payload := fields[9:]
		if err := checkCRC(body[:2], payload, fields[:8]); err != nil {
			return rec, err
		}
		// Decode into locals: taking the address of rec's fields would
		// move rec to the heap for every line, results included.
		var err error
		switch rec.kind {
		case 'J':
			var v jobHeader
			err = json.Unmarshal(payload, &v)
			rec.header = v
		case 'N':
			var v Run
			err = json.Unmarshal(payload, &v)
			rec.run = v
		case 'C':
			var v CreditsNote
			err = json.Unmarshal(payload, &v)
			rec.credit = v
		case 'S':
			var v Stop
			err = json.Unmarshal(payload, &v)
			rec.stop = v
		}
		if err != nil {
			return rec, fmt.Errorf("bad %c record: %w", rec.kind, err)
		}
		return rec, nil
	}
	return rec, fmt.Errorf("unknown record type %q", rec.kind)
}

// parseResultLine parses an R line without its '\n' and verifies its CRC.
// The payload is returned undecoded.
func parseResultLine(body []byte) (record, error) {
	rec := record{kind: 'R'}
	bad := func(what string) (record, error) { return rec, fmt.Errorf("malformed result line: bad %s", what) }
	rest := body[2:]
	next := func() []byte {
		i := bytes.IndexByte(rest, ' ')
		if i < 0 {
			f := rest
			rest = nil
			return f
		}
		f := rest[:i]
		rest = rest[i+1:]
		return f
	}
	f := next()
	k, ok := parseHex(f)
	if len(f) != 16 || !ok || k == 0 {
		return bad("key")
	}
	rec.key = Key(k)
	if rec.status, ok = statusCode(next()); !ok {
		return bad("status")
	}
	n, err := strconv.ParseInt(string(next()), 10, 64)
	if err != nil || n < 0 {
		return bad("requests")
	}
	rec.requests = int(n)
	if rec.credits, err = strconv.ParseFloat(string(next()), 64); err != nil {
		return bad("credits")
	}
	if rec.at, err = strconv.ParseInt(string(next()), 10, 64); err != nil {
		return bad("time")
	}
	headLen := len(body) - len(rest)
	crcField := next()
	if len(crcField) != 8 || rest == nil {
		return bad("checksum field")
	}
	if err := checkCRC(body[:headLen], rest, crcField); err != nil {
		return rec, err
	}
	rec.payload = rest
	return rec, nil
}

func checkCRC(head, payload, field []byte) error {
	want, ok := parseHex(field)
	if len(field) != 8 || !ok {
		return errors.New("malformed checksum")
	}
	if crc32.Update(crc32.Checksum(head, castagnoli), castagnoli, payload) != uint32(want) {
		return errCRC
	}
	return nil
}
