package job

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/clodura/enrich/checkpoint"
	"github.com/clodura/enrich/clodura"
	"github.com/clodura/enrich/writer"
)

// scriptedSearcher answers from a script: answer decides per request (by the
// person's last name and the attempt number for that name) what comes
// back. It records every request. Safe for concurrent use.
type scriptedSearcher struct {
	mu       sync.Mutex
	answer   func(last string, attempt int) (*clodura.SearchResult, error)
	attempts map[string]int
	searches int
	credits  int
	balance  float64
	charged  float64
}

var _ Searcher = (*scriptedSearcher)(nil)

func (f *scriptedSearcher) SearchPeople(ctx context.Context, req clodura.SearchRequest) (*clodura.SearchResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.attempts == nil {
		f.attempts = map[string]int{}
	}
	f.searches++
	f.attempts[req.LastName]++
	if f.answer != nil {
		res, err := f.answer(req.LastName, f.attempts[req.LastName])
		if res != nil || err != nil {
			if res != nil {
				f.charged += float64(len(res.Records))
			}
			return res, err
		}
	}
	rec := fmt.Sprintf(`{"personId":"P-%s","firstName":%q,"lastName":%q,"personTitle":"VP Sales","unknownField":42}`,
		strings.ToLower(req.LastName), req.FirstName, req.LastName)
	f.charged++
	return &clodura.SearchResult{Records: []json.RawMessage{json.RawMessage(rec)}, Total: 1}, nil
}

func (f *scriptedSearcher) Credits(context.Context) (clodura.Credits, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.credits++
	bal := f.balance - f.charged
	if f.balance == 0 {
		bal = 1e6
	}
	return clodura.Credits{Remaining: bal, Raw: json.RawMessage(fmt.Sprintf(`{"remainingCredits":%v}`, bal))}, nil
}

func (f *scriptedSearcher) count() (searches int, attempts map[string]int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := map[string]int{}
	for k, v := range f.attempts {
		m[k] = v
	}
	return f.searches, m
}

// writeInput writes a CSV of people named First<i> Last<i>, in order.
func writeInput(t *testing.T, dir string, names ...string) string {
	t.Helper()
	path := filepath.Join(dir, "people.csv")
	var b strings.Builder
	b.WriteString("Name,Company\n")
	for _, n := range names {
		b.WriteString(n + ",Acme\n")
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func people(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("Ann L%03d", i)
	}
	return out
}

// statuses reads the output's clodura_status column, in row order.
func statuses(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := -1
	for i, h := range recs[0] {
		if h == "clodura_status" {
			col = i
		}
	}
	var out []string
	for _, r := range recs[1:] {
		out = append(out, r[col])
	}
	return out
}

func count(ss []string, want string) int {
	n := 0
	for _, s := range ss {
		if s == want {
			n++
		}
	}
	return n
}

func baseConfig(input string, s Searcher) Config {
	return Config{Input: input, Searcher: s, PerSecond: 10, PerMinute: 600, RetryBudget: 10 * time.Second}
}

func TestRunEnrichesEveryRowOnceInOrderAndResumesForFree(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		names := append(people(30), "Ann L003", "Solo", "ANN L004") // two duplicates, one unusable
		in := writeInput(t, dir, names...)
		fs := &scriptedSearcher{answer: func(last string, _ int) (*clodura.SearchResult, error) {
			if last == "L007" {
				return &clodura.SearchResult{}, nil // nobody
			}
			return nil, nil
		}}
		sum, err := Run(context.Background(), baseConfig(in, fs))
		if err != nil {
			t.Fatal(err)
		}
		got := statuses(t, sum.Output)
		if len(got) != len(names) {
			t.Fatalf("%d output rows, want %d", len(got), len(names))
		}
		if got[7] != writer.StatusNotFound || got[31] != writer.StatusInvalid || count(got, writer.StatusMatched) != 31 {
			t.Fatalf("statuses %v", got)
		}
		searches, attempts := fs.count()
		if searches != 30 {
			t.Fatalf("%d searches for 30 distinct lookups", searches)
		}
		if attempts["L003"] != 1 || attempts["L004"] != 1 {
			t.Fatalf("duplicates searched again: %v", attempts)
		}
		first, err := os.ReadFile(sum.Output)
		if err != nil {
			t.Fatal(err)
		}

		// The same command again: nothing left to pay for, same output.
		sum2, err := Run(context.Background(), baseConfig(in, fs))
		if err != nil {
			t.Fatal(err)
		}
		if s, _ := fs.count(); s != 30 {
			t.Fatalf("rerun searched %d more", s-30)
		}
		second, _ := os.ReadFile(sum2.Output)
		if string(first) != string(second) {
			t.Fatal("rerun changed the output")
		}
		if fi, _ := os.Stat(sum.Output); fi.Mode().Perm() != 0o600 {
			t.Fatalf("output mode %v", fi.Mode().Perm())
		}
	})
}

