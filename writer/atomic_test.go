package writer

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func checkNoPartial(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(partialName(path)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("partial file still there (stat: %v)", err)
	}
}

func TestCommitReplaces(t *testing.T) {
	for _, name := range []string{"out.csv", "out.jsonl", "out.xlsx"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), name)
			writeFile(t, path, "old output", 0o644)
			w, err := Create(path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(partialName(path)); err != nil {
				t.Errorf("Create made no partial file: %v", err)
			}
			if err := w.Write(rawRow(1, `{"n":1}`), Enrichment{Status: StatusPending}); err != nil {
				t.Fatal(err)
			}
			if got := readFile(t, path); got != "old output" {
				t.Errorf("target changed before Commit: %q", got)
			}
			if err := w.Commit(); err != nil {
				t.Fatal(err)
			}
			if got := readFile(t, path); got == "old output" || len(got) == 0 {
				t.Errorf("target not replaced: %q", got)
			}
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != 0o600 {
				t.Errorf("mode %v, want 0600", st.Mode().Perm())
			}
			checkNoPartial(t, path)
			if err := w.Abort(); err != nil {
				t.Errorf("Abort after Commit: %v", err)
			}
			if got := readFile(t, path); got == "old output" {
				t.Error("Abort after Commit undid it")
			}
			if err := w.Write(rawRow(2, `{}`), Enrichment{Status: StatusPending}); err == nil {
				t.Error("Write after Commit succeeded")
			}
			if err := w.Commit(); err == nil {
				t.Error("second Commit succeeded")
			}
		})
	}
}

func TestAbortKeepsOld(t *testing.T) {
	for _, name := range []string{"out.csv", "out.jsonl", "out.xlsx"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), name)
			writeFile(t, path, "old output", 0o600)
			w, err := Create(path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Write(rawRow(1, `{"n":1}`), Enrichment{Status: StatusPending}); err != nil {
				t.Fatal(err)
			}
			if err := w.Abort(); err != nil {
				t.Fatal(err)
			}
			if got := readFile(t, path); got != "old output" {
				t.Errorf("Abort changed the target: %q", got)
			}
			checkNoPartial(t, path)
			if err := w.Abort(); err != nil {
				t.Errorf("second Abort: %v", err)
			}
			if err := w.Commit(); err == nil {
				t.Error("Commit after Abort succeeded")
			}
			if got := readFile(t, path); got != "old output" {
				t.Errorf("Commit after Abort changed the target: %q", got)
			}
		})
	}
}

// fullDisk accepts limit bytes, then fails like a full disk.
type fullDisk struct {
	w     io.Writer
	limit int
}

func (d *fullDisk) Write(p []byte) (int, error) {
	if len(p) > d.limit {
		n, _ := d.w.Write(p[:d.limit])
		d.limit = 0
		return n, &os.PathError{Op: "write", Path: "partial", Err: syscall.ENOSPC}
	}
	d.limit -= len(p)
	return d.w.Write(p)
}

func TestWriteErrorKeepsOld(t *testing.T) {
	tests := []struct {
		name string
		// wantWriteErr: the failure shows in Write (buffered formats, once a
		// buffer's worth is written), not only in Commit (XLSX is written
		// to the file at Commit).
		wantWriteErr bool
	}{
		{"out.csv", true},
		{"out.jsonl", true},
		{"out.xlsx", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tt.name)
			writeFile(t, path, "old output", 0o600)
			w, err := create(path, Options{}, func(w io.Writer) io.Writer { return &fullDisk{w: w, limit: 1000} })
			if err != nil {
				t.Fatal(err)
			}
			var writeErr error
			note := strings.Repeat("x", 200)
			for i := range 2 * bufSize / 200 {
				if writeErr = w.Write(rawRow(i+1, fmt.Sprintf(`{"note":%q}`, note)), Enrichment{Status: StatusPending}); writeErr != nil {
					break
				}
			}
			if tt.wantWriteErr {
				if !errors.Is(writeErr, syscall.ENOSPC) || !strings.Contains(writeErr.Error(), path) {
					t.Errorf("Write error = %v, want ENOSPC naming %s", writeErr, path)
				}
			}
			err = w.Commit()
			if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), path) {
				t.Errorf("Commit error = %v, want ENOSPC naming %s", err, path)
			}
			if got := readFile(t, path); got != "old output" {
				t.Errorf("a failed output replaced the target: %d bytes", len(got))
			}
			checkNoPartial(t, path)
		})
	}
}

func TestModeUnderUmask0(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	path := filepath.Join(t.TempDir(), "out.csv")
	// A leftover partial from a crashed run, world-readable.
	writeFile(t, partialName(path), "leftover from a crash, longer than the new output will be", 0o666)
	w, err := Create(path, Options{Header: []string{"name"}})
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(partialName(path))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("partial mode %v, want 0600", st.Mode().Perm())
	}
	if err := w.Write(fieldsRow(2, "Ann Lee"), Enrichment{Status: StatusPending}); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	st, err = os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("output mode %v, want 0600", st.Mode().Perm())
	}
	if got := readFile(t, path); strings.Contains(got, "leftover") {
		t.Errorf("the leftover partial was not truncated: %q", got)
	}
}

func TestCreateFails(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file.txt")
	writeFile(t, file, "x", 0o600)
	folder := filepath.Join(dir, "out.csv")
	if err := os.Mkdir(folder, 0o700); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, want string
	}{
		{"missing folder", filepath.Join(dir, "missing", "out.csv"), filepath.Join(dir, "missing") + " does not exist"},
		{"parent is a file", filepath.Join(file, "out.csv"), file + " is not a folder"},
		{"target is a folder", folder, folder + " is a folder"},
		{"unknown extension", filepath.Join(dir, "out.pdf"), `".pdf"`},
	}
	if os.Geteuid() != 0 {
		// root writes into read-only folders; "parent is a file" covers the
		// unwritable case there.
		ro := filepath.Join(dir, "ro")
		if err := os.Mkdir(ro, 0o500); err != nil {
			t.Fatal(err)
		}
		tests = append(tests, struct{ name, path, want string }{"read-only folder", filepath.Join(ro, "out.csv"), filepath.Join(ro, "out.csv")})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := Create(tt.path, Options{})
			if err == nil {
				w.Abort()
				t.Fatalf("Create(%s) succeeded", tt.path)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
		})
	}
	if _, err := Create(filepath.Join(dir, "o.csv"), Options{Delimiter: '"'}); err == nil || !strings.Contains(err.Error(), "delimiter") {
		t.Errorf("Create with a quote delimiter: %v", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".partial") {
			t.Errorf("a failed Create left %s", e.Name())
		}
	}
}
