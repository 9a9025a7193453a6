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
// A burst of requests that start together reaches the server spread over
// however long it takes to accept them, in no particular order, so one of
// them can land inside the next window's reach; Even windows avoid bursts.
//
// Callers reserve a start time with Wait; a reservation is never handed
// back, so a cancelled Wait can only make pacing more conservative.
// A Limiter is safe for concurrent use. A nil *Limiter never waits.
type Limiter struct {
	mu      sync.Mutex
	base    time.Time // reservations are kept as offsets from base
	windows []window
	floor   time.Time // no request starts before this (a pause)
	gap     int64     // least nanoseconds between two starts (Even windows)
	last    int64     // the latest reserved start, as an offset from base
	started bool
}

// window remembers the last Limit reserved start times in a ring, as
// nanoseconds since Limiter.base: no pointers for the collector to scan,
// 8 bytes a start. The ring grows as starts are reserved, up to Limit, so a
// huge limit ("no limit" in practice) costs only what is used. Starts are
// reserved in non-decreasing order, so once the ring is full the slot about
// to be overwritten is always the oldest.
type window struct {
	length time.Duration
	limit  int
	starts []int64
	next   int
}

// NewLimiter returns a limiter enforcing every window given; windows with
// a Limit or Length of zero or less are unlimited and ignored.
func NewLimiter(windows ...Window) *Limiter {
	l := &Limiter{base: time.Now()}
	for _, w := range windows {
		if w.Limit > 0 && w.Length > 0 {
			l.windows = append(l.windows, window{length: w.Length, limit: w.Limit,
				starts: make([]int64, 0, min(w.Limit, 1024))})
			if w.Even {
				l.gap = max(l.gap, int64(w.Length)/int64(w.Limit))
			}
		}
	}
	return l
}

// Wait blocks until the caller may start one request, and reserves that
// start. It returns ctx.Err() if ctx ends first.
func (l *Limiter) Wait(ctx context.Context) error {
	if l == nil {
		return ctx.Err()
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	at := l.reserve(time.Now())
	d := time.Until(at)
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		// Both may be ready at once: a stop that came while waiting wins,
		// so no request leaves after it.
		return ctx.Err()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// reserve books the earliest start not before now that keeps every window
// within its limit, and returns it.
func (l *Limiter) reserve(now time.Time) time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	at := now
	if l.floor.After(at) {
		at = l.floor
	}
	off := int64(at.Sub(l.base))
	if l.started && l.last+l.gap > off {
		off = l.last + l.gap
	}
	for _, w := range l.windows {
		if len(w.starts) == w.limit {
			if earliest := w.starts[w.next] + int64(w.length); earliest > off {
				off = earliest
			}
		}
	}
	for i := range l.windows {
		w := &l.windows[i]
		if len(w.starts) < w.limit {
			w.starts = append(w.starts, off)
			continue
		}
		w.starts[w.next] = off
		w.next = (w.next + 1) % w.limit
	}
	l.last, l.started = off, true
	return l.base.Add(time.Duration(off))
}

// PauseUntil holds every request not yet reserved until t: the whole pool
// slows down after a 429, not one worker. An earlier t than a pause already
// in force changes nothing.
func (l *Limiter) PauseUntil(t time.Time) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if t.After(l.floor) {
		l.floor = t
	}
}
