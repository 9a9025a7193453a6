package job

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/clodura/enrich/clodura"
)

// Counters are a run's live figures. The job updates them with atomics;
// reporters only read them, so drawing never slows the work.
type Counters struct {
	Total    atomic.Int64 // rows this run has to resolve
	Done     atomic.Int64 // of those, resolved
	Matched  atomic.Int64
	NotFound atomic.Int64
	Failed   atomic.Int64
	Requests atomic.Int64 // HTTP requests sent, /credits included
	Retries  atomic.Int64
	milli    atomic.Int64 // credits spent, in thousandths (credits may be fractional)
}

func (c *Counters) addCredits(n float64) { c.milli.Add(int64(math.Round(n * 1000))) }

// Credits spent so far in this run.
func (c *Counters) Credits() float64 { return float64(c.milli.Load()) / 1000 }

// Reporter shows progress: it draws from c until ctx ends, then returns
// after drawing a last time. p is the plan's pace, for the ETA.
type Reporter interface {
	Report(ctx context.Context, c *Counters, p Pace)
}

// Pace is a plan's window limits as the ETA models them; 0 = no limit.
type Pace struct{ PerSecond, PerMinute int }

// Duration is how long n requests take at this pace from a fresh minute:
// each minute's PerMinute requests go at PerSecond, then the rest of the
// minute waits. It is negative (unknown) when nothing limits the pace.
func (p Pace) Duration(n int64) time.Duration {
	if n <= 0 {
		return 0
	}
	perSecond := func(n int64) time.Duration {
		return time.Duration(float64(n) / float64(p.PerSecond) * float64(time.Second))
	}
	switch {
	case p.PerSecond <= 0 && p.PerMinute <= 0:
		return -1
	case p.PerMinute <= 0:
		return perSecond(n)
	}
	minutes, rest := (n-1)/int64(p.PerMinute), (n-1)%int64(p.PerMinute)+1
	last := time.Duration(0)
	if p.PerSecond > 0 {
		last = perSecond(rest)
	}
	return time.Duration(minutes)*time.Minute + last
}

// ETA is the time left for remaining lookups at the plan's pace, or
// longer when the run so far (observed lookups per second, 0 if unknown)
// is slower: a run bound by latency rather than by its plan. Negative
// means unknown.
func ETA(remaining int64, p Pace, observed float64) time.Duration {
	if remaining <= 0 {
		return 0
	}
	d := p.Duration(remaining)
	if observed > 0 {
		if od := time.Duration(float64(remaining) / observed * float64(time.Second)); d < 0 || od > d {
			d = od
		}
	}
	if d < 0 {
		return d
	}
	return d.Round(time.Second)
}

// observedRate is rows resolved per second since start, once there is
// enough of a run to say.
func observedRate(done int64, elapsed time.Duration) float64 {
	if done < 5 || elapsed < 3*time.Second {
		return 0
	}
	return float64(done) / elapsed.Seconds()
}

func etaText(d time.Duration) string {
	if d < 0 {
		return "?"
	}
	return d.String()
}

// BarReporter draws a progress bar (schollz/progressbar) on a terminal.
type BarReporter struct{ W io.Writer }

func (r BarReporter) Report(ctx context.Context, c *Counters, p Pace) {
	start := time.Now()
	bar := progressbar.NewOptions64(c.Total.Load(),
		progressbar.OptionSetWriter(r.W),
		progressbar.OptionSetDescription("enriching"),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("rows"),
		progressbar.OptionSetPredictTime(false),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionSetWidth(30),
		progressbar.OptionShowDescriptionAtLineEnd(),
	)
	draw := func() {
		done, total := c.Done.Load(), c.Total.Load()
		bar.ChangeMax64(max(total, 1))
		bar.Describe(fmt.Sprintf("matched %d · not found %d · failed %d · %s credits · ETA %s",
			c.Matched.Load(), c.NotFound.Load(), c.Failed.Load(), clodura.FormatCredits(c.Credits()),
			etaText(ETA(total-done, p, observedRate(done, time.Since(start))))))
		_ = bar.Set64(done)
	}
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			draw()
		case <-ctx.Done():
			draw()
			_ = bar.Exit()
			fmt.Fprintln(r.W)
			return
		}
	}
}

// LogReporter writes a log line every Every (default 10 s): for cron,
// pipes and files, where a bar would be noise.
type LogReporter struct {
	Logger *slog.Logger
	Every  time.Duration
}

func (r LogReporter) Report(ctx context.Context, c *Counters, p Pace) {
	every := r.Every
	if every <= 0 {
		every = 10 * time.Second
	}
	start := time.Now()
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			done, total := c.Done.Load(), c.Total.Load()
			r.Logger.Info("progress",
				"done", done, "total", total,
				"matched", c.Matched.Load(), "not_found", c.NotFound.Load(), "failed", c.Failed.Load(),
				"requests", c.Requests.Load(), "retries", c.Retries.Load(), "credits", c.Credits(),
				"eta", etaText(ETA(total-done, p, observedRate(done, time.Since(start)))))
		case <-ctx.Done():
			return
		}
	}
}
