package main

// In-process tests of the command line: run() with its environment passed
// in, against the simulator on an httptest server.

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clodura/enrich/clodura"
	"github.com/clodura/enrich/clodura/sim"
)

func cli(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, func(k string) string { return env[k] }, strings.NewReader(""), &out, &errb, nil)
	if err != nil {
		fmt.Fprintln(&errb, "clodura-enrich:", err)
	}
	return exitCode(err), out.String(), errb.String()
}

func simServer(t *testing.T, key string, plan clodura.Plan) (*sim.Server, string) {
	t.Helper()
	s := sim.New(sim.Config{Keys: []sim.Key{{Key: key, Plan: plan, Credits: 1e6}}})
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, ts.URL
}

func TestDryRunMakesNoSearchCall(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "big.csv")
	var b strings.Builder
	b.WriteString("First Name,Last Name,Company,Email\n")
	for i := range 10000 {
		switch {
		case i%500 == 7:
			b.WriteString("Cher,,,\n") // invalid: one-word name
		case i%250 == 3:
			b.WriteString("Ann,Lee,Acme,ann@acme.com\n") // one lookup, many rows
		default:
			fmt.Fprintf(&b, "Person%d,Family%d,Co%d,p%d@co%d.com\n", i, i, i%50, i, i%50)
		}
	}
	if err := os.WriteFile(in, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	srv, url := simServer(t, "k1", clodura.Plan{Name: "max", PerSecond: 10, PerMinute: 100, PerDay: 2000})
	code, out, errs := cli(t, map[string]string{"CLODURA_API_KEY": "k1", "CLODURA_BASE_URL": url},
		"run", in, "--dry-run", "--plan", "max")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	st := srv.Stats()
	if st.Searches != 0 || st.Requests != 1 {
		t.Fatalf("dry run made %d searches and %d requests; want 0 and the one /credits call", st.Searches, st.Requests)
	}
	for _, want := range []string{
		"10000: 9980 valid, 20 invalid",
		`20 × one-word name "…": need a first and last name or a LinkedIn URL (lines 9, 509, 1009, 1509, 2009, …)`,
		"lookups    9941 distinct; 9941 still to do",
		"credits    at most 9941",
		"balance 1000000",
		"over 5 day(s)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "big.enriched.csv")); !os.IsNotExist(err) {
		t.Errorf("a dry run wrote an output (%v)", err)
	}
}

func TestDryRunNothingUsable(t *testing.T) {
	in := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(in, []byte("Name\nCher\nMadonna\n"), 0o600)
	code, out, _ := cli(t, nil, "run", in, "--dry-run")
	if code != 65 {
		t.Fatalf("exit %d, want 65\n%s", code, out)
	}
}

func TestUsageErrors(t *testing.T) {
	in := filepath.Join(t.TempDir(), "p.csv")
	os.WriteFile(in, []byte("Name\nAnn Lee\n"), 0o600)
	key := map[string]string{"CLODURA_API_KEY": "k"}
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"no command args", key, []string{"run"}, "accepts 1 arg"},
		{"unknown flag", key, []string{"run", in, "--nope"}, "unknown flag"},
		{"unknown command", key, []string{"enrich"}, "unknown command"},
		{"plain http", key, []string{"run", in, "--base-url", "http://api.example.com"}, "HTTPS only"},
		{"plain http from env", map[string]string{"CLODURA_API_KEY": "k", "CLODURA_BASE_URL": "http://api.example.com"}, []string{"run", in}, "HTTPS only"},
		{"no key", nil, []string{"run", in}, "CLODURA_API_KEY"},
		{"bad plan", key, []string{"run", in, "--plan", "gold"}, "unknown plan"},
		{"bad candidates", key, []string{"run", in, "--candidates", "0"}, "--candidates"},
		{"bad map", key, []string{"run", in, "--map", "name"}, "FIELD=COLUMN"},
		{"bad output ext", key, []string{"run", in, "-o", "out.pdf"}, "-o"},
		{"bad reset", key, []string{"run", in, "--reset-at", "25:00"}, "--reset-at"},
		{"status needs a job", nil, []string{"status"}, "OUTPUT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errs := cli(t, tt.env, tt.args...)
			if code != 2 || !strings.Contains(errs, tt.want) {
				t.Fatalf("exit %d, stderr %q; want 2 and %q", code, errs, tt.want)
			}
		})
	}
}

