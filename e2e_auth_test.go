package main

// Process-level tests of issue 2's key handling: a bad or revoked key
// stops the run at once (exit 77) without leaking the key anywhere, and
// plain http to a remote host is refused.

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// leakyKey is long and recognisable, so that any copy of it is found.
const leakyKey = "SECRET-KEY-must-never-be-written-7f3a9c1e5b2d4f6a8c0e"

func TestE2EInvalidKey(t *testing.T) {
	const workers = 4
	dir := t.TempDir()
	input := writeInput(t, dir, 50)
	out := filepath.Join(dir, "out.csv")
	s := startSim(t, "--plan", "max", "--key", "k-the-right-one")

	r := tool(t, simEnv(s, leakyKey), "run", input, "-o", out, "--plan", "max",
		"--workers", strconv.Itoa(workers), "--progress", "log")
	mustExit(t, r, 77, "run with an invalid key")
	if !strings.Contains(strings.ToLower(r.stderr), "unauthorized") {
		t.Errorf("stderr does not give the API's message:\n%s", r.stderr)
	}
	st := s.Stats(t)
	if st.Requests > workers+1 || st.Searches > 0 {
		t.Errorf("the simulator saw %d requests (%d searches answered), want at most %d", st.Requests, st.Searches, workers+1)
	}
	if st.ByStatus["401"] != st.Requests {
		t.Errorf("answers %v: want only 401s", st.ByStatus)
	}
	paths := []string{out + ".state"}
	if _, err := os.Stat(out); err == nil {
		paths = append(paths, out)
		if n := statuses(t, readCSV(t, out)); n["pending"] != 50 {
			t.Errorf("output after a refused key: %v, want 50 pending", n)
		}
	}
	noSecret(t, leakyKey, map[string]string{"stdout": r.stdout, "stderr": r.stderr}, paths...)
}

func TestE2ERevokedMidRun(t *testing.T) {
	const workers = 10
	dir := t.TempDir()
	input := writeInput(t, dir, 300)
	out := filepath.Join(dir, "out.csv")
	s := startSim(t, "--plan", "max", "--key", leakyKey, "--latency", "20ms", "--jitter", "40ms")

	b := startTool(t, simEnv(s, leakyKey), "run", input, "-o", out, "--plan", "max",
		"--workers", strconv.Itoa(workers), "--progress", "log")
	waitFor(t, 30*time.Second, "30 searches", func() bool { return s.Stats(t).Searches >= 30 })
	s.Admin(t, "keys", map[string]any{"key": leakyKey, "plan": "max", "credits": 100000, "revoked": true})
	revoked := time.Now()
	r := b.wait(t, 20*time.Second)
	el := time.Since(revoked)
	mustExit(t, r, 77, "run whose key was revoked")
	if el > 3*time.Second {
		t.Errorf("the run took %v to stop after its key was revoked", el)
	}
	st := s.Stats(t)
	if n := st.ByStatus["401"]; n < 1 || n > workers {
		t.Errorf("%d requests answered 401 after the revocation, want 1 to %d (one per worker at most)", n, workers)
	}

	recs := readCSV(t, out)
	checkOrder(t, recs, people(0, 300))
	n := statuses(t, recs)
	done := n["matched"] + n["not_found"]
	if done < 30 || n["pending"] == 0 || done+n["pending"] != 300 {
		t.Errorf("output after the revocation: %v, want at least 30 done and the rest pending", n)
	}
	sum := jobStatus(t, out)
	if sum.ByStatus["matched"] != n["matched"] || sum.ByStatus["pending"] != n["pending"] {
		t.Errorf("status %v, the output %v: progress not kept", sum.ByStatus, n)
	}
	if sum.LastStop == nil || sum.LastStop.Code != 77 {
		t.Errorf("status: last stop %+v, want exit 77", sum.LastStop)
	}
	t.Logf("revoked after %d searches; stopped in %v with %v; 401s: %d", st.Searches, el.Round(time.Millisecond), n, st.ByStatus["401"])
	noSecret(t, leakyKey, map[string]string{"stdout": r.stdout, "stderr": r.stderr}, out, out+".state")
}

func TestE2EPlainHTTPRefused(t *testing.T) {
	dir := t.TempDir()
	input := writeInput(t, dir, 5)
	out := filepath.Join(dir, "out.csv")
	for _, tc := range []struct {
		name string
		env  []string
		args []string
	}{
		{"flag", []string{"CLODURA_API_KEY=" + leakyKey}, []string{"--base-url", "http://api.example.com"}},
		{"environment", []string{"CLODURA_API_KEY=" + leakyKey, "CLODURA_BASE_URL=http://api.example.com"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			r := tool(t, tc.env, append([]string{"run", input, "-o", out, "--progress", "none"}, tc.args...)...)
			mustExit(t, r, 2, "run with an http:// base URL")
			if !strings.Contains(strings.ToLower(r.stderr), "https") {
				t.Errorf("the message does not say https is required:\n%s", r.stderr)
			}
			if el := time.Since(start); el > 10*time.Second {
				t.Errorf("refusing took %v: did it try to connect?", el)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("an output was written")
			}
			noSecret(t, leakyKey, map[string]string{"stdout": r.stdout, "stderr": r.stderr})
		})
	}
}
