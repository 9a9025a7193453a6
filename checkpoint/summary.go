package checkpoint

import (
	"errors"
	"io/fs"
)

// Summary is the progress of a job as its state alone knows it (for
// `status`; JSON tags are those of `status --json`).
type Summary struct {
	Input string `json:"input"`
	Dir   string `json:"dir"`
	// Rows is the number of input rows in the rows file (0 before the
	// first scan). ByStatus counts them by output status: "matched",
	// "not_found", "failed", "invalid" (key 0) and "pending" (anything
	// else); all five keys are always present.
	Rows     int            `json:"rows"`
	ByStatus map[string]int `json:"by_status"`
	// InFlight is the number of rows whose key is in flight: begun, with
	// no result or abandon after it. When no run is going on these were
	// interrupted by a crash; the next run requests them again.
	InFlight int `json:"in_flight"`
	// InFlightKeys is the number of distinct keys in flight.
	InFlightKeys int `json:"in_flight_keys"`
	Runs         int `json:"runs"`
	// Requests and Credits count what results and stops recorded, in all
	// and on the UTC day of Options.Now.
	Requests      int         `json:"requests"`
	RequestsToday int         `json:"requests_today"`
	Credits       float64     `json:"credits"`
	CreditsToday  float64     `json:"credits_today"`
	LastRun       Run         `json:"last_run"`
	LastStop      *Stop       `json:"last_stop,omitempty"`
	LastCredits   CreditsNote `json:"last_credits"`
}

// Summary counts the rows file's rows by status and reports the journal's
// counters. A missing rows file means zero rows; a damaged one is an error.
func (s *State) Summary() (Summary, error) {
	sum := Summary{
		Dir: s.dir,
		ByStatus: map[string]int{
			"matched": 0, "not_found": 0, "failed": 0, "invalid": 0, "pending": 0,
		},
	}
	err := readRows(s.dir, func(keys []Key) {
		s.mu.RLock()
		defer s.mu.RUnlock()
		for _, k := range keys {
			sum.Rows++
			if k == 0 {
				sum.ByStatus["invalid"]++
				continue
			}
			e := s.index.get(k)
			if entryInFlight(e) {
				sum.InFlight++
			}
			if code := entryStatus(e); code != codeNone {
				sum.ByStatus[statusNames[code]]++
			} else {
				sum.ByStatus["pending"]++
			}
		}
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return Summary{}, err
	}

	today := dayOf(s.now().Unix())
	s.mu.RLock()
	defer s.mu.RUnlock()
	sum.Input = s.header.Input
	sum.InFlightKeys = s.nflight
	sum.Runs = s.runs
	sum.Requests = s.total.requests
	sum.Credits = s.total.credits
	sum.RequestsToday = s.days[today].requests
	sum.CreditsToday = s.days[today].credits
	sum.LastRun = s.lastRun
	if s.stop != nil {
		st := *s.stop
		sum.LastStop = &st
	}
	sum.LastCredits = s.credits
	sum.LastCredits.Raw = nil
	return sum, nil
}
