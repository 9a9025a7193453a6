package checkpoint

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"syscall"
	"time"
)

// lockInfo is the content of the lock file while a process holds it.
type lockInfo struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	Started time.Time `json:"started"`
}

// acquireLock takes flock(LOCK_EX|LOCK_NB) on path and writes the holder's
// identity into it. flock locks belong to the open file description, so a
// second acquireLock in the same process conflicts as well. A busy lock
// fails at once with a *LockError. A free lock that still has content was
// left by a process that died without Close: it is taken over with a
// warning naming that process.
func acquireLock(path string, now time.Time, log *slog.Logger) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			// Unreadable content (the holder may be writing it right
			// now) leaves the holder's fields zero.
			info, _ := readLockFile(path)
			return nil, &LockError{Path: path, PID: info.PID, Host: info.Host, Started: info.Started}
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	prev, readErr := readLockInfo(f)
	switch {
	case readErr == errEmptyLock:
	case readErr != nil:
		log.Warn("checkpoint: taking over a lock file with unreadable content", "path", path, "err", readErr)
	default:
		log.Warn("checkpoint: taking over the lock of a run that ended without releasing it",
			"path", path, "pid", prev.PID, "host", prev.Host, "started", prev.Started)
	}
	host, _ := os.Hostname()
	content, err := json.Marshal(lockInfo{PID: os.Getpid(), Host: host, Started: now})
	if err != nil {
		releaseLock(f)
		return nil, err
	}
	if err := f.Truncate(0); err != nil {
		releaseLock(f)
		return nil, fmt.Errorf("write lock %s: %w", path, err)
	}
	if _, err := f.WriteAt(append(content, '\n'), 0); err != nil {
		releaseLock(f)
		return nil, fmt.Errorf("write lock %s: %w", path, err)
	}
	return f, nil
}

var errEmptyLock = errors.New("empty lock file")

func readLockFile(path string) (lockInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return lockInfo{}, err
	}
	defer f.Close()
	return readLockInfo(f)
}

func readLockInfo(f *os.File) (lockInfo, error) {
	var info lockInfo
	b, err := io.ReadAll(io.NewSectionReader(f, 0, 4096))
	if err != nil {
		return info, err
	}
	if len(b) == 0 {
		return info, errEmptyLock
	}
	if err := json.Unmarshal(b, &info); err != nil {
		return info, fmt.Errorf("lock content: %w", err)
	}
	return info, nil
}

// releaseLock empties the lock file, so that the next holder does not
// mistake it for a stale one, then unlocks and closes it.
func releaseLock(f *os.File) error {
	err := f.Truncate(0)
	if uerr := syscall.Flock(int(f.Fd()), syscall.LOCK_UN); err == nil {
		err = uerr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
