package main

import (
	_ "embed"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/clodura/enrich/clodura"
	"github.com/clodura/enrich/job"
)

//go:embed samples/people.csv
var samplePeople []byte

func demoCmd(e *env) *cobra.Command {
	var (
		dir      string
		progress string
	)
	c := &cobra.Command{
		Use:   "demo",
		Short: "Run a sample job end to end against the built-in simulator (no key needed)",
		Args:  args(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			if dir == "" {
				d, err := os.MkdirTemp("", "clodura-demo-")
				if err != nil {
					return err
				}
				dir = d
			} else if err := os.MkdirAll(dir, 0o700); err != nil {
				return err
			}
			input := filepath.Join(dir, "people.csv")
			if err := os.WriteFile(input, samplePeople, 0o600); err != nil {
				return err
			}
			log := slog.New(slog.NewTextHandler(e.stderr, nil))
			plan, _ := clodura.PlanByName("max")
			conn := connection{useSim: true, timeout: 10 * time.Second, simLatency: 40 * time.Millisecond}
			cl, stop, err := conn.client(e, plan, log, false)
			if err != nil {
				return err
			}
			defer stop()
			rep, err := reporter(progress, e.stderr, log)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "demo: enriching %s (%s plan: %d/s, %d/min) against the built-in simulator\n",
				input, plan.Title, plan.PerSecond, plan.PerMinute)
			sum, err := job.Run(c.Context(), job.Config{
				Input:     input,
				Searcher:  cl,
				PerSecond: plan.PerSecond,
				PerMinute: plan.PerMinute,
				PerDay:    plan.PerDay,
				Reporter:  rep,
				Logger:    log,
				Args:      []string{"clodura-enrich", "run", input, "--sim", "--plan", plan.Name},
			})
			if sum != nil && sum.ByStatus != nil {
				printSummary(e.stdout, sum, err)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "demo: the enriched output is %s\n", sum.Output)
			return nil
		},
	}
	c.Flags().StringVar(&dir, "dir", "", "folder for the demo's input, output and state (default: a new temporary folder)")
	c.Flags().StringVar(&progress, "progress", "auto", "auto, bar, log or none")
	return c
}
