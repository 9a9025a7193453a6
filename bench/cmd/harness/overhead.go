package main

import (
	"log"
	"path/filepath"
	"strconv"
)

// Overhead is one run of the tool with the limits out of the way (huge
// windows), zero latency and the checkpoint on, against the simulator as
// a separate process: what the engine, HTTP and the checkpoint cost.
type Overhead struct {
	Rows        int     `json:"rows"`
	Format      string  `json:"format"`
	Workers     int     `json:"workers"`
	Wall        float64 `json:"wall_s"`
	RowsPerSec  float64 `json:"rows_per_s"`    // rows / wall time of the whole process (scan, lookups, output)
	LookupRate  float64 `json:"lookups_per_s"` // requests / (last - first request at the simulator)
	ToolCPUPer  float64 `json:"tool_cpu_us_per_row"`
	SimCPUPer   float64 `json:"sim_cpu_us_per_row"`
	MaxRSSMiB   float64 `json:"max_rss_mib"`
	Requests    int     `json:"requests"`
	Status429   int     `json:"status_429"`
	Load        string  `json:"load"`
	ProfileNote string  `json:"profile,omitempty"`
}

// Limits far above what the tool reaches here (about 5,000 requests a
// second), standing for "no limit": --rate-per-second 0 keeps the plan's,
// there is no "off". They are no bigger than that because the limiter
// remembers up to Limit start times per window (8 bytes each): with
// 60,000,000 a minute a 1M-row run would hold 8 MB of them, which no real
// plan (at most 100 a minute) ever costs. Here that is at most 4.8 MB.
const (
	hugePerSecond = 20_000
	hugePerMinute = 600_000
)

// fastRun runs a whole job of rows on a fresh unlimited zero-latency
// simulator and returns the measurements.
func fastRun(cfg *config, input string, rows, workers int, extra ...string) (Overhead, toolRun, error) {
	o := Overhead{Rows: rows, Workers: workers, Format: filepath.Ext(input)[1:], Load: loadavg()}
	s, err := startSim(cfg.bin, unlimited, 0, 0)
	if err != nil {
		return o, toolRun{}, err
	}
	defer s.stop()
	out := input + ".out" + filepath.Ext(input)
	args := append([]string{"run", input, "-o", out, "--base-url", s.URL, "--plan", "max",
		"--rate-per-second", strconv.Itoa(hugePerSecond), "--rate-per-minute", strconv.Itoa(hugePerMinute),
		"--workers", strconv.Itoa(workers), "--progress", "none"}, extra...)
	cpu0 := s.cpu()
	r, err := runTool(cfg.bin, nil, args...)
	if err != nil {
		return o, r, err
	}
	if err := r.mustOK("tool run"); err != nil {
		return o, r, err
	}
	st, err := s.stats()
	if err != nil {
		return o, r, err
	}
	o.Wall = r.Wall.Seconds()
	o.RowsPerSec = float64(rows) / r.Wall.Seconds()
	if span := st.LastRequest.Sub(st.FirstRequest); span > 0 {
		o.LookupRate = float64(st.Requests) / span.Seconds()
	}
	o.ToolCPUPer = float64(r.CPU().Microseconds()) / float64(rows)
	o.SimCPUPer = float64((s.cpu() - cpu0).Microseconds()) / float64(rows)
	o.MaxRSSMiB = mib(r.MaxRSS)
	o.Requests = st.Requests
	o.Status429 = st.ByStatus["429"]
	if cfg.verbose {
		log.Printf("   %s", r.Stdout)
	}
	return o, r, nil
}
