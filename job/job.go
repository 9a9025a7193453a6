// Package job runs an enrichment job: it reads the input, looks every
// usable row up through a Searcher paced to the plan, checkpoints each
// result, and writes the enriched output, every input row once, in order.
package job

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/clodura/enrich/checkpoint"
	"github.com/clodura/enrich/clodura"
	"github.com/clodura/enrich/reader"
	"github.com/clodura/enrich/writer"
)

// Searcher is what the job needs of the API. *clodura.Client is one.
type Searcher interface {
	SearchPeople(ctx context.Context, req clodura.SearchRequest) (*clodura.SearchResult, error)
	Credits(ctx context.Context) (clodura.Credits, error)
}

var _ Searcher = (*clodura.Client)(nil)

// Errors that end a run early. Progress is kept in every case; rerunning
// the same job carries on. Errors from the API (clodura.ErrDailyLimit,
// clodura.ErrNoCredits, clodura.ErrUnauthorized, ...) are returned
// wrapped, and context.Canceled when the run was interrupted.
var (
	ErrUnreachable   = errors.New("the API is unreachable or failing")
	ErrNothingUsable = errors.New("no usable row in the input")
)

// Config describes one job. The zero value of each optional field is a
// sensible default; Input and Searcher are required (Searcher is not
// needed for a dry run without a balance check).
type Config struct {
	Input    string
	Output   string // "" = DefaultOutput(Input)
	StateDir string // "" = DefaultStateDir(Output)
	Read     reader.Options

	Searcher Searcher
	// The plan's limits after any override; 0 = no limit. PerDay is only
	// used for estimates: the server's 409 is the truth about the day.
	PerSecond, PerMinute, PerDay int
	Workers                      int // requests in flight; 0 = enough to saturate the limits
	Candidates                   int // records per lookup (perPage); 0 = 1

	MaxCredits float64 // most credits this run may spend; 0 = no limit
	MinCredits float64 // stop when the balance would fall below this

	RetryFailed  bool
	WaitForReset bool
	ResetAt      time.Duration  // when the daily quota resets: offset from midnight in ResetLoc
	ResetLoc     *time.Location // nil = UTC
	DryRun       bool

	RetryBudget    time.Duration // how long a row's transient failures are retried; 0 = 2 min
	MaxRetryAfter  time.Duration // cap on a server's Retry-After; 0 = 1 min
	CreditEvery    int           // check /credits every this many requests; 0 = 200
	CreditInterval time.Duration // and at least this often; 0 = 1 min

	Reporter Reporter     // nil = none
	Logger   *slog.Logger // nil = discard
	Out      io.Writer    // the dry-run report; nil = discard
	Args     []string     // the command line, for `status` to show how to resume (no secrets)
}

// Summary is what a run did.
type Summary struct {
	Input, Output, StateDir string
	Rows                    int
	ByStatus                map[string]int // of the output just written
	Lookups                 int            // rows this run had to resolve
	Requests, Retries       int64
	Credits                 float64
	Balance                 float64 // last balance read; negative when unknown
	Elapsed                 time.Duration
	NextReset               time.Time // when the daily quota is expected to reset, after a 409
}

// DefaultOutput is input with ".enriched" before its extension.
func DefaultOutput(input string) string {
	ext := filepath.Ext(input)
	return strings.TrimSuffix(input, ext) + ".enriched" + ext
}

// DefaultStateDir is output + ".state".
func DefaultStateDir(output string) string { return output + ".state" }

