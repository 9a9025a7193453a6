package main

// Process-level tests of issue 3 (resume across days, growth, the lock,
// kill -9), and the helpers every e2e_*_test.go file shares.

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clodura/enrich/checkpoint"
)

var (
	firstNames = []string{"Ada", "Grace", "Alan", "Linus", "Ken", "Barbara", "Margaret", "Donald", "Edsger", "Niklaus",
		"Frances", "Radia", "Leslie", "Vint", "Bjarne", "Guido", "Katherine", "Dorothy", "Hedy", "Sophie"}
	lastNames = []string{"Lovelace", "Hopper", "Turing", "Torvalds", "Thompson", "Liskov", "Hamilton", "Knuth",
		"Dijkstra", "Wirth", "Allen", "Perlman", "Lamport", "Cerf", "Stroustrup", "Rossum", "Johnson", "Vaughan",
		"Lamarr", "Wilson"}
	companies = []string{"Acme Corp", "Globex", "Initech", "Umbrella", "Hooli", "Stark Industries", "Wayne Enterprises"}
)

// personRow is input row i (0-based): distinct first+last names for
// i < 400, an id column to check the order by.
func personRow(i int) []string {
	return []string{strconv.Itoa(i + 1), firstNames[i%len(firstNames)],
		lastNames[(i/len(firstNames))%len(lastNames)], companies[i%len(companies)]}
}

var inputHeader = []string{"id", "first name", "last name", "company"}

