package main

// The crash test: a job against a faulty simulator is killed with SIGKILL
// at seeded random moments and rerun until it completes; its output must
// then be the output of a clean run, row for row, and the simulator must
// have charged twice for no more queries than were in flight at the kills
// (plus those whose answer the simulator itself cut short).

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

const (
	crashKills   = 6
	crashRows    = 500
	crashWorkers = 8
	crashSeed    = 42
)

// crashFaults are the simulator's faults during the crash test. They
// change no data, only add retries.
var crashFaults = []string{"--error-rate", "0.05", "--drop-rate", "0.03", "--truncate-rate", "0.02",
	"--latency", "5ms", "--jitter", "10ms"}

func TestCrashKill9AndResume(t *testing.T) {
	simFlags := append([]string{"--seed", fmt.Sprint(crashSeed)}, crashFaults...)
	s := relSim(t, "k-crash", 1e6, simFlags...)
	j := newRelJob(t, s, "k-crash", crashRows)
	j.rate = 200
	j.extra = []string{"--workers", fmt.Sprint(crashWorkers)}

	rng := rand.New(rand.NewPCG(crashSeed, 1))
	var kills []string
	runs := 0
	for {
		runs++
		if runs > crashKills+5 {
			t.Fatalf("no run completed after %d runs", runs-1)
		}
		p := j.start()
		if len(kills) < crashKills {
			moment := crashMomentOf(rng)
			ok, made := crashKillAt(t, s, p, moment)
			if !ok {
				r := p.res
				t.Fatalf("run %d ended (exit %d) before its kill moment (%s): %d kills survived, want %d\nstdout: %s\nstderr: %s",
					runs, r.code, moment, len(kills), crashKills, r.stdout, r.stderr)
			}
			r := p.wait(t, 2*time.Minute)
			if r.code != 128+9 {
				t.Fatalf("run %d: exit %d after SIGKILL, want killed by signal 9", runs, r.code)
			}
			kills = append(kills, fmt.Sprintf("%s: %d requests in", moment, made))
			crashCheckAfterKill(t, j)
			continue
		}
		r := p.wait(t, 2*time.Minute)
		j.expect(r, 0, fmt.Sprintf("run %d (after %d kills)", runs, len(kills)))
		break
	}
	j.checkDone()
	faulty := s.Stats(t)

	// A clean run: a fresh simulator with the same seed and no faults.
	cs := relSim(t, "k-crash", 1e6, "--seed", fmt.Sprint(crashSeed))
	clean := newRelJob(t, cs, "k-crash", crashRows)
	clean.rate = 200
	clean.extra = j.extra
	clean.expect(clean.run(), 0, "clean run")

	got, want := readCSV(t, j.out), readCSV(t, clean.out)
	lost, doubled := crashDiff(want, got)
	for i := 0; i < min(len(got), len(want)); i++ {
		if !slices.Equal(got[i], want[i]) {
			t.Errorf("record %d differs from the clean run's:\n got %q\nwant %q", i, got[i], want[i])
			break
		}
	}
	if lost != 0 || doubled != 0 || len(got) != len(want) {
		t.Errorf("%d rows lost, %d doubled (%d records, want %d)", lost, doubled, len(got), len(want))
	}

	// Charged twice: each kill can lose the answers in flight (at most one
	// per worker); a truncated answer was charged, then asked again.
	bound := faulty.Truncated + crashKills*crashWorkers
	if faulty.ChargedTwice > bound {
		t.Errorf("charged twice %d, want at most %d (%d truncated + %d kills x %d workers)",
			faulty.ChargedTwice, bound, faulty.Truncated, crashKills, crashWorkers)
	}
	t.Logf("crash: %d rows, %d kills survived (%s), %d runs; rows lost %d, doubled %d; "+
		"queries charged twice %d (truncated answers %d); requests %d: 5xx %d, dropped %d, truncated %d",
		crashRows, len(kills), strings.Join(kills, "; "), runs, lost, doubled,
		faulty.ChargedTwice, faulty.Truncated, faulty.Requests, faulty.Errors5xx, faulty.Dropped, faulty.Truncated)
}

// crashMoment is when to kill a run: after a random delay from its start
// (it may land while the run starts, scans or works), or more often once
// the simulator has received a random number of further requests.
type crashMoment struct {
	after    time.Duration
	requests int
}

func (m crashMoment) String() string {
	if m.requests > 0 {
		return fmt.Sprintf("+%d requests", m.requests)
	}
	return m.after.String()
}

func crashMomentOf(rng *rand.Rand) crashMoment {
	if rng.IntN(3) == 0 {
		return crashMoment{after: time.Duration(30+rng.IntN(370)) * time.Millisecond}
	}
	return crashMoment{requests: 10 + rng.IntN(50)}
}

// crashKillAt kills p with SIGKILL at moment m. It reports false when p
// ended on its own first, and how many requests the simulator had
// received since p started.
func crashKillAt(t *testing.T, s *simProc, p *proc, m crashMoment) (bool, int) {
	t.Helper()
	start := time.Now()
	base := s.Stats(t).Requests
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(time.Minute)
	for {
		select {
		case <-p.done:
			return false, s.Stats(t).Requests - base
		case <-deadline:
			t.Fatalf("kill moment %s not reached in a minute", m)
		case <-tick.C:
		}
		made := s.Stats(t).Requests - base
		if (m.requests == 0 && time.Since(start) >= m.after) || (m.requests > 0 && made >= m.requests) {
			if err := p.cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			return true, made
		}
	}
}

// crashCheckAfterKill checks what a killed run leaves: no output, or a
// whole one (it is replaced atomically), and a state `status` can read
// (unless the run died before creating it).
func crashCheckAfterKill(t *testing.T, j *relJob) {
	t.Helper()
	if _, err := os.Stat(j.out); err == nil {
		j.checkOutput(append(relFinal, "pending")...)
	}
	if _, err := os.Stat(filepath.Join(j.state, "journal")); err != nil {
		return
	}
	r := tool(t, nil, "status", "--state", j.state, "--json")
	if r.code != 0 && !strings.Contains(r.stderr, "no job state") {
		t.Fatalf("status after a kill: exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
}

// crashDiff counts the records of want missing from got (lost) and the
// records of got beyond their count in want (doubled).
func crashDiff(want, got [][]string) (lost, doubled int) {
	n := map[string]int{}
	for _, r := range want {
		n[strings.Join(r, "\x00")]++
	}
	for _, r := range got {
		n[strings.Join(r, "\x00")]--
	}
	for _, c := range n {
		if c > 0 {
			lost += c
		} else {
			doubled -= c
		}
	}
	return lost, doubled
}
