package main

import (
	"strings"
	"testing"
)

func TestSmokeRunAgainstSimProcess(t *testing.T) {
	s := startSim(t, "--plan", "max", "--key", "k-smoke")
	dir := t.TempDir()
	out := dir + "/out.csv"
	r := tool(t, []string{"CLODURA_API_KEY=k-smoke", "CLODURA_BASE_URL=" + s.URL},
		"run", "samples/people.csv", "-o", out, "--plan", "max", "--progress", "none")
	if r.code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	recs := readCSV(t, out)
	if len(recs) != 61 {
		t.Fatalf("%d records, want header + 60", len(recs))
	}
	st := column(t, recs[0], "clodura_status")
	for i, rec := range recs[1:] {
		switch rec[st] {
		case "matched", "not_found", "invalid":
		default:
			t.Errorf("row %d: status %q", i+1, rec[st])
		}
	}
	if strings.Contains(r.stdout+r.stderr, "k-smoke") {
		t.Errorf("the key appears in the output")
	}
}
