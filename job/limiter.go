package job

import (
	"context"
	"sync"
	"time"
)

// Window is a rate limit: at most Limit requests in any span of Length.
// Even spreads the window's requests out, at least Length/Limit apart,
// instead of letting a full window go at once.
type Window struct {
	Limit  int
	Length time.Duration
	Even   bool
}

// Limiter paces requests so that, for each of its windows, no interval of
// the window's Length ever contains more than Limit request starts: a
// sliding-window guarantee, which also satisfies a server that counts in
// fixed windows. Unlike a token bucket it never bursts across a window
// boundary: the n-th request may start no earlier than the (n-Limit)-th
// plus Length.
//
// Waiters take turns: only the one at the head of the line sleeps, and its
// start is recorded when it really wakes, not when it planned to. So the
// guarantee holds for the moments Wait returns even on a loaded machine
// that wakes timers late, and nothing is booked ahead that could go stale.
//
// A burst of requests that start together reaches the server spread over
// however long it takes to accept them, in no particular order, so one of
// them can land inside the next window's reach; Even windows avoid bursts.
//
// A Limiter is safe for concurrent use. A nil *Limiter never waits.
type Limiter struct {
	turn chan struct{} // held by the waiter at the head of the line

	mu      sync.Mutex
	base    time.Time // times below are nanoseconds since base
	windows []window
	n       int64 // starts so far
	floor   int64 // no request starts before this (a pause)
	gap     int64 // time between two starts (Even windows)
	planned int64 // when the latest start was due, for the next gap
}

// window remembers the last limit starts in a ring indexed by start
// number: start n overwrites start n-limit, the one it must follow by
// length. The ring grows as starts come, so a huge limit costs only what
// is used, and holds no pointers for the collector to scan.
type window struct {
	length int64
	limit  int64
	starts []int64
}

// NewLimiter returns a limiter enforcing every window given; windows with
// a Limit or Length of zero or less are unlimited and ignored.
func NewLimiter(windows ...Window) *Limiter {
	l := &Limiter{turn: make(chan struct{}, 1), base: time.Now()}
	for _, w := range windows {
		if w.Limit > 0 && w.Length > 0 {
			l.windows = append(l.windows, window{length: int64(w.Length), limit: int64(w.Limit),
				starts: make([]int64, 0, min(w.Limit, 1024))})
			if w.Even {
				l.gap = max(l.gap, int64(w.Length)/int64(w.Limit))
			}
		}
	}
	return l
}

// Wait blocks until the caller may start one request and records that
// start. It returns ctx.Err(), recording nothing, if ctx ends first.
func (l *Limiter) Wait(ctx context.Context) error {
	if l == nil {
		return ctx.Err()
	}
	select {
	case l.turn <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-l.turn }()
	for {
		// A stop that came while waiting wins, so no request leaves
		// after it.
		if err := ctx.Err(); err != nil {
			return err
		}
		at := l.earliest()
		d := time.Duration(at - l.now())
		if d <= 0 && l.take(at) {
			return nil
		}
		t := time.NewTimer(max(d, 0))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
}

func (l *Limiter) now() int64 { return int64(time.Since(l.base)) }

// earliest is when the next start may be.
func (l *Limiter) earliest() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	at := l.floor
	if l.n > 0 {
		at = max(at, l.planned+l.gap)
	}
	for _, w := range l.windows {
		if l.n >= w.limit {
			at = max(at, w.starts[l.n%w.limit]+w.length)
		}
	}
	return at
}

// take records a start now, due at at, unless a pause came in since.
// Windows count the real start; the even gap runs from when it was due,
// so timers woken late do not add up to a slower pace (a start more than
// half a gap late moves the schedule: no catching up in a burst).
func (l *Limiter) take(at int64) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now < l.floor {
		return false
	}
	for i := range l.windows {
		w := &l.windows[i]
		if l.n < w.limit {
			w.starts = append(w.starts, now)
		} else {
			w.starts[l.n%w.limit] = now
		}
	}
	l.n++
	l.planned = max(at, now-l.gap/2)
	return true
}

// PauseUntil holds every request not yet started until t: the whole pool
// slows down after a 429, not one worker. An earlier t than a pause already
// in force changes nothing.
func (l *Limiter) PauseUntil(t time.Time) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.floor = max(l.floor, int64(t.Sub(l.base)))
}
