package checkpoint

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// writeJournal makes a state folder whose journal has a header, a run,
// results for keys 1-3 and, last, Begin and Record of key 4. It returns the
// journal's bytes and the offsets where its last two lines start.
func writeJournal(t *testing.T) (data []byte, beginAt, recordAt int) {
	t.Helper()
	dir := t.TempDir()
	s := openT(t, dir, Options{})
	beginRun(t, s)
	for k := Key(1); k <= 3; k++ {
		mustBegin(t, s, k, false)
		mustRecord(t, s, sampleResult(k))
	}
	mustBegin(t, s, 4, false)
	mustRecord(t, s, sampleResult(4))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "journal"))
	if err != nil {
		t.Fatal(err)
	}
	recordAt = bytes.LastIndexByte(data[:len(data)-1], '\n') + 1
	beginAt = bytes.LastIndexByte(data[:recordAt-1], '\n') + 1
	if !bytes.HasPrefix(data[recordAt:], []byte("R ")) || !bytes.HasPrefix(data[beginAt:], []byte("B ")) {
		t.Fatalf("unexpected journal layout:\n%s", data)
	}
	return data, beginAt, recordAt
}

// TestTornTail cuts the journal at every byte offset of its last two lines,
// as a crash in the middle of an append could, and reopens it.
func TestTornTail(t *testing.T) {
	data, beginAt, recordAt := writeJournal(t)
	base := t.TempDir()
	for n := beginAt; n <= len(data); n++ {
		dir := filepath.Join(base, fmt.Sprint(n))
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "journal")
		if err := os.WriteFile(path, data[:n], 0o600); err != nil {
			t.Fatal(err)
		}
		// What survives: the B line once complete, the R line once complete.
		good, wantStatus := beginAt, ""
		switch {
		case n == len(data):
			good, wantStatus = len(data), "matched"
		case n >= recordAt:
			good, wantStatus = recordAt, "inflight"
		}

		// Read-only: the torn tail is ignored and left in place.
		ro, err := OpenReadOnly(dir)
		if err != nil {
			t.Fatalf("length %d: OpenReadOnly: %v", n, err)
		}
		if got := ro.Status(4); got != wantStatus {
			t.Errorf("length %d: read-only Status(4) = %q, want %q", n, got, wantStatus)
		}
		ro.Close()
		if fi, _ := os.Stat(path); fi.Size() != int64(n) {
			t.Fatalf("length %d: OpenReadOnly changed the journal to %d bytes", n, fi.Size())
		}

		var logs logBuf
		s, err := Open(dir, Job{Input: testInput}, Options{Logger: logs.logger()})
		if err != nil {
			t.Fatalf("length %d: Open: %v", n, err)
		}
		for k := Key(1); k <= 3; k++ {
			if r, ok := getResult(t, s, k); !ok || !reflect.DeepEqual(r, sampleResult(k)) {
				t.Fatalf("length %d: earlier record %s damaged: %+v %v", n, k, r, ok)
			}
		}
		if got := s.Status(4); got != wantStatus {
			t.Errorf("length %d: Status(4) = %q, want %q", n, got, wantStatus)
		}
		if _, ok := getResult(t, s, 4); ok != (wantStatus == "matched") {
			t.Errorf("length %d: Result(4) found = %v", n, ok)
		}
		if fi, _ := os.Stat(path); fi.Size() != int64(good) {
			t.Errorf("length %d: journal is %d bytes after Open, want %d", n, fi.Size(), good)
		}
		torn := n - good
		if warned := strings.Contains(logs.String(), fmt.Sprintf("bytes=%d", torn)); warned != (torn > 0) {
			t.Errorf("length %d: %d torn bytes, log: %q", n, torn, logs.String())
		}
		// The journal goes on cleanly after the cut.
		beginRun(t, s)
		mustRecord(t, s, sampleResult(5))
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		s, err = Open(dir, Job{Input: testInput}, Options{})
		if err != nil {
			t.Fatalf("length %d: reopen after append: %v", n, err)
		}
		if got := s.Status(5); got != "matched" {
			t.Errorf("length %d: record appended after the cut: Status = %q", n, got)
		}
		s.Close()
	}
}

