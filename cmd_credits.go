package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/clodura/enrich/clodura"
)

func creditsCmd(e *env) *cobra.Command {
	var (
		conn   connection
		plan   string
		asJSON bool
	)
	c := &cobra.Command{
		Use:   "credits",
		Short: "Show the credit balance (GET /api/v1/credits)",
		Args:  args(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			p, err := planFlag(e, plan)
			if err != nil {
				return err
			}
			log := slog.New(slog.NewTextHandler(e.stderr, nil))
			cl, stop, err := conn.client(e, p, log, false)
			if err != nil {
				return err
			}
			defer stop()
			cr, err := cl.Credits(c.Context())
			if err != nil {
				return err
			}
			if asJSON {
				return json.NewEncoder(e.stdout).Encode(map[string]any{"remaining": cr.Remaining, "raw": cr.Raw})
			}
			fmt.Fprintf(e.stdout, "%s credits remaining\n", clodura.FormatCredits(cr.Remaining))
			return nil
		},
	}
	conn.register(c)
	c.Flags().StringVar(&plan, "plan", "", "with --sim: the simulated plan")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON, for scripts")
	return c
}

func plansCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "plans",
		Short: "List Clodura's plans with their rate limits",
		Args:  args(cobra.NoArgs),
		RunE: func(*cobra.Command, []string) error {
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "PLAN\tNAME\tPER SECOND\tPER MINUTE\tPER DAY")
			for _, p := range clodura.Plans() {
				fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\n", p.Name, p.Title, p.PerSecond, p.PerMinute, p.PerDay)
			}
			return tw.Flush()
		},
	}
}
