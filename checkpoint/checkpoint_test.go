package checkpoint

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

const testInput = "/data/people.csv"

// logBuf collects log output; safe for concurrent use.
type logBuf struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logBuf) logger() *slog.Logger { return slog.New(slog.NewTextHandler(l, nil)) }

func openT(t *testing.T, dir string, opt Options) *State {
	t.Helper()
	s, err := Open(dir, Job{Input: testInput}, opt)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func beginRun(t *testing.T, s *State) int {
	t.Helper()
	n, err := s.BeginRun([]string{"run", "in.csv"})
	if err != nil {
		t.Fatalf("BeginRun: %v", err)
	}
	return n
}

func mustBegin(t *testing.T, s *State, k Key, retry bool) bool {
	t.Helper()
	ok, err := s.Begin(k, retry)
	if err != nil {
		t.Fatalf("Begin(%s): %v", k, err)
	}
	return ok
}

func mustRecord(t *testing.T, s *State, r Result) {
	t.Helper()
	if err := s.Record(r); err != nil {
		t.Fatalf("Record(%s): %v", r.Key, err)
	}
}

var t0 = time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)

func sampleResult(k Key) Result {
	return Result{
		Key:    k,
		Status: "matched",
		Records: []json.RawMessage{
			json.RawMessage(`{"personId":"p-` + k.String() + `","firstName":"Ada","note":"<b>&amp;</b>"}`),
			json.RawMessage(`{"personId":"p2","lastUpdated":"2025-01-01"}`),
		},
		Total:    2,
		Credits:  2,
		Requests: 1,
		At:       t0,
	}
}

func getResult(t *testing.T, s *State, k Key) (Result, bool) {
	t.Helper()
	r, ok, err := s.Result(k)
	if err != nil {
		t.Fatalf("Result(%s): %v", k, err)
	}
	return r, ok
}

func TestKeyOf(t *testing.T) {
	// sha256("abc") = ba7816bf8f01cfea...
	if got, want := KeyOf([]byte("abc")), Key(0xba7816bf8f01cfea); got != want {
		t.Errorf("KeyOf(abc) = %s, want %s", got, want)
	}
	if KeyOf([]byte("abc")) == KeyOf([]byte("abd")) {
		t.Error("different inputs gave the same key")
	}
	if got := Key(0xba7816bf8f01cfea).String(); got != "ba7816bf8f01cfea" {
		t.Errorf("String = %q", got)
	}
}

func TestRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "job.state")
	s := openT(t, dir, Options{Now: func() time.Time { return t0 }})
	if n := beginRun(t, s); n != 1 {
		t.Fatalf("first run = %d, want 1", n)
	}
	big := json.RawMessage(`{"blob":"` + strings.Repeat("x", 300<<10) + `"}`) // longer than every buffer
	want := []Result{
		sampleResult(1),
		{Key: 2, Status: "not_found", Requests: 1, At: t0.Add(time.Second)},
		{Key: 3, Status: "failed", Error: "HTTP 500: boom\nsecond line", Requests: 4, At: t0.Add(2 * time.Second)},
		{Key: 4, Status: "matched", Records: []json.RawMessage{big}, Total: 1, Credits: 1, Requests: 1, At: t0},
		{Key: 0xffffffffffffffff, Status: "matched", Records: []json.RawMessage{json.RawMessage(`{"a":[1,2,{"b":null}]}`)}, Total: 7, Credits: 0.5, Requests: 1, At: t0},
	}
	for _, r := range want {
		if !mustBegin(t, s, r.Key, false) {
			t.Fatalf("Begin(%s) = false for a new key", r.Key)
		}
		mustRecord(t, s, r)
	}
	// A later result replaces an earlier one.
	retry := Result{Key: 3, Status: "failed", Error: "again", Requests: 1, At: t0.Add(time.Hour)}
	mustRecord(t, s, retry)
	want[2] = retry
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	for _, open := range []struct {
		name string
		open func() (*State, error)
	}{
		{"Open", func() (*State, error) {
			return Open(dir, Job{Input: testInput}, Options{Now: func() time.Time { return t0 }})
		}},
		{"OpenReadOnly", func() (*State, error) { return OpenReadOnly(dir) }},
	} {
		t.Run(open.name, func(t *testing.T) {
			s, err := open.open()
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			for _, w := range want {
				got, ok := getResult(t, s, w.Key)
				if !ok {
					t.Fatalf("Result(%s): not found", w.Key)
				}
				if !reflect.DeepEqual(got, w) {
					t.Errorf("Result(%s) =\n%+.300v\nwant\n%+.300v", w.Key, got, w)
				}
				if st := s.Status(w.Key); st != w.Status {
					t.Errorf("Status(%s) = %q, want %q", w.Key, st, w.Status)
				}
			}
			if _, ok := getResult(t, s, 99); ok {
				t.Error("Result of an unknown key found")
			}
			sum, err := s.Summary()
			if err != nil {
				t.Fatal(err)
			}
			if sum.Input != testInput || sum.Dir != dir || sum.Runs != 1 || sum.Requests != 9 || sum.Credits != 3.5 {
				t.Errorf("Summary = %+v", sum)
			}
			if sum.LastRun.Number != 1 || sum.LastRun.PID != os.Getpid() || !reflect.DeepEqual(sum.LastRun.Args, []string{"run", "in.csv"}) || !sum.LastRun.Started.Equal(t0) {
				t.Errorf("LastRun = %+v", sum.LastRun)
			}
		})
	}
}

func TestRecordRejects(t *testing.T) {
	s := openT(t, t.TempDir(), Options{})
	beginRun(t, s)
	for _, r := range []Result{{Key: 1, Status: "pending"}, {Key: 1, Status: ""}, {Key: 0, Status: "matched"},
		{Key: 1, Status: "matched", Records: []json.RawMessage{json.RawMessage(`{bad`)}},
		{Key: 1, Status: "matched", Records: []json.RawMessage{json.RawMessage("{\n\"a\": tru\n}")}},
		{Key: 1, Status: "matched", Records: []json.RawMessage{nil}},
		{Key: 1, Status: "matched", Credits: math.NaN()}} {
		if err := s.Record(r); err == nil {
			t.Errorf("Record(%+v) succeeded", r)
		}
	}
	if st := s.Status(1); st != "" {
		t.Errorf("rejected records changed the status to %q", st)
	}
}

func TestRecordKeepsRecordText(t *testing.T) {
	s := openT(t, t.TempDir(), Options{})
	beginRun(t, s)
	spaced := json.RawMessage(`{ "a" : "<&>", "b":[1, 2] }`)
	pretty := json.RawMessage("{\n  \"a\": \"x y\",\n  \"b\": [1,\n 2]\n}\n")
	mustRecord(t, s, Result{Key: 1, Status: "matched", Records: []json.RawMessage{spaced, pretty}})
	r, _ := getResult(t, s, 1)
	if len(r.Records) != 2 || string(r.Records[0]) != string(spaced) || string(r.Records[1]) != `{"a":"x y","b":[1,2]}` {
		t.Errorf("Records = %q", r.Records)
	}
}

func TestFileModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "job.state")
	s := openT(t, dir, Options{})
	rw, err := s.CreateRows()
	if err != nil {
		t.Fatal(err)
	}
	rw.Add(1)
	if err := rw.Commit(); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]fs.FileMode{"": 0o700 | fs.ModeDir, "journal": 0o600, "lock": 0o600, "rows": 0o600} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("mode of %q = %v, want %v", name, fi.Mode(), want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "rows.tmp")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("rows.tmp left behind: %v", err)
	}
}

