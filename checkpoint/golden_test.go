package checkpoint

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// goldenDir is a state folder written by this package's format version 1.
// It is checked in so that any change that would stop old folders from
// replaying, or would change `status --json`, fails here.
var goldenDir = filepath.Join("testdata", "v1.state")

func writeGoldenState(t *testing.T) {
	t.Helper()
	if err := os.RemoveAll(goldenDir); err != nil {
		t.Fatal(err)
	}
	clock := t0
	now := func() time.Time { clock = clock.Add(time.Second); return clock }
	s, err := Open(goldenDir, Job{Input: "/data/people.csv"}, Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.BeginRun([]string{"run", "/data/people.csv", "--plan", "max"}); err != nil {
		t.Fatal(err)
	}
	for _, r := range []Result{
		sampleResult(KeyOf([]byte("ada"))),
		{Key: KeyOf([]byte("nobody")), Status: "not_found", Requests: 1},
		{Key: KeyOf([]byte("broken")), Status: "failed", Error: "HTTP 500 after 4 tries", Requests: 4},
	} {
		if _, err := s.Begin(r.Key, false); err != nil {
			t.Fatal(err)
		}
		if err := s.Record(r); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Begin(KeyOf([]byte("crashed")), false); err != nil {
		t.Fatal(err)
	}
	if err := s.NoteCredits(998, json.RawMessage(`{"remainingCredits":998}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(Stop{Reason: "daily_limit", Code: 75, Message: "daily request limit reached", Requests: 1}); err != nil {
		t.Fatal(err)
	}
	rw, err := s.CreateRows()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"ada", "", "nobody", "broken", "crashed", "later", "ada"} {
		k := Key(0)
		if name != "" {
			k = KeyOf([]byte(name))
		}
		rw.Add(k)
	}
	if err := rw.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(goldenDir, "lock"))
}

func TestGoldenState(t *testing.T) {
	if *update {
		writeGoldenState(t)
	}
	s, err := OpenReadOnly(goldenDir)
	if err != nil {
		t.Fatalf("a version 1 state folder no longer opens: %v", err)
	}
	defer s.Close()
	s.now = func() time.Time { return t0 }
	if r, ok := getResult(t, s, KeyOf([]byte("ada"))); !ok || r.Status != "matched" || len(r.Records) != 2 {
		t.Errorf("Result(ada) = %+v, %v", r, ok)
	}
	if got := s.Status(KeyOf([]byte("crashed"))); got != "inflight" {
		t.Errorf("Status(crashed) = %q", got)
	}
	sum, err := s.Summary()
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.MarshalIndent(sum, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	golden := filepath.Join("testdata", "summary.golden.json")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("Summary JSON changed (run with -update if intended):\ngot:\n%s\nwant:\n%s", got, want)
	}
}
