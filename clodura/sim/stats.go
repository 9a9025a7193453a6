package sim

import (
	"maps"
	"slices"
	"strconv"
	"time"
)

// Stats is what the simulator saw. Requests, MaxPerSecond, MaxPerMinute and
// PerSecond count arrivals at /api/v1/ (any path, any key, whatever the
// answer); admin requests under /_sim/ are not counted.
type Stats struct {
	Requests       int            `json:"requests"`
	ByStatus       map[string]int `json:"by_status"`       // answers sent, by status code ("200", "429", ...)
	Searches       int            `json:"searches"`        // searches answered from the dataset (200 or 404 not found)
	CreditsCharged float64        `json:"credits_charged"` // over all keys
	// ChargedTwice counts search answers that charged credits for a
	// (key, request body without page) that had been charged before, on any
	// day: credits a client with a working checkpoint should not spend.
	ChargedTwice int `json:"charged_twice"`
	// MaxPerSecond and MaxPerMinute are the most arrivals in any sliding
	// half-open window [t, t+1s) or [t, t+60s).
	MaxPerSecond int       `json:"max_per_second"`
	MaxPerMinute int       `json:"max_per_minute"`
	FirstRequest time.Time `json:"first_request"` // zero before the first request
	LastRequest  time.Time `json:"last_request"`
	PerSecond    []int     `json:"per_second"` // arrivals in each second since FirstRequest
	// Injected faults (see Faults). RateLimited counts only the spurious
	// 429s; ByStatus["429"] counts every 429, real limits included.
	Dropped     int `json:"dropped"`
	Truncated   int `json:"truncated"`
	Hung        int `json:"hung"`
	Errors5xx   int `json:"errors_5xx"`
	RateLimited int `json:"rate_limited"`
}

// statsState accumulates Stats. The two sliding windows hold the arrival
// times of the last second and the last minute (two pointers over the
// arrival sequence: the front moves on as the back grows), so memory stays
// bounded however long the simulator runs. Guarded by Server.mu.
type statsState struct {
	Stats
	second, minute []time.Time
}

// arrive records one arrival at now. Arrivals are recorded under the
// server mutex with time.Now read inside it, so they come in time order.
func (st *statsState) arrive(now time.Time) {
	if st.Requests == 0 {
		st.FirstRequest = now
	}
	st.Requests++
	st.LastRequest = now
	i := int(now.Sub(st.FirstRequest) / time.Second)
	for len(st.PerSecond) <= i {
		st.PerSecond = append(st.PerSecond, 0)
	}
	st.PerSecond[i]++
	st.second = slide(st.second, now, time.Second)
	st.minute = slide(st.minute, now, time.Minute)
	st.MaxPerSecond = max(st.MaxPerSecond, len(st.second))
	st.MaxPerMinute = max(st.MaxPerMinute, len(st.minute))
}

// slide drops the times at least window before now and appends now.
func slide(w []time.Time, now time.Time, window time.Duration) []time.Time {
	i := 0
	for i < len(w) && now.Sub(w[i]) >= window {
		i++
	}
	if i > 0 && i == len(w) {
		w = w[:0] // reuse the array rather than creep along it
	} else {
		w = w[i:]
	}
	return append(w, now)
}

func (st *statsState) status(code int) {
	if st.ByStatus == nil {
		st.ByStatus = make(map[string]int)
	}
	st.ByStatus[strconv.Itoa(code)]++
}

// Stats returns a copy of the counters; it is safe to call at any time.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.stats.Stats
	out.ByStatus = maps.Clone(out.ByStatus)
	if out.ByStatus == nil {
		out.ByStatus = map[string]int{}
	}
	out.PerSecond = slices.Clone(out.PerSecond)
	if out.PerSecond == nil {
		out.PerSecond = []int{}
	}
	return out
}
