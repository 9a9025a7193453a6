package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/clodura/enrich/clodura/sim"
)

// apiKey is the key every simulator of the harness accepts.
const apiKey = "bench-key"

// buildTool builds clodura-enrich from the repository root into dir.
func buildTool(root, dir string) (string, error) {
	bin := filepath.Join(dir, "clodura-enrich")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build in %s: %v\n%s", root, err, out)
	}
	return bin, nil
}

// simProc is `clodura-enrich sim` running as its own process.
type simProc struct {
	URL string
	cmd *exec.Cmd
}

// plan is a sim plan as POST /_sim/keys reads it. A zero limit is no limit.
type plan struct {
	Name      string `json:"name"`
	PerSecond int    `json:"per_second"`
	PerMinute int    `json:"per_minute"`
	PerDay    int    `json:"per_day"`
}

// unlimited has no window at all and a daily quota no run reaches. (An
// all-zero plan would mean the named plan to the simulator.)
var unlimited = plan{Name: "bench-unlimited", PerDay: 1 << 40}

// startSim starts the simulator on a free loopback port with the key set
// to p and the given answer latency and jitter. Close it with stop.
func startSim(bin string, p plan, latency, jitter time.Duration) (*simProc, error) {
	args := []string{"sim", "--addr", "127.0.0.1:0", "--key", apiKey, "--credits", "1e12",
		"--latency", latency.String(), "--jitter", jitter.String()}
	cmd := exec.Command(bin, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, fmt.Errorf("simulator did not start: %v", err)
	}
	go io.Copy(io.Discard, stdout)
	_, rest, ok := strings.Cut(line, "listening on ")
	if !ok {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, fmt.Errorf("simulator said %q", line)
	}
	s := &simProc{URL: strings.Fields(rest)[0], cmd: cmd}
	if err := s.admin("keys", map[string]any{"key": apiKey, "plan": p, "credits": 1e12}); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

func (s *simProc) stop() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		s.cmd.Process.Kill()
		<-done
	}
}

// cpu is the simulator's CPU time so far (user+system), from /proc.
func (s *simProc) cpu() time.Duration { return procCPU(s.cmd.Process.Pid) }

func (s *simProc) stats() (sim.Stats, error) {
	var st sim.Stats
	resp, err := http.Get(s.URL + "/_sim/stats")
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	return st, json.NewDecoder(resp.Body).Decode(&st)
}

func (s *simProc) admin(what string, body any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	resp, err := http.Post(s.URL+"/_sim/"+what, "application/json", bytes.NewReader(b))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		msg, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("POST /_sim/%s: %s: %s", what, resp.Status, msg)
	}
	return nil
}

// procCPU reads utime+stime of pid from /proc/PID/stat (clock ticks of
// 1/100 s on Linux).
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name may hold spaces: fields start after the last ')'.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	if len(f) < 13 {
		return 0
	}
	var ut, st int64
	fmt.Sscan(f[11], &ut)
	fmt.Sscan(f[12], &st)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// toolRun is one finished run of the tool.
type toolRun struct {
	Code    int
	Start   time.Time
	Wall    time.Duration
	User    time.Duration
	Sys     time.Duration
	MaxRSS  int64 // bytes, from wait4's rusage
	Stdout  string
	Stderr  string
	Summary string
}

func (r toolRun) CPU() time.Duration { return r.User + r.Sys }

// runTool runs the tool with args, CLODURA_API_KEY set, and measures it.
// The tool's own GOMAXPROCS etc. are left as they are.
func runTool(bin string, env []string, args ...string) (toolRun, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = append([]string{"CLODURA_API_KEY=" + apiKey, "PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	r := toolRun{Start: time.Now()}
	err := cmd.Run()
	r.Wall = time.Since(r.Start)
	r.Stdout, r.Stderr = out.String(), errb.String()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.Code = ee.ExitCode()
	case err != nil:
		return r, err
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.User = time.Duration(ru.Utime.Nano())
		r.Sys = time.Duration(ru.Stime.Nano())
		r.MaxRSS = ru.Maxrss * 1024
	}
	return r, nil
}

// mustOK turns a run that did not exit 0 into an error that shows why.
func (r toolRun) mustOK(what string) error {
	if r.Code == 0 {
		return nil
	}
	tail := r.Stderr
	if len(tail) > 2000 {
		tail = tail[len(tail)-2000:]
	}
	return fmt.Errorf("%s: exit %d\nstdout: %s\nstderr: %s", what, r.Code, r.Stdout, tail)
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }
