// Package checkpoint keeps a job's state folder: the memory that lets a
// later run carry on without paying twice for a row.
//
// The folder (mode 0700) holds:
//
//	journal  append-only log of everything that happened (0600)
//	rows     the lookup key of every input row, in input order (0600),
//	         replaced atomically by RowsWriter.Commit
//	lock     flock'ed by the process that owns the folder; holds its pid,
//	         host and start time
//
// Every journal append is one write(2) of a whole line, so once a call
// returns the record survives the process being killed (kill -9); fsync is
// a group commit at most every Options.SyncEvery, which bounds what a
// machine crash can lose. Replay on Open keeps in memory only a compact
// index (8 bytes of payload per key) and the counters of Summary; a full
// result is read back from the journal by offset.
package checkpoint

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Key identifies one lookup: a hash of its canonical request. Zero is
// never a valid key (the rows file uses it for invalid rows).
type Key uint64

// KeyOf returns the first 8 bytes of the SHA-256 of canonical, read as a
// big-endian integer; 1 instead of the (astronomically unlikely) 0.
func KeyOf(canonical []byte) Key {
	sum := sha256.Sum256(canonical)
	k := Key(binary.BigEndian.Uint64(sum[:8]))
	if k == 0 {
		k = 1
	}
	return k
}

// String returns the key as 16 hex digits, as in the journal.
func (k Key) String() string { return string(appendKey(nil, k)) }

// Job identifies the job a folder belongs to.
type Job struct {
	Input string // absolute path of the input file
}

// Options configure a State. The zero value is ready to use.
type Options struct {
	// SyncEvery is the longest time an appended record waits for fsync
	// (group commit). Zero or negative means 200ms.
	SyncEvery time.Duration
	// Logger gets warnings (torn tail cut off, stale lock taken over).
	// Nil discards them.
	Logger *slog.Logger
	// Now is the clock for timestamps and for "today" in Summary.
	// Nil means time.Now.
	Now func() time.Time

	// fsync is a test seam counting journal syncs; nil means (*os.File).Sync.
	fsync func(*os.File) error
}

// DefaultSyncEvery is the group-commit interval when Options.SyncEvery is 0.
const DefaultSyncEvery = 200 * time.Millisecond

// Result is the outcome of one lookup as stored in the journal.
// Status is "matched", "not_found" or "failed"; Records are the raw API
// records, each valid JSON, stored byte for byte unless it spans several
// lines (then compacted); Credits and Requests are what the lookup cost.
type Result struct {
	Key      Key
	Status   string
	Records  []json.RawMessage
	Total    int
	Error    string
	Credits  float64
	Requests int
	At       time.Time
}

// Stop records why a run ended early. Requests and Credits are spent by
// requests that produced no Result (e.g. the 402 that stopped the run).
type Stop struct {
	Reason   string    `json:"reason"`
	Code     int       `json:"code"`
	Message  string    `json:"message,omitempty"`
	At       time.Time `json:"at"`
	Requests int       `json:"requests,omitempty"`
	Credits  float64   `json:"credits,omitempty"`
}

// Run describes one run of the job (BeginRun).
type Run struct {
	Number  int       `json:"number"`
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	Started time.Time `json:"started"`
	Args    []string  `json:"args"`
}

// CreditsNote is a credit balance seen at a given time (NoteCredits).
type CreditsNote struct {
	Balance float64         `json:"balance"`
	At      time.Time       `json:"at"`
	Raw     json.RawMessage `json:"raw,omitempty"`
}

// An index entry packs, in one uint64:
//
//	bits  0-43  offset of the key's latest R line (0: no result; the J
//	            line is at offset 0, so no R line is)
//	bits 44-46  status code of that result
//	bit  47     in flight (a B line without a later R or A)
//	bits 48-63  low 16 bits of the run that began it
//
// A key still in flight from 65536 runs ago would look begun in this run:
// harmless, it is then simply not requested again in this run.
const (
	offsetBits   = 44
	offsetMask   = 1<<offsetBits - 1
	statusShift  = 44
	statusMask   = 7
	inflightFlag = 1 << 47
	runShift     = 48
	runMask      = 0xffff
)

func entryOffset(e uint64) int64  { return int64(e & offsetMask) }
func entryStatus(e uint64) uint64 { return e >> statusShift & statusMask }
func entryInFlight(e uint64) bool { return e&inflightFlag != 0 }
func entryRun(e uint64) int       { return int(e >> runShift & runMask) }

type tally struct {
	requests int
	credits  float64
}

