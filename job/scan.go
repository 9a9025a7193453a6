package job

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strings"
	"time"

	"github.com/clodura/enrich/checkpoint"
	"github.com/clodura/enrich/clodura"
	"github.com/clodura/enrich/reader"
	"github.com/clodura/enrich/writer"
)

// scanStats is what one pass over the input learns before any request.
type scanStats struct {
	rows, usable int
	todo         int // usable rows whose lookup has no final result yet
	unique       int // distinct lookups (counted only when asked: it costs a set)
	uniqueTodo   int
	invalid      []*reasonStat // in order of first appearance
}

// reasonStat groups invalid rows by their reason, values elided.
type reasonStat struct {
	reason string
	count  int
	lines  []int // the first few
}

var (
	linePrefix = regexp.MustCompile(`^line \d+: `)
	quoted     = regexp.MustCompile(`"[^"]*"`)
)

// scan reads the whole input once: it counts rows, groups the invalid
// ones, and finds how many lookups the state has not resolved. rows, when
// not nil, receives each row's lookup key (0 for an invalid row).
func scan(cfg Config, st *checkpoint.State, rows *checkpoint.RowsWriter, distinct bool) (scanStats, error) {
	in, err := reader.Open(cfg.Input, cfg.quietRead())
	if err != nil {
		return scanStats{}, err
	}
	defer in.Close()
	var (
		sc      scanStats
		reasons = map[string]*reasonStat{}
		seen    map[checkpoint.Key]bool
	)
	if distinct {
		seen = map[checkpoint.Key]bool{}
	}
	for {
		row, err := in.Next()
		if err == io.EOF {
			return sc, nil
		}
		if err != nil {
			return sc, err
		}
		sc.rows++
		var key checkpoint.Key
		if row.Invalid != "" {
			reason := quoted.ReplaceAllString(linePrefix.ReplaceAllString(row.Invalid, ""), `"…"`)
			rs := reasons[reason]
			if rs == nil {
				rs = &reasonStat{reason: reason}
				reasons[reason] = rs
				sc.invalid = append(sc.invalid, rs)
			}
			rs.count++
			if len(rs.lines) < 5 {
				rs.lines = append(rs.lines, row.Line)
			}
		} else {
			sc.usable++
			key = lookupKey(searchRequest(row.Identity, cfg.Candidates))
			todo := st == nil || !final(st.Status(key), cfg.RetryFailed)
			if todo {
				sc.todo++
			}
			if seen != nil && !seen[key] {
				seen[key] = true
				sc.unique++
				if todo {
					sc.uniqueTodo++
				}
			}
		}
		if rows != nil {
			if err := rows.Add(key); err != nil {
				return sc, err
			}
		}
	}
}

// final reports whether a stored status needs no further request.
func final(status string, retryFailed bool) bool {
	switch status {
	case writer.StatusMatched, writer.StatusNotFound:
		return true
	case writer.StatusFailed:
		return !retryFailed
	}
	return false
}

// Estimate is how long lookups take at the plan's limits (0 when they
// are unlimited), and over how many days its daily quota spreads them (0
// days when there is no quota).
func Estimate(lookups, perSecond, perMinute, perDay int) (time.Duration, int) {
	d := max(Pace{perSecond, perMinute}.Duration(int64(lookups)), 0).Round(time.Second)
	days := 0
	if perDay > 0 {
		days = int(math.Ceil(float64(lookups) / float64(perDay)))
	}
	return d, days
}

// dryRun reads the whole input and reports what a run would do, without
// any search call; it reads the balance once when it has a Searcher.
func dryRun(ctx context.Context, cfg Config) (*Summary, error) {
	sum := &Summary{Input: cfg.Input, Output: cfg.Output, StateDir: cfg.StateDir, Balance: -1}
	in, err := reader.Open(cfg.Input, cfg.Read)
	if err != nil {
		return sum, err
	}
	format, dialect := in.Format(), in.Dialect()
	in.Close()

	st, err := checkpoint.OpenReadOnly(cfg.StateDir)
	switch {
	case err == nil:
		defer st.Close()
	case errors.Is(err, checkpoint.ErrNoState):
		st = nil
	default:
		return sum, err
	}
	sc, err := scan(cfg, st, nil, true)
	if err != nil {
		return sum, err
	}
	sum.Rows, sum.Lookups = sc.rows, sc.uniqueTodo

	w := cfg.Out
	fmt.Fprintf(w, "input      %s (%s", cfg.Input, format)
	if format != "jsonl" && format != "xlsx" {
		fmt.Fprintf(w, ", %s, delimiter %q", dialect.Encoding, dialect.Delimiter)
	}
	fmt.Fprintf(w, ")\n")
	fmt.Fprintf(w, "rows       %d: %d valid, %d invalid\n", sc.rows, sc.usable, sc.rows-sc.usable)
	for _, rs := range sc.invalid {
		lines := make([]string, len(rs.lines))
		for i, l := range rs.lines {
			lines[i] = fmt.Sprint(l)
		}
		more := ""
		if rs.count > len(rs.lines) {
			more = ", …"
		}
		fmt.Fprintf(w, "  invalid  %d × %s (lines %s%s)\n", rs.count, rs.reason, strings.Join(lines, ", "), more)
	}
	fmt.Fprintf(w, "lookups    %d distinct; %d still to do (%d already in the state)\n",
		sc.unique, sc.uniqueTodo, sc.unique-sc.uniqueTodo)
	most := float64(sc.uniqueTodo * cfg.Candidates)
	fmt.Fprintf(w, "credits    at most %s (%d per lookup)", clodura.FormatCredits(most), cfg.Candidates)
	if cfg.Searcher != nil && sc.uniqueTodo > 0 {
		if cr, err := cfg.Searcher.Credits(ctx); err != nil {
			fmt.Fprintf(w, "; balance unknown: %v", err)
		} else {
			sum.Balance = cr.Remaining
			fmt.Fprintf(w, "; balance %s", clodura.FormatCredits(cr.Remaining))
			if short := most + cfg.MinCredits - cr.Remaining; short > 0 {
				fmt.Fprintf(w, " (short by up to %s)", clodura.FormatCredits(short))
			}
		}
	}
	fmt.Fprintln(w)
	d, days := Estimate(sc.uniqueTodo, cfg.PerSecond, cfg.PerMinute, cfg.PerDay)
	fmt.Fprintf(w, "time       about %v of requests at %d/s, %d/min", d, cfg.PerSecond, cfg.PerMinute)
	if days > 0 {
		fmt.Fprintf(w, "; the daily quota of %d spreads it over %d day(s)", cfg.PerDay, days)
	}
	fmt.Fprintln(w)
	if sc.usable == 0 {
		return sum, fmt.Errorf("%s: %w (%d rows)", cfg.Input, ErrNothingUsable, sc.rows)
	}
	return sum, nil
}
