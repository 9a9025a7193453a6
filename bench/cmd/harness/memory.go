package main

import (
	"fmt"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// Memory is the peak RSS of one whole run of the tool (wait4's maxrss).
type Memory struct {
	Rows       int     `json:"rows"`
	Format     string  `json:"format"`
	MaxRSSMiB  float64 `json:"max_rss_mib"`
	Wall       float64 `json:"wall_s"`
	RowsPerSec float64 `json:"rows_per_s"`
	ToolCPUPer float64 `json:"tool_cpu_us_per_row"`
	InputMiB   float64 `json:"input_mib"`
	StateMiB   float64 `json:"state_mib"`
	Load       string  `json:"load"`
}

func genInput(format, path string, from, to, dupEvery int) error {
	switch format {
	case "csv":
		return genCSV(path, from, to, dupEvery)
	case "jsonl":
		return genJSONL(path, from, to, dupEvery)
	case "xlsx":
		if from != 0 {
			return fmt.Errorf("xlsx: cannot append")
		}
		return genXLSX(path, to, dupEvery)
	}
	return fmt.Errorf("format %q", format)
}

func memorySection(cfg *config, res *Results) error {
	sizes := []int{10_000, 100_000, 1_000_000}
	if cfg.quick {
		sizes = []int{10_000, 100_000}
	}
	for _, format := range []string{"csv", "jsonl"} {
		for _, n := range sizes {
			if cfg.quick && format == "jsonl" && n > 10_000 {
				continue // the quick mode stays under 5 minutes
			}
			m, err := memoryRun(cfg, res, format, n)
			if err != nil {
				return err
			}
			res.Memory = append(res.Memory, m)
		}
	}
	return nil
}

func xlsxSection(cfg *config, res *Results) error {
	n := 100_000
	if cfg.quick {
		n = 20_000
	}
	m, err := memoryRun(cfg, res, "xlsx", n)
	if err != nil {
		return err
	}
	res.Memory = append(res.Memory, m)
	return nil
}

func memoryRun(cfg *config, res *Results, format string, n int) (Memory, error) {
	in := filepath.Join(cfg.work, fmt.Sprintf("mem-%d.%s", n, format))
	if err := genInput(format, in, 0, n, 0); err != nil {
		return Memory{}, err
	}
	defer os.Remove(in)
	o, r, err := fastRun(cfg, in, n, 16)
	if err != nil {
		return Memory{}, err
	}
	res.Overhead = append(res.Overhead, o)
	m := Memory{Rows: n, Format: format, MaxRSSMiB: mib(r.MaxRSS), Wall: o.Wall, RowsPerSec: o.RowsPerSec,
		ToolCPUPer: o.ToolCPUPer, InputMiB: mib(fileSize(in)), Load: o.Load}
	out := in + ".out." + format
	m.StateMiB = mib(dirSize(out + ".state"))
	os.RemoveAll(out + ".state")
	os.Remove(out)
	log.Printf("   %7d rows %-5s: peak RSS %6.1f MiB, %.1fs, %.0f rows/s, %.0f µs CPU/row (input %.1f MiB, state %.1f MiB), load %s",
		n, format, m.MaxRSSMiB, m.Wall, m.RowsPerSec, m.ToolCPUPer, m.InputMiB, m.StateMiB, m.Load)
	return m, nil
}

func fileSize(p string) int64 {
	fi, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return fi.Size()
}

func dirSize(dir string) int64 {
	var n int64
	filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			n += fi.Size()
		}
		return nil
	})
	return n
}

// Resume is a rerun of a job whose state already holds 99% of its rows.
type Resume struct {
	Rows         int     `json:"rows"`
	Done         int     `json:"done_before"`
	Format       string  `json:"format"`
	FirstRequest float64 `json:"first_request_s"` // process start to the first /api/v1 request
	FirstSearch  float64 `json:"first_search_s"`  // process start to the first new search
	Wall         float64 `json:"wall_s"`
	Searches     int     `json:"searches"`
	MaxRSSMiB    float64 `json:"max_rss_mib"`
	FirstRunWall float64 `json:"first_run_wall_s"`
	FirstRunRSS  float64 `json:"first_run_max_rss_mib"`
	ChargedTwice int     `json:"charged_twice"`
	Load         string  `json:"load"`
}

// stamp is a reverse proxy in front of the simulator that notes when the
// first request and the first search arrive, and counts searches.
type stamp struct {
	mu                 sync.Mutex
	first, firstSearch time.Time
	searches           int
	proxy              *httputil.ReverseProxy
}

func (s *stamp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	s.mu.Lock()
	if s.first.IsZero() {
		s.first = now
	}
	if r.URL.Path == "/api/v1/search/people" {
		if s.firstSearch.IsZero() {
			s.firstSearch = now
		}
		s.searches++
	}
	s.mu.Unlock()
	s.proxy.ServeHTTP(w, r)
}

func resumeSection(cfg *config, res *Results) error {
	sizes := []int{100_000, 1_000_000}
	if cfg.quick {
		sizes = []int{100_000}
	}
	for _, n := range sizes {
		r, err := resumeRun(cfg, "csv", n)
		if err != nil {
			return err
		}
		res.Resume = append(res.Resume, r)
	}
	return nil
}

func resumeRun(cfg *config, format string, n int) (Resume, error) {
	done := n - n/100
	res := Resume{Rows: n, Done: done, Format: format}
	in := filepath.Join(cfg.work, fmt.Sprintf("resume-%d.%s", n, format))
	if err := genInput(format, in, 0, done, 0); err != nil {
		return res, err
	}
	defer os.Remove(in)
	out := in + ".out." + format
	defer os.RemoveAll(out + ".state")
	defer os.Remove(out)
	// First run: the whole job on 99% of the rows.
	o, r, err := fastRun(cfg, in, done, 16)
	if err != nil {
		return res, err
	}
	res.FirstRunWall, res.FirstRunRSS = o.Wall, mib(r.MaxRSS)
	// The file gains 1% more rows (the nightly case); rerun on a fresh
	// simulator behind a proxy that notes the first new request.
	if err := genInput(format, in, done, n, 0); err != nil {
		return res, err
	}
	s, err := startSim(cfg.bin, unlimited, 0, 0)
	if err != nil {
		return res, err
	}
	defer s.stop()
	target, _ := url.Parse(s.URL)
	st := &stamp{proxy: httputil.NewSingleHostReverseProxy(target)}
	srv := &http.Server{Handler: st}
	ln, purl, err := listenLoopback()
	if err != nil {
		return res, err
	}
	go srv.Serve(ln)
	defer srv.Close()
	res.Load = loadavg()
	r, err = runTool(cfg.bin, nil, "run", in, "-o", out, "--base-url", purl, "--plan", "max",
		"--rate-per-second", strconv.Itoa(hugePerSecond), "--rate-per-minute", strconv.Itoa(hugePerMinute),
		"--workers", "16", "--progress", "none")
	if err != nil {
		return res, err
	}
	if err := r.mustOK("resume run"); err != nil {
		return res, err
	}
	stats, err := s.stats()
	if err != nil {
		return res, err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	res.FirstRequest = st.first.Sub(r.Start).Seconds()
	res.FirstSearch = st.firstSearch.Sub(r.Start).Seconds()
	res.Searches = st.searches
	res.Wall = r.Wall.Seconds()
	res.MaxRSSMiB = mib(r.MaxRSS)
	res.ChargedTwice = stats.ChargedTwice
	if st.searches != n-done {
		return res, fmt.Errorf("resume of %d rows at %d done made %d searches, want %d", n, done, st.searches, n-done)
	}
	log.Printf("   %7d rows, %d done: first new search %.2fs after start (first request %.2fs), run %.1fs, %d searches, RSS %.1f MiB (first run: %.1fs, %.1f MiB), load %s",
		n, done, res.FirstSearch, res.FirstRequest, res.Wall, res.Searches, res.MaxRSSMiB, res.FirstRunWall, res.FirstRunRSS, res.Load)
	return res, nil
}
