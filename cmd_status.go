package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/clodura/enrich/checkpoint"
	"github.com/clodura/enrich/clodura"
	"github.com/clodura/enrich/job"
)

func statusCmd(e *env) *cobra.Command {
	var (
		stateDir string
		asJSON   bool
	)
	c := &cobra.Command{
		Use:   "status [OUTPUT | --state DIR]",
		Short: "Show a job's progress from its state alone (no API call, no key)",
		Args:  args(cobra.MaximumNArgs(1)),
		RunE: func(c *cobra.Command, a []string) error {
			dir, err := findState(stateDir, a)
			if err != nil {
				return err
			}
			st, err := checkpoint.OpenReadOnly(dir)
			if err != nil {
				if errors.Is(err, checkpoint.ErrNoState) {
					return usageError{fmt.Errorf("%s: no job state here (run the job first, or name its OUTPUT or --state)", dir)}
				}
				return err
			}
			defer st.Close()
			sum, err := st.Summary()
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(struct {
					checkpoint.Summary
					Resume string `json:"resume"`
				}{sum, resumeCommand(sum)})
			}
			printStatus(e.stdout, sum)
			return nil
		},
	}
	c.Flags().StringVar(&stateDir, "state", "", "the job's checkpoint folder")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON, for scripts")
	return c
}

// findState resolves status's argument: --state DIR, OUTPUT (its .state
// folder), a state folder itself, or INPUT (the default output's state).
func findState(stateDir string, a []string) (string, error) {
	if stateDir != "" {
		return stateDir, nil
	}
	if len(a) == 0 {
		return "", usageError{errors.New("status: name the job's OUTPUT or use --state DIR")}
	}
	for _, dir := range []string{
		job.DefaultStateDir(a[0]),
		a[0],
		job.DefaultStateDir(job.DefaultOutput(a[0])),
	} {
		if fi, err := os.Stat(filepath.Join(dir, "journal")); err == nil && !fi.IsDir() {
			return dir, nil
		}
	}
	return job.DefaultStateDir(a[0]), nil
}

func resumeCommand(s checkpoint.Summary) string {
	if len(s.LastRun.Args) == 0 {
		return ""
	}
	quoted := make([]string, len(s.LastRun.Args))
	for i, a := range s.LastRun.Args {
		quoted[i] = shellQuote(a)
	}
	return strings.Join(quoted, " ")
}

func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`;&|<>()*?[]#~!{}") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func printStatus(w io.Writer, s checkpoint.Summary) {
	fmt.Fprintf(w, "job        %s\n", s.Input)
	fmt.Fprintf(w, "state      %s\n", s.Dir)
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(s.ByStatus)) {
		parts = append(parts, fmt.Sprintf("%d %s", s.ByStatus[k], k))
	}
	fmt.Fprintf(w, "rows       %d: %s\n", s.Rows, strings.Join(parts, ", "))
	if s.InFlight > 0 {
		fmt.Fprintf(w, "in flight  %d rows were in flight when a run ended abruptly: they will be asked again\n", s.InFlight)
	}
	fmt.Fprintf(w, "requests   %d today, %d in all (%d runs)\n", s.RequestsToday, s.Requests, s.Runs)
	fmt.Fprintf(w, "credits    %s today, %s in all\n", clodura.FormatCredits(s.CreditsToday), clodura.FormatCredits(s.Credits))
	if !s.LastCredits.At.IsZero() {
		fmt.Fprintf(w, "balance    %s at %s\n", clodura.FormatCredits(s.LastCredits.Balance), s.LastCredits.At.Format(time.RFC3339))
	}
	if s.LastStop != nil {
		fmt.Fprintf(w, "last stop  %s (exit %d) at %s", s.LastStop.Reason, s.LastStop.Code, s.LastStop.At.Format(time.RFC3339))
		if s.LastStop.Message != "" {
			fmt.Fprintf(w, ": %s", s.LastStop.Message)
		}
		fmt.Fprintln(w)
	} else if s.Runs > 0 {
		fmt.Fprintf(w, "last stop  none recorded: the last run (pid %d, started %s) is running or ended abruptly\n",
			s.LastRun.PID, s.LastRun.Started.Format(time.RFC3339))
	}
	if r := resumeCommand(s); r != "" {
		fmt.Fprintf(w, "resume     %s\n", r)
	}
}