func TestRunPacesToThePlan(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		in := writeInput(t, t.TempDir(), people(50)...)
		fs := &scriptedSearcher{}
		start := time.Now()
		cfg := baseConfig(in, fs)
		cfg.PerSecond, cfg.PerMinute = 5, 0
		if _, err := Run(context.Background(), cfg); err != nil {
			t.Fatal(err)
		}
		// 51 requests (a /credits check, 50 searches) at 5 per 1.02 s,
		// evenly spread: the 51st starts 50 gaps of 204 ms after the first.
		if got, want := time.Since(start), 50*(time.Second+time.Second/50)/5; got < want || got > want+time.Second {
			t.Fatalf("took %v, want about %v", got, want)
		}
	})
}

func TestRunFailedRowsAndRetryFailed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		in := writeInput(t, t.TempDir(), people(5)...)
		broken := true
		fs := &scriptedSearcher{answer: func(last string, attempt int) (*clodura.SearchResult, error) {
			if last == "L002" && broken {
				return nil, &clodura.APIError{Status: 400, Message: "bad request"}
			}
			if last == "L003" && attempt < 3 {
				return nil, &clodura.APIError{Status: 503}
			}
			return nil, nil
		}}
		sum, err := Run(context.Background(), baseConfig(in, fs))
		if err != nil {
			t.Fatal(err)
		}
		got := statuses(t, sum.Output)
		if got[2] != writer.StatusFailed || got[3] != writer.StatusMatched {
			t.Fatalf("statuses %v", got)
		}
		if _, a := fs.count(); a["L002"] != 1 || a["L003"] != 3 {
			t.Fatalf("attempts %v: a 400 is not retried, a 503 is", a)
		}
		if sum.Retries != 2 {
			t.Fatalf("retries %d, want 2", sum.Retries)
		}
		// A rerun leaves failed rows alone; --retry-failed tries them again.
		if _, err := Run(context.Background(), baseConfig(in, fs)); err != nil {
			t.Fatal(err)
		}
		if _, a := fs.count(); a["L002"] != 1 {
			t.Fatalf("failed row retried without --retry-failed")
		}
		broken = false
		cfg := baseConfig(in, fs)
		cfg.RetryFailed = true
		sum, err = Run(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if got := statuses(t, sum.Output); got[2] != writer.StatusMatched {
			t.Fatalf("after --retry-failed: %v", got)
		}
	})
}

func TestRunStops(t *testing.T) {
	tests := []struct {
		name   string
		answer func(last string, attempt int) (*clodura.SearchResult, error)
		config func(*Config)
		want   error
		code   int
	}{
		{
			name: "daily limit",
			answer: func(last string, _ int) (*clodura.SearchResult, error) {
				if last >= "L010" {
					return nil, &clodura.APIError{Status: 409, Message: "Daily limit exceeded"}
				}
				return nil, nil
			},
			want: clodura.ErrDailyLimit, code: 75,
		},
		{
			name: "key revoked",
			answer: func(last string, _ int) (*clodura.SearchResult, error) {
				if last >= "L010" {
					return nil, &clodura.APIError{Status: 401, Message: "Unauthorized"}
				}
				return nil, nil
			},
			want: clodura.ErrUnauthorized, code: 77,
		},
		{
			name: "credits exhausted",
			answer: func(last string, _ int) (*clodura.SearchResult, error) {
				if last >= "L010" {
					return nil, &clodura.APIError{Status: 402}
				}
				return nil, nil
			},
			want: clodura.ErrNoCredits, code: 3,
		},
		{
			name:   "max credits",
			config: func(c *Config) { c.MaxCredits = 10 },
			want:   ErrBudget, code: 3,
		},
		{
			name: "unreachable",
			answer: func(last string, _ int) (*clodura.SearchResult, error) {
				if last >= "L010" {
					return nil, &clodura.TransportError{Op: "POST", Err: errors.New("connection refused")}
				}
				return nil, nil
			},
			config: func(c *Config) { c.RetryBudget = 5 * time.Second },
			want:   ErrUnreachable, code: 69,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				in := writeInput(t, t.TempDir(), people(40)...)
				fs := &scriptedSearcher{answer: tt.answer}
				cfg := baseConfig(in, fs)
				cfg.Workers = 4
				if tt.config != nil {
					tt.config(&cfg)
				}
				sum, err := Run(context.Background(), cfg)
				if !errors.Is(err, tt.want) || ExitCode(err) != tt.code {
					t.Fatalf("err = %v (exit %d), want %v (exit %d)", err, ExitCode(err), tt.want, tt.code)
				}
				got := statuses(t, sum.Output)
				if len(got) != 40 {
					t.Fatalf("%d rows out, want all 40", len(got))
				}
				// Rows before L010 are answered unless they were still
				// waiting for their turn when the stop came (then pending).
				if count(got, writer.StatusMatched) < 5 || count(got, writer.StatusMatched) > 10 || count(got, writer.StatusPending) == 0 {
					t.Fatalf("statuses %v", got)
				}
				if count(got, writer.StatusFailed) != 0 {
					b, _ := os.ReadFile(sum.Output)
					t.Fatalf("a stop must leave rows pending, not failed: %v\n%s", got, b)
				}
				// Nothing started is lost or left in flight.
				st, err := checkpoint.OpenReadOnly(sum.StateDir)
				if err != nil {
					t.Fatal(err)
				}
				defer st.Close()
				s, err := st.Summary()
				if err != nil {
					t.Fatal(err)
				}
				if s.InFlight != 0 || s.ByStatus[writer.StatusMatched] != count(got, writer.StatusMatched) {
					t.Fatalf("state summary %+v disagrees with the output", s)
				}
				if s.LastStop == nil || s.LastStop.Code != tt.code {
					t.Fatalf("last stop %+v", s.LastStop)
				}
			})
		})
	}
}

func TestRunMinCreditsCountsInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		in := writeInput(t, t.TempDir(), people(60)...)
		fs := &scriptedSearcher{balance: 30}
		cfg := baseConfig(in, fs)
		cfg.MinCredits = 10
		cfg.Workers = 16
		sum, err := Run(context.Background(), cfg)
		if !errors.Is(err, ErrBudget) {
			t.Fatalf("err = %v, want ErrBudget", err)
		}
		if fs.charged > 20 {
			t.Fatalf("charged %v credits; the balance was 30 with a reserve of 10", fs.charged)
		}
		if got := count(statuses(t, sum.Output), writer.StatusMatched); got != 20 {
			t.Fatalf("%d matched, want exactly the 20 credits allowed", got)
		}
	})
}

func TestRunInterruptedFinishesInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		in := writeInput(t, t.TempDir(), people(40)...)
		ctx, cancel := context.WithCancel(context.Background())
		fs := &scriptedSearcher{answer: func(last string, _ int) (*clodura.SearchResult, error) {
			if last == "L015" {
				cancel() // Ctrl-C while this request is in flight
			}
			return nil, nil
		}}
		sum, err := Run(ctx, baseConfig(in, fs))
		if !errors.Is(err, context.Canceled) || ExitCode(err) != 130 {
			t.Fatalf("err = %v, want interrupted (130)", err)
		}
		got := statuses(t, sum.Output)
		if got[15] != writer.StatusMatched {
			t.Fatalf("the request in flight at the interrupt was not kept: %v", got)
		}
		searches, _ := fs.count()
		if count(got, writer.StatusMatched) != searches {
			t.Fatalf("%d searches paid but %d rows matched", searches, count(got, writer.StatusMatched))
		}
	})
}

func TestRunWaitForResetCarriesOn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		in := writeInput(t, t.TempDir(), people(20)...)
		day0 := time.Now().UTC().Truncate(24 * time.Hour)
		fs := &scriptedSearcher{answer: func(last string, _ int) (*clodura.SearchResult, error) {
			// The quota runs out at L010 on the first day; the next day
			// it is back (from 00:00 UTC, the default --reset-at).
			if last >= "L010" && time.Now().Before(day0.Add(24*time.Hour)) {
				return nil, &clodura.APIError{Status: 409}
			}
			return nil, nil
		}}
		cfg := baseConfig(in, fs)
		cfg.WaitForReset = true
		sum, err := Run(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if got := count(statuses(t, sum.Output), writer.StatusMatched); got != 20 {
			t.Fatalf("%d matched after waiting for the reset, want 20", got)
		}
		if time.Now().Before(day0.Add(24 * time.Hour)) {
			t.Fatal("finished before the quota reset")
		}
	})
}

