package main

import (
	"fmt"
	"strings"
)

func yes(ok bool) string {
	if ok {
		return "met"
	}
	return "**not met**"
}

// markdown renders the results as the tables BENCHMARKS.md quotes.
func markdown(res *Results) string {
	var b strings.Builder
	m := res.Machine
	fmt.Fprintf(&b, "## Results (%s mode, %s, took %s)\n\n", res.Mode, res.Started.Format("2006-01-02 15:04 UTC"), res.Took)
	fmt.Fprintf(&b, "Commit measured: %s.\n\n", res.Commit)
	fmt.Fprintf(&b, "Machine: %s, %d cores, %s, %s, %s; load average at start %s.\n\n", m.CPU, m.NProc, m.MemTotal, m.Kernel, m.Go, m.Load)

	b.WriteString("### Targets\n\n| target | figure | |\n|---|---|---|\n")
	if len(res.Utilisation) > 0 {
		worst, steady, w429 := 2.0, 2.0, 0
		for _, u := range res.Utilisation {
			worst = min(worst, u.Util)
			if u.Steady > 0 {
				steady = min(steady, u.Steady)
			}
			w429 += u.Status429
		}
		st := "-"
		if steady < 2 {
			st = fmt.Sprintf("%.3f", steady)
		}
		fmt.Fprintf(&b, "| plan utilisation >= 0.97, zero 429s | job-time: lowest %.3f; steady (per-second plans): lowest %s; %d 429s in all | %s |\n",
			worst, st, w429, yes(worst >= 0.97 && w429 == 0))
	}
	if e := res.Engine; e != nil {
		r := e.get("BenchmarkEngine/Run")
		fmt.Fprintf(&b, "| engine >= 10,000 rows/s (in process, no HTTP) | %.0f rows/s | %s |\n", r.RowsPerS, yes(r.RowsPerS >= 10000))
		fmt.Fprintf(&b, "| checkpoint < 10%% of throughput | %.1f%% (subtraction), %.1f%% (CPU profile) in process; %.1f%% / %.1f%% with HTTP | %s |\n",
			100*e.CheckpointShareSubtract, 100*e.CheckpointShareProfile, 100*e.CheckpointShareSubtractHTTP, 100*e.CheckpointShareProfileHTTP,
			yes(e.CheckpointShareSubtractHTTP < 0.10 && e.CheckpointShareProfileHTTP < 0.10))
	}
	var big *Overhead
	for i, o := range res.Overhead {
		if o.Format == "csv" && (big == nil || o.Rows > big.Rows) {
			big = &res.Overhead[i]
		}
	}
	if big != nil {
		fmt.Fprintf(&b, "| >= 10,000 rows/s end to end (tool + simulator processes) | %.0f rows/s (%d-row CSV) | %s |\n", big.RowsPerSec, big.Rows, yes(big.RowsPerSec >= 10000))
	}
	for _, mm := range res.Memory {
		switch {
		case mm.Format == "xlsx":
			fmt.Fprintf(&b, "| %d-row XLSX end to end < 200 MiB | %.1f MiB | %s |\n", mm.Rows, mm.MaxRSSMiB, yes(mm.MaxRSSMiB < 200))
		case mm.Rows >= 1_000_000:
			fmt.Fprintf(&b, "| peak RSS <= 64 MiB at 1M rows (%s) | %.1f MiB | %s |\n", mm.Format, mm.MaxRSSMiB, yes(mm.MaxRSSMiB <= 64))
		}
	}
	for _, r := range res.Resume {
		lim := 2.0
		label := "< 2 s"
		if r.Rows >= 1_000_000 {
			label = "(no target; 100k's 2 s shown for scale)"
		}
		fmt.Fprintf(&b, "| resume at 99%% of %d rows: first new request %s | %.2f s | %s |\n", r.Rows, label, r.FirstSearch,
			map[bool]string{true: yes(r.FirstSearch < lim), false: "-"}[r.Rows < 1_000_000])
	}
	b.WriteString("\n")

	if len(res.Utilisation) > 0 {
		b.WriteString("### 1. Plan utilisation (tool and simulator as processes)\n\n")
		b.WriteString("| run | binding limit | latency | workers | rows | requests | first→last | ideal | job-time utilisation | steady admitted/s ÷ limit | 429s | most in any 1 s | most in any 60 s | load |\n")
		b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
		for _, u := range res.Utilisation {
			steady := "-"
			if u.Steady > 0 {
				steady = fmt.Sprintf("**%.3f**", u.Steady)
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %d | %d | %.1f s | %.1f s | **%.3f** | %s | %d | %d | %d | %s |\n",
				u.Name, u.Limit, u.Latency, u.Workers, u.Rows, u.Requests, u.Span, u.IdealSpan, u.Util, steady, u.Status429, u.MaxPerSec, u.MaxPerMin, u.Load)
		}
		b.WriteString("\n")
	}
	if len(res.Alternatives) > 0 {
		b.WriteString("### 2. The alternatives (50/s plan, 300 ms + up to 150 ms latency, same job with 5% duplicate rows)\n\n")
		b.WriteString("| client | rows answered | wall | rows/s | whole job | requests | 429s | charged twice | credits | admitted/s ÷ limit | load |\n")
		b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|\n")
		for _, a := range res.Alternatives {
			job := fmt.Sprintf("%.0f s", a.JobTime)
			if a.Projected {
				job += " (projected)"
			}
			fmt.Fprintf(&b, "| %s | %d / %d | %.1f s | %.1f | %s | %d | %d | %d | %.0f | %.3f | %s |\n",
				a.Client, a.Completed, a.Rows, a.Wall, a.RowsPerSec, job, a.Requests, a.Status429, a.ChargedTwice, a.Credits, a.Util, a.Load)
		}
		b.WriteString("\n")
	}
	if e := res.Engine; e != nil {
		b.WriteString("### 3a. Engine, in process (job/bench_test.go, 20,000-row CSV job per iteration)\n\n")
		b.WriteString("| benchmark | rows/s | wall ns/row | CPU ns/row |\n|---|---|---|---|\n")
		for _, g := range e.Benchmarks {
			fmt.Fprintf(&b, "| %s | %.0f | %.0f | %.0f |\n", g.Name, g.RowsPerS, g.NsPerRow, g.CPUPerRo)
		}
		fmt.Fprintf(&b, "\nCheckpoint share: %.1f%% by subtraction and %.1f%% of CPU samples (fake searcher); %.1f%% and %.1f%% with HTTP to the in-process simulator. Load %s.\n\n",
			100*e.CheckpointShareSubtract, 100*e.CheckpointShareProfile, 100*e.CheckpointShareSubtractHTTP, 100*e.CheckpointShareProfileHTTP, e.Load)
		b.WriteString("CPU profile of BenchmarkEngine/Run (pprof -top -cum):\n\n```\n" + strings.Join(e.TopRun, "\n") + "\n```\n\n")
		b.WriteString("CPU profile of BenchmarkEngine/HTTP (pprof -top -cum):\n\n```\n" + strings.Join(e.TopHTTP, "\n") + "\n```\n\n")
	}
	if len(res.Overhead) > 0 {
		b.WriteString("### 3b. End to end, limits out of the way, zero latency, checkpoint on (tool and simulator as processes)\n\n")
		b.WriteString("| rows | format | workers | wall | rows/s (whole run) | lookup phase (first→last request) | lookups/s in it | rest (start, scan, output) | tool CPU µs/row | simulator CPU µs/row | peak RSS | 429s | load |\n")
		b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
		for _, o := range res.Overhead {
			phase := 0.0
			if o.LookupRate > 0 {
				phase = float64(o.Requests) / o.LookupRate
			}
			fmt.Fprintf(&b, "| %d | %s | %d | %.1f s | %.0f | %.1f s | %.0f | %.1f s | %.0f | %.0f | %.1f MiB | %d | %s |\n",
				o.Rows, o.Format, o.Workers, o.Wall, o.RowsPerSec, phase, o.LookupRate, o.Wall-phase, o.ToolCPUPer, o.SimCPUPer, o.MaxRSSMiB, o.Status429, o.Load)
		}
		b.WriteString("\n")
	}
	if len(res.Memory) > 0 {
		b.WriteString("### 4. Memory: peak RSS of whole runs (wait4 maxrss of the tool process)\n\n")
		b.WriteString("| rows | format | peak RSS | wall | rows/s | CPU µs/row | input | state folder | load |\n|---|---|---|---|---|---|---|---|---|\n")
		for _, mm := range res.Memory {
			fmt.Fprintf(&b, "| %d | %s | **%.1f MiB** | %.1f s | %.0f | %.0f | %.1f MiB | %.1f MiB | %s |\n",
				mm.Rows, mm.Format, mm.MaxRSSMiB, mm.Wall, mm.RowsPerSec, mm.ToolCPUPer, mm.InputMiB, mm.StateMiB, mm.Load)
		}
		b.WriteString("\n")
	}
	if len(res.Resume) > 0 {
		b.WriteString("### 5. Resume at 99% done (the file gained 1% new rows)\n\n")
		b.WriteString("| rows | done before | first new search | first request (/credits) | rerun wall | searches | rerun peak RSS | first run (99%) | first run RSS | load |\n")
		b.WriteString("|---|---|---|---|---|---|---|---|---|---|\n")
		for _, r := range res.Resume {
			fmt.Fprintf(&b, "| %d | %d | **%.2f s** | %.2f s | %.1f s | %d | %.1f MiB | %.1f s | %.1f MiB | %s |\n",
				r.Rows, r.Done, r.FirstSearch, r.FirstRequest, r.Wall, r.Searches, r.MaxRSSMiB, r.FirstRunWall, r.FirstRunRSS, r.Load)
		}
		b.WriteString("\n")
	}
	for _, n := range res.Notes {
		b.WriteString("- " + n + "\n")
	}
	return b.String()
}
