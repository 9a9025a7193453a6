package main

// Process-level test of issue 2's pacing guarantee: the tool keeps a
// plan's per-second limit busy without ever exceeding it.

import (
	"path/filepath"
	"testing"
)

func TestE2EPacing(t *testing.T) {
	const (
		key  = "k-pacing-20-per-second"
		rate = 20
		rows = 300
	)
	dir := t.TempDir()
	input := writeInput(t, dir, rows)
	out := filepath.Join(dir, "out.csv")
	s := startSim(t, "--plan", "max", "--key", "k-unused", "--latency", "40ms", "--jitter", "80ms")
	// The max plan allows 10/s: this key's contract allows 20/s, and a
	// per-minute limit that does not bind.
	s.Admin(t, "keys", map[string]any{"key": key, "credits": 100000,
		"plan": map[string]any{"name": "custom", "per_second": rate, "per_minute": 100000, "per_day": 100000}})

	r := tool(t, simEnv(s, key), "run", input, "-o", out, "--plan", "max",
		"--rate-per-second", "20", "--rate-per-minute", "100000", "--progress", "none")
	mustExit(t, r, 0, "paced run")
	recs := readCSV(t, out)
	checkOrder(t, recs, people(0, rows))
	if n := statuses(t, recs); n["matched"]+n["not_found"] != rows {
		t.Errorf("statuses %v: want every row matched or not_found", n)
	}

	st := s.Stats(t)
	if n := st.ByStatus["429"]; n != 0 {
		t.Errorf("the simulator answered %d requests with 429", n)
	}
	if st.MaxPerSecond > rate {
		t.Errorf("the simulator saw %d requests in one second, want at most %d (per second: %v)", st.MaxPerSecond, rate, st.PerSecond)
	}
	if st.Searches != rows {
		t.Errorf("%d searches for %d distinct rows", st.Searches, rows)
	}
	// Requests - 1 intervals between the first arrival and the last.
	span := st.LastRequest.Sub(st.FirstRequest).Seconds()
	if span <= 0 {
		t.Fatalf("the simulator saw %d requests over %vs", st.Requests, span)
	}
	got := float64(st.Requests-1) / span
	t.Logf("%d requests in %.2fs: %.2f/s (%.1f%% of %d/s), most in one second %d",
		st.Requests, span, got, 100*got/rate, rate, st.MaxPerSecond)
	if got < 0.9*rate {
		t.Errorf("%.2f requests/s over the run, want at least 90%% of %d/s (per second: %v)", got, rate, st.PerSecond)
	}
}
