package main

// The fault matrix: one test per way the API, the network, the disk or
// the operator can interrupt a job. Each runs the real binary against the
// simulator as a separate process and checks four things: the exit code,
// the output (every input row once, in order, with a status of the
// contract), what the state says afterwards (`status --json`), and that
// rerunning the same command completes.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/clodura/enrich/checkpoint"
	"github.com/clodura/enrich/clodura/sim"
)

// Final and paused statuses of the output contract.
var (
	relFinal  = []string{"matched", "not_found", "invalid", "failed"}
	relDone   = []string{"matched", "not_found", "invalid"}
	relPaused = []string{"matched", "not_found", "invalid", "pending"}
)

// relBulkPlan is a plan whose limits are far above anything the tests
// pace at, so that only the injected faults refuse a request.
var relBulkPlan = map[string]any{"name": "bulk", "per_second": 1000, "per_minute": 100000, "per_day": 1000000}

// relSim starts a simulator process with flags and gives it key on
// relBulkPlan with credits.
func relSim(t *testing.T, key string, credits float64, flags ...string) *simProc {
	t.Helper()
	s := startSim(t, append([]string{"--key", "unused-" + key}, flags...)...)
	relSetKey(t, s, map[string]any{"key": key, "plan": relBulkPlan, "credits": credits})
	t.Cleanup(func() { relLogStats(t, s) }) // before startSim's cleanup stops it
	return s
}

// relLogStats logs what the simulator injected and answered, for
// RELIABILITY.md.
func relLogStats(t *testing.T, s *simProc) {
	st := s.Stats(t)
	t.Logf("sim: %d requests; injected 5xx %d, dropped %d, truncated %d, hung %d, 429 %d; "+
		"answered 401 %d, 402 %d, 409 %d; charged twice %d",
		st.Requests, st.Errors5xx, st.Dropped, st.Truncated, st.Hung, st.RateLimited,
		st.ByStatus["401"], st.ByStatus["402"], st.ByStatus["409"], st.ChargedTwice)
}

func relSetKey(t *testing.T, s *simProc, k map[string]any) {
	t.Helper()
	s.Admin(t, "keys", k)
}

// relJob is one job: an input, where its output and state go, the key and
// the simulator it talks to, and the pace.
type relJob struct {
	t              *testing.T
	sim            *simProc
	key            string
	dir            string
	in, out, state string
	rows           [][]string // the input, header first
	usable         int        // rows with an identity
	lookups        int        // distinct lookups among them
	rate           int        // --rate-per-second
	baseURL        string     // "" = the simulator's
	extra          []string   // flags added to every run
	env            []string   // added to the key's variable
}

