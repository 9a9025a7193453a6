package job

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v4"
	"golang.org/x/sync/errgroup"

	"github.com/clodura/enrich/checkpoint"
	"github.com/clodura/enrich/clodura"
	"github.com/clodura/enrich/reader"
	"github.com/clodura/enrich/writer"
)

// engine is one run's machinery: a producer feeding tasks to a pool of
// workers paced by one limiter, and one collector that owns the results:
// it alone records them in the state and counts them.
type engine struct {
	cfg Config
	st  *checkpoint.State
	lim *Limiter
	bud *budget
	c   Counters

	startedAt time.Time
	lastOK    atomic.Int64 // UnixNano of the last answered request
	halt      context.CancelCauseFunc

	balMu    sync.Mutex
	bal      float64 // last balance read; -1 unknown
	reqSince atomic.Int64

	// What the results recorded in the state cost; written by the
	// collector only, read once run has returned.
	recRequests int64
	recCredits  float64

	resetMu    sync.Mutex
	resetUntil time.Time // while waiting for the daily quota: when to try again
	probe      time.Duration
}

type task struct {
	key checkpoint.Key
	req clodura.SearchRequest
}

type outcome struct {
	task
	res      *clodura.SearchResult
	err      error
	requests int
	first    time.Time // when the first attempt was sent
}

func newEngine(cfg Config, st *checkpoint.State) *engine {
	return &engine{
		cfg: cfg,
		st:  st,
		lim: NewLimiter(pacingWindows(cfg.PerSecond, cfg.PerMinute)...),
		bud: newBudget(float64(cfg.Candidates), cfg.MaxCredits),
		bal: -1,
	}
}

func (e *engine) balance() float64 {
	e.balMu.Lock()
	defer e.balMu.Unlock()
	return e.bal
}

// run resolves up to todo rows. The first stop condition (daily limit,
// credits, a fatal answer, an interrupt, a broken disk) cancels dispatch;
// requests in flight finish and are recorded before run returns it.
func (e *engine) run(ctx context.Context, todo int) error {
	e.startedAt = time.Now()
	e.c.Total.Store(int64(todo))
	dctx, halt := context.WithCancelCause(ctx)
	defer halt(nil)
	e.halt = halt

	if err := e.checkCredits(dctx, true); err != nil {
		return err
	}
	e.cfg.Logger.Info("starting", "lookups", todo, "most_credits", float64(todo*e.cfg.Candidates),
		"balance", e.balance(), "workers", e.cfg.Workers, "per_second", e.cfg.PerSecond, "per_minute", e.cfg.PerMinute)

	repCtx, stopReport := context.WithCancel(context.Background())
	var reported sync.WaitGroup
	if e.cfg.Reporter != nil {
		reported.Go(func() { e.cfg.Reporter.Report(repCtx, &e.c, Pace{e.cfg.PerSecond, e.cfg.PerMinute}) })
	}
	monCtx, stopMonitor := context.WithCancel(dctx)
	var monitored sync.WaitGroup
	monitored.Go(func() { e.monitorCredits(monCtx) })

	work := make(chan task)
	results := make(chan outcome, e.cfg.Workers)
	g, gctx := errgroup.WithContext(dctx)
	g.Go(func() error {
		defer close(work)
		return e.produce(gctx, work)
	})
	for range e.cfg.Workers {
		g.Go(func() error {
			for t := range work {
				results <- e.lookup(gctx, t)
			}
			return nil
		})
	}
	collected := make(chan struct{})
	go func() {
		defer close(collected)
		e.collect(results)
	}()
	gerr := g.Wait()
	close(results)
	<-collected
	stopMonitor()
	monitored.Wait()
	stopReport()
	reported.Wait()

	if gerr != nil && !errors.Is(gerr, context.Canceled) {
		halt(gerr)
	}
	if dctx.Err() == nil {
		// Every lookup answered: duplicates whose twin finished before the
		// producer reached them were not counted on the way.
		e.c.Done.Store(e.c.Total.Load())
		return nil
	}
	if err := context.Cause(dctx); !errors.Is(err, context.Canceled) {
		return err
	}
	return fmt.Errorf("interrupted: %w", context.Canceled)
}

