package job

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// maxInWindow returns the most starts found in any half-open interval
// [t, t+length) over the sorted starts.
func maxInWindow(starts []time.Time, length time.Duration) int {
	most, lo := 0, 0
	for hi := range starts {
		for !starts[hi].Before(starts[lo].Add(length)) {
			lo++
		}
		if n := hi - lo + 1; n > most {
			most = n
		}
	}
	return most
}

// runPaced starts workers goroutines that each take requests from a shared
// counter, wait on l, record the start time and "work" for latency.
func runPaced(t *testing.T, l *Limiter, workers, requests int, latency func(i int) time.Duration) []time.Time {
	t.Helper()
	var (
		mu     sync.Mutex
		starts []time.Time
		next   int
		wg     sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= requests {
					return
				}
				if err := l.Wait(context.Background()); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				starts = append(starts, time.Now())
				mu.Unlock()
				time.Sleep(latency(i)) // fake time: synctest bubble
			}
		})
	}
	wg.Wait()
	return starts
}

func TestLimiterSlidingWindowGuarantee(t *testing.T) {
	tests := []struct {
		name      string
		windows   []Window
		workers   int
		requests  int
		latency   func(i int) time.Duration
		wantTotal time.Duration // the least time the requests can take
	}{
		{
			name:     "per second, instant answers",
			windows:  []Window{{Limit: 10, Length: time.Second}},
			workers:  50,
			requests: 95,
			latency:  func(int) time.Duration { return 0 },
			// 95 requests at 10/s: the 91st starts at 9 s.
			wantTotal: 9 * time.Second,
		},
		{
			name:      "per second, uneven latency",
			windows:   []Window{{Limit: 20, Length: time.Second}},
			workers:   40,
			requests:  300,
			latency:   func(i int) time.Duration { return time.Duration(40+(i*37)%80) * time.Millisecond },
			wantTotal: 14 * time.Second,
		},
		{
			name:     "second and minute windows, minute binds",
			windows:  []Window{{Limit: 10, Length: time.Second}, {Limit: 100, Length: time.Minute}},
			workers:  20,
			requests: 250,
			latency:  func(int) time.Duration { return 300 * time.Millisecond },
			// 10 a second until 100 are out, then the minute window binds:
			// requests 201-210 at 120 s, ..., 241-250 at 124 s.
			wantTotal: 124 * time.Second,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				start := time.Now()
				l := NewLimiter(tt.windows...)
				starts := runPaced(t, l, tt.workers, tt.requests, tt.latency)
				if len(starts) != tt.requests {
					t.Fatalf("got %d starts, want %d", len(starts), tt.requests)
				}
				slices.SortFunc(starts, time.Time.Compare)
				for _, w := range tt.windows {
					if got := maxInWindow(starts, w.Length); got > w.Limit {
						t.Errorf("%d requests in one %v window, limit %d", got, w.Length, w.Limit)
					}
				}
				if took := starts[len(starts)-1].Sub(start); took != tt.wantTotal {
					t.Errorf("last request started after %v, want exactly %v (full use of the allowance)", took, tt.wantTotal)
				}
			})
		})
	}
}

func TestLimiterNoBurstAcrossWindowBoundary(t *testing.T) {
	// A token bucket of 10/s with burst 10 lets 10 go at t=0.99 s and 10 more
	// at t=1.0 s: 20 inside one second. The sliding window must not.
	synctest.Test(t, func(t *testing.T) {
		l := NewLimiter(Window{Limit: 10, Length: time.Second})
		time.Sleep(990 * time.Millisecond)
		var starts []time.Time
		for range 20 {
			if err := l.Wait(context.Background()); err != nil {
				t.Fatal(err)
			}
			starts = append(starts, time.Now())
		}
		if got := maxInWindow(starts, time.Second); got != 10 {
			t.Fatalf("max in any 1 s window = %d, want 10", got)
		}
		if gap := starts[10].Sub(starts[0]); gap != time.Second {
			t.Fatalf("11th request %v after the 1st, want 1s", gap)
		}
	})
}

func TestLimiterEvenSpreadsRequests(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := NewLimiter(Window{Limit: 20, Length: time.Second, Even: true}, Window{Limit: 100, Length: time.Minute})
		start := time.Now()
		starts := runPaced(t, l, 40, 150, func(int) time.Duration { return 30 * time.Millisecond })
		slices.SortFunc(starts, time.Time.Compare)
		for i := 1; i < len(starts); i++ {
			if gap := starts[i].Sub(starts[i-1]); gap < 50*time.Millisecond {
				t.Fatalf("starts %d and %d only %v apart, want at least 50ms", i-1, i, gap)
			}
		}
		if got := maxInWindow(starts, time.Second); got > 20 {
			t.Fatalf("%d in one second", got)
		}
		if got := maxInWindow(starts, time.Minute); got > 100 {
			t.Fatalf("%d in one minute", got)
		}
		// 100 at 50 ms apart, then the minute window: the 101st at 60 s,
		// the 150th 49 gaps later.
		if got, want := starts[149].Sub(start), time.Minute+49*50*time.Millisecond; got != want {
			t.Fatalf("150th start after %v, want %v", got, want)
		}
	})
}

func TestLimiterPauseUntil(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := NewLimiter(Window{Limit: 100, Length: time.Second})
		start := time.Now()
		l.PauseUntil(start.Add(3 * time.Second))
		l.PauseUntil(start.Add(time.Second)) // earlier: no effect
		if err := l.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := time.Since(start); got != 3*time.Second {
			t.Fatalf("waited %v, want 3s", got)
		}
	})
}

func TestLimiterWaitCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := NewLimiter(Window{Limit: 1, Length: time.Minute})
		if err := l.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		start := time.Now()
		err := l.Wait(ctx)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want deadline exceeded", err)
		}
		if got := time.Since(start); got != 5*time.Second {
			t.Fatalf("returned after %v, want 5s", got)
		}
	})
}

func TestLimiterUnlimited(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		for _, l := range []*Limiter{nil, NewLimiter(), NewLimiter(Window{Limit: 0, Length: time.Second})} {
			start := time.Now()
			for range 1000 {
				if err := l.Wait(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			if time.Since(start) != 0 {
				t.Fatalf("unlimited limiter waited %v", time.Since(start))
			}
		}
	})
}
