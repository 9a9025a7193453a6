package main

// Process-level tests of issue 3's credit guard: the --min-credits
// reserve, a 402 mid-run, and both /credits answer shapes.

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestE2EMinCreditsReserve(t *testing.T) {
	const key = "k-min-credits"
	dir := t.TempDir()
	input := writeInput(t, dir, 60)
	out := filepath.Join(dir, "out.csv")
	s := startSim(t, "--plan", "max", "--key", key, "--credits", "30")
	fastKey(t, s, key, 30)

	r := tool(t, simEnv(s, key), append([]string{"run", input, "-o", out, "--min-credits", "10"}, fastFlags...)...)
	mustExit(t, r, 3, "run with --min-credits 10 on a balance of 30")
	st := s.Stats(t)
	if st.CreditsCharged > 20 {
		t.Errorf("spent %v credits of 30 with a reserve of 10, want at most 20", st.CreditsCharged)
	}
	if st.CreditsCharged < 15 {
		t.Errorf("spent only %v credits of the 20 allowed", st.CreditsCharged)
	}
	if st.ByStatus["402"] != 0 {
		t.Errorf("%d answers 402: the reserve should stop the run first", st.ByStatus["402"])
	}
	recs := readCSV(t, out)
	checkOrder(t, recs, people(0, 60))
	n := statuses(t, recs)
	if n["pending"] == 0 || n["matched"]+n["not_found"]+n["pending"] != 60 {
		t.Errorf("output: %v, want the rows done and the rest pending", n)
	}
	if float64(n["matched"]) != st.CreditsCharged {
		t.Errorf("%d rows matched for %v credits charged", n["matched"], st.CreditsCharged)
	}
	if sum := jobStatus(t, out); sum.LastStop == nil || sum.LastStop.Code != 3 || sum.LastStop.Reason != "credit_budget" {
		t.Errorf("status: last stop %+v, want credit_budget (3)", sum.LastStop)
	}
	t.Logf("reserve 10 of 30: spent %v credits, output %v", st.CreditsCharged, n)
}

func TestE2ECreditsExhausted(t *testing.T) {
	t.Run("small balance", func(t *testing.T) {
		const key = "k-fifteen"
		dir := t.TempDir()
		input := writeInput(t, dir, 100)
		out := filepath.Join(dir, "out.csv")
		s := startSim(t, "--plan", "max", "--key", key, "--credits", "15")
		fastKey(t, s, key, 15)
		r := tool(t, simEnv(s, key), append([]string{"run", input, "-o", out}, fastFlags...)...)
		mustExit(t, r, 3, "run on a balance of 15")
		recs := readCSV(t, out)
		checkOrder(t, recs, people(0, 100))
		n := statuses(t, recs)
		if n["pending"] == 0 || n["failed"] != 0 {
			t.Errorf("output: %v, want pending rows and none failed", n)
		}
		if st := s.Stats(t); st.CreditsCharged > 15 || float64(n["matched"]) != st.CreditsCharged {
			t.Errorf("charged %v credits for %d matched rows on a balance of 15", st.CreditsCharged, n["matched"])
		}
	})

	// The balance drops behind the tool's back (another user of the key):
	// the next searches meet 402.
	t.Run("402 mid-run", func(t *testing.T) {
		const key = "k-402"
		dir := t.TempDir()
		input := writeInput(t, dir, 100)
		out := filepath.Join(dir, "out.csv")
		s := startSim(t, "--plan", "max", "--key", key, "--latency", "20ms")
		fastKey(t, s, key, 100000)
		b := startTool(t, simEnv(s, key), append([]string{"run", input, "-o", out, "--workers", "4"}, fastFlags...)...)
		waitFor(t, 30*time.Second, "20 searches", func() bool { return s.Stats(t).Searches >= 20 })
		s.Admin(t, "keys", map[string]any{"key": key, "credits": 0,
			"plan": map[string]any{"name": "custom", "per_second": 50, "per_minute": 100000, "per_day": 100000}})
		r := b.wait(t, 30*time.Second)
		mustExit(t, r, 3, "run meeting 402")
		st := s.Stats(t)
		if st.ByStatus["402"] == 0 {
			t.Fatalf("no 402 answered (%v): the test did not test a 402", st.ByStatus)
		}
		recs := readCSV(t, out)
		checkOrder(t, recs, people(0, 100))
		n := statuses(t, recs)
		if n["pending"] == 0 || n["failed"] != 0 || n["matched"]+n["not_found"] < 20 {
			t.Errorf("output: %v, want at least 20 done, pending rows and none failed", n)
		}
		if sum := jobStatus(t, out); sum.LastStop == nil || sum.LastStop.Reason != "credits_exhausted" || sum.LastStop.Code != 3 {
			t.Errorf("status: last stop %+v, want credits_exhausted (3)", sum.LastStop)
		}
		if !strings.Contains(r.stdout, "pending") {
			t.Errorf("the summary does not say rows are pending:\n%s", r.stdout)
		}
		t.Logf("402 after %d searches: %v; answers %v", st.Searches, n, st.ByStatus)
	})
}

func TestE2EProspectCreditsShape(t *testing.T) {
	const key = "k-prospect"
	dir := t.TempDir()
	input := writeInput(t, dir, 10)
	out := filepath.Join(dir, "out.csv")
	s := startSim(t, "--plan", "max", "--key", key, "--credits", "500", "--credits-shape", "prospect")

	r := tool(t, simEnv(s, key), "credits", "--json")
	mustExit(t, r, 0, "credits with the prospect shape")
	if !strings.Contains(r.stdout, "500") {
		t.Errorf("credits --json does not report the balance of 500:\n%s", r.stdout)
	}
	// --min-credits needs the balance read from the prospect shape.
	r = tool(t, simEnv(s, key), "run", input, "-o", out, "--plan", "max", "--min-credits", "1", "--progress", "none")
	mustExit(t, r, 0, "run with the prospect credits shape")
	recs := readCSV(t, out)
	checkOrder(t, recs, people(0, 10))
	n := statuses(t, recs)
	if n["matched"]+n["not_found"] != 10 {
		t.Errorf("output: %v", n)
	}
	// The balance read before the run, from {"contactsView":0,"maxContacts":"500",...}.
	if !strings.Contains(r.stdout, "balance   500 credits") {
		t.Errorf("the summary does not show the balance of 500 read before the run:\n%s", r.stdout)
	}
	if st := s.Stats(t); st.CreditsCharged != float64(n["matched"]) {
		t.Errorf("charged %v credits for %d matched rows", st.CreditsCharged, n["matched"])
	}
}