// produce reads the input and hands each lookup not yet resolved to the
// workers, once per distinct lookup, within the credit budget.
func (e *engine) produce(ctx context.Context, work chan<- task) error {
	in, err := reader.Open(e.cfg.Input, e.cfg.quietRead())
	if err != nil {
		return err
	}
	defer in.Close()
	for {
		row, err := in.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if row.Invalid != "" {
			continue
		}
		req := searchRequest(row.Identity, e.cfg.Candidates)
		key := lookupKey(req)
		was := e.st.Status(key)
		begun, err := e.st.Begin(key, e.cfg.RetryFailed)
		if err != nil {
			return err
		}
		if !begun {
			if was == "inflight" { // the same lookup as an earlier row, in flight
				e.c.Done.Add(1)
			}
			continue
		}
		if err := e.bud.reserve(ctx); err != nil {
			e.abandon(key)
			if errors.Is(err, ErrBudget) {
				e.halt(e.budgetStop())
				return nil
			}
			return nil // stopped
		}
		select {
		case work <- task{key: key, req: req}:
		case <-ctx.Done():
			e.bud.settle(0)
			e.abandon(key)
			return nil
		}
	}
}

// budgetStop says which limit stopped the run, with the figures.
func (e *engine) budgetStop() error {
	spent := e.bud.spent()
	if e.cfg.MaxCredits > 0 && spent+float64(e.cfg.Candidates) > e.cfg.MaxCredits {
		return fmt.Errorf("%w: this run spent %s credits of --max-credits %s", ErrBudget,
			clodura.FormatCredits(spent), clodura.FormatCredits(e.cfg.MaxCredits))
	}
	return fmt.Errorf("%w: the balance (last read %s; this run spent %s) would fall below --min-credits %s",
		ErrBudget, clodura.FormatCredits(e.balance()), clodura.FormatCredits(spent), clodura.FormatCredits(e.cfg.MinCredits))
}

func (e *engine) abandon(k checkpoint.Key) {
	if err := e.st.Abandon(k); err != nil {
		e.halt(err)
	}
}

// lookup makes one lookup, retrying transient failures with capped
// exponential backoff until the retry budget is spent. Pacing waits and
// backoff sleeps end when ctx does; a request already sent is allowed to
// finish, so that what was paid for is recorded.
func (e *engine) lookup(ctx context.Context, t task) outcome {
	o := outcome{task: t}
	send := context.WithoutCancel(ctx)
	for {
		b := newBackOff(e.cfg.RetryBudget)
		op := func() (*clodura.SearchResult, error) {
			if err := e.lim.Wait(ctx); err != nil {
				return nil, backoff.Permanent(err)
			}
			if o.requests++; o.requests == 1 {
				o.first = time.Now()
			}
			e.c.Requests.Add(1)
			e.reqSince.Add(1)
			res, err := e.cfg.Searcher.SearchPeople(send, t.req)
			switch judge(err) {
			case answered:
				e.answered()
				return res, nil
			case retry:
				if errors.Is(err, clodura.ErrRateLimited) {
					// Someone else is using this key's allowance: the
					// whole pool waits, for as long as the server says
					// or one second window.
					pause := retryAfter(err, e.cfg.MaxRetryAfter)
					if pause == 0 {
						pause = time.Second
					}
					e.lim.PauseUntil(time.Now().Add(pause))
					b.next = pause
				}
				return nil, err
			}
			return nil, backoff.Permanent(err)
		}
		o.res, o.err = backoff.RetryNotifyWithData(op, backoff.WithContext(b, ctx), func(error, time.Duration) {
			e.c.Retries.Add(1)
		})
		if e.cfg.WaitForReset && errors.Is(o.err, clodura.ErrDailyLimit) {
			if err := e.waitForReset(ctx); err != nil {
				o.err = err
				return o
			}
			continue
		}
		return o
	}
}

