package checkpoint

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The child processes of these tests are this test binary, re-executed
// with -test.run=^TestHelperProcess$ and CHECKPOINT_HELPER naming the role.
// They report on file descriptor 3 (a pipe), not stdout, which the testing
// package writes to.
const (
	helperEnv    = "CHECKPOINT_HELPER"
	helperDirEnv = "CHECKPOINT_HELPER_DIR"
	killAfter    = 300 // results the "kill" helper reports before SIGKILL
)

// helperResult is what the "kill" helper records for key k.
func helperResult(k Key) Result {
	r := sampleResult(k)
	r.Requests = int(k % 5)
	return r
}

// TestHelperProcess is not a test: it is the body of the child processes.
// Without CHECKPOINT_HELPER it returns at once.
func TestHelperProcess(t *testing.T) {
	role := os.Getenv(helperEnv)
	if role == "" {
		return
	}
	report := os.NewFile(3, "report")
	fail := func(err error) {
		fmt.Fprintf(report, "error %v\n", err)
		os.Exit(2)
	}
	s, err := Open(os.Getenv(helperDirEnv), Job{Input: testInput}, Options{})
	if err != nil {
		fail(err)
	}
	if _, err := s.BeginRun([]string{"helper", role}); err != nil {
		fail(err)
	}
	switch role {
	case "hold":
		// Hold the lock until the parent closes our stdin.
		fmt.Fprintf(report, "locked %d\n", os.Getpid())
		io.Copy(io.Discard, os.Stdin)
		if err := s.Close(); err != nil {
			fail(err)
		}
		os.Exit(0)
	case "kill":
		// A second writer keeps appending, unreported, so that the kill
		// lands in the middle of the stream.
		go func() {
			for k := Key(1 << 32); ; k++ {
				if _, err := s.Begin(k, false); err != nil {
					fail(err)
				}
				if err := s.Record(helperResult(k)); err != nil {
					fail(err)
				}
			}
		}()
		for k := Key(1); ; k++ {
			if _, err := s.Begin(k, false); err != nil {
				fail(err)
			}
			if err := s.Record(helperResult(k)); err != nil {
				fail(err)
			}
			fmt.Fprintf(report, "recorded %d\n", k)
			if k == killAfter {
				syscall.Kill(os.Getpid(), syscall.SIGKILL)
			}
		}
	}
	fail(fmt.Errorf("unknown helper role %q", role))
}

// startHelper starts a child process in role on dir and returns it, a
// reader of its reports and its stdin.
func startHelper(t *testing.T, role, dir string) (*exec.Cmd, *bufio.Reader, io.WriteCloser) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	// atexit_sleep_ms: a race-enabled child would otherwise idle 1s on exit.
	cmd.Env = append(os.Environ(), helperEnv+"="+role, helperDirEnv+"="+dir, "GORACE=atexit_sleep_ms=0")
	cmd.ExtraFiles = []*os.File{w}
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close() // the child has its copy; EOF when it exits
	t.Cleanup(func() {
		stdin.Close()
		cmd.Process.Kill()
		cmd.Wait()
		r.Close()
	})
	return cmd, bufio.NewReader(r), stdin
}

// TestKill9 checks that every record whose Record call returned in a
// process killed with SIGKILL (no fsync, no Close) is in the journal.
func TestKill9(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "job.state")
	cmd, reports, _ := startHelper(t, "kill", dir)
	var recorded []Key
	for {
		line, err := reports.ReadString('\n')
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n, ok := strings.CutPrefix(strings.TrimSpace(line), "recorded ")
		if !ok {
			t.Fatalf("helper: %s", line)
		}
		k, err := strconv.ParseUint(n, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		recorded = append(recorded, Key(k))
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("helper ended with %v, want SIGKILL", err)
	}
	if len(recorded) != killAfter {
		t.Fatalf("helper reported %d records, want %d", len(recorded), killAfter)
	}

	var logs logBuf
	s := openT(t, dir, Options{Logger: logs.logger()})
	for _, k := range recorded {
		r, ok := getResult(t, s, k)
		if !ok || !reflect.DeepEqual(r, helperResult(k)) {
			t.Fatalf("record %d reported as returned is missing or wrong after kill -9: %+v %v", k, r, ok)
		}
	}
	// The dead child's lock is taken over, naming it.
	if want := fmt.Sprintf("pid=%d", cmd.Process.Pid); !strings.Contains(logs.String(), want) {
		t.Errorf("no stale-lock warning naming %s in %q", want, logs.String())
	}
	sum, err := s.Summary()
	if err != nil {
		t.Fatal(err)
	}
	if sum.Runs != 1 || sum.LastRun.PID != cmd.Process.Pid {
		t.Errorf("Summary after kill: runs %d, last run %+v", sum.Runs, sum.LastRun)
	}
	t.Logf("after kill -9: %d reported records intact, %d keys still in flight", len(recorded), sum.InFlightKeys)
}

func TestLockBusyOtherProcess(t *testing.T) {
	dir := t.TempDir()
	cmd, reports, stdin := startHelper(t, "hold", dir)
	line, err := reports.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "locked ") {
		t.Fatalf("helper: %q %v", line, err)
	}
	_, err = Open(dir, Job{Input: testInput}, Options{})
	var le *LockError
	if !errors.As(err, &le) || !errors.Is(err, ErrLocked) {
		t.Fatalf("Open while another process holds the lock: %v, want *LockError", err)
	}
	host, _ := os.Hostname()
	if le.PID != cmd.Process.Pid || le.Host != host || time.Since(le.Started) > time.Minute {
		t.Errorf("LockError = %+v, want pid %d host %s", le, cmd.Process.Pid, host)
	}
	if msg := err.Error(); !strings.Contains(msg, strconv.Itoa(cmd.Process.Pid)) || !strings.Contains(msg, host) {
		t.Errorf("message %q does not name pid and host", msg)
	}
	// Once the holder closes, the folder is free and not stale.
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("helper: %v", err)
	}
	var logs logBuf
	s := openT(t, dir, Options{Logger: logs.logger()})
	if logs.String() != "" {
		t.Errorf("clean handover logged %q", logs.String())
	}
	if sum, _ := s.Summary(); sum.Runs != 1 {
		t.Errorf("runs = %d, want the helper's 1", sum.Runs)
	}
}

func TestLockBusySameProcess(t *testing.T) {
	dir := t.TempDir()
	before := time.Now().Add(-time.Second)
	s := openT(t, dir, Options{})
	// flock locks belong to the open file description: a second open of
	// the lock file in this process conflicts with the first.
	_, err := Open(dir, Job{Input: testInput}, Options{})
	var le *LockError
	if !errors.As(err, &le) || !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open in the same process: %v, want *LockError", err)
	}
	if le.PID != os.Getpid() || le.Started.Before(before) || le.Path != filepath.Join(dir, "lock") {
		t.Errorf("LockError = %+v", le)
	}
	if !strings.Contains(err.Error(), fmt.Sprintf("pid %d", os.Getpid())) {
		t.Errorf("message %q does not name the pid", err)
	}
	// Read-only access is not blocked by the lock.
	ro, err := OpenReadOnly(dir)
	if err != nil {
		t.Fatalf("OpenReadOnly while locked: %v", err)
	}
	ro.Close()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "lock")); len(b) != 0 {
		t.Errorf("Close left lock content %q", b)
	}
	s2, err := Open(dir, Job{Input: testInput}, Options{})
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	s2.Close()
}

func TestStaleLockTakeover(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, dir, Options{})
	s.Close()
	stale, _ := json.Marshal(lockInfo{PID: 999999, Host: "deadhost", Started: t0})
	lockPath := filepath.Join(dir, "lock")
	if err := os.WriteFile(lockPath, stale, 0o600); err != nil {
		t.Fatal(err)
	}
	var logs logBuf
	s = openT(t, dir, Options{Logger: logs.logger()})
	if log := logs.String(); !strings.Contains(log, "pid=999999") || !strings.Contains(log, "deadhost") {
		t.Errorf("no warning naming the dead holder: %q", log)
	}
	b, err := os.ReadFile(lockPath)
	if err != nil {
		t.Fatal(err)
	}
	var info lockInfo
	if err := json.Unmarshal(b, &info); err != nil || info.PID != os.Getpid() {
		t.Errorf("lock content after takeover: %s (%v)", b, err)
	}
}