// State is an open state folder. It is safe for concurrent use. Methods
// that write return the first write or fsync error again on every later
// call: after a failed write the journal's end is not trusted.
type State struct {
	dir      string
	path     string // journal
	readOnly bool
	log      *slog.Logger
	now      func() time.Time
	fsync    func(*os.File) error
	lockFile *os.File

	mu      sync.RWMutex
	f       *os.File
	size    int64 // end of the last complete line
	index   index
	header  jobHeader
	run     int  // the latest run (in replay: the run being replayed)
	started bool // BeginRun was called on this State
	runs    int
	lastRun Run
	stop    *Stop
	credits CreditsNote
	days    map[int64]tally // by UTC day number
	total   tally
	nflight int // keys in flight
	dirty   bool
	err     error // sticky write/fsync error
	closed  bool

	syncStop chan struct{}
	syncDone chan struct{}
}

// Open opens (creating it if needed) the state folder dir for job, locks it
// and replays the journal. A torn last line (an append cut short) is cut
// off with a warning. Errors: *LockError (ErrLocked) when another State
// holds the folder, returned at once; *JobMismatchError (ErrOtherJob) when
// the folder was made for another input; *JournalError for a damaged
// journal, naming the file and line.
func Open(dir string, job Job, opt Options) (*State, error) {
	s := newState(dir, opt)
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("create state folder: %w", err)
		}
		if err := syncDir(filepath.Dir(dir)); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, fmt.Errorf("state folder: %w", err)
	}
	lock, err := acquireLock(filepath.Join(dir, "lock"), s.now(), s.log)
	if err != nil {
		return nil, err
	}
	s.lockFile = lock
	if err := s.openJournal(job); err != nil {
		s.f.Close()
		releaseLock(lock)
		return nil, err
	}
	s.syncStop = make(chan struct{})
	s.syncDone = make(chan struct{})
	go s.syncLoop(opt.SyncEvery)
	return s, nil
}

func newState(dir string, opt Options) *State {
	s := &State{
		dir:   dir,
		path:  filepath.Join(dir, "journal"),
		log:   opt.Logger,
		now:   opt.Now,
		fsync: opt.fsync,
		days:  make(map[int64]tally),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.fsync == nil {
		s.fsync = (*os.File).Sync
	}
	return s
}

func (s *State) openJournal(job Job) error {
	f, err := os.OpenFile(s.path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open journal: %w", err)
	}
	s.f = f
	good, torn, err := s.replay()
	if err != nil {
		return err
	}
	// Another job's folder is left exactly as it is.
	if good > 0 && filepath.Clean(s.header.Input) != filepath.Clean(job.Input) {
		return &JobMismatchError{Dir: s.dir, Input: job.Input, StateInput: s.header.Input}
	}
	if torn > 0 {
		if err := f.Truncate(good); err != nil {
			return fmt.Errorf("cut torn tail of %s: %w", s.path, err)
		}
		if err := s.fsync(f); err != nil {
			return fmt.Errorf("fsync %s: %w", s.path, err)
		}
		s.log.Warn("checkpoint: cut off a torn last record (an append interrupted by a crash)",
			"journal", s.path, "offset", good, "bytes", torn)
	}
	s.size = good
	if good == 0 {
		s.header = jobHeader{Version: formatVersion, Input: job.Input, Created: s.now().UTC()}
		line, err := jsonLine('J', s.header)
		if err != nil {
			return err
		}
		if _, err := f.Write(line); err != nil {
			return fmt.Errorf("write %s: %w", s.path, err)
		}
		s.size = int64(len(line))
		if err := s.fsync(f); err != nil {
			return fmt.Errorf("fsync %s: %w", s.path, err)
		}
		return syncDir(s.dir)
	}
	return nil
}

// OpenReadOnly replays the journal of dir without taking the lock, for
// `status` while a run may be going on. A torn last line is ignored, not
// cut off. Writing methods fail with ErrReadOnly. Errors: ErrNoState when
// dir or its journal is missing or empty; *JournalError as for Open.
func OpenReadOnly(dir string) (*State, error) {
	s := newState(dir, Options{})
	s.readOnly = true
	f, err := os.Open(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w in %s", ErrNoState, dir)
	}
	if err != nil {
		return nil, fmt.Errorf("open journal: %w", err)
	}
	s.f = f
	good, _, err := s.replay()
	if err != nil {
		f.Close()
		return nil, err
	}
	if good == 0 {
		f.Close()
		return nil, fmt.Errorf("%w in %s (empty journal)", ErrNoState, dir)
	}
	s.size = good
	return s, nil
}

// replay reads the journal from the start into the index and counters.
// It returns the end of the last good line and the number of bytes after
// it that form a torn last line.
func (s *State) replay() (good, torn int64, err error) {
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return 0, 0, err
	}
	br := bufio.NewReaderSize(s.f, 256<<10)
	var long []byte
	var off int64
	for lineNo := 1; ; lineNo++ {
		line, err := readLine(br, &long)
		if err != nil && err != io.EOF {
			return 0, 0, fmt.Errorf("read %s: %w", s.path, err)
		}
		if len(line) == 0 {
			return off, 0, nil
		}
		rec, perr := parseLine(line)
		if perr != nil {
			if _, peekErr := br.Peek(1); peekErr == io.EOF {
				return off, int64(len(line)), nil
			}
			return 0, 0, &JournalError{Path: s.path, Line: lineNo, Msg: perr.Error()}
		}
		if err := s.apply(&rec, off, lineNo); err != nil {
			return 0, 0, err
		}
		off += int64(len(line))
	}
}