func (e *engine) answered() {
	e.lastOK.Store(time.Now().UnixNano())
	e.resetMu.Lock()
	e.resetUntil, e.probe = time.Time{}, 0
	e.resetMu.Unlock()
}

// waitForReset sleeps until the daily quota is expected back: the next
// reset time after the first 409, then, while 409s persist, probes at
// growing intervals (1 min doubling to 30 min). Every worker waits on the
// same schedule, through the limiter.
func (e *engine) waitForReset(ctx context.Context) error {
	e.resetMu.Lock()
	now := time.Now()
	if !now.Before(e.resetUntil) {
		if e.resetUntil.IsZero() {
			e.resetUntil = NextReset(now, e.cfg.ResetAt, e.cfg.ResetLoc)
			e.probe = time.Minute
		} else {
			e.resetUntil = now.Add(e.probe)
			e.probe = min(2*e.probe, 30*time.Minute)
		}
		e.cfg.Logger.Warn("daily limit reached; waiting for the quota to reset", "until", e.resetUntil.Format(time.RFC3339))
	}
	until := e.resetUntil
	e.resetMu.Unlock()
	e.lim.PauseUntil(until)
	t := time.NewTimer(time.Until(until))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// collect is the one owner of results: it records each in the state the
// moment it arrives, settles its credit reservation, and counts it.
func (e *engine) collect(results <-chan outcome) {
	for o := range results {
		cost := 0.0
		if o.res != nil {
			cost = float64(len(o.res.Records))
		}
		e.bud.settle(cost)
		if cost > 0 {
			e.c.addCredits(cost)
		}
		r := checkpoint.Result{Key: o.key, Requests: o.requests, At: time.Now().UTC()}
		switch judge(o.err) {
		case answered:
			r.Records, r.Total, r.Credits = o.res.Records, o.res.Total, cost
			r.Status = writer.StatusNotFound
			if o.res.Found() {
				r.Status = writer.StatusMatched
			}
		case failRow:
			r.Status, r.Error = writer.StatusFailed, o.err.Error()
		case retry: // the retry budget ran out
			if e.unreachable(o.first) {
				e.abandon(o.key)
				e.halt(fmt.Errorf("%w: no answer for %v: %v", ErrUnreachable, e.cfg.RetryBudget, o.err))
				continue
			}
			r.Status, r.Error = writer.StatusFailed, fmt.Sprintf("gave up after %d attempts: %v", o.requests, o.err)
		default: // a stop: the row stays pending
			e.abandon(o.key)
			if !errors.Is(o.err, context.Canceled) {
				e.halt(o.err)
			}
			continue
		}
		if err := e.st.Record(r); err != nil {
			e.halt(fmt.Errorf("checkpoint: %w", err))
			continue
		}
		e.recRequests += int64(r.Requests)
		e.recCredits += r.Credits
		e.c.Done.Add(1)
		switch r.Status {
		case writer.StatusMatched:
			e.c.Matched.Add(1)
		case writer.StatusNotFound:
			e.c.NotFound.Add(1)
		default:
			e.c.Failed.Add(1)
		}
	}
}

// unreachable tells an outage from a row the API keeps failing on, when a
// row has spent its retry budget (first is its first attempt): in an
// outage nothing has been answered in the later half of the row's
// retries either, so the run stops and the row stays pending for the
// next run; otherwise only this row fails.
func (e *engine) unreachable(first time.Time) bool {
	last := e.startedAt
	if ok := e.lastOK.Load(); ok != 0 {
		last = time.Unix(0, ok)
	}
	return last.Before(first.Add(time.Since(first) / 2))
}

// checkCredits reads the balance through the limiter (it counts against
// the plan like any call) and resizes the budget. At the start of a run
// (first) it retries transient failures and stops the run on 401/403
// and 409; later checks only log what goes wrong: the searches will meet
// the same answer and act on it.
func (e *engine) checkCredits(ctx context.Context, first bool) error {
	e.reqSince.Store(0)
	var cr clodura.Credits
	op := func() error {
		if err := e.lim.Wait(ctx); err != nil {
			return backoff.Permanent(err)
		}
		e.c.Requests.Add(1)
		var err error
		cr, err = e.cfg.Searcher.Credits(context.WithoutCancel(ctx))
		if err == nil {
			e.answered()
		}
		if judge(err) == retry && first {
			return err
		}
		return backoff.Permanent(err)
	}
	for {
		err := backoff.Retry(op, backoff.WithContext(newBackOff(e.cfg.RetryBudget), ctx))
		switch {
		case err == nil:
			e.balMu.Lock()
			e.bal = cr.Remaining
			e.balMu.Unlock()
			e.bud.setBalance(cr.Remaining, e.cfg.MinCredits)
			if nerr := e.st.NoteCredits(cr.Remaining, cr.Raw); nerr != nil {
				return nerr
			}
			e.cfg.Logger.Debug("credits", "balance", cr.Remaining)
			return nil
		case !first:
			e.cfg.Logger.Warn("could not read the credit balance", "err", err)
			return nil
		case errors.Is(err, context.Canceled):
			return fmt.Errorf("interrupted: %w", err)
		case errors.Is(err, clodura.ErrDailyLimit) && e.cfg.WaitForReset:
			if werr := e.waitForReset(ctx); werr != nil {
				return fmt.Errorf("interrupted: %w", werr)
			}
			continue
		case judge(err) == stopRun:
			return err
		case judge(err) == retry:
			return fmt.Errorf("%w: GET /api/v1/credits: %v", ErrUnreachable, err)
		case !errors.As(err, new(*clodura.APIError)):
			// No HTTP answer at all (a certificate that does not verify,
			// say): every search would fail the same way.
			return fmt.Errorf("%w: %v", ErrUnreachable, err)
		case e.cfg.MinCredits > 0:
			return fmt.Errorf("--min-credits needs the balance, which could not be read: %w", err)
		default: // a plan that may not read its balance: go on without it
			e.cfg.Logger.Warn("could not read the credit balance; going on without it", "err", err)
			return nil
		}
	}
}

// monitorCredits re-reads the balance every CreditEvery requests and at
// least every CreditInterval.
func (e *engine) monitorCredits(ctx context.Context) {
	tick := time.NewTicker(e.cfg.CreditInterval / 4)
	defer tick.Stop()
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if e.reqSince.Load() >= int64(e.cfg.CreditEvery) || time.Since(last) >= e.cfg.CreditInterval {
			_ = e.checkCredits(ctx, false)
			last = time.Now()
		}
	}
}