func TestNextReset(t *testing.T) {
	ist := time.FixedZone("IST", 5*3600+1800)
	tests := []struct {
		now  string
		at   time.Duration
		loc  *time.Location
		want string
	}{
		{"2026-12-04T10:00:00Z", 0, time.UTC, "2026-12-05T00:00:00Z"},
		{"2026-12-04T00:00:00Z", 0, time.UTC, "2026-12-05T00:00:00Z"},
		{"2026-12-04T10:00:00Z", 11 * time.Hour, time.UTC, "2026-12-04T11:00:00Z"},
		{"2026-12-04T10:00:00Z", 0, ist, "2026-12-04T18:30:00Z"},
	}
	for _, tt := range tests {
		now, _ := time.Parse(time.RFC3339, tt.now)
		if got := NextReset(now, tt.at, tt.loc).UTC().Format(time.RFC3339); got != tt.want {
			t.Errorf("NextReset(%s, %v, %v) = %s, want %s", tt.now, tt.at, tt.loc, got, tt.want)
		}
	}
}

func TestEstimateAndETA(t *testing.T) {
	if d, days := Estimate(3000, 10, 100, 2000); d != 29*time.Minute+10*time.Second || days != 2 {
		t.Errorf("Estimate(3000 at MAX) = %v, %d days; want 29m10s over 2 days", d, days)
	}
	if d, days := Estimate(60, 1, 10, 300); d != 5*time.Minute+10*time.Second || days != 1 {
		t.Errorf("Estimate(60 at free) = %v, %d", d, days)
	}
	max := Pace{PerSecond: 10, PerMinute: 100}
	for _, tt := range []struct {
		remaining int64
		p         Pace
		observed  float64
		want      time.Duration
	}{
		{30, max, 0, 3 * time.Second},                // within the minute's allowance: at 10/s
		{100, max, 0, 10 * time.Second},              // exactly one minute's worth
		{101, max, 0, time.Minute},                   // the 101st waits for the next minute
		{250, max, 0, 2*time.Minute + 5*time.Second}, // two full minutes, then 50 at 10/s
		{100, Pace{PerSecond: 10}, 0, 10 * time.Second},
		{100, Pace{PerSecond: 10}, 2, 50 * time.Second}, // slower than the plan: latency-bound
		{0, max, 2, 0},
	} {
		if got := ETA(tt.remaining, tt.p, tt.observed); got != tt.want {
			t.Errorf("ETA(%d, %+v, %v) = %v, want %v", tt.remaining, tt.p, tt.observed, got, tt.want)
		}
	}
	if got := ETA(5, Pace{}, 0); got >= 0 {
		t.Errorf("ETA with no limit and no observation = %v, want unknown", got)
	}
}

func TestDefaultWorkers(t *testing.T) {
	for _, tt := range []struct{ ps, pm, want int }{
		{10, 100, 20}, {1, 10, 4}, {20, 0, 40}, {50, 0, 100}, {100, 0, 128}, {0, 0, 16}, {0, 120, 4},
	} {
		if got := DefaultWorkers(tt.ps, tt.pm); got != tt.want {
			t.Errorf("DefaultWorkers(%d, %d) = %d, want %d", tt.ps, tt.pm, got, tt.want)
		}
	}
}

func TestJudge(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want verdict
	}{
		{nil, answered},
		{&clodura.APIError{Status: 429}, retry},
		{&clodura.APIError{Status: 503}, retry},
		{&clodura.TransportError{Op: "x", Err: errors.New("EOF")}, retry},
		{&clodura.APIError{Status: 400}, failRow},
		{&clodura.APIError{Status: 422}, failRow},
		{&clodura.APIError{Status: 401}, stopRun},
		{&clodura.APIError{Status: 403}, stopRun},
		{&clodura.APIError{Status: 402}, stopRun},
		{&clodura.APIError{Status: 409}, stopRun},
		{context.Canceled, stopRun},
		{fmt.Errorf("wrapped: %w", context.Canceled), stopRun},
	} {
		if got := judge(tt.err); got != tt.want {
			t.Errorf("judge(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}
