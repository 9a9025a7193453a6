package main

import (
	"fmt"
	"log"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/clodura/enrich/clodura/sim"
)

// Utilisation is one paced run of the tool against a simulator enforcing
// a plan: how much of the plan's allowance it used.
type Utilisation struct {
	Name      string  `json:"name"`
	Limit     string  `json:"limit"` // the binding limit, as text
	Latency   string  `json:"latency"`
	Rows      int     `json:"rows"`
	Workers   string  `json:"workers"`
	Requests  int     `json:"requests"` // arrivals at the simulator, /credits included
	Span      float64 `json:"span_s"`   // first to last arrival
	IdealSpan float64 `json:"ideal_span_s"`
	Util      float64 `json:"utilisation"` // IdealSpan / Span
	// Steady is the sustained rate over the limit: the mean of the
	// per-second arrival counts, first and last second left out
	// (per-second-bound runs only: a per-minute plan's seconds are bursts).
	Steady     float64 `json:"steady_utilisation,omitempty"`
	Rate       float64 `json:"rate_per_s"` // Requests / Span
	LimitRate  float64 `json:"limit_rate_per_s"`
	Status429  int     `json:"status_429"`
	MaxPerSec  int     `json:"max_per_second"`
	MaxPerMin  int     `json:"max_per_minute"`
	Wall       float64 `json:"wall_s"` // the tool process, start to exit
	ChargedTwo int     `json:"charged_twice"`
	Load       string  `json:"load"`
}

// idealSpan is the shortest time from the first to the n-th request that
// sliding windows of perSecond per 1 s and perMinute per 60 s allow (0 =
// no such limit), with the simulator's rule (a request is refused when
// the window ending at it, open at its far end, is full): send each
// request at the earliest moment the windows allow, which is optimal for
// sliding windows.
func idealSpan(n, perSecond, perMinute int) time.Duration {
	if n <= 1 {
		return 0
	}
	t := make([]time.Duration, n)
	for i := 1; i < n; i++ {
		at := t[i-1]
		if perSecond > 0 && i >= perSecond {
			at = max(at, t[i-perSecond]+time.Second)
		}
		if perMinute > 0 && i >= perMinute {
			at = max(at, t[i-perMinute]+time.Minute)
		}
		t[i] = at
	}
	return t[n-1]
}

type utilCase struct {
	name                string
	plan                plan
	latency, jitter     time.Duration
	rows                int
	toolArgs            []string
	perSecond, perMinut int
}

func utilisationSection(cfg *config, res *Results) error {
	perSecRows, maxRows := 3000, 350
	lats := []time.Duration{50 * time.Millisecond, 300 * time.Millisecond, time.Second}
	maxLats := lats
	if cfg.quick {
		perSecRows, maxRows = 750, 110
		maxLats = []time.Duration{300 * time.Millisecond}
	}
	var cases []utilCase
	p50 := plan{Name: "bench-50-per-second", PerSecond: 50, PerDay: 1 << 40}
	for _, l := range lats {
		cases = append(cases, utilCase{
			name: "50/s " + l.String(), plan: p50, latency: l, jitter: l / 2, rows: perSecRows,
			// A contract of 50/s and no per-minute limit of its own: the
			// tool is told 50/s and a per-minute limit that cannot bind.
			toolArgs:  []string{"--plan", "max", "--rate-per-second", "50", "--rate-per-minute", "6000"},
			perSecond: 50,
		})
	}
	if !cfg.quick {
		// The default worker count (64 at 50/s) against 1 s + up to 0.5 s:
		// the same run with enough workers for Little's law.
		cases = append(cases, utilCase{
			name: "50/s 1s, 100 workers", plan: p50, latency: time.Second, jitter: time.Second / 2, rows: perSecRows,
			toolArgs:  []string{"--plan", "max", "--rate-per-second", "50", "--rate-per-minute", "6000", "--workers", "100"},
			perSecond: 50,
		})
	}
	var maxCases []utilCase
	for _, l := range maxLats {
		maxCases = append(maxCases, utilCase{
			name: "MAX " + l.String(), plan: plan{Name: "max", PerSecond: 10, PerMinute: 100, PerDay: 1 << 40},
			latency: l, jitter: l / 2, rows: maxRows,
			toolArgs:  []string{"--plan", "max"},
			perSecond: 10, perMinut: 100,
		})
	}
	record := func(u Utilisation, st sim.Stats) {
		log.Printf("   %-20s %d req in %.1fs (ideal %.1fs): utilisation %.3f (steady %.3f), %.2f req/s of %.2f, 429s %d, max/s %d, max/min %d, load %s",
			u.Name, u.Requests, u.Span, u.IdealSpan, u.Util, u.Steady, u.Rate, u.LimitRate, u.Status429, u.MaxPerSec, u.MaxPerMin, u.Load)
		res.Utilisation = append(res.Utilisation, u)
		res.Timelines[u.Name] = st.PerSecond
	}
	for _, c := range cases {
		u, st, err := utilRun(cfg, c)
		if err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		record(u, st)
	}
	// The per-minute-bound runs take minutes each but at most 10 requests
	// a second: they run side by side, each with its own simulator.
	type done struct {
		u   Utilisation
		st  sim.Stats
		err error
	}
	results := make([]chan done, len(maxCases))
	for i, c := range maxCases {
		results[i] = make(chan done, 1)
		go func() {
			u, st, err := utilRun(cfg, c)
			results[i] <- done{u, st, err}
		}()
	}
	for i, ch := range results {
		d := <-ch
		if d.err != nil {
			return fmt.Errorf("%s: %w", maxCases[i].name, d.err)
		}
		record(d.u, d.st)
	}
	return nil
}

