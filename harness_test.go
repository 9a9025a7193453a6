package main

// The process-level test harness: the tool and the simulator run as
// separate processes, as users and cron run them.

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/clodura/enrich/clodura/sim"
)

// build compiles clodura-enrich once per test process and flavour.
type build struct {
	once sync.Once
	race bool
	path string
	err  error
}

var (
	toolBuild = &build{race: raceEnabled}
	// The simulator stands in for a remote server: it is built without the
	// race detector, so that it does not starve for CPU beside the tool and
	// stamp a backlog of arrivals all at once, which would read as pacing
	// the tool did not do.
	simBuild = &build{}
)

func (b *build) binary(t *testing.T) string {
	t.Helper()
	b.once.Do(func() {
		dir, err := os.MkdirTemp("", "clodura-enrich-bin-")
		if err != nil {
			b.err = err
			return
		}
		b.path = filepath.Join(dir, "clodura-enrich")
		args := []string{"build", "-o", b.path}
		if b.race {
			args = append(args, "-race")
		}
		out, err := exec.Command("go", append(args, ".")...).CombinedOutput()
		if err != nil {
			b.err = errors.New(string(out))
		}
	})
	if b.err != nil {
		t.Fatalf("building the binary: %v", b.err)
	}
	return b.path
}

// binary is the tool under test, built with -race when the tests run with it.
func binary(t *testing.T) string { return toolBuild.binary(t) }

// simProc is a simulator running as its own process.
type simProc struct {
	URL string
	cmd *exec.Cmd
}

// startSim starts `clodura-enrich sim` on a free loopback port with args
// (flags) and waits until it listens. It is killed when the test ends.
func startSim(t *testing.T, args ...string) *simProc {
	t.Helper()
	cmd := exec.Command(simBuild.binary(t), append([]string{"sim", "--addr", "127.0.0.1:0"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("simulator did not start: %v", err)
	}
	go io.Copy(io.Discard, stdout)
	_, rest, ok := strings.Cut(line, "listening on ")
	if !ok {
		t.Fatalf("simulator said %q", line)
	}
	return &simProc{URL: strings.Fields(rest)[0], cmd: cmd}
}

// Stats fetches the simulator's counters.
func (s *simProc) Stats(t *testing.T) sim.Stats {
	t.Helper()
	resp, err := http.Get(s.URL + "/_sim/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st sim.Stats
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

// Admin POSTs body (JSON) to an admin endpoint: "rollover", "keys", "faults".
func (s *simProc) Admin(t *testing.T, what string, body any) {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(s.URL+"/_sim/"+what, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		msg, _ := io.ReadAll(resp.Body)
		t.Fatalf("POST /_sim/%s: %s: %s", what, resp.Status, msg)
	}
}

// result is one finished run of the tool.
type result struct {
	code           int
	stdout, stderr string
}

// tool runs clodura-enrich with args and the environment env (KEY=VALUE;
// nothing else from the test's environment but PATH and HOME) and waits.
func tool(t *testing.T, env []string, args ...string) result {
	t.Helper()
	cmd := toolCmd(t, env, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{code, out.String(), errb.String()}
}

func toolCmd(t *testing.T, env []string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	return cmd
}

// proc is a tool process running in the background.
type proc struct {
	cmd       *exec.Cmd
	out, errb bytes.Buffer
	done      chan struct{}
	res       result // set when done is closed
}

// startTool starts the tool with env and args and returns at once; it is
// killed when the test ends if it is still running. A run killed by a
// signal reports 128 + the signal, as a shell does.
func startTool(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: toolCmd(t, env, args...), done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.errb
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(p.done)
		err := p.cmd.Wait()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			p.res.code = ee.ExitCode()
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				p.res.code = 128 + int(ws.Signal())
			}
		} else if err != nil {
			p.res.code = -1
		}
		p.res.stdout, p.res.stderr = p.out.String(), p.errb.String()
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// exited reports whether the process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// wait waits at most d for the process to exit and returns how it did.
func (p *proc) wait(t *testing.T, d time.Duration) result {
	t.Helper()
	select {
	case <-p.done:
		return p.res
	case <-time.After(d):
		p.cmd.Process.Kill()
		<-p.done
		t.Fatalf("the run did not end within %v\nstdout: %s\nstderr: %s", d, p.res.stdout, p.res.stderr)
	}
	return result{}
}

// readCSV reads a whole CSV output as records (header first).
func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return recs
}

// column returns the index of name in header, failing the test if absent.
func column(t *testing.T, header []string, name string) int {
	t.Helper()
	for i, h := range header {
		if h == name {
			return i
		}
	}
	t.Fatalf("no column %q in %v", name, header)
	return -1
}

// waitFor checks cond every 20 ms until it holds, failing the test after
// d. Polling is the only way to observe another process's progress (a
// file growing, a counter of the simulator); it is never used to wait
// for something a channel could signal.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(d)
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
	}
}