func (cfg Config) withDefaults() Config {
	if cfg.Output == "" {
		cfg.Output = DefaultOutput(cfg.Input)
	}
	if cfg.StateDir == "" {
		cfg.StateDir = DefaultStateDir(cfg.Output)
	}
	if cfg.Candidates <= 0 {
		cfg.Candidates = 1
	}
	if cfg.Workers <= 0 {
		cfg.Workers = DefaultWorkers(cfg.PerSecond, cfg.PerMinute)
	}
	if cfg.RetryBudget <= 0 {
		cfg.RetryBudget = 2 * time.Minute
	}
	if cfg.MaxRetryAfter <= 0 {
		cfg.MaxRetryAfter = time.Minute
	}
	if cfg.CreditEvery <= 0 {
		cfg.CreditEvery = 200
	}
	if cfg.CreditInterval <= 0 {
		cfg.CreditInterval = time.Minute
	}
	if cfg.ResetLoc == nil {
		cfg.ResetLoc = time.UTC
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Out == nil {
		cfg.Out = io.Discard
	}
	if cfg.Read.Logger == nil {
		cfg.Read.Logger = cfg.Logger
	}
	return cfg
}

// quietRead is the reader options for the second and later passes over
// the input: the first pass already warned about what it guessed.
func (cfg Config) quietRead() reader.Options {
	opt := cfg.Read
	opt.Logger = slog.New(slog.DiscardHandler)
	return opt
}

// DefaultWorkers is enough requests in flight to keep the plan's rate
// busy at up to two seconds of latency (Little's law: in flight = rate ×
// latency), within 4..128.
func DefaultWorkers(perSecond, perMinute int) int {
	rate := float64(perSecond)
	if m := float64(perMinute) / 60; rate <= 0 || (m > 0 && m < rate) {
		// A minute limit lets a burst of perSecond through; size for that.
		if rate <= 0 {
			rate = m
		}
	}
	if rate <= 0 {
		return 16
	}
	return min(max(int(2*rate+0.5), 4), 128)
}

// pacingWindows turns the plan's limits into the limiter's windows. Each
// window is widened by 2% so that jitter between leaving this process and
// arriving at the server cannot squeeze one request too many into the
// server's window, and the per-second window is spread evenly: a burst of
// simultaneous requests reaches the server in an order and over a spread
// no client controls.
func pacingWindows(perSecond, perMinute int) []Window {
	return []Window{
		{Limit: perSecond, Length: time.Second + time.Second/50, Even: true},
		{Limit: perMinute, Length: time.Minute + time.Minute/50},
	}
}

// NextReset is the first moment after now at which a quota resetting
// daily at offset at past midnight in loc resets.
func NextReset(now time.Time, at time.Duration, loc *time.Location) time.Time {
	n := now.In(loc)
	midnight := time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, loc)
	t := midnight.Add(at)
	for !t.After(now) {
		midnight = midnight.AddDate(0, 0, 1)
		t = midnight.Add(at)
	}
	return t
}

// Run runs the job. It returns a nil error when every input row has a
// final status. It stops early, keeping all progress and still writing the
// whole output (unreached rows "pending"), with an error wrapping
// clodura.ErrDailyLimit, clodura.ErrNoCredits, ErrBudget, ErrUnreachable,
// clodura.ErrUnauthorized/ErrForbidden or context.Canceled. Input problems
// are *reader.InputError or ErrNothingUsable; a busy state folder is
// checkpoint.ErrLocked.
func Run(ctx context.Context, cfg Config) (*Summary, error) {
	cfg = cfg.withDefaults()
	if cfg.DryRun {
		return dryRun(ctx, cfg)
	}
	start := time.Now()
	sum := &Summary{Input: cfg.Input, Output: cfg.Output, StateDir: cfg.StateDir, Balance: -1}

	in, err := reader.Open(cfg.Input, cfg.Read)
	if err != nil {
		return sum, err
	}
	header, dialect, format := in.Header(), in.Dialect(), in.Format()
	in.Close()

	abs, err := filepath.Abs(cfg.Input)
	if err != nil {
		return sum, err
	}
	st, err := checkpoint.Open(cfg.StateDir, checkpoint.Job{Input: abs}, checkpoint.Options{Logger: cfg.Logger})
	if err != nil {
		return sum, err
	}
	defer st.Close()

	out, err := writer.Create(cfg.Output, outputOptions(cfg.Output, format, header, dialect))
	if err != nil {
		return sum, err
	}
	defer out.Abort()

	if _, err := st.BeginRun(cfg.Args); err != nil {
		return sum, err
	}
	rows, err := st.CreateRows()
	if err != nil {
		return sum, err
	}
	sc, err := scan(cfg, st, rows, false)
	if err != nil {
		return sum, err
	}
	if err := rows.Commit(); err != nil {
		return sum, err
	}
	sum.Rows = sc.rows

	e := newEngine(cfg, st)
	var runErr error
	switch {
	case sc.usable == 0:
		runErr = fmt.Errorf("%s: %w (%d rows, all invalid: see clodura_error in %s)", cfg.Input, ErrNothingUsable, sc.rows, cfg.Output)
	case sc.todo > 0:
		sum.Lookups = sc.todo
		runErr = e.run(ctx, sc.todo)
	}

	byStatus, err := e.writeOutput(out, runErr)
	if err != nil {
		// The answers are safe in the state; the output is not written.
		// That, not why the lookups stopped, is what the user must fix.
		if runErr != nil {
			cfg.Logger.Warn("the run had stopped", "reason", StopReason(runErr), "err", runErr)
		}
		runErr = fmt.Errorf("writing the output: %w", err)
	}
	sum.ByStatus = byStatus
	sum.Requests, sum.Retries = e.c.Requests.Load(), e.c.Retries.Load()
	sum.Credits = e.c.Credits()
	sum.Balance = e.balance()
	sum.Elapsed = time.Since(start)
	if errors.Is(runErr, clodura.ErrDailyLimit) {
		sum.NextReset = NextReset(time.Now(), cfg.ResetAt, cfg.ResetLoc)
	}
	if err := st.Stop(stopRecord(runErr, sum, e.recRequests, e.recCredits)); err != nil {
		if runErr == nil {
			return sum, err
		}
		cfg.Logger.Warn("could not record the stop in the state", "err", err)
	}
	return sum, runErr
}