// writeRows writes a CSV input of the given rows (header first) to path.
func writeRows(t *testing.T, path string, rows [][]string) {
	t.Helper()
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(inputHeader)
	w.WriteAll(rows)
	if err := w.Error(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// people returns rows from..to-1 of personRow.
func people(from, to int) [][]string {
	var rows [][]string
	for i := from; i < to; i++ {
		rows = append(rows, personRow(i))
	}
	return rows
}

// writeInput writes an n-row CSV input in dir and returns its path.
func writeInput(t *testing.T, dir string, n int) string {
	t.Helper()
	path := filepath.Join(dir, "people.csv")
	writeRows(t, path, people(0, n))
	return path
}

// simEnv is the tool's environment for key against s.
func simEnv(s *simProc, key string) []string {
	return []string{"CLODURA_API_KEY=" + key, "CLODURA_BASE_URL=" + s.URL}
}

// fastFlags are the run flags that go with fastKey.
var fastFlags = []string{"--plan", "max", "--rate-per-second", "50", "--rate-per-minute", "100000", "--progress", "none"}

// fastKey gives s a key whose plan allows 50 requests a second, so that
// jobs that are not about pacing finish quickly.
func fastKey(t *testing.T, s *simProc, key string, credits float64) {
	t.Helper()
	s.Admin(t, "keys", map[string]any{"key": key, "credits": credits,
		"plan": map[string]any{"name": "custom", "per_second": 50, "per_minute": 100000, "per_day": 100000}})
}

// statuses counts an output's rows by clodura_status.
func statuses(t *testing.T, recs [][]string) map[string]int {
	t.Helper()
	st := column(t, recs[0], "clodura_status")
	n := map[string]int{}
	for _, rec := range recs[1:] {
		n[rec[st]]++
	}
	return n
}

// checkOrder fails unless the output holds exactly the rows of input, in
// order, with their input columns unchanged.
func checkOrder(t *testing.T, recs [][]string, input [][]string) {
	t.Helper()
	if len(recs) != len(input)+1 {
		t.Fatalf("output has %d rows, want %d", len(recs)-1, len(input))
	}
	for i, row := range input {
		got := recs[i+1][:len(row)]
		if strings.Join(got, "\x00") != strings.Join(row, "\x00") {
			t.Fatalf("output row %d starts %q, want %q", i+1, got, row)
		}
	}
}

// jobStatus runs `status OUTPUT --json`.
func jobStatus(t *testing.T, output string) checkpoint.Summary {
	t.Helper()
	r := tool(t, nil, "status", output, "--json")
	if r.code != 0 {
		t.Fatalf("status: exit %d: %s", r.code, r.stderr)
	}
	var sum checkpoint.Summary
	if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil {
		t.Fatalf("status --json: %v\n%s", err, r.stdout)
	}
	return sum
}

// mustExit fails unless r exited with want.
func mustExit(t *testing.T, r result, want int, what string) {
	t.Helper()
	if r.code != want {
		t.Fatalf("%s: exit %d, want %d\nstdout: %s\nstderr: %s", what, r.code, want, r.stdout, r.stderr)
	}
}

// noSecret fails if secret occurs in any of texts or in any file under
// paths (files or folders).
func noSecret(t *testing.T, secret string, texts map[string]string, paths ...string) {
	t.Helper()
	for name, s := range texts {
		if strings.Contains(s, secret) {
			t.Errorf("the API key appears in %s", name)
		}
	}
	for _, p := range paths {
		err := filepath.WalkDir(p, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			if bytes.Contains(b, []byte(secret)) {
				t.Errorf("the API key appears in %s", path)
			}
			return nil
		})
		if err != nil {
			t.Errorf("reading %s: %v", p, err)
		}
	}
}

func TestE2EDailyLimitResume(t *testing.T) {
	const key = "k-daily-quota"
	dir := t.TempDir()
	input := writeInput(t, dir, 100)
	out := filepath.Join(dir, "out.csv")
	s := startSim(t, "--plan", "max", "--key", key, "--daily-quota", "40", "--seed", "7")
	fastKey(t, s, key, 100000)
	run := func() result {
		return tool(t, simEnv(s, key), append([]string{"run", input, "-o", out}, fastFlags...)...)
	}

	r := run()
	mustExit(t, r, 75, "first run")
	recs := readCSV(t, out)
	checkOrder(t, recs, people(0, 100))
	n := statuses(t, recs)
	done := 100 - n["pending"]
	t.Logf("first run: %d rows done before the daily limit (%v)", done, n)
	if done < 25 || done > 40 {
		t.Errorf("first run finished %d rows, want 25-40", done)
	}
	if n["pending"]+n["matched"]+n["not_found"] != 100 {
		t.Errorf("statuses %v: want only matched, not_found and pending", n)
	}
	if !strings.Contains(r.stdout, "rerun") {
		t.Errorf("the first run does not say when to rerun:\n%s", r.stdout)
	}

	sum := jobStatus(t, out)
	if sum.Rows != 100 || sum.ByStatus["pending"] != n["pending"] || sum.ByStatus["matched"] != n["matched"] {
		t.Errorf("status: %d rows, %v; the output has 100 rows, %v", sum.Rows, sum.ByStatus, n)
	}
	if sum.LastStop == nil || sum.LastStop.Reason != "daily_limit" || sum.LastStop.Code != 75 {
		t.Errorf("status: last stop %+v, want daily_limit (75)", sum.LastStop)
	}
	if sim := s.Stats(t); sum.Requests != sim.Requests || sum.Credits != sim.CreditsCharged {
		t.Errorf("status: %d requests and %v credits spent; the simulator saw %d requests and charged %v credits",
			sum.Requests, sum.Credits, sim.Requests, sim.CreditsCharged)
	}

	before := s.Stats(t)
	start := time.Now()
	r = run()
	mustExit(t, r, 75, "second run before the rollover")
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("the second run took %v to meet the daily limit", el)
	}
	after := s.Stats(t)
	if after.CreditsCharged != before.CreditsCharged || after.Searches != before.Searches {
		t.Errorf("the second run before the rollover spent %v credits in %d searches, want none",
			after.CreditsCharged-before.CreditsCharged, after.Searches-before.Searches)
	}
	if got := statuses(t, readCSV(t, out))["pending"]; got != n["pending"] {
		t.Errorf("after the second run %d rows pending, want %d", got, n["pending"])
	}

	finished := false
	for i := 0; i < 3 && !finished; i++ {
		s.Admin(t, "rollover", nil)
		r = run()
		switch r.code {
		case 0:
			finished = true
		case 75:
		default:
			mustExit(t, r, 75, "a run after a rollover")
		}
	}
	if !finished {
		t.Fatalf("no run exited 0 in 3 days; last run:\n%s%s", r.stdout, r.stderr)
	}
	final, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	st := s.Stats(t)
	if st.ChargedTwice != 0 {
		t.Errorf("the simulator charged %d queries twice", st.ChargedTwice)
	}
	if n := statuses(t, readCSV(t, out)); n["pending"] != 0 {
		t.Errorf("final output: %v", n)
	}

	// One uninterrupted run of the same input against a fresh simulator
	// with the same seed.
	refDir := t.TempDir()
	refIn := writeInput(t, refDir, 100)
	refOut := filepath.Join(refDir, "out.csv")
	ref := startSim(t, "--plan", "max", "--key", key, "--seed", "7")
	fastKey(t, ref, key, 100000)
	mustExit(t, tool(t, simEnv(ref, key), append([]string{"run", refIn, "-o", refOut}, fastFlags...)...), 0, "reference run")
	want, err := os.ReadFile(refOut)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(final, want) {
		got, ref := readCSV(t, out), readCSV(t, refOut)
		for i := range min(len(got), len(ref)) {
			if strings.Join(got[i], ",") != strings.Join(ref[i], ",") {
				t.Errorf("row %d differs from the uninterrupted run:\n got %q\nwant %q", i, got[i], ref[i])
				break
			}
		}
		t.Errorf("the resumed output (%d bytes) differs from one uninterrupted run's (%d bytes)", len(final), len(want))
	}
	if rs := ref.Stats(t); rs.CreditsCharged != st.CreditsCharged {
		t.Errorf("resumed job charged %v credits, the uninterrupted run %v", st.CreditsCharged, rs.CreditsCharged)
	}
}