func TestCorruptJournal(t *testing.T) {
	data, beginAt, _ := writeJournal(t)
	lines := bytes.SplitAfter(data, []byte("\n"))
	lines = lines[:len(lines)-1] // the empty string after the last '\n'
	lineOf := func(off int) int { return bytes.Count(data[:off], []byte("\n")) + 1 }
	flip := func(b []byte, at int) []byte {
		b = bytes.Clone(b)
		b[at] ^= 0x01
		return b
	}
	header, err := jsonLine('J', jobHeader{Version: formatVersion, Input: testInput, Created: t0})
	if err != nil {
		t.Fatal(err)
	}
	newer, err := jsonLine('J', jobHeader{Version: formatVersion + 1, Input: testInput, Created: t0})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		journal  []byte
		wantLine int    // 0: Open succeeds
		wantMsg  string // in the error
	}{
		{"payload byte flipped in the middle", flip(data, beginAt-20), lineOf(beginAt - 20), "checksum"},
		{"key flipped in the middle", flip(data, beginAt+3), lineOf(beginAt), "checksum"},
		{"status garbled in the middle", bytes.Replace(data, []byte(" matched "), []byte(" matchet "), 1), 4, "status"},
		{"unknown record type in the middle", append(bytes.Clone(data[:beginAt]), append([]byte("X whatever\n"), data[beginAt:]...)...), lineOf(beginAt), "unknown record type"},
		{"blank line in the middle", append(bytes.Clone(data[:beginAt]), append([]byte("\n"), data[beginAt:]...)...), lineOf(beginAt), "malformed"},
		{"second header", append(bytes.Clone(data[:beginAt]), append(header, data[beginAt:]...)...), lineOf(beginAt), "second job header"},
		{"no header", bytes.Join(lines[1:], nil), 1, "first line"},
		{"bad checksum on the last line is a torn tail", flip(data, len(data)-10), 0, ""},
		{"garbage last line is a torn tail", append(bytes.Clone(data), []byte("\x00\x00\x00garbage\n")...), 0, ""},
		{"newer format", append(newer, data[len(lines[0]):]...), -1, "newer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "journal")
			if err := os.WriteFile(path, tt.journal, 0o600); err != nil {
				t.Fatal(err)
			}
			for _, open := range []func() (*State, error){
				func() (*State, error) { return OpenReadOnly(dir) },
				func() (*State, error) { return Open(dir, Job{Input: testInput}, Options{}) },
			} {
				s, err := open()
				if tt.wantLine == 0 {
					if err != nil {
						t.Fatalf("Open: %v", err)
					}
					if r, ok := getResult(t, s, 3); !ok || !reflect.DeepEqual(r, sampleResult(3)) {
						t.Errorf("record 3 after the cut: %+v %v", r, ok)
					}
					s.Close()
					continue
				}
				if err == nil {
					s.Close()
					t.Fatal("Open succeeded on a damaged journal")
				}
				var je *JournalError
				if !errors.As(err, &je) {
					t.Fatalf("error %v (%T), want *JournalError", err, err)
				}
				if je.Path != path || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tt.wantMsg) {
					t.Errorf("error %q: want path %s and %q", err, path, tt.wantMsg)
				}
				if tt.wantLine > 0 && (je.Line != tt.wantLine || !strings.Contains(err.Error(), fmt.Sprintf("line %d:", tt.wantLine))) {
					t.Errorf("error %q: line %d, want %d", err, je.Line, tt.wantLine)
				}
			}
			// A damaged middle is never repaired behind the user's back.
			if tt.wantLine != 0 {
				if got, _ := os.ReadFile(path); !bytes.Equal(got, tt.journal) {
					t.Error("a failed Open modified the journal")
				}
			}
		})
	}
}

func TestParseLine(t *testing.T) {
	r := sampleResult(0x0123456789abcdef)
	r.Credits = 1.25
	r.Requests = 3
	line, err := resultLine(&r)
	if err != nil {
		t.Fatal(err)
	}
	if want := "R 0123456789abcdef matched 3 1.25 " + fmt.Sprint(t0.Unix()) + " "; !strings.HasPrefix(string(line), want) {
		t.Errorf("R line %q, want prefix %q", line, want)
	}
	rec, err := parseLine(line)
	if err != nil {
		t.Fatal(err)
	}
	if rec.key != r.Key || rec.status != codeMatched || rec.requests != 3 || rec.credits != 1.25 || rec.at != t0.Unix() {
		t.Errorf("parsed %+v", rec)
	}
	b := keyLine(nil, 'B', 0xabc)
	if len(b) != 28 || !strings.HasPrefix(string(b), "B 0000000000000abc ") {
		t.Errorf("B line %q", b)
	}
	if rec, err := parseLine(b); err != nil || rec.kind != 'B' || rec.key != 0xabc {
		t.Errorf("parse B: %+v %v", rec, err)
	}
	stop := Stop{Reason: "daily_limit", Code: 75, At: t0}
	sl, err := jsonLine('S', stop)
	if err != nil {
		t.Fatal(err)
	}
	if rec, err := parseLine(sl); err != nil || rec.stop != stop {
		t.Errorf("parse S: %+v %v", rec, err)
	}
	// Every single-byte change of a line is caught.
	for _, l := range [][]byte{line, b, sl} {
		for i := range len(l) - 1 {
			bad := bytes.Clone(l)
			bad[i] ^= 0x04
			if _, err := parseLine(bad); err == nil {
				t.Errorf("byte %d of %q flipped: parsed without error", i, l)
			}
		}
	}
}

// FuzzParseLine checks that no line, however damaged, makes replay panic,
// and that a line accepted as a result names a real key and status.
func FuzzParseLine(f *testing.F) {
	data, err := os.ReadFile(filepath.Join(goldenDir, "journal"))
	if err != nil {
		f.Fatal(err)
	}
	for _, line := range bytes.SplitAfter(data, []byte("\n")) {
		f.Add(line)
	}
	f.Add([]byte("R 0000000000000001 matched 1 1e+400 0 00000000 {}\n"))
	f.Fuzz(func(t *testing.T, line []byte) {
		rec, err := parseLine(line)
		if err != nil || rec.kind != 'R' {
			return
		}
		var p resultPayload
		if json.Unmarshal(rec.payload, &p) != nil {
			return // a matching CRC over bad JSON: only a forger gets here
		}
		if rec.key == 0 || rec.status == codeNone {
			t.Fatalf("parsed an impossible result: %+v", rec)
		}
	})
}
