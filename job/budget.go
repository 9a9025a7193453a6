package job

import (
	"context"
	"errors"
	"math"
	"sync"
)

// ErrBudget is a stop on the user's own limits: --max-credits spent, or the
// balance down to the --min-credits reserve.
var ErrBudget = errors.New("credit budget reached")

// budget decides whether one more request may be sent without the run
// crossing --max-credits or the balance crossing --min-credits, counting
// what requests in flight may still cost. Each request reserves the most
// it can cost (perPage credits); its real cost settles when it answers.
// A budget is safe for concurrent use.
type budget struct {
	mu      sync.Mutex
	changed chan struct{} // closed and replaced whenever room may have grown

	perRequest float64
	maxRun     float64 // credits this run may spend; +Inf for no limit
	spentRun   float64

	// available is what the last balance allowed above the reserve, and
	// spentSince what was spent after that balance was read.
	available  float64
	spentSince float64
	reserved   float64
	inFlight   int
}

// newBudget: maxRun <= 0 means no --max-credits. The balance is unknown
// (unlimited) until setBalance.
func newBudget(perRequest, maxRun float64) *budget {
	if maxRun <= 0 {
		maxRun = math.Inf(1)
	}
	return &budget{
		changed:    make(chan struct{}),
		perRequest: perRequest,
		maxRun:     maxRun,
		available:  math.Inf(1),
	}
}

// setBalance takes a fresh /credits answer. What is in flight may or may
// not be in it, so reservations stay counted: the safe side.
func (b *budget) setBalance(balance, reserve float64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.available = balance - reserve
	b.spentSince = 0
	b.signal()
}

// reserve blocks until one more request fits, and books it. When it does
// not fit and nothing is in flight whose settling could make room, it
// returns ErrBudget: the run must stop.
func (b *budget) reserve(ctx context.Context) error {
	for {
		b.mu.Lock()
		need := b.reserved + b.perRequest
		fits := b.spentRun+need <= b.maxRun && b.spentSince+need <= b.available
		if fits {
			b.reserved += b.perRequest
			b.inFlight++
			b.mu.Unlock()
			return nil
		}
		if b.inFlight == 0 {
			b.mu.Unlock()
			return ErrBudget
		}
		changed := b.changed
		b.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// settle ends a reservation with what the request really cost (0 when it
// was not sent or found nobody).
func (b *budget) settle(cost float64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.reserved -= b.perRequest
	b.inFlight--
	b.spentRun += cost
	b.spentSince += cost
	b.signal()
}

func (b *budget) signal() {
	close(b.changed)
	b.changed = make(chan struct{})
}

// spent is what this run has spent so far.
func (b *budget) spent() float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.spentRun
}