func utilRun(cfg *config, c utilCase) (Utilisation, sim.Stats, error) {
	u := Utilisation{Name: c.name, Latency: fmt.Sprintf("%v + up to %v", c.latency, c.jitter), Rows: c.rows, Load: loadavg()}
	switch {
	case c.perMinut > 0:
		u.Limit = fmt.Sprintf("%d/min (and %d/s)", c.perMinut, c.perSecond)
		u.LimitRate = float64(c.perMinut) / 60
	default:
		u.Limit = fmt.Sprintf("%d/s", c.perSecond)
		u.LimitRate = float64(c.perSecond)
	}
	in := filepath.Join(cfg.work, "util-"+slug(c.name)+".csv")
	if err := genCSV(in, 0, c.rows, 20); err != nil {
		return u, sim.Stats{}, err
	}
	s, err := startSim(cfg.bin, c.plan, c.latency, c.jitter)
	if err != nil {
		return u, sim.Stats{}, err
	}
	defer s.stop()
	out := filepath.Join(cfg.work, "util-"+slug(c.name)+".out.csv")
	args := append([]string{"run", in, "-o", out, "--base-url", s.URL, "--progress", "none"}, c.toolArgs...)
	r, err := runTool(cfg.bin, nil, args...)
	if err != nil {
		return u, sim.Stats{}, err
	}
	if err := r.mustOK("tool run"); err != nil {
		return u, sim.Stats{}, err
	}
	u.Workers = workersOf(r.Stderr)
	st, err := s.stats()
	if err != nil {
		return u, st, err
	}
	u.Requests = st.Requests
	u.Span = st.LastRequest.Sub(st.FirstRequest).Seconds()
	u.IdealSpan = idealSpan(st.Requests, c.perSecond, c.perMinut).Seconds()
	if u.Span > 0 {
		u.Util = u.IdealSpan / u.Span
		u.Rate = float64(st.Requests) / u.Span
	}
	if c.perMinut == 0 && len(st.PerSecond) > 2 {
		sum := 0
		for _, n := range st.PerSecond[1 : len(st.PerSecond)-1] {
			sum += n
		}
		u.Steady = float64(sum) / float64(len(st.PerSecond)-2) / u.LimitRate
	}
	u.Status429 = st.ByStatus["429"]
	u.MaxPerSec, u.MaxPerMin = st.MaxPerSecond, st.MaxPerMinute
	u.Wall = r.Wall.Seconds()
	u.ChargedTwo = st.ChargedTwice
	return u, st, nil
}

// workersOf finds "workers=N" in the tool's starting log line.
func workersOf(stderr string) string {
	_, rest, ok := strings.Cut(stderr, "workers=")
	if !ok {
		return "?"
	}
	f := strings.Fields(rest)
	if len(f) == 0 {
		return "?"
	}
	if _, err := strconv.Atoi(f[0]); err != nil {
		return "?"
	}
	return f[0]
}

func slug(name string) string {
	return strings.NewReplacer("/", "", " ", "-", ",", "", "(", "", ")", "").Replace(name)
}
