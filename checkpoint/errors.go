package checkpoint

import (
	"errors"
	"fmt"
	"time"
)

// Sentinels matched with errors.Is.
var (
	// ErrLocked: another process (or another State in this process) holds
	// the folder's lock. The error is a *LockError naming the holder.
	ErrLocked = errors.New("state folder is locked by another run")
	// ErrOtherJob: the folder belongs to a different input. The error is a
	// *JobMismatchError naming both inputs.
	ErrOtherJob = errors.New("state folder belongs to another job")
	// ErrNoState: OpenReadOnly found no folder or no journal.
	ErrNoState = errors.New("no job state")
	// ErrReadOnly: a write was attempted on a State from OpenReadOnly.
	ErrReadOnly = errors.New("state opened read-only")
)

// LockError is returned by Open when the folder's lock is held. PID, Host
// and Started come from the lock file and are zero when it could not be
// read (the holder may be writing it at this very moment).
type LockError struct {
	Path    string // the lock file
	PID     int
	Host    string
	Started time.Time
}

func (e *LockError) Error() string {
	holder := "another process"
	if e.PID != 0 {
		holder = fmt.Sprintf("pid %d on host %q, started %s", e.PID, e.Host, e.Started.Format(time.RFC3339))
	}
	return fmt.Sprintf("%s: the job state is in use by %s; wait for that run to finish or stop it", e.Path, holder)
}

// Is makes errors.Is(err, ErrLocked) true.
func (e *LockError) Is(target error) bool { return target == ErrLocked }

// JobMismatchError is returned by Open when the journal was created for
// another input file than Job.Input.
type JobMismatchError struct {
	Dir        string // the state folder
	Input      string // the input of this run
	StateInput string // the input the folder was created for
}

func (e *JobMismatchError) Error() string {
	return fmt.Sprintf("state folder %s belongs to input %q, not %q: use another --state folder or remove %s",
		e.Dir, e.StateInput, e.Input, e.Dir)
}

// Is makes errors.Is(err, ErrOtherJob) true.
func (e *JobMismatchError) Is(target error) bool { return target == ErrOtherJob }

// JournalError reports a journal that cannot be replayed: a damaged line
// that is not the last one, a misplaced header, or a newer format. Line is
// 1-based; 0 when the error is not about one line.
type JournalError struct {
	Path string
	Line int
	Msg  string
}

func (e *JournalError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s: line %d: %s", e.Path, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.Path, e.Msg)
}