// outputOptions writes the output the way the input was written when the
// formats agree: same delimiter, a BOM when the input had one (or was
// UTF-16, which Excel writes for "Unicode Text"), so Excel shows accents.
func outputOptions(path, inFormat string, header []string, d reader.Dialect) writer.Options {
	opt := writer.Options{Header: header}
	if f, err := writer.FormatOf(path); err == nil && f == "csv" && inFormat == "csv" {
		opt.Delimiter = d.Delimiter
		opt.BOM = d.BOM || strings.HasPrefix(d.Encoding, "utf-16")
	}
	return opt
}

// stopRecord says in the state why and how a run ended. Its Requests and
// Credits are what the run spent beyond the results it recorded (which
// count their own): credit checks, the 409 or 402 that stopped it, requests
// whose row was abandoned. The state adds both to its totals.
func stopRecord(err error, sum *Summary, recRequests int64, recCredits float64) checkpoint.Stop {
	s := checkpoint.Stop{
		Reason:   StopReason(err),
		Code:     ExitCode(err),
		At:       time.Now().UTC(),
		Requests: int(max(sum.Requests-recRequests, 0)),
		Credits:  max(sum.Credits-recCredits, 0),
	}
	if err != nil {
		s.Message = err.Error()
	}
	return s
}

// StopReason names why a run ended, for logs, the state and `status`.
func StopReason(err error) string {
	switch {
	case err == nil:
		return "done"
	case errors.Is(err, clodura.ErrDailyLimit):
		return "daily_limit"
	case errors.Is(err, clodura.ErrNoCredits):
		return "credits_exhausted"
	case errors.Is(err, ErrBudget):
		return "credit_budget"
	case errors.Is(err, clodura.ErrUnauthorized), errors.Is(err, clodura.ErrForbidden):
		return "unauthorized"
	case errors.Is(err, ErrUnreachable):
		return "unreachable"
	case errors.Is(err, ErrNothingUsable):
		return "nothing_usable"
	case errors.Is(err, context.Canceled):
		return "interrupted"
	}
	return "error"
}

// ExitCode maps a run's error to the exit codes of shared/product.md.
func ExitCode(err error) int {
	var ie *reader.InputError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, clodura.ErrUnauthorized), errors.Is(err, clodura.ErrForbidden):
		return 77
	case errors.Is(err, clodura.ErrDailyLimit):
		return 75
	case errors.Is(err, clodura.ErrNoCredits), errors.Is(err, ErrBudget):
		return 3
	case errors.Is(err, checkpoint.ErrLocked):
		return 73
	case errors.Is(err, ErrUnreachable):
		return 69
	case errors.As(err, &ie), errors.Is(err, ErrNothingUsable):
		return 65
	case errors.Is(err, checkpoint.ErrOtherJob):
		return 2
	case errors.Is(err, context.Canceled):
		return 130
	}
	return 1
}
