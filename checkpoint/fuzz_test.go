package checkpoint_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/clodura/enrich/checkpoint"
)

// FuzzReplay feeds whole journals, however damaged, to OpenReadOnly and
// Open. Neither may panic; a journal Open accepts (cutting a torn tail)
// must open again, read-only and locked, with the same summary: what one
// run leaves, the next can always read.
func FuzzReplay(f *testing.F) {
	golden, err := os.ReadFile(filepath.Join("testdata", "v1.state", "journal"))
	if err != nil {
		f.Fatal(err)
	}
	lines := bytes.SplitAfter(golden, []byte("\n"))
	f.Add(golden)
	f.Add(golden[:len(golden)-7])                          // torn last line
	f.Add(bytes.Join(lines[:2], nil))                      // header and run only
	f.Add(append(bytes.Clone(golden), lines[3]...))        // a result recorded twice
	f.Add(append(bytes.Join(lines[:3], nil), lines[2]...)) // begun twice
	f.Add(append(bytes.Clone(lines[0]), "\n\n"...))        // blank lines
	f.Add(bytes.ReplaceAll(golden, []byte("matched"), []byte("matchee")))
	f.Add([]byte{})
	f.Add([]byte("J 00000000 {}\n"))
	f.Fuzz(func(t *testing.T, journal []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "journal"), journal, 0o600); err != nil {
			t.Fatal(err)
		}
		if ro, err := checkpoint.OpenReadOnly(dir); err == nil {
			if _, err := ro.Summary(); err != nil {
				t.Fatalf("read-only Summary: %v", err)
			}
			ro.Close()
		}
		job := checkpoint.Job{Input: "/data/people.csv"}
		opt := checkpoint.Options{Logger: slog.New(slog.DiscardHandler)}
		st, err := checkpoint.Open(dir, job, opt)
		if err != nil {
			var je *checkpoint.JournalError
			if !errors.As(err, &je) && !errors.Is(err, checkpoint.ErrOtherJob) {
				t.Fatalf("Open: %T %v, want a *JournalError or ErrOtherJob", err, err)
			}
			return
		}
		first, err := st.Summary()
		if err != nil {
			t.Fatalf("Summary: %v", err)
		}
		if err := st.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}

		st, err = checkpoint.Open(dir, job, opt)
		if err != nil {
			t.Fatalf("reopening a journal Open accepted: %v", err)
		}
		again, err := st.Summary()
		if err != nil {
			t.Fatalf("Summary after reopening: %v", err)
		}
		st.Close()
		ro, err := checkpoint.OpenReadOnly(dir)
		if err != nil {
			t.Fatalf("OpenReadOnly of a journal Open accepted: %v", err)
		}
		seen, err := ro.Summary()
		ro.Close()
		if err != nil {
			t.Fatalf("read-only Summary of a journal Open accepted: %v", err)
		}
		if a, b, c := describe(first), describe(again), describe(seen); a != b || a != c {
			t.Fatalf("the summary changed on reopening:\n first %s\n again %s\n  read %s", a, b, c)
		}
	})
}

// describe prints s for comparison: as text, not with ==, because a NaN
// read from a damaged line equals nothing; LastStop by value.
func describe(s checkpoint.Summary) string {
	stop := "none"
	if s.LastStop != nil {
		stop = fmt.Sprintf("%+v", *s.LastStop)
	}
	s.LastStop = nil
	return fmt.Sprintf("%+v stop %s", s, stop)
}