// readLine returns the next line with its '\n' (without one at the end of
// the file). The slice is valid until the next call.
func readLine(br *bufio.Reader, long *[]byte) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if err != bufio.ErrBufferFull {
		return line, err
	}
	*long = append((*long)[:0], line...)
	for err == bufio.ErrBufferFull {
		line, err = br.ReadSlice('\n')
		*long = append(*long, line...)
	}
	return *long, err
}

// apply folds one verified record into the in-memory state.
func (s *State) apply(rec *record, off int64, lineNo int) error {
	if (lineNo == 1) != (rec.kind == 'J') {
		msg := "the first line is not the job header"
		if lineNo > 1 {
			msg = "a second job header"
		}
		return &JournalError{Path: s.path, Line: lineNo, Msg: msg}
	}
	switch rec.kind {
	case 'J':
		if rec.header.Version > formatVersion {
			return &JournalError{Path: s.path, Msg: fmt.Sprintf(
				"written by a newer clodura-enrich (journal format %d; this one reads up to %d): use the newer version",
				rec.header.Version, formatVersion)}
		}
		s.header = rec.header
	case 'N':
		s.runs++
		s.lastRun = rec.run
		s.run = rec.run.Number
	case 'B':
		s.begin(rec.key, s.run)
	case 'A':
		s.abandon(rec.key)
	case 'R':
		s.result(rec.key, rec.status, off)
		s.count(rec.at, rec.requests, rec.credits)
	case 'C':
		s.credits = rec.credit
		s.credits.Raw = nil // Summary does not report it; keep memory small
	case 'S':
		st := rec.stop
		s.stop = &st
		s.count(st.At.Unix(), st.Requests, st.Credits)
	}
	return nil
}

func (s *State) begin(k Key, run int) {
	e := s.index.get(k)
	if !entryInFlight(e) {
		s.nflight++
	}
	s.index.set(k, e&(offsetMask|statusMask<<statusShift)|inflightFlag|uint64(run&runMask)<<runShift)
}

func (s *State) abandon(k Key) {
	e := s.index.get(k)
	if !entryInFlight(e) {
		return
	}
	s.nflight--
	// Without an earlier result this leaves 0: unknown again.
	s.index.set(k, e&(offsetMask|statusMask<<statusShift))
}

func (s *State) result(k Key, code uint64, off int64) {
	if entryInFlight(s.index.get(k)) {
		s.nflight--
	}
	s.index.set(k, uint64(off)|code<<statusShift)
}

func (s *State) count(unix int64, requests int, credits float64) {
	d := dayOf(unix)
	t := s.days[d]
	t.requests += requests
	t.credits += credits
	s.days[d] = t
	s.total.requests += requests
	s.total.credits += credits
}

func dayOf(unix int64) int64 {
	d := unix / 86400
	if unix%86400 < 0 {
		d--
	}
	return d
}

// append writes line with one write(2) at the end of the journal. The
// caller holds s.mu. It returns the line's offset.
func (s *State) append(line []byte) (int64, error) {
	if err := s.writable(); err != nil {
		return 0, err
	}
	off := s.size
	if off+int64(len(line)) > offsetMask {
		return 0, fmt.Errorf("%s: journal too large", s.path)
	}
	if _, err := s.f.Write(line); err != nil {
		// Do not leave half a line for the next append to follow.
		_ = s.f.Truncate(off)
		s.err = fmt.Errorf("write %s: %w", s.path, err)
		return 0, s.err
	}
	s.size += int64(len(line))
	s.dirty = true
	return off, nil
}

func (s *State) writable() error {
	switch {
	case s.readOnly:
		return ErrReadOnly
	case s.closed:
		return fmt.Errorf("%s: %w", s.path, os.ErrClosed)
	}
	return s.err
}