// writeOutput writes every input row once, in input order, with its
// stored result, "invalid", or "pending" when the run stopped first.
func (e *engine) writeOutput(out *writer.Writer, stopped error) (map[string]int, error) {
	in, err := reader.Open(e.cfg.Input, e.cfg.quietRead())
	if err != nil {
		return nil, err
	}
	defer in.Close()
	pending := "not reached yet"
	if stopped != nil {
		pending = "not reached: " + StopReason(stopped)
	}
	counts := make(map[string]int)
	for {
		row, err := in.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		enr, err := e.enrichment(row, pending)
		if err != nil {
			return nil, err
		}
		counts[enr.Status]++
		if err := out.Write(row, enr); err != nil {
			return nil, err
		}
	}
	return counts, out.Commit()
}

func (e *engine) enrichment(row reader.Row, pending string) (writer.Enrichment, error) {
	if row.Invalid != "" {
		return writer.Enrichment{Status: writer.StatusInvalid, Error: row.Invalid}, nil
	}
	key := lookupKey(searchRequest(row.Identity, e.cfg.Candidates))
	r, ok, err := e.st.Result(key)
	if err != nil {
		return writer.Enrichment{}, err
	}
	if !ok {
		return writer.Enrichment{Status: writer.StatusPending, Error: pending}, nil
	}
	// The writer adds the row's notes to clodura_error.
	return writer.Enrichment{Status: r.Status, Records: r.Records, Total: r.Total, Error: r.Error}, nil
}