func TestE2EGrowthAndResort(t *testing.T) {
	const key = "k-growth"
	dir := t.TempDir()
	input := filepath.Join(dir, "people.csv")
	out := filepath.Join(dir, "out.csv")
	s := startSim(t, "--plan", "max", "--key", key)
	fastKey(t, s, key, 100000)
	run := func() result {
		return tool(t, simEnv(s, key), append([]string{"run", input, "-o", out}, fastFlags...)...)
	}

	writeRows(t, input, people(0, 100))
	mustExit(t, run(), 0, "first run")
	checkOrder(t, readCSV(t, out), people(0, 100))
	first := s.Stats(t)
	if first.Searches != 100 {
		t.Errorf("first run: %d searches for 100 distinct rows", first.Searches)
	}

	// The nightly case: 20 rows appended.
	grown := people(0, 120)
	writeRows(t, input, grown)
	mustExit(t, run(), 0, "run after growth")
	recs := readCSV(t, out)
	checkOrder(t, recs, grown)
	second := s.Stats(t)
	if d := second.Searches - first.Searches; d != 20 {
		t.Errorf("the grown job made %d searches, want 20 (the new rows)", d)
	}
	st := column(t, recs[0], "clodura_status")
	newMatched := 0
	for _, rec := range recs[101:] {
		switch rec[st] {
		case "matched":
			newMatched++
		case "not_found":
		default:
			t.Errorf("new row %s: status %q", rec[0], rec[st])
		}
	}
	if d := second.CreditsCharged - first.CreditsCharged; d != float64(newMatched) {
		t.Errorf("the grown job spent %v credits, want %d (one per new matched row)", d, newMatched)
	}
	t.Logf("growth: 20 searches, %v credits for %d new matches", second.CreditsCharged-first.CreditsCharged, newMatched)

	// The same rows re-sorted cost nothing, and come out in the new order.
	shuffled := append([][]string(nil), grown...)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	writeRows(t, input, shuffled)
	mustExit(t, run(), 0, "run after re-sorting")
	resorted := readCSV(t, out)
	checkOrder(t, resorted, shuffled)
	third := s.Stats(t)
	if third.Searches != second.Searches || third.CreditsCharged != second.CreditsCharged {
		t.Errorf("the re-sorted job made %d searches and spent %v credits, want none",
			third.Searches-second.Searches, third.CreditsCharged-second.CreditsCharged)
	}
	// Each row keeps its enrichment wherever it moved.
	byID := map[string]string{}
	for _, rec := range recs[1:] {
		byID[rec[0]] = strings.Join(rec, "\x00")
	}
	for _, rec := range resorted[1:] {
		if byID[rec[0]] != strings.Join(rec, "\x00") {
			t.Errorf("row id %s changed after re-sorting:\n%q", rec[0], rec)
			break
		}
	}
	if third.ChargedTwice != 0 {
		t.Errorf("charged_twice %d", third.ChargedTwice)
	}
}