// BeginRun journals the start of a run (its number, pid, host, time and
// args) and returns the run's number, counting from 1. Begin needs it: a
// key still in flight from an earlier run is one a crash interrupted.
// args must not hold secrets.
func (s *State) BeginRun(args []string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.writable(); err != nil {
		return 0, err
	}
	host, _ := os.Hostname()
	run := Run{Number: s.lastRun.Number + 1, PID: os.Getpid(), Host: host, Started: s.now().UTC(), Args: args}
	if run.Args == nil {
		run.Args = []string{}
	}
	line, err := jsonLine('N', run)
	if err != nil {
		return 0, err
	}
	if _, err := s.append(line); err != nil {
		return 0, err
	}
	s.runs++
	s.lastRun = run
	s.run = run.Number
	s.started = true
	return run.Number, nil
}

// Status returns "" for an unknown key, "inflight" for a key begun and not
// yet recorded or abandoned (in this run or in one that crashed), else the
// key's stored status: "matched", "not_found" or "failed".
func (s *State) Status(k Key) string {
	s.mu.RLock()
	e := s.index.get(k)
	s.mu.RUnlock()
	switch {
	case e == 0:
		return ""
	case entryInFlight(e):
		return "inflight"
	}
	return statusNames[entryStatus(e)]
}

// Begin decides whether k must be requested now, atomically. It returns
// true, after journaling k as in flight, when k is unknown, was abandoned,
// is in flight from an earlier run (a crash), or failed and retryFailed is
// set. It returns false when k has a final result (matched, not_found, or
// failed without retryFailed) or was already begun in this run. BeginRun
// must have been called.
func (s *State) Begin(k Key, retryFailed bool) (bool, error) {
	if k == 0 {
		return false, errors.New("checkpoint: Begin: key 0 is not a lookup")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.writable(); err != nil {
		return false, err
	}
	if !s.started {
		return false, errors.New("checkpoint: Begin before BeginRun")
	}
	if e := s.index.get(k); e != 0 {
		switch {
		case entryInFlight(e):
			if entryRun(e) == s.run&runMask {
				return false, nil
			}
		case entryStatus(e) == codeFailed:
			if !retryFailed {
				return false, nil
			}
		case entryStatus(e) != codeNone:
			return false, nil
		}
	}
	var buf [28]byte
	if _, err := s.append(keyLine(buf[:0], 'B', k)); err != nil {
		return false, err
	}
	s.begin(k, s.run)
	return true, nil
}

// Abandon journals that the request for k was not completed (the run
// stopped, the daily limit hit): k is no longer in flight and keeps the
// result it had before, if any. Abandoning a key not in flight is a no-op.
func (s *State) Abandon(k Key) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.writable(); err != nil {
		return err
	}
	if !entryInFlight(s.index.get(k)) {
		return nil
	}
	var buf [28]byte
	if _, err := s.append(keyLine(buf[:0], 'A', k)); err != nil {
		return err
	}
	s.abandon(k)
	return nil
}

// Record journals r as k's result; on return it survives kill -9 (it is
// written to the OS; fsync follows within SyncEvery). r.Status must be
// "matched", "not_found" or "failed"; a zero r.At is set to now.
func (s *State) Record(r Result) error {
	code, ok := statusCode([]byte(r.Status))
	if !ok {
		return fmt.Errorf("checkpoint: Record %s: invalid status %q", r.Key, r.Status)
	}
	if r.Key == 0 {
		return errors.New("checkpoint: Record: key 0 is not a lookup")
	}
	if r.At.IsZero() {
		r.At = s.now()
	}
	r.At = r.At.UTC()
	line, err := resultLine(&r)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	off, err := s.append(line)
	if err != nil {
		return err
	}
	s.result(r.Key, code, off)
	s.count(r.At.Unix(), r.Requests, r.Credits)
	return nil
}