func TestRunSimStatusAndPlans(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "p.jsonl")
	os.WriteFile(in, []byte(`{"name":"Ann Lee","company":"Acme","id":1}`+"\n"+`not json`+"\n"+`{"first_name":"Bo","last_name":"Ng"}`+"\n"), 0o600)
	code, out, errs := cli(t, nil, "run", in, "--sim", "--plan", "max", "--progress", "none", "--sim-latency", "0s")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	if !strings.Contains(out, "p.enriched.jsonl (3 rows: 1 invalid, ") {
		t.Fatalf("summary: %s", out)
	}
	code, out, _ = cli(t, nil, "status", filepath.Join(dir, "p.enriched.jsonl"))
	if code != 0 || !strings.Contains(out, "rows       3:") || !strings.Contains(out, "last stop  done (exit 0)") ||
		!strings.Contains(out, "resume     clodura-enrich run "+in) {
		t.Fatalf("status exit %d:\n%s", code, out)
	}
	code, out, _ = cli(t, nil, "status", "--json", "--state", filepath.Join(dir, "p.enriched.jsonl.state"))
	if code != 0 || !strings.Contains(out, `"rows": 3`) || !strings.Contains(out, `"resume": "clodura-enrich run `) {
		t.Fatalf("status --json exit %d:\n%s", code, out)
	}
	code, out, _ = cli(t, nil, "plans")
	if code != 0 || !strings.Contains(out, "prospect-pro") || !strings.Contains(out, "Free Forever") {
		t.Fatalf("plans: %s", out)
	}
}

func TestCreditsCommand(t *testing.T) {
	_, url := simServer(t, "k2", clodura.Plan{Name: "max", PerSecond: 10, PerMinute: 100, PerDay: 2000})
	env := map[string]string{"CLODURA_API_KEY": "k2", "CLODURA_BASE_URL": url}
	code, out, errs := cli(t, env, "credits")
	if code != 0 || out != "1000000 credits remaining\n" {
		t.Fatalf("exit %d out %q err %q", code, out, errs)
	}
	code, out, _ = cli(t, env, "credits", "--json")
	if code != 0 || !strings.Contains(out, `"remaining":1000000`) {
		t.Fatalf("credits --json: %q", out)
	}
	env["CLODURA_API_KEY"] = "wrong-key"
	if code, _, errs := cli(t, env, "credits"); code != 77 || strings.Contains(errs, "wrong-key") {
		t.Fatalf("bad key: exit %d, stderr %q", code, errs)
	}
}

func TestDemo(t *testing.T) {
	dir := t.TempDir()
	code, out, errs := cli(t, nil, "demo", "--dir", dir, "--progress", "none")
	if code != 0 {
		t.Fatalf("demo exit %d\n%s\n%s", code, out, errs)
	}
	output := filepath.Join(dir, "people.enriched.csv")
	if !strings.Contains(out, "demo: the enriched output is "+output) {
		t.Fatalf("demo does not say where the output is:\n%s", out)
	}
	recs := readCSV(t, output)
	in := readCSV(t, "samples/people.csv")
	if len(recs) != len(in) {
		t.Fatalf("%d output records for %d input records", len(recs), len(in))
	}
	st := column(t, recs[0], "clodura_status")
	for i := range in {
		if got := recs[i][:len(in[i])]; strings.Join(got, "\x00") != strings.Join(in[i], "\x00") {
			t.Fatalf("row %d: input columns changed or out of order: %q, want %q", i, got, in[i])
		}
		if i == 0 {
			continue
		}
		switch recs[i][st] {
		case "matched", "not_found", "invalid":
		default:
			t.Errorf("row %d: status %q after a complete demo", i, recs[i][st])
		}
	}
}
