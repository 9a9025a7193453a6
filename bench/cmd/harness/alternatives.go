package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Alternative is one client on the same job and simulator as the tool's
// 50/s run at 300 ms: what a user would otherwise write.
type Alternative struct {
	Client       string  `json:"client"`
	Rows         int     `json:"rows"`      // rows of the job
	Completed    int     `json:"completed"` // rows answered within the time allowed
	Wall         float64 `json:"wall_s"`
	RowsPerSec   float64 `json:"rows_per_s"`
	JobTime      float64 `json:"job_time_s"` // the whole job at that pace (projected when cut short)
	Projected    bool    `json:"projected"`
	Requests     int     `json:"requests"`
	Status429    int     `json:"status_429"`
	ChargedTwice int     `json:"charged_twice"`
	Credits      float64 `json:"credits"`
	Util         float64 `json:"utilisation"` // admitted requests/s over the limit
	Load         string  `json:"load"`
}

func listenLoopback() (net.Listener, string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	return ln, "http://" + ln.Addr().String(), nil
}

// searchBody is the request the tool sends for a person.
func searchBody(p person) []byte {
	b, _ := json.Marshal(map[string]any{"page": 1, "perPage": 1, "firstName": p.First, "lastName": p.Last,
		"organizationName": p.Company, "companyDomain": p.Domain})
	return b
}

// post sends one search and returns the status (0 on a transport error).
func post(ctx context.Context, hc *http.Client, base string, body []byte) int {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/search/people", bytes.NewReader(body))
	if err != nil {
		return 0
	}
	req.Header.Set("X-API-KEY", apiKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// sequential is the API documentation's loop: for each row, one request,
// wait for the answer, next row; a 429 is waited out for a second and
// retried. No pacing, no de-duplication, no checkpoint.
func sequential(ctx context.Context, base string, rows int) int {
	hc := &http.Client{Timeout: 30 * time.Second}
	done := 0
	for i := 0; i < rows && ctx.Err() == nil; i++ {
		body := searchBody(personAt(i, 20))
		for ctx.Err() == nil {
			code := post(ctx, hc, base, body)
			if code == http.StatusTooManyRequests || code == 0 || code >= 500 {
				sleepCtx(ctx, time.Second)
				continue
			}
			done++
			break
		}
	}
	return done
}

// unpaced is a parallel client with no pacing: workers goroutines take
// rows and send them as fast as answers come back, sleeping 100 ms and
// retrying after a 429. No de-duplication, no checkpoint.
func unpaced(ctx context.Context, base string, rows, workers int) int {
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	var next, done atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= rows {
					return
				}
				body := searchBody(personAt(i, 20))
				for ctx.Err() == nil {
					code := post(ctx, hc, base, body)
					if code == http.StatusTooManyRequests || code == 0 || code >= 500 {
						sleepCtx(ctx, 100*time.Millisecond)
						continue
					}
					done.Add(1)
					break
				}
			}
		})
	}
	wg.Wait()
	return int(done.Load())
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

func alternativesSection(cfg *config, res *Results) error {
	rows, seqBudget := 1500, 60*time.Second
	if cfg.quick {
		rows, seqBudget = 750, 15*time.Second
	}
	const latency, jitter = 300 * time.Millisecond, 150 * time.Millisecond
	p50 := plan{Name: "bench-50-per-second", PerSecond: 50, PerDay: 1 << 40}
	clients := []struct {
		name   string
		budget time.Duration
		fn     func(context.Context, string) int
	}{
		{"sequential loop (API docs)", seqBudget, func(ctx context.Context, base string) int { return sequential(ctx, base, rows) }},
		{"unpaced parallel, 32 goroutines", 10 * time.Minute, func(ctx context.Context, base string) int { return unpaced(ctx, base, rows, 32) }},
	}
	for _, c := range clients {
		s, err := startSim(cfg.bin, p50, latency, jitter)
		if err != nil {
			return err
		}
		a := Alternative{Client: c.name, Rows: rows, Load: loadavg()}
		ctx, cancel := context.WithTimeout(context.Background(), c.budget)
		start := time.Now()
		a.Completed = c.fn(ctx, s.URL)
		wall := time.Since(start)
		cancel()
		st, err := s.stats()
		s.stop()
		if err != nil {
			return err
		}
		a.Wall = wall.Seconds()
		a.RowsPerSec = float64(a.Completed) / wall.Seconds()
		a.JobTime = a.Wall
		if a.Completed < rows {
			a.Projected = true
			a.JobTime = float64(rows) / a.RowsPerSec
		}
		a.Requests = st.Requests
		a.Status429 = st.ByStatus["429"]
		a.ChargedTwice = st.ChargedTwice
		a.Credits = st.CreditsCharged
		if span := st.LastRequest.Sub(st.FirstRequest).Seconds(); span > 0 {
			a.Util = float64(st.Requests-a.Status429) / span / 50
		}
		log.Printf("   %-32s %d/%d rows in %.1fs: %.1f rows/s, job %.0fs%s, %d requests, %d 429s, %d charged twice, utilisation %.3f, load %s",
			a.Client, a.Completed, rows, a.Wall, a.RowsPerSec, a.JobTime, map[bool]string{true: " (projected)"}[a.Projected],
			a.Requests, a.Status429, a.ChargedTwice, a.Util, a.Load)
		res.Alternatives = append(res.Alternatives, a)
	}
	// The tool on the same job and simulator.
	u, st, err := utilRun(cfg, utilCase{
		name: "clodura-enrich", plan: p50, latency: latency, jitter: jitter, rows: rows,
		toolArgs:  []string{"--plan", "max", "--rate-per-second", "50", "--rate-per-minute", "6000"},
		perSecond: 50,
	})
	if err != nil {
		return err
	}
	a := Alternative{Client: "clodura-enrich (default workers " + u.Workers + ")", Rows: rows, Completed: rows, Wall: u.Wall,
		RowsPerSec: float64(rows) / u.Wall, JobTime: u.Wall, Requests: st.Requests, Status429: u.Status429,
		ChargedTwice: u.ChargedTwo, Credits: st.CreditsCharged, Util: u.Rate / 50, Load: u.Load}
	log.Printf("   %-32s %d/%d rows in %.1fs: %.1f rows/s, %d requests, %d 429s, %d charged twice, utilisation %.3f",
		a.Client, a.Completed, rows, a.Wall, a.RowsPerSec, a.Requests, a.Status429, a.ChargedTwice, a.Util)
	res.Alternatives = append(res.Alternatives, a)
	res.Timelines["alternatives: "+u.Name] = st.PerSecond
	return nil
}