func TestBeginSemantics(t *testing.T) {
	const (
		kUnknown Key = iota + 100
		kMatched
		kNotFound
		kFailed
		kFailedRetry
		kCrashed
		kCrashedFailed
		kAbandoned
		kAbandonedFailed
		kAbandonedFailedRetry
	)
	dir := t.TempDir()
	// Run 1: the history, then a "crash" (the in-flight marks stay).
	s := openT(t, dir, Options{})
	beginRun(t, s)
	rec := func(k Key, status string) {
		mustBegin(t, s, k, true)
		mustRecord(t, s, Result{Key: k, Status: status, At: t0})
	}
	rec(kMatched, "matched")
	rec(kNotFound, "not_found")
	rec(kFailed, "failed")
	rec(kFailedRetry, "failed")
	mustBegin(t, s, kCrashed, false)
	rec(kCrashedFailed, "failed")
	mustBegin(t, s, kCrashedFailed, true)
	for _, k := range []Key{kAbandoned, kAbandonedFailed, kAbandonedFailedRetry} {
		if k != kAbandoned {
			rec(k, "failed")
		}
		mustBegin(t, s, k, true)
		if err := s.Abandon(k); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openT(t, dir, Options{})
	if _, err := s.Begin(kUnknown, false); err == nil {
		t.Error("Begin before BeginRun succeeded")
	}
	if n := beginRun(t, s); n != 2 {
		t.Fatalf("run = %d, want 2", n)
	}
	tests := []struct {
		name        string
		key         Key
		retryFailed bool
		before      string // Status before Begin
		want        bool
		after       string // Status after Begin
	}{
		{"unknown", kUnknown, false, "", true, "inflight"},
		{"matched", kMatched, true, "matched", false, "matched"},
		{"not found", kNotFound, true, "not_found", false, "not_found"},
		{"failed without retry", kFailed, false, "failed", false, "failed"},
		{"failed with retry", kFailedRetry, true, "failed", true, "inflight"},
		{"in flight at a crash", kCrashed, false, "inflight", true, "inflight"},
		{"in flight at a crash, failed before", kCrashedFailed, false, "inflight", true, "inflight"},
		{"abandoned", kAbandoned, false, "", true, "inflight"},
		{"abandoned, failed before, no retry", kAbandonedFailed, false, "failed", false, "failed"},
		{"abandoned, failed before, retry", kAbandonedFailedRetry, true, "failed", true, "inflight"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := s.Status(tt.key); got != tt.before {
				t.Errorf("Status before = %q, want %q", got, tt.before)
			}
			if got := mustBegin(t, s, tt.key, tt.retryFailed); got != tt.want {
				t.Errorf("Begin = %v, want %v", got, tt.want)
			}
			if got := s.Status(tt.key); got != tt.after {
				t.Errorf("Status after = %q, want %q", got, tt.after)
			}
			// Whatever the first answer, a second Begin in the same run is false.
			if mustBegin(t, s, tt.key, tt.retryFailed) {
				t.Error("second Begin in the same run = true")
			}
		})
	}

	// A key begun in run 2 and never finished is a crash leftover in run 3,
	// even within the same State.
	beginRun(t, s)
	if !mustBegin(t, s, kUnknown, false) {
		t.Error("key in flight from the previous run (same State): Begin = false")
	}
	// Abandon restores the earlier result; Record clears the mark.
	if err := s.Abandon(kCrashedFailed); err != nil {
		t.Fatal(err)
	}
	if got := s.Status(kCrashedFailed); got != "failed" {
		t.Errorf("after Abandon: Status = %q, want failed", got)
	}
	if r, ok := getResult(t, s, kCrashedFailed); !ok || r.Status != "failed" {
		t.Errorf("after Abandon: Result = %+v, %v", r, ok)
	}
	mustRecord(t, s, Result{Key: kUnknown, Status: "not_found"})
	if got := s.Status(kUnknown); got != "not_found" {
		t.Errorf("after Record: Status = %q", got)
	}
	if err := s.Abandon(kUnknown); err != nil {
		t.Fatal(err)
	}
	if got := s.Status(kUnknown); got != "not_found" {
		t.Errorf("Abandon of a key not in flight changed it to %q", got)
	}
}