// Result returns k's stored result, read back from the journal by offset
// and checked against its CRC. ok is false when k has no result (unknown,
// or in flight for the first time).
func (s *State) Result(k Key) (r Result, ok bool, err error) {
	s.mu.RLock()
	e := s.index.get(k)
	f := s.f
	closed := s.closed
	s.mu.RUnlock()
	off := entryOffset(e)
	if off == 0 {
		return Result{}, false, nil
	}
	if closed {
		return Result{}, false, fmt.Errorf("%s: %w", s.path, os.ErrClosed)
	}
	line, err := readLineAt(f, off)
	if err != nil {
		return Result{}, false, fmt.Errorf("read result %s from %s at offset %d: %w", k, s.path, off, err)
	}
	rec, err := parseLine(line)
	if err == nil && (rec.kind != 'R' || rec.key != k) {
		err = errors.New("the line there is not this key's result")
	}
	var p resultPayload
	if err == nil {
		err = json.Unmarshal(rec.payload, &p)
	}
	if err != nil {
		return Result{}, false, fmt.Errorf("read result %s from %s at offset %d: %w", k, s.path, off, err)
	}
	return Result{
		Key: k, Status: statusNames[rec.status], Records: p.Records, Total: p.Total,
		Error: p.Error, Credits: p.Credits, Requests: p.Requests, At: p.At,
	}, true, nil
}

// readLineAt reads the line starting at off, '\n' included.
func readLineAt(f *os.File, off int64) ([]byte, error) {
	buf := make([]byte, 4096)
	have := 0
	for {
		n, err := f.ReadAt(buf[have:], off+int64(have))
		if i := bytes.IndexByte(buf[have:have+n], '\n'); i >= 0 {
			return buf[:have+i+1], nil
		}
		have += n
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		if have == len(buf) {
			buf = append(buf, make([]byte, len(buf))...)
		}
	}
}

// NoteCredits journals a credit balance seen now; raw is the API's answer
// (may be nil). Summary reports the last one.
func (s *State) NoteCredits(balance float64, raw json.RawMessage) error {
	note := CreditsNote{Balance: balance, At: s.now().UTC(), Raw: raw}
	line, err := jsonLine('C', note)
	if err != nil {
		return fmt.Errorf("checkpoint: NoteCredits: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.append(line); err != nil {
		return err
	}
	note.Raw = nil // Summary does not need it; keep memory small
	s.credits = note
	return nil
}

// Stop journals why the run ended early and fsyncs at once. A zero st.At
// is set to now. st.Requests and st.Credits count in Summary's totals.
func (s *State) Stop(st Stop) error {
	if st.At.IsZero() {
		st.At = s.now()
	}
	st.At = st.At.UTC()
	line, err := jsonLine('S', st)
	if err != nil {
		return fmt.Errorf("checkpoint: Stop: %w", err)
	}
	s.mu.Lock()
	if _, err := s.append(line); err != nil {
		s.mu.Unlock()
		return err
	}
	s.stop = &st
	s.count(st.At.Unix(), st.Requests, st.Credits)
	s.mu.Unlock()
	return s.Sync()
}

// Sync fsyncs what was appended, now. It returns the first write or fsync
// error seen so far. After Close it does nothing.
func (s *State) Sync() error {
	s.mu.RLock()
	skip := s.readOnly || s.closed
	s.mu.RUnlock()
	if skip {
		return nil
	}
	return s.flush()
}

// flush fsyncs the journal if anything was written since the last time.
func (s *State) flush() error {
	s.mu.Lock()
	if s.err != nil || !s.dirty {
		err := s.err
		s.mu.Unlock()
		return err
	}
	s.dirty = false
	s.mu.Unlock()
	// Outside the lock: appends go on while the disk works; what they write
	// sets dirty again and is synced next time.
	if err := s.fsync(s.f); err != nil {
		s.mu.Lock()
		if s.err == nil {
			s.err = fmt.Errorf("fsync %s: %w", s.path, err)
		}
		err = s.err
		s.mu.Unlock()
		return err
	}
	return nil
}

// syncLoop is the group commit: at most every interval, fsync what was
// written since the last sync.
func (s *State) syncLoop(every time.Duration) {
	defer close(s.syncDone)
	if every <= 0 {
		every = DefaultSyncEvery
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.syncStop:
			return
		case <-t.C:
			if err := s.Sync(); err != nil {
				s.log.Error("checkpoint: fsync failed", "journal", s.path, "err", err)
				return
			}
		}
	}
}

// Close fsyncs the journal, releases the lock and closes the files. It
// returns the first write or fsync error seen. Later calls, and calls of
// the writing methods after it, return nil and an error wrapping
// os.ErrClosed respectively.
func (s *State) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	var err error
	if !s.readOnly {
		close(s.syncStop)
		<-s.syncDone
		err = s.flush()
	}
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	if s.lockFile != nil {
		if lerr := releaseLock(s.lockFile); err == nil {
			err = lerr
		}
	}
	return err
}

// Dir returns the state folder.
func (s *State) Dir() string { return s.dir }

// Input returns the input path the folder was created for.
func (s *State) Input() string { return s.header.Input }

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("fsync folder: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("fsync folder %s: %w", dir, err)
	}
	return nil
}
