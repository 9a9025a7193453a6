package checkpoint

import (
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// TestGroupCommit checks that appends are not fsynced one by one: the
// background commit syncs at most once per SyncEvery and only when
// something was written; Sync, Stop and Close sync at once. Time is the
// fake clock of a synctest bubble: waiting on it takes no real time.
func TestGroupCommit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var syncs atomic.Int64
		opt := Options{
			SyncEvery: 200 * time.Millisecond,
			fsync: func(f *os.File) error {
				syncs.Add(1)
				return f.Sync()
			},
		}
		s, err := Open(t.TempDir(), Job{Input: testInput}, opt)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if syncs.Load() != 1 {
			t.Errorf("creating the journal: %d fsyncs, want 1 (the header)", syncs.Load())
		}
		expect := func(want int64, when string) {
			t.Helper()
			synctest.Wait() // let the commit goroutine finish what is due
			if got := syncs.Load(); got != want {
				t.Errorf("%s: %d fsyncs in all, want %d", when, got, want)
			}
		}
		wait := func(d time.Duration) { <-time.After(d) } // fake time

		beginRun(t, s)
		for k := Key(1); k <= 1000; k++ {
			mustBegin(t, s, k, false)
			mustRecord(t, s, sampleResult(k))
		}
		expect(1, "after 2001 appends")
		wait(150 * time.Millisecond)
		expect(1, "before SyncEvery elapsed")
		wait(60 * time.Millisecond)
		expect(2, "after SyncEvery")
		wait(time.Second)
		expect(2, "idle for 5 intervals")

		mustRecord(t, s, sampleResult(2000))
		if err := s.Sync(); err != nil {
			t.Fatal(err)
		}
		expect(3, "after Sync")
		if err := s.Sync(); err != nil {
			t.Fatal(err)
		}
		expect(3, "Sync with nothing new")
		wait(time.Second)
		expect(3, "idle after Sync")

		if err := s.Stop(Stop{Reason: "interrupted", Code: 130}); err != nil {
			t.Fatal(err)
		}
		expect(4, "after Stop")
		mustRecord(t, s, sampleResult(2001))
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		expect(5, "after Close")
	})
}

// TestSyncErrorSticks checks that a failed fsync is reported, and again by
// every later write: the journal's end is no longer trusted.
func TestSyncErrorSticks(t *testing.T) {
	boom := errors.New("disk on fire")
	var fail atomic.Bool
	opt := Options{
		SyncEvery: time.Hour,
		fsync: func(f *os.File) error {
			if fail.Load() {
				return boom
			}
			return f.Sync()
		},
	}
	dir := t.TempDir()
	s := openT(t, dir, opt)
	beginRun(t, s)
	mustRecord(t, s, sampleResult(1))
	fail.Store(true)
	if err := s.Sync(); !errors.Is(err, boom) {
		t.Fatalf("Sync: %v, want %v", err, boom)
	}
	if err := s.Record(sampleResult(2)); !errors.Is(err, boom) {
		t.Errorf("Record after a failed fsync: %v", err)
	}
	if _, err := s.Begin(3, false); !errors.Is(err, boom) {
		t.Errorf("Begin after a failed fsync: %v", err)
	}
	if err := s.Close(); !errors.Is(err, boom) {
		t.Errorf("Close: %v", err)
	}
	// The lock was released all the same.
	s2 := openT(t, dir, Options{})
	if got := s2.Status(2); got != "" {
		t.Errorf("a refused Record reached the journal: %q", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "journal")); err != nil {
		t.Fatal(err)
	}
}
