package job

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
)

func TestBudgetMinCreditsCountsInFlight(t *testing.T) {
	// The budget's channels must belong to the bubble for synctest.Wait.
	synctest.Test(t, func(t *testing.T) {
		b := newBudget(1, 0)
		b.setBalance(30, 10) // 20 credits above the reserve
		for i := range 20 {
			if err := b.reserve(context.Background()); err != nil {
				t.Fatalf("reserve %d: %v", i, err)
			}
		}
		// 20 in flight could cost 20: a 21st would cross the reserve. It
		// waits for a settle rather than failing: a not-found costs nothing.
		got := make(chan error, 1)
		go func() { got <- b.reserve(context.Background()) }()
		synctest.Wait()
		select {
		case err := <-got:
			t.Fatalf("21st reserve returned %v while 20 in flight", err)
		default:
		}
		b.settle(0) // one found nobody: room for one more
		if err := <-got; err != nil {
			t.Fatalf("reserve after a free settle: %v", err)
		}
		for range 20 {
			b.settle(1)
		}
		if err := b.reserve(context.Background()); !errors.Is(err, ErrBudget) {
			t.Fatalf("reserve with 20 spent of 20 = %v, want ErrBudget", err)
		}
		if got := b.spent(); got != 20 {
			t.Fatalf("spent %v, want 20", got)
		}
	})
}

func TestBudgetMaxCredits(t *testing.T) {
	b := newBudget(2, 5) // perPage 2, at most 5 credits
	for i := range 2 {
		if err := b.reserve(context.Background()); err != nil {
			t.Fatalf("reserve %d: %v", i, err)
		}
	}
	b.settle(2)
	b.settle(2)
	// 4 spent; a request may cost 2 more: 6 > 5.
	if err := b.reserve(context.Background()); !errors.Is(err, ErrBudget) {
		t.Fatalf("got %v, want ErrBudget", err)
	}
}

func TestBudgetBalanceRefresh(t *testing.T) {
	b := newBudget(1, 0)
	b.setBalance(2, 0)
	for range 2 {
		if err := b.reserve(context.Background()); err != nil {
			t.Fatal(err)
		}
		b.settle(1)
	}
	if err := b.reserve(context.Background()); !errors.Is(err, ErrBudget) {
		t.Fatalf("got %v, want ErrBudget", err)
	}
	b.setBalance(100, 0) // topped up
	if err := b.reserve(context.Background()); err != nil {
		t.Fatalf("after top-up: %v", err)
	}
}

func TestBudgetUnlimited(t *testing.T) {
	b := newBudget(100, 0)
	for range 1000 {
		if err := b.reserve(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}