func TestE2ELockAndInterrupt(t *testing.T) {
	const key = "k-lock"
	dir := t.TempDir()
	input := writeInput(t, dir, 100)
	out := filepath.Join(dir, "out.csv")
	s := startSim(t, "--plan", "max", "--key", key)
	fastKey(t, s, key, 100000)
	args := []string{"run", input, "-o", out, "--plan", "max", "--rate-per-second", "2", "--progress", "none"}

	first := startTool(t, simEnv(s, key), args...)
	waitFor(t, 20*time.Second, "the first run's lock and first search", func() bool {
		_, err := os.Stat(filepath.Join(out+".state", "lock"))
		return err == nil && s.Stats(t).Searches > 0
	})

	start := time.Now()
	second := tool(t, simEnv(s, key), args...)
	el := time.Since(start)
	mustExit(t, second, 73, "second concurrent run")
	if el > 2*time.Second {
		t.Errorf("the second run took %v to give up on the lock", el)
	}
	if pid := strconv.Itoa(first.cmd.Process.Pid); !strings.Contains(second.stderr, pid) {
		t.Errorf("the second run does not name pid %s:\n%s", pid, second.stderr)
	}
	if !!first.exited() {
		t.Fatalf("the first run ended early: %+v", first.res)
	}

	if err := first.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	r := first.wait(t, 10*time.Second)
	mustExit(t, r, 130, "interrupted run")
	recs := readCSV(t, out)
	checkOrder(t, recs, people(0, 100))
	n := statuses(t, recs)
	if n["pending"] == 0 || n["pending"] == 100 {
		t.Errorf("interrupted run's output: %v, want some rows done and some pending", n)
	}
	if sum := jobStatus(t, out); sum.LastStop == nil || sum.LastStop.Reason != "interrupted" || sum.LastStop.Code != 130 {
		t.Errorf("status: last stop %+v, want interrupted (130)", sum.LastStop)
	}
	t.Logf("interrupted with %v", n)

	before := s.Stats(t)
	mustExit(t, tool(t, simEnv(s, key), append([]string{"run", input, "-o", out}, fastFlags...)...), 0, "rerun")
	recs = readCSV(t, out)
	checkOrder(t, recs, people(0, 100))
	if n := statuses(t, recs); n["pending"] != 0 {
		t.Errorf("rerun output: %v", n)
	}
	after := s.Stats(t)
	if d := after.Searches - before.Searches; d != n["pending"] {
		t.Errorf("the rerun made %d searches for %d pending rows", d, n["pending"])
	}
	if after.ChargedTwice != 0 {
		t.Errorf("charged_twice %d", after.ChargedTwice)
	}
}

func TestE2EKill9Smoke(t *testing.T) {
	const key = "k-kill"
	const workers = 8
	dir := t.TempDir()
	input := writeInput(t, dir, 200)
	out := filepath.Join(dir, "out.csv")
	s := startSim(t, "--plan", "max", "--key", key, "--latency", "30ms", "--jitter", "60ms")
	fastKey(t, s, key, 100000)
	args := append([]string{"run", input, "-o", out, "--workers", strconv.Itoa(workers)}, fastFlags...)

	b := startTool(t, simEnv(s, key), args...)
	waitFor(t, 30*time.Second, "70 searches", func() bool { return s.Stats(t).Searches >= 70 })
	if err := b.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	b.wait(t, 10*time.Second)
	killed := s.Stats(t)
	if killed.Searches >= 200 {
		t.Fatalf("the run finished before the kill (%d searches)", killed.Searches)
	}

	mustExit(t, tool(t, simEnv(s, key), args...), 0, "rerun after kill -9")
	recs := readCSV(t, out)
	checkOrder(t, recs, people(0, 200))
	if n := statuses(t, recs); n["matched"]+n["not_found"] != 200 {
		t.Errorf("output after the rerun: %v", n)
	}
	sum := jobStatus(t, out)
	if sum.InFlight != 0 || sum.InFlightKeys != 0 || sum.ByStatus["pending"] != 0 {
		t.Errorf("status after the rerun: %d in flight (%d keys), %v", sum.InFlight, sum.InFlightKeys, sum.ByStatus)
	}
	st := s.Stats(t)
	if st.ChargedTwice > workers {
		t.Errorf("%d queries charged twice, want at most %d (the workers)", st.ChargedTwice, workers)
	}
	t.Logf("killed after %d searches; charged twice: %d; searches in all: %d", killed.Searches, st.ChargedTwice, st.Searches)
}
