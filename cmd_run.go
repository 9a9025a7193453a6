package main

import (
	"fmt"
	"io"
	"log/slog"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/clodura/enrich/clodura"
	"github.com/clodura/enrich/job"
	"github.com/clodura/enrich/reader"
	"github.com/clodura/enrich/writer"
)

type runFlags struct {
	output, state, plan            string
	perSecond, perMinute, workers  int
	maxCredits, minCredits         float64
	candidates                     int
	maps                           []string
	retryFailed, waitForReset, dry bool
	resetAt, resetTZ               string
	sheet, encoding, delimiter     string
	progress                       string
	verbose                        bool
	retryBudget                    time.Duration
	conn                           connection
	log                            logging
}

func runCmd(e *env) *cobra.Command {
	var f runFlags
	c := &cobra.Command{
		Use:   "run INPUT",
		Short: "Enrich INPUT (CSV, JSONL or XLSX); rerunning the same command resumes",
		Args:  args(cobra.ExactArgs(1)),
		RunE: func(c *cobra.Command, a []string) error {
			return runJob(c, e, &f, a[0])
		},
	}
	fl := c.Flags()
	fl.StringVarP(&f.output, "output", "o", "", "output file; format from its extension (default: INPUT with .enriched before the extension)")
	fl.StringVar(&f.state, "state", "", "checkpoint folder (default: OUTPUT.state)")
	fl.StringVar(&f.plan, "plan", "", "Clodura plan, for its rate limits (default $CLODURA_PLAN or free); see `plans`")
	fl.IntVar(&f.perSecond, "rate-per-second", 0, "override the plan's per-second limit")
	fl.IntVar(&f.perMinute, "rate-per-minute", 0, "override the plan's per-minute limit")
	fl.IntVar(&f.workers, "workers", 0, "requests in flight (default: enough to saturate the plan)")
	fl.Float64Var(&f.maxCredits, "max-credits", 0, "stop before spending more than N credits in this run (0: no limit)")
	fl.Float64Var(&f.minCredits, "min-credits", 0, "stop before the balance falls below N")
	fl.IntVar(&f.candidates, "candidates", 1, "records asked per lookup (perPage, 1-100); each record costs a credit")
	fl.StringArrayVar(&f.maps, "map", nil, "FIELD=COLUMN: read a request field (name, first_name, last_name, linkedin_url, company, company_domain) from COLUMN")
	fl.BoolVar(&f.retryFailed, "retry-failed", false, "give rows that ended failed another try")
	fl.BoolVar(&f.waitForReset, "wait-for-reset", false, "on the daily limit, wait for the quota to reset and carry on")
	fl.StringVar(&f.resetAt, "reset-at", "00:00", "with --wait-for-reset: when the daily quota resets (HH:MM)")
	fl.StringVar(&f.resetTZ, "reset-tz", "UTC", "time zone of --reset-at (IANA name)")
	fl.BoolVar(&f.dry, "dry-run", false, "validate the input and estimate credits and time; no search calls")
	fl.StringVar(&f.sheet, "sheet", "", "XLSX: the sheet to read (default: the first)")
	fl.StringVar(&f.encoding, "encoding", "", "CSV: force the encoding (utf-8, utf-16, windows-1252)")
	fl.StringVar(&f.delimiter, "delimiter", "", `CSV: force the delimiter ("," ";" "tab" "|")`)
	fl.StringVar(&f.progress, "progress", "auto", "auto, bar, log or none")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "log debug detail")
	fl.DurationVar(&f.retryBudget, "retry-budget", 2*time.Minute, "how long to retry a row's transient failures before giving up")
	f.conn.register(c)
	f.log.register(c)
	return c
}

func runJob(c *cobra.Command, e *env, f *runFlags, input string) error {
	level := slog.LevelInfo
	if f.verbose {
		level = slog.LevelDebug
	}
	log, err := f.log.logger(e.stderr, level)
	if err != nil {
		return err
	}
	e.limitMemory(input, f.output)
	plan, err := planFlag(e, f.plan)
	if err != nil {
		return err
	}
	cfg := job.Config{
		Input:        input,
		Output:       f.output,
		StateDir:     f.state,
		PerSecond:    plan.PerSecond,
		PerMinute:    plan.PerMinute,
		PerDay:       plan.PerDay,
		Workers:      f.workers,
		Candidates:   f.candidates,
		MaxCredits:   f.maxCredits,
		MinCredits:   f.minCredits,
		RetryFailed:  f.retryFailed,
		WaitForReset: f.waitForReset,
		DryRun:       f.dry,
		RetryBudget:  f.retryBudget,
		Logger:       log,
		Out:          e.stdout,
		Args:         append([]string{"clodura-enrich", "run"}, redactedArgs(c)...),
	}
	if f.perSecond > 0 {
		cfg.PerSecond = f.perSecond
	}
	if f.perMinute > 0 {
		cfg.PerMinute = f.perMinute
	}
	if f.candidates < 1 || f.candidates > 100 {
		return usageError{fmt.Errorf("--candidates %d: want 1 to 100", f.candidates)}
	}
	if cfg.ResetAt, cfg.ResetLoc, err = parseReset(f.resetAt, f.resetTZ); err != nil {
		return err
	}
	if cfg.Read, err = readOptions(f); err != nil {
		return err
	}
	if f.output != "" {
		if _, err := writer.FormatOf(f.output); err != nil {
			return usageError{fmt.Errorf("-o: %w", err)}
		}
	}
	// With --sim, the simulated plan is the one the run paces to.
	plan.PerSecond, plan.PerMinute = cfg.PerSecond, cfg.PerMinute
	cl, stop, err := f.conn.client(e, plan, log, f.dry)
	if err != nil {
		return err
	}
	defer stop()
	if cl != nil {
		cfg.Searcher = cl
	}
	if cfg.Reporter, err = reporter(f.progress, e.stderr, log); err != nil {
		return err
	}
	if f.dry {
		cfg.Reporter = nil
	}

	sum, err := job.Run(c.Context(), cfg)
	if !f.dry && sum != nil && sum.ByStatus != nil {
		printSummary(e.stdout, sum, err)
	}
	return err
}

