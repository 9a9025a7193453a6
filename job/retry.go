package job

import (
	"context"
	"errors"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/clodura/enrich/clodura"
)

// verdict is what one answer means for the row and the run.
type verdict int

const (
	answered verdict = iota // a result: found or not found
	retry                   // transient: try again after a pause
	failRow                 // permanent for this row: record it failed
	stopRun                 // no request can succeed now: stop the run
)

// judge is the retry policy, a pure function of the error: 429, 5xx and
// transport failures are retried; 401/403 (key), 402 (credits) and 409
// (daily quota) stop the run; any other 4xx fails the row; cancellation
// stops, never retries.
func judge(err error) verdict {
	switch {
	case err == nil:
		return answered
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded) && !clodura.Transient(err):
		return stopRun
	case clodura.Fatal(err), errors.Is(err, clodura.ErrNoCredits), errors.Is(err, clodura.ErrDailyLimit):
		return stopRun
	case clodura.Transient(err):
		return retry
	}
	return failRow
}

// retryAfter is the pause the server asked for with a 429, capped; zero
// when it asked for none.
func retryAfter(err error, max time.Duration) time.Duration {
	var ae *clodura.APIError
	if !errors.As(err, &ae) || ae.RetryAfter <= 0 {
		return 0
	}
	return min(ae.RetryAfter, max)
}

// newBackOff is capped exponential backoff with jitter, giving up once
// budget has elapsed since the first attempt.
func newBackOff(budget time.Duration) *serverFirst {
	return &serverFirst{BackOff: backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(250*time.Millisecond),
		backoff.WithRandomizationFactor(0.5),
		backoff.WithMultiplier(2),
		backoff.WithMaxInterval(15*time.Second),
		backoff.WithMaxElapsedTime(budget),
	)}
}

// serverFirst lets the server's Retry-After win over the computed
// interval for the next retry, while the budget still bounds the total.
type serverFirst struct {
	backoff.BackOff
	next time.Duration
}

func (b *serverFirst) NextBackOff() time.Duration {
	d := b.BackOff.NextBackOff()
	if d != backoff.Stop && b.next > 0 {
		d, b.next = b.next, 0
	}
	return d
}
