package main

// Secrets and files: the API key never leaves the process (no stdout,
// stderr, log, output or state file holds it, whatever way a run ends),
// the files a run creates are readable by their owner only, and TLS
// verification cannot be switched off: --ca-cert only adds trust.

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// secretKey is a key anyone would recognise in a file, with a random-
// looking tail so that no part of it occurs by chance.
const secretKey = "ck_live_SECRET_4f9a7c2e1b8d6a3f90e5"

// secretFinds reports where what (named by name) holds the key, or its
// distinctive tail alone.
func secretFinds(name string, what []byte) []string {
	var found []string
	for _, s := range []string{secretKey, "4f9a7c2e1b8d6a3f90e5"} {
		if i := bytes.Index(what, []byte(s)); i >= 0 {
			lo, hi := max(i-60, 0), min(i+len(s)+60, len(what))
			found = append(found, fmt.Sprintf("%s holds the API key: ...%q...", name, what[lo:hi]))
		}
	}
	return found
}

// secretFree fails the test if what holds the key.
func secretFree(t *testing.T, name string, what []byte) {
	t.Helper()
	for _, f := range secretFinds(name, what) {
		t.Error(f)
	}
}

// secretScan checks that the job's files have safe modes (output and
// state files 0600, the state folder 0700) and returns where any file
// under the job's folder but the input holds the key.
func secretScan(t *testing.T, j *relJob) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(j.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		inState := path == j.state || strings.HasPrefix(path, j.state+string(filepath.Separator))
		switch {
		case d.IsDir():
			if path == j.state && fi.Mode().Perm() != 0o700 {
				t.Errorf("state folder %s has mode %v, want 0700", path, fi.Mode().Perm())
			}
			return nil
		case path == j.in:
			return nil
		case inState, path == j.out, strings.HasSuffix(path, ".partial"):
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("%s has mode %v, want 0600", path, fi.Mode().Perm())
			}
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		found = append(found, secretFinds(path, b)...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// secretClean fails the test if any file of the job holds the key.
func secretClean(t *testing.T, j *relJob) {
	t.Helper()
	for _, f := range secretScan(t, j) {
		t.Error(f)
	}
}

func secretResult(t *testing.T, name string, r result) {
	t.Helper()
	secretFree(t, name+" stdout", []byte(r.stdout))
	secretFree(t, name+" stderr", []byte(r.stderr))
}

func TestSecretKeyNeverWritten(t *testing.T) {
	s := relSim(t, secretKey, 1e5, "--error-rate", "0.05", "--truncate-rate", "0.05")
	verbose := []string{"--verbose", "--log-format", "json", "--progress", "log"}

	t.Run("success", func(t *testing.T) {
		j := newRelJob(t, s, secretKey, 30)
		// An existing output readable by all is replaced by a private one.
		if err := os.WriteFile(j.out, []byte("old\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		r := j.run(verbose...)
		j.expect(r, 0, "run")
		secretResult(t, "run", r)
		secretResult(t, "status", tool(t, nil, "status", j.out))
		secretResult(t, "status --json", tool(t, nil, "status", "--state", j.state, "--json"))
		cr := tool(t, []string{"CLODURA_API_KEY=" + secretKey}, "credits", "--base-url", s.URL, "--json")
		if cr.code != 0 {
			t.Errorf("credits: exit %d: %s", cr.code, cr.stderr)
		}
		secretResult(t, "credits", cr)
		secretClean(t, j)
	})

	t.Run("key file", func(t *testing.T) {
		j := newRelJob(t, s, "", 10)
		keyFile := filepath.Join(j.dir, "key")
		if err := os.WriteFile(keyFile, []byte(secretKey+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		r := j.run(append(verbose, "--api-key-file", keyFile)...)
		j.expect(r, 0, "run")
		secretResult(t, "run", r)
		secretResult(t, "status --json", tool(t, nil, "status", "--state", j.state, "--json"))
		// The scan finds the key where it is, in the key file, and
		// nowhere else.
		found := secretScan(t, j)
		if len(found) != 2 || !strings.HasPrefix(found[0], keyFile+" ") {
			t.Errorf("scan found %q, want the key and its tail in %s only", found, keyFile)
		}
	})

	t.Run("crash", func(t *testing.T) {
		j := newRelJob(t, s, secretKey, 60)
		j.rate = 20
		p := j.start(verbose...)
		j.waitSearches(p, s.Stats(t).Searches+5)
		p.cmd.Process.Kill()
		r := p.wait(t, 2*time.Minute)
		if r.code != 128+int(syscall.SIGKILL) {
			t.Fatalf("exit %d, want killed", r.code)
		}
		secretResult(t, "killed run", r)
		secretResult(t, "status", tool(t, nil, "status", j.out))
		secretClean(t, j)
	})

	t.Run("409", func(t *testing.T) {
		qs := relSim(t, secretKey, 1e5, "--daily-quota", "8")
		j := newRelJob(t, qs, secretKey, 20)
		r := j.run(verbose...)
		j.expect(r, 75, "run")
		secretResult(t, "run", r)
		secretResult(t, "status", tool(t, nil, "status", j.out))
		secretClean(t, j)
	})

	t.Run("401", func(t *testing.T) {
		j := newRelJob(t, s, secretKey, 10)
		relSetKey(t, s, map[string]any{"key": secretKey, "plan": relBulkPlan, "credits": 1e5, "revoked": true})
		r := j.run(verbose...)
		j.expect(r, 77, "run")
		secretResult(t, "run", r)
		cr := tool(t, []string{"CLODURA_API_KEY=" + secretKey}, "credits", "--base-url", s.URL)
		if cr.code != 77 {
			t.Errorf("credits with a revoked key: exit %d, want 77", cr.code)
		}
		secretResult(t, "credits", cr)
		secretClean(t, j)
	})
}

func TestSecretKeyFileMode(t *testing.T) {
	s := relSim(t, "k-file", 1e5)
	for _, tc := range []struct {
		mode os.FileMode
		warn bool
	}{
		{0o644, true},
		{0o640, true},
		{0o600, false},
		{0o400, false},
	} {
		t.Run(tc.mode.String(), func(t *testing.T) {
			j := newRelJob(t, s, "", 5)
			keyFile := filepath.Join(j.dir, "key")
			if err := os.WriteFile(keyFile, []byte("k-file\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(keyFile, tc.mode); err != nil {
				t.Fatal(err)
			}
			r := j.run("--api-key-file", keyFile)
			j.expect(r, 0, "run")
			if warned := strings.Contains(r.stderr, "readable by other users"); warned != tc.warn {
				t.Errorf("key file mode %v: warned %v, want %v\nstderr: %s", tc.mode, warned, tc.warn, r.stderr)
			}
		})
	}
}

func TestSecretTLSVerification(t *testing.T) {
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	s := startSim(t, "--tls", "--ca-out", ca, "--key", "k-tls", "--plan", "max")
	if !strings.HasPrefix(s.URL, "https://") {
		t.Fatalf("simulator URL %q, want https", s.URL)
	}
	j := newRelJob(t, s, "k-tls", 8)
	j.rate = 10

	// Without --ca-cert the self-signed certificate is not trusted: the
	// run stops at once, marking no row (a failed row would need
	// --retry-failed once the CA is given).
	r := j.run("--retry-budget", "2s")
	j.expect(r, 69, "run without --ca-cert")
	if !strings.Contains(r.stderr, "certificate") {
		t.Errorf("stderr does not name the certificate:\n%s", r.stderr)
	}
	if counts := j.checkOutput(relPaused...); counts["pending"] != j.usable {
		t.Errorf("output without --ca-cert: %v, want all %d usable rows pending", counts, j.usable)
	}

	j.expect(j.run("--ca-cert", ca), 0, "rerun with --ca-cert")
	j.checkDone()

	// Plain HTTP is refused for anything but loopback, before connecting.
	r = tool(t, []string{"CLODURA_API_KEY=k-tls"}, "credits", "--base-url", "http://api.clodura.ai")
	if r.code != 2 || !strings.Contains(strings.ToLower(r.stderr), "https") {
		t.Errorf("credits over plain HTTP to a remote host: exit %d, want 2 naming https\nstderr: %s", r.code, r.stderr)
	}

	// No flag turns verification off.
	for _, cmd := range [][]string{{"run", "--help"}, {"credits", "--help"}, {"--help"}} {
		h := tool(t, nil, cmd...)
		help := strings.ToLower(h.stdout + h.stderr)
		if !strings.Contains(help, "--ca-cert") && cmd[0] != "--help" {
			t.Errorf("%v does not list --ca-cert", cmd)
		}
		for _, bad := range []string{"insecure", "skip-verify", "no-verify", "skip-tls", "verify=false", "tls-verify"} {
			if strings.Contains(help, bad) {
				t.Errorf("%v lists a flag like %q", cmd, bad)
			}
		}
	}
}