// newRelJob writes an input of n rows: people at distinct companies, with
// an unusable row (a one-word name) every 25 rows and a repeat of the
// previous row (the same lookup) every 40.
func newRelJob(t *testing.T, s *simProc, key string, n int) *relJob {
	t.Helper()
	dir := t.TempDir()
	j := &relJob{t: t, sim: s, key: key, dir: dir, rate: 100,
		in: filepath.Join(dir, "people.csv"), out: filepath.Join(dir, "people.out.csv")}
	j.state = j.out + ".state"
	first := []string{"Priya", "Rahul", "John", "Maria", "Wei", "Olga", "Ahmed", "Lucia", "Kenji", "Fatima", "Liam", "Emma"}
	last := []string{"Sharma", "Mehta", "Smith", "Garcia", "Chen", "Ivanova", "Khan", "Rossi", "Sato", "Zahra", "Brown"}
	j.rows = [][]string{{"Name", "Company", "Website", "Owner"}}
	for i := range n {
		row := []string{first[i%len(first)] + " " + last[i/len(first)%len(last)],
			fmt.Sprintf("Company %d", i), fmt.Sprintf("c%d.example.com", i), "owner " + strconv.Itoa(i%3)}
		switch {
		case i%25 == 7:
			row[0] = "Madonna"
		case i%40 == 13:
			row = slices.Clone(j.rows[len(j.rows)-1])
			row[3] = "repeat"
		default:
			j.lookups++
		}
		if row[0] != "Madonna" {
			j.usable++
		}
		j.rows = append(j.rows, row)
	}
	var b bytes.Buffer
	for _, r := range j.rows {
		b.WriteString(strings.Join(r, ",") + "\n")
	}
	if err := os.WriteFile(j.in, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return j
}

func (j *relJob) args(extra ...string) []string {
	base := j.baseURL
	if base == "" {
		base = j.sim.URL
	}
	a := []string{"run", j.in, "-o", j.out, "--state", j.state, "--base-url", base, "--plan", "max",
		"--rate-per-second", strconv.Itoa(j.rate), "--rate-per-minute", "100000", "--progress", "none"}
	a = append(a, j.extra...)
	return append(a, extra...)
}

func (j *relJob) environ() []string {
	return append([]string{"CLODURA_API_KEY=" + j.key}, j.env...)
}

// run runs the job to its end.
func (j *relJob) run(extra ...string) result {
	j.t.Helper()
	return tool(j.t, j.environ(), j.args(extra...)...)
}

// start starts the job and returns at once; wait collects its result.
func (j *relJob) start(extra ...string) *proc {
	j.t.Helper()
	return startTool(j.t, j.environ(), j.args(extra...)...)
}

// waitSearches waits until the simulator has answered n searches, failing
// if the run ends first.
func (j *relJob) waitSearches(p *proc, n int) {
	j.t.Helper()
	waitFor(j.t, time.Minute, fmt.Sprintf("%d searches", n), func() bool {
		if p.exited() {
			j.t.Fatalf("the run ended (exit %d) before %d searches\nstdout: %s\nstderr: %s",
				p.res.code, n, p.res.stdout, p.res.stderr)
		}
		return j.sim.Stats(j.t).Searches >= n
	})
}

// expect fails the test unless r exited with code.
func (j *relJob) expect(r result, code int, what string) {
	j.t.Helper()
	if r.code != code {
		j.t.Fatalf("%s: exit %d, want %d\nstdout: %s\nstderr: %s", what, r.code, code, r.stdout, r.stderr)
	}
}

// checkOutput reads the output and checks that it holds every input row
// once, in input order, its columns unchanged, with a status in allowed;
// usable rows are never "invalid" and unusable rows always are. It
// returns the rows counted by status.
func (j *relJob) checkOutput(allowed ...string) map[string]int {
	j.t.Helper()
	recs := readCSV(j.t, j.out)
	if len(recs) != len(j.rows) {
		j.t.Fatalf("output has %d records, want %d (header + %d rows)", len(recs), len(j.rows), len(j.rows)-1)
	}
	width := len(j.rows[0])
	if !slices.Equal(recs[0][:width], j.rows[0]) {
		j.t.Fatalf("output header %q does not start with the input's %q", recs[0], j.rows[0])
	}
	st := column(j.t, recs[0], "clodura_status")
	counts := map[string]int{}
	for i, rec := range recs[1:] {
		if !slices.Equal(rec[:width], j.rows[i+1]) {
			j.t.Fatalf("output row %d is %q, want input row %q", i+1, rec[:width], j.rows[i+1])
		}
		s := rec[st]
		if !slices.Contains(allowed, s) {
			j.t.Errorf("row %d: status %q, want one of %v", i+1, s, allowed)
		}
		if (s == "invalid") != (j.rows[i+1][0] == "Madonna") {
			j.t.Errorf("row %d (%q): status %q", i+1, j.rows[i+1][0], s)
		}
		counts[s]++
	}
	return counts
}

// status is what `status --json` says of the job's state, which must
// know every row.
func (j *relJob) status() checkpoint.Summary {
	j.t.Helper()
	s := j.summary()
	if s.Rows != len(j.rows)-1 {
		j.t.Errorf("status: %d rows, want %d", s.Rows, len(j.rows)-1)
	}
	return s
}

// summary is what `status --json` says of the job's state.
func (j *relJob) summary() checkpoint.Summary {
	j.t.Helper()
	r := tool(j.t, nil, "status", "--state", j.state, "--json")
	if r.code != 0 {
		j.t.Fatalf("status: exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	var s checkpoint.Summary
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		j.t.Fatalf("status --json: %v\n%s", err, r.stdout)
	}
	return s
}

// checkStopped checks the state after a run that stopped early: the stop
// is recorded with its reason and exit code, nothing is left in flight,
// and rows are pending.
func (j *relJob) checkStopped(reason string, code int) checkpoint.Summary {
	j.t.Helper()
	s := j.status()
	if s.LastStop == nil || s.LastStop.Reason != reason || s.LastStop.Code != code {
		j.t.Errorf("status: last stop %+v, want reason %q, code %d", s.LastStop, reason, code)
	}
	if s.InFlight != 0 {
		j.t.Errorf("status: %d rows in flight after a clean stop", s.InFlight)
	}
	if s.ByStatus["pending"] == 0 {
		j.t.Errorf("status: no pending row after a stop: %v", s.ByStatus)
	}
	return s
}

// finish reruns the job, expects it to complete, and checks the output
// and the state: every row final, none failed.
func (j *relJob) finish(extra ...string) result {
	j.t.Helper()
	r := j.run(extra...)
	j.expect(r, 0, "rerun")
	j.checkDone()
	return r
}

// checkDone checks a completed job's output and state.
func (j *relJob) checkDone() {
	j.t.Helper()
	counts := j.checkOutput(relDone...)
	s := j.status()
	if s.LastStop == nil || s.LastStop.Reason != "done" || s.LastStop.Code != 0 {
		j.t.Errorf("status: last stop %+v, want done", s.LastStop)
	}
	if s.ByStatus["pending"] != 0 || s.ByStatus["failed"] != 0 || s.InFlight != 0 {
		j.t.Errorf("status after a complete run: %v, %d in flight", s.ByStatus, s.InFlight)
	}
	for _, st := range relDone {
		if s.ByStatus[st] != counts[st] {
			j.t.Errorf("status says %d %s, the output has %d", s.ByStatus[st], st, counts[st])
		}
	}
}

// checkPaid fails unless the simulator answered each distinct lookup
// exactly once and never charged twice for a query: no answer was lost
// or asked for again.
func (j *relJob) checkPaid() sim.Stats {
	j.t.Helper()
	st := j.sim.Stats(j.t)
	if st.Searches != j.lookups || st.ChargedTwice != 0 {
		j.t.Errorf("simulator answered %d searches for %d distinct lookups, charged twice %d, want each once",
			st.Searches, j.lookups, st.ChargedTwice)
	}
	return st
}

func TestFault5xxStorm(t *testing.T) {
	t.Parallel()
	s := relSim(t, "k-5xx", 1e5, "--error-rate", "0.5", "--seed", "5")
	j := newRelJob(t, s, "k-5xx", 30)
	r := j.run()
	j.expect(r, 0, "run")
	j.checkDone()
	st := j.checkPaid()
	if st.Errors5xx < 10 {
		t.Errorf("only %d 5xx answers injected", st.Errors5xx)
	}
	j.finish()
	if got := j.sim.Stats(t).Searches; got != st.Searches {
		t.Errorf("the rerun of a complete job made %d searches", got-st.Searches)
	}
}

// relFreePort returns a loopback address where nothing listens (yet).
func relFreePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestFaultConnectionRefusedThenHealthy(t *testing.T) {
	t.Parallel()
	addr := relFreePort(t)
	j := newRelJob(t, nil, "k-refused", 30)
	j.baseURL = "http://" + addr
	r := j.run("--retry-budget", "3s")
	j.expect(r, 69, "run with nothing listening")
	if counts := j.checkOutput(relPaused...); counts["pending"] != j.usable {
		t.Errorf("output after the outage: %v, want every usable row pending", counts)
	}
	j.checkStopped("unreachable", 69)

	// The API comes back on the same address.
	j.sim = relSim(t, j.key, 1e5, "--addr", addr)
	j.finish("--retry-budget", "3s")
	j.checkPaid()
}

func TestFaultTruncatedJSON(t *testing.T) {
	t.Parallel()
	s := relSim(t, "k-trunc", 1e5, "--truncate-rate", "0.3", "--seed", "7")
	j := newRelJob(t, s, "k-trunc", 40)
	j.expect(j.run(), 0, "run")
	j.checkDone()
	st := s.Stats(t)
	if st.Truncated < 5 {
		t.Errorf("only %d truncated answers injected", st.Truncated)
	}
	// A truncated answer was charged by the server before it was cut: its
	// retry is charged again. Nothing else may be.
	if st.ChargedTwice > st.Truncated {
		t.Errorf("charged twice %d, more than the %d truncated answers", st.ChargedTwice, st.Truncated)
	}
	j.finish()
}

func TestFaultHungResponses(t *testing.T) {
	t.Parallel()
	s := relSim(t, "k-hang", 1e5, "--hang-rate", "0.2", "--seed", "11")
	j := newRelJob(t, s, "k-hang", 30)
	j.extra = []string{"--request-timeout", "500ms"}
	j.expect(j.run(), 0, "run")
	j.checkDone()
	st := j.checkPaid()
	if st.Hung < 3 {
		t.Errorf("only %d hung requests injected", st.Hung)
	}
	j.finish()
}

func TestFault429Bursts(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		flags []string
	}{
		{"without Retry-After", nil},
		{"with Retry-After", []string{"--retry-after", "1s"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := relSim(t, "k-429", 1e5, append([]string{"--rate-limit-rate", "0.2", "--seed", "13"}, tc.flags...)...)
			j := newRelJob(t, s, "k-429", 25)
			j.expect(j.run(), 0, "run")
			j.checkDone()
			st := j.checkPaid()
			if st.RateLimited < 2 || st.ByStatus["429"] != st.RateLimited {
				t.Errorf("429s: %d injected, %d answered", st.RateLimited, st.ByStatus["429"])
			}
			j.finish()
		})
	}
}

func TestFaultDailyLimit409(t *testing.T) {
	t.Parallel()
	s := relSim(t, "k-409", 1e5, "--daily-quota", "20")
	j := newRelJob(t, s, "k-409", 50)
	r := j.run()
	j.expect(r, 75, "first day")
	if counts := j.checkOutput(relPaused...); counts["pending"] == 0 {
		t.Errorf("output after the daily limit: %v, want pending rows", counts)
	}
	if !strings.Contains(r.stdout, "daily limit") {
		t.Errorf("stdout does not say the daily limit was reached:\n%s", r.stdout)
	}
	first := j.checkStopped("daily_limit", 75)

	// Each new day resolves some more rows, until none is left.
	days := 1
	for ; r.code == 75 && days < 6; days++ {
		s.Admin(t, "rollover", nil)
		r = j.run()
		if r.code != 0 && r.code != 75 {
			t.Fatalf("day %d: exit %d\nstdout: %s\nstderr: %s", days+1, r.code, r.stdout, r.stderr)
		}
	}
	j.expect(r, 0, fmt.Sprintf("day %d", days))
	j.checkDone()
	j.checkPaid()
	t.Logf("%d days; pending after day 1: %d", days, first.ByStatus["pending"])
}

func TestFault401MidRun(t *testing.T) {
	t.Parallel()
	s := relSim(t, "k-401", 1e5)
	j := newRelJob(t, s, "k-401", 80)
	j.rate = 20
	p := j.start()
	j.waitSearches(p, 10)
	relSetKey(t, s, map[string]any{"key": j.key, "plan": relBulkPlan, "credits": 1e5, "revoked": true})
	r := p.wait(t, 2*time.Minute)
	j.expect(r, 77, "run with the key revoked")
	j.checkOutput(relPaused...)
	j.checkStopped("unauthorized", 77)

	// Still revoked: the rerun stops at once, before any search.
	before := s.Stats(t).Searches
	j.expect(j.run(), 77, "rerun with the key still revoked")
	if got := s.Stats(t).Searches; got != before {
		t.Errorf("the rerun with a revoked key made %d searches", got-before)
	}

	relSetKey(t, s, map[string]any{"key": j.key, "plan": relBulkPlan, "credits": 1e5})
	j.finish()
	j.checkPaid()
}

func TestFault402MidRun(t *testing.T) {
	t.Parallel()
	s := relSim(t, "k-402", 1e5)
	j := newRelJob(t, s, "k-402", 80)
	j.rate = 20
	p := j.start()
	j.waitSearches(p, 10)
	relSetKey(t, s, map[string]any{"key": j.key, "plan": relBulkPlan, "credits": 0})
	r := p.wait(t, 2*time.Minute)
	j.expect(r, 3, "run with the credits gone")
	j.checkOutput(relPaused...)
	j.checkStopped("credits_exhausted", 3)
	if st := s.Stats(t); st.ByStatus["402"] == 0 {
		t.Errorf("no 402 answered: %v", st.ByStatus)
	}

	relSetKey(t, s, map[string]any{"key": j.key, "plan": relBulkPlan, "credits": 1e5})
	j.finish()
	j.checkPaid()
}

func TestFaultSIGTERM(t *testing.T) {
	t.Parallel()
	s := relSim(t, "k-term", 1e5, "--latency", "20ms")
	j := newRelJob(t, s, "k-term", 80)
	j.rate = 20
	p := j.start()
	j.waitSearches(p, 10)
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	r := p.wait(t, 2*time.Minute)
	j.expect(r, 130, "run sent SIGTERM")
	counts := j.checkOutput(relPaused...)
	if counts["matched"]+counts["not_found"] < 10 {
		t.Errorf("output after SIGTERM: %v, want the 10+ rows answered before it", counts)
	}
	j.checkStopped("interrupted", 130)
	j.finish()
	// Requests in flight at SIGTERM finished and were recorded: the rerun
	// paid for none of them again.
	j.checkPaid()
}

func TestFaultOutputUnwritable(t *testing.T) {
	t.Parallel()
	s := relSim(t, "k-unwritable", 1e5)
	j := newRelJob(t, s, "k-unwritable", 10)
	blocker := filepath.Join(j.dir, "file")
	if err := os.WriteFile(blocker, []byte("a file, not a folder\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	good := j.out
	j.out = filepath.Join(blocker, "out.csv")
	r := j.run()
	if r.code == 0 {
		t.Fatalf("run with an output under a regular file: exit 0\nstdout: %s", r.stdout)
	}
	if !strings.Contains(r.stderr, j.out) && !strings.Contains(r.stderr, blocker) {
		t.Errorf("stderr does not name the output:\n%s", r.stderr)
	}
	if st := s.Stats(t); st.Requests != 0 {
		t.Errorf("%d API requests before refusing the output", st.Requests)
	}
	t.Logf("exit %d: %s", r.code, strings.TrimSpace(r.stderr))

	j.out = good
	j.finish()
	j.checkPaid()
}

// relMountTmpfs mounts a tmpfs of size on dir, unmounted when the test ends.
// It reports false when this process may not mount (not root).
func relMountTmpfs(t *testing.T, dir, size string) bool {
	t.Helper()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0700", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Logf("cannot mount a tmpfs (%v: %s)", err, bytes.TrimSpace(out))
		return false
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return true
}

func relRemountTmpfs(t *testing.T, dir, size string) {
	t.Helper()
	if out, err := exec.Command("mount", "-o", "remount,size="+size, dir).CombinedOutput(); err != nil {
		t.Fatalf("remount %s: %v: %s", dir, err, out)
	}
}

// TestFaultStateDiskFull fills the disk under the state in the middle of
// a run (a 16 KiB tmpfs). Where the test may not mount, the state's rows
// file is made to fail instead (it is written through /dev/full).
func TestFaultStateDiskFull(t *testing.T) {
	t.Parallel()
	s := relSim(t, "k-statefull", 1e5)
	j := newRelJob(t, s, "k-statefull", 120)
	j.rate = 200
	if err := os.Mkdir(j.state, 0o700); err != nil {
		t.Fatal(err)
	}
	tmpfs := relMountTmpfs(t, j.state, "16k")
	if !tmpfs {
		if err := os.Symlink("/dev/full", filepath.Join(j.state, "rows.tmp")); err != nil {
			t.Fatal(err)
		}
	}
	r := j.run("--workers", "4")
	if r.code == 0 {
		t.Fatalf("run with the state's disk full: exit 0\nstdout: %s\nstderr: %s", r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "no space left on device") {
		t.Errorf("stderr does not say the disk is full:\n%s", r.stderr)
	}
	t.Logf("exit %d: %s", r.code, strings.TrimSpace(r.stderr))
	// The state is still readable, and holds what was recorded.
	st := j.summary()
	answered := s.Stats(t).Searches
	if tmpfs {
		if st.Rows != len(j.rows)-1 {
			t.Errorf("status: %d rows, want %d", st.Rows, len(j.rows)-1)
		}
		if answered == 0 || st.ByStatus["pending"] == 0 {
			t.Errorf("the disk should fill mid-run: %d searches answered, state %v", answered, st.ByStatus)
		}
		if done := st.ByStatus["matched"] + st.ByStatus["not_found"]; done == 0 || done > answered+1 {
			t.Errorf("state holds %d results for %d answers", done, answered)
		}
		relRemountTmpfs(t, j.state, "8m")
	} else if answered != 0 || st.Runs != 1 {
		t.Errorf("%d searches answered, %d runs in the state, though the rows file could not be written", answered, st.Runs)
	}

	j.finish()
	// Answers that arrived after the disk filled could not be recorded:
	// those few (at most the requests in flight, 4, plus the one that
	// failed) are paid again; no other.
	if st := s.Stats(t); st.ChargedTwice > 5 || st.Searches > j.lookups+5 {
		t.Errorf("after the disk filled: %d searches for %d lookups, %d charged twice", st.Searches, j.lookups, st.ChargedTwice)
	}
}

// TestFaultOutputDiskFull fills the disk under the output while it is
// written (a 16 KiB tmpfs; the output of 120 rows is larger). Where the
// test may not mount, the output's partial file is a folder instead.
func TestFaultOutputDiskFull(t *testing.T) {
	t.Parallel()
	s := relSim(t, "k-outfull", 1e5)
	j := newRelJob(t, s, "k-outfull", 120)
	j.rate = 200
	outDir := filepath.Join(j.dir, "out")
	if err := os.Mkdir(outDir, 0o700); err != nil {
		t.Fatal(err)
	}
	j.out = filepath.Join(outDir, "people.csv")
	tmpfs := relMountTmpfs(t, outDir, "16k")
	if !tmpfs {
		if err := os.Mkdir(filepath.Join(outDir, ".people.csv.partial"), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	r := j.run()
	if r.code == 0 {
		t.Fatalf("run with the output's disk full: exit 0\nstdout: %s\nstderr: %s", r.stdout, r.stderr)
	}
	t.Logf("exit %d: %s", r.code, strings.TrimSpace(r.stderr))
	if _, err := os.Stat(j.out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("an output was left though it could not be written whole: %v", err)
	}
	st := j.summary()
	answered := s.Stats(t).Searches
	if tmpfs {
		if st.Rows != len(j.rows)-1 {
			t.Errorf("status: %d rows, want %d", st.Rows, len(j.rows)-1)
		}
		if !strings.Contains(r.stderr, "no space left on device") {
			t.Errorf("stderr does not say the disk is full:\n%s", r.stderr)
		}
		// Every lookup was made and recorded before the output pass.
		if st.ByStatus["pending"] != 0 || answered != j.lookups {
			t.Errorf("state %v, %d searches answered for %d lookups", st.ByStatus, answered, j.lookups)
		}
		relRemountTmpfs(t, outDir, "8m")
	} else {
		if answered != 0 {
			t.Errorf("%d searches answered though the output could not be created", answered)
		}
		os.Remove(filepath.Join(outDir, ".people.csv.partial"))
	}
	j.finish()
	j.checkPaid() // the rerun only wrote the output: nothing asked again
}