// limitMemory keeps the heap near what a streaming job needs, so that a
// million-row CSV or JSONL job stays near 64 MiB of RSS: left alone, the
// collector lets the heap grow to twice what is live. XLSX gets more room,
// since excelize holds a workbook's shared strings. GOMEMLIMIT wins.
func (e *env) limitMemory(paths ...string) {
	if e.setMemoryLimit == nil || e.getenv("GOMEMLIMIT") != "" {
		return
	}
	limit := int64(48 << 20)
	for _, p := range paths {
		if strings.EqualFold(filepath.Ext(p), ".xlsx") {
			limit = 512 << 20
		}
	}
	e.setMemoryLimit(limit)
}

// redactedArgs is the command line as typed, for `status` to show how to
// resume; the key never is on it, and flags holding paths stay.
func redactedArgs(c *cobra.Command) []string {
	var out []string
	c.Flags().Visit(func(fl *pflag.Flag) {
		if sv, ok := fl.Value.(interface{ GetSlice() []string }); ok {
			for _, v := range sv.GetSlice() {
				out = append(out, "--"+fl.Name, v)
			}
			return
		}
		if fl.Value.Type() == "bool" {
			out = append(out, "--"+fl.Name)
			return
		}
		out = append(out, "--"+fl.Name, fl.Value.String())
	})
	return append(c.Flags().Args(), out...)
}

func readOptions(f *runFlags) (reader.Options, error) {
	opt := reader.Options{Sheet: f.sheet, Encoding: f.encoding}
	switch d := f.delimiter; d {
	case "":
	case "tab", `\t`:
		opt.Delimiter = '\t'
	default:
		r, n := utf8.DecodeRuneInString(d)
		if n != len(d) || !strings.ContainsRune(",;\t|", r) {
			return opt, usageError{fmt.Errorf(`--delimiter %q: want one of "," ";" "tab" "|"`, d)}
		}
		opt.Delimiter = r
	}
	if len(f.maps) > 0 {
		opt.Map = map[string]string{}
		for _, m := range f.maps {
			field, col, ok := strings.Cut(m, "=")
			if !ok || strings.TrimSpace(field) == "" || col == "" {
				return opt, usageError{fmt.Errorf("--map %q: want FIELD=COLUMN", m)}
			}
			opt.Map[strings.TrimSpace(field)] = col
		}
	}
	return opt, nil
}

func parseReset(at, tz string) (time.Duration, *time.Location, error) {
	t, err := time.Parse("15:04", at)
	if err != nil {
		return 0, nil, usageError{fmt.Errorf("--reset-at %q: want HH:MM", at)}
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return 0, nil, usageError{fmt.Errorf("--reset-tz %q: %w", tz, err)}
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, loc, nil
}

func reporter(mode string, stderr io.Writer, log *slog.Logger) (job.Reporter, error) {
	switch mode {
	case "auto":
		if isTerminal(stderr) {
			return job.BarReporter{W: stderr}, nil
		}
		return job.LogReporter{Logger: log}, nil
	case "bar":
		return job.BarReporter{W: stderr}, nil
	case "log":
		return job.LogReporter{Logger: log}, nil
	case "none":
		return nil, nil
	}
	return nil, usageError{fmt.Errorf("--progress %q: want auto, bar, log or none", mode)}
}

// printSummary tells the user what happened and what to do next.
func printSummary(w io.Writer, s *job.Summary, err error) {
	var parts []string
	for _, st := range slices.Sorted(maps.Keys(s.ByStatus)) {
		parts = append(parts, fmt.Sprintf("%d %s", s.ByStatus[st], st))
	}
	fmt.Fprintf(w, "output    %s (%d rows: %s)\n", s.Output, s.Rows, strings.Join(parts, ", "))
	fmt.Fprintf(w, "state     %s\n", s.StateDir)
	fmt.Fprintf(w, "this run  %d lookups, %d requests (%d retries), %s credits, %v\n",
		s.Lookups, s.Requests, s.Retries, clodura.FormatCredits(s.Credits), s.Elapsed.Round(time.Millisecond))
	if s.Balance >= 0 {
		fmt.Fprintf(w, "balance   %s credits\n", clodura.FormatCredits(s.Balance))
	}
	if err == nil {
		return
	}
	pending := s.ByStatus[writer.StatusPending]
	switch job.StopReason(err) {
	case "daily_limit":
		fmt.Fprintf(w, "paused    daily limit reached with %d rows pending; rerun the same command after %s to resume\n",
			pending, s.NextReset.Format("2006-01-02 15:04 MST"))
	case "interrupted", "credit_budget", "credits_exhausted", "unreachable":
		fmt.Fprintf(w, "stopped   %s with %d rows pending; progress is kept: rerun the same command to resume\n", job.StopReason(err), pending)
	}
}
