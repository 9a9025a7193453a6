package checkpoint

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// The rows file: a 16-byte header, then one 8-byte little-endian Key per
// input row, in input order (0 for an invalid row).
//
//	bytes 0-7   "CKROWS01"
//	bytes 8-15  row count, little-endian uint64
const (
	rowsMagic      = "CKROWS01"
	rowsHeaderSize = 16
)

// RowsWriter writes the rows file: Add each row's key in input order, then
// Commit. Until Commit the previous rows file, if any, stays in place. A
// RowsWriter is not safe for concurrent use.
type RowsWriter struct {
	tmp, path string
	dir       string
	f         *os.File
	w         *bufio.Writer
	n         uint64
	fsync     func(*os.File) error
	done      bool
	err       error
}

// CreateRows starts a new rows file ("rows.tmp", replacing any left by an
// earlier attempt).
func (s *State) CreateRows() (*RowsWriter, error) {
	s.mu.RLock()
	err := s.writable()
	s.mu.RUnlock()
	if err != nil {
		return nil, err
	}
	rw := &RowsWriter{
		tmp:   filepath.Join(s.dir, "rows.tmp"),
		path:  filepath.Join(s.dir, "rows"),
		dir:   s.dir,
		fsync: s.fsync,
	}
	rw.f, err = os.OpenFile(rw.tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create rows file: %w", err)
	}
	rw.w = bufio.NewWriterSize(rw.f, 64<<10)
	var hdr [rowsHeaderSize]byte
	copy(hdr[:], rowsMagic)
	rw.w.Write(hdr[:]) // count is written by Commit
	return rw, nil
}

// Add appends the key of the next row; 0 marks an invalid row.
func (rw *RowsWriter) Add(k Key) error {
	if rw.done {
		return errors.New("checkpoint: RowsWriter.Add after Commit or Abort")
	}
	if rw.err != nil {
		return rw.err
	}
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(k))
	if _, err := rw.w.Write(b[:]); err != nil {
		rw.err = fmt.Errorf("write %s: %w", rw.tmp, err)
		return rw.err
	}
	rw.n++
	return nil
}

// Len returns the number of rows added so far.
func (rw *RowsWriter) Len() int { return int(rw.n) }

// Commit writes the count, fsyncs, and renames the file over "rows", then
// fsyncs the folder. On error the old rows file is left as it was.
func (rw *RowsWriter) Commit() error {
	if rw.done {
		return errors.New("checkpoint: RowsWriter.Commit after Commit or Abort")
	}
	rw.done = true
	err := rw.err
	if err == nil {
		err = rw.w.Flush()
	}
	if err == nil {
		var cnt [8]byte
		binary.LittleEndian.PutUint64(cnt[:], rw.n)
		_, err = rw.f.WriteAt(cnt[:], 8)
	}
	if err == nil {
		err = rw.fsync(rw.f)
	}
	if cerr := rw.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(rw.tmp, rw.path)
	}
	if err != nil {
		os.Remove(rw.tmp)
		return fmt.Errorf("commit rows file %s: %w", rw.path, err)
	}
	return syncDir(rw.dir)
}

// Abort discards the new rows file. It is a no-op after Commit.
func (rw *RowsWriter) Abort() error {
	if rw.done {
		return nil
	}
	rw.done = true
	rw.f.Close()
	if err := os.Remove(rw.tmp); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// readRows calls fn with each chunk of row keys of the rows file in dir.
// A missing file is reported as os.ErrNotExist.
func readRows(dir string, fn func(keys []Key)) error {
	path := filepath.Join(dir, "rows")
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	var hdr [rowsHeaderSize]byte
	if _, err := io.ReadFull(f, hdr[:]); err != nil || string(hdr[:8]) != rowsMagic {
		return fmt.Errorf("%s: not a rows file", path)
	}
	n := binary.LittleEndian.Uint64(hdr[8:])
	if want := rowsHeaderSize + 8*n; uint64(st.Size()) != want {
		return fmt.Errorf("%s: %d bytes, want %d for %d rows", path, st.Size(), want, n)
	}
	br := bufio.NewReaderSize(f, 64<<10)
	buf := make([]byte, 8*4096)
	keys := make([]Key, 0, 4096)
	for left := n; left > 0; {
		m := min(left, 4096)
		if _, err := io.ReadFull(br, buf[:8*m]); err != nil {
			return fmt.Errorf("read %s: %w", path, err)
		}
		keys = keys[:0]
		for i := range m {
			keys = append(keys, Key(binary.LittleEndian.Uint64(buf[8*i:])))
		}
		fn(keys)
		left -= m
	}
	return nil
}