func TestBeginConcurrent(t *testing.T) {
	s := openT(t, t.TempDir(), Options{})
	beginRun(t, s)
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := map[Key]int{}
	for range 8 {
		wg.Go(func() {
			for k := Key(1); k <= 200; k++ {
				ok, err := s.Begin(k, false)
				if err != nil {
					t.Error(err)
					return
				}
				if ok {
					mu.Lock()
					won[k]++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	for k := Key(1); k <= 200; k++ {
		if won[k] != 1 {
			t.Fatalf("key %s begun %d times, want exactly once", k, won[k])
		}
	}
}

func TestSummaryPerDay(t *testing.T) {
	day1 := time.Date(2026, 5, 1, 23, 59, 59, 0, time.UTC)
	day2 := time.Date(2026, 5, 2, 0, 0, 0, 0, time.UTC)
	now := day2.Add(12 * time.Hour)
	clock := func() time.Time { return now }
	dir := t.TempDir()
	s := openT(t, dir, Options{Now: clock})
	beginRun(t, s)
	mustRecord(t, s, Result{Key: 1, Status: "matched", Requests: 2, Credits: 1, At: day1})
	mustRecord(t, s, Result{Key: 2, Status: "matched", Requests: 1, Credits: 2, At: day2})
	// In another zone, still day 2 in UTC.
	mustRecord(t, s, Result{Key: 3, Status: "not_found", Requests: 2, At: day2.Add(time.Hour).In(time.FixedZone("W", -5*3600))})
	mustRecord(t, s, Result{Key: 4, Status: "failed", Requests: 3}) // At zero: now
	if err := s.NoteCredits(941.5, json.RawMessage(`{"remainingCredits":941.5}`)); err != nil {
		t.Fatal(err)
	}
	stop := Stop{Reason: "credits", Code: 3, Message: "402", Requests: 1, Credits: 0.5, At: now}
	if err := s.Stop(stop); err != nil {
		t.Fatal(err)
	}
	beginRun(t, s)
	mustBegin(t, s, 5, false)

	check := func(t *testing.T, s *State) {
		t.Helper()
		sum, err := s.Summary()
		if err != nil {
			t.Fatal(err)
		}
		if sum.Requests != 9 || sum.RequestsToday != 7 || sum.Credits != 3.5 || sum.CreditsToday != 2.5 {
			t.Errorf("counters: requests %d today %d, credits %v today %v; want 9, 7, 3.5, 2.5",
				sum.Requests, sum.RequestsToday, sum.Credits, sum.CreditsToday)
		}
		if sum.Runs != 2 || sum.LastRun.Number != 2 {
			t.Errorf("Runs = %d, LastRun = %+v", sum.Runs, sum.LastRun)
		}
		if sum.LastStop == nil || *sum.LastStop != stop {
			t.Errorf("LastStop = %+v, want %+v", sum.LastStop, stop)
		}
		if sum.LastCredits.Balance != 941.5 || !sum.LastCredits.At.Equal(now) {
			t.Errorf("LastCredits = %+v", sum.LastCredits)
		}
		if sum.InFlightKeys != 1 {
			t.Errorf("InFlightKeys = %d, want 1", sum.InFlightKeys)
		}
		b, err := json.Marshal(sum)
		if err != nil {
			t.Fatal(err)
		}
		for _, field := range []string{`"requests_today":7`, `"credits_today":2.5`, `"by_status":{`, `"last_stop":{"reason":"credits"`, `"in_flight":0`} {
			if !bytes.Contains(b, []byte(field)) {
				t.Errorf("Summary JSON lacks %s: %s", field, b)
			}
		}
	}
	t.Run("live", func(t *testing.T) { check(t, s) })
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	t.Run("replayed", func(t *testing.T) { check(t, openT(t, dir, Options{Now: clock})) })
	t.Run("next day", func(t *testing.T) {
		s := openT(t, dir, Options{Now: func() time.Time { return now.Add(24 * time.Hour) }})
		sum, err := s.Summary()
		if err != nil {
			t.Fatal(err)
		}
		if sum.RequestsToday != 0 || sum.CreditsToday != 0 || sum.Requests != 9 {
			t.Errorf("next day: today %d/%v, total %d", sum.RequestsToday, sum.CreditsToday, sum.Requests)
		}
	})
}

func TestRowsSummary(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, dir, Options{})
	beginRun(t, s)
	mustRecord(t, s, Result{Key: 1, Status: "matched"})
	mustRecord(t, s, Result{Key: 2, Status: "not_found"})
	mustRecord(t, s, Result{Key: 3, Status: "failed"})
	mustBegin(t, s, 4, false)
	mustBegin(t, s, 3, true) // failed, being retried: still counts as failed

	sum, err := s.Summary()
	if err != nil {
		t.Fatal(err)
	}
	if sum.Rows != 0 || sum.ByStatus["pending"] != 0 {
		t.Errorf("no rows file: Rows = %d, ByStatus = %v", sum.Rows, sum.ByStatus)
	}

	rows := []Key{1, 0, 2, 4, 99, 1, 3, 0, 4}
	rw, err := s.CreateRows()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range rows {
		if err := rw.Add(k); err != nil {
			t.Fatal(err)
		}
	}
	if rw.Len() != len(rows) {
		t.Errorf("Len = %d", rw.Len())
	}
	if err := rw.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := rw.Add(5); err == nil {
		t.Error("Add after Commit succeeded")
	}
	want := map[string]int{"matched": 2, "not_found": 1, "failed": 1, "invalid": 2, "pending": 3}
	check := func(t *testing.T, s *State) {
		t.Helper()
		sum, err := s.Summary()
		if err != nil {
			t.Fatal(err)
		}
		if sum.Rows != len(rows) || !reflect.DeepEqual(sum.ByStatus, want) || sum.InFlight != 3 || sum.InFlightKeys != 2 {
			t.Errorf("Rows = %d, ByStatus = %v, InFlight = %d, InFlightKeys = %d; want %d, %v, 3, 2",
				sum.Rows, sum.ByStatus, sum.InFlight, sum.InFlightKeys, len(rows), want)
		}
	}
	check(t, s)

	// An aborted or uncommitted writer leaves the committed file alone.
	rw2, err := s.CreateRows()
	if err != nil {
		t.Fatal(err)
	}
	rw2.Add(7)
	check(t, s)
	if err := rw2.Abort(); err != nil {
		t.Fatal(err)
	}
	check(t, s)
	if _, err := os.Stat(filepath.Join(dir, "rows.tmp")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Abort left rows.tmp: %v", err)
	}

	ro, err := OpenReadOnly(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	check(t, ro)

	// A damaged rows file is an error, not a wrong count.
	path := filepath.Join(dir, "rows")
	b, _ := os.ReadFile(path)
	os.WriteFile(path, b[:len(b)-3], 0o600)
	if _, err := s.Summary(); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("Summary with a truncated rows file: %v", err)
	}
}

func TestJobMismatch(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Job{Input: "/data/a.csv"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	journal := filepath.Join(dir, "journal")
	f, _ := os.OpenFile(journal, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString("B 00000000") // a torn tail, which is not ours to cut
	f.Close()
	before, _ := os.ReadFile(journal)
	_, err = Open(dir, Job{Input: "/data/b.csv"}, Options{})
	if after, _ := os.ReadFile(journal); !bytes.Equal(after, before) {
		t.Error("Open of another job's folder modified its journal")
	}
	var jm *JobMismatchError
	if !errors.As(err, &jm) || !errors.Is(err, ErrOtherJob) {
		t.Fatalf("Open with another input: %v, want *JobMismatchError", err)
	}
	for _, part := range []string{"/data/a.csv", "/data/b.csv", dir, "--state", "remove"} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("error %q lacks %q", err, part)
		}
	}
	// The failed Open released the lock.
	s, err = Open(dir, Job{Input: "/data/a.csv"}, Options{})
	if err != nil {
		t.Fatalf("reopen after mismatch: %v", err)
	}
	s.Close()
}

func TestReadOnly(t *testing.T) {
	if _, err := OpenReadOnly(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, ErrNoState) {
		t.Errorf("missing folder: %v, want ErrNoState", err)
	}
	empty := t.TempDir()
	os.WriteFile(filepath.Join(empty, "journal"), nil, 0o600)
	if _, err := OpenReadOnly(empty); !errors.Is(err, ErrNoState) {
		t.Errorf("empty journal: %v, want ErrNoState", err)
	}

	dir := t.TempDir()
	s := openT(t, dir, Options{})
	beginRun(t, s)
	mustRecord(t, s, sampleResult(1))
	// The writer holds the lock; a reader sees what was appended, unsynced.
	ro, err := OpenReadOnly(dir)
	if err != nil {
		t.Fatalf("OpenReadOnly beside a writer: %v", err)
	}
	defer ro.Close()
	if r, ok := getResult(t, ro, 1); !ok || !reflect.DeepEqual(r, sampleResult(1)) {
		t.Errorf("read-only Result = %+v, %v", r, ok)
	}
	if err := ro.Record(sampleResult(2)); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Record on read-only: %v", err)
	}
	if _, err := ro.BeginRun(nil); !errors.Is(err, ErrReadOnly) {
		t.Errorf("BeginRun on read-only: %v", err)
	}
	if _, err := ro.CreateRows(); !errors.Is(err, ErrReadOnly) {
		t.Errorf("CreateRows on read-only: %v", err)
	}
}

func TestClosed(t *testing.T) {
	s := openT(t, t.TempDir(), Options{})
	beginRun(t, s)
	mustRecord(t, s, sampleResult(1))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := s.Record(sampleResult(2)); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Record after Close: %v", err)
	}
	if _, _, err := s.Result(1); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Result after Close: %v", err)
	}
}
