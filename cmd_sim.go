package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/clodura/enrich/clodura"
	"github.com/clodura/enrich/clodura/sim"
)

func simCmd(e *env) *cobra.Command {
	var (
		addr, planName, key, shape, caOut string
		credits                           float64
		dailyQuota                        int
		dayLength                         time.Duration
		seed                              int64
		useTLS                            bool
		f                                 sim.Faults
	)
	c := &cobra.Command{
		Use:   "sim",
		Short: "Serve the built-in simulator of the Clodura API (for trials and tests)",
		Args:  args(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			plan, err := planFlag(e, planName)
			if err != nil {
				return err
			}
			if err := f.Validate(); err != nil {
				return usageError{err}
			}
			srv := sim.New(sim.Config{
				Keys:       []sim.Key{{Key: key, Plan: plan, Credits: credits, Shape: shape}},
				Faults:     f,
				DailyQuota: dailyQuota,
				DayLength:  dayLength,
				Seed:       seed,
			})
			ln, url, caPEM, err := sim.Listen(addr, useTLS)
			if err != nil {
				return err
			}
			if caOut != "" && caPEM != nil {
				if err := os.WriteFile(caOut, caPEM, 0o644); err != nil {
					return err
				}
			}
			fmt.Fprintf(e.stdout, "simulator listening on %s (plan %s, key %q, %s credits)\n", url, plan.Name, key, clodura.FormatCredits(credits))
			return serveUntilDone(c.Context(), &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}, ln)
		},
	}
	fl := c.Flags()
	fl.StringVar(&addr, "addr", "127.0.0.1:8080", "listen address (loopback)")
	fl.StringVar(&planName, "plan", "max", "the simulated plan (its rate limits and daily quota)")
	fl.StringVar(&key, "key", "sim-key", "the API key the simulator accepts")
	fl.Float64Var(&credits, "credits", 100000, "the key's credit balance")
	fl.StringVar(&shape, "credits-shape", "remaining", `shape of /credits answers: "remaining" or "prospect"`)
	fl.IntVar(&dailyQuota, "daily-quota", 0, "requests per day (default: the plan's)")
	fl.DurationVar(&dayLength, "day-length", 0, "start a new quota day this often (default: real UTC days)")
	fl.Int64Var(&seed, "seed", 1, "seed of the dataset and the faults")
	fl.BoolVar(&useTLS, "tls", false, "serve HTTPS with a fresh self-signed certificate")
	fl.StringVar(&caOut, "ca-out", "", "with --tls: write the certificate (PEM) here, for --ca-cert")
	fl.DurationVar(&f.Latency, "latency", 0, "answer latency")
	fl.DurationVar(&f.Jitter, "jitter", 0, "plus a random delay up to this")
	fl.Float64Var(&f.ErrorRate, "error-rate", 0, "fraction of searches answered 5xx")
	fl.Float64Var(&f.DropRate, "drop-rate", 0, "fraction of searches whose connection is dropped")
	fl.Float64Var(&f.TruncateRate, "truncate-rate", 0, "fraction of searches answered with a truncated body")
	fl.Float64Var(&f.HangRate, "hang-rate", 0, "fraction of searches never answered")
	fl.Float64Var(&f.RateLimitRate, "rate-limit-rate", 0, "fraction of searches answered with a spurious 429")
	fl.DurationVar(&f.RetryAfter, "retry-after", 0, "send this Retry-After with 429s")
	return c
}

// serveUntilDone serves until ctx ends, then shuts down gracefully.
func serveUntilDone(ctx context.Context, hs *http.Server, ln net.Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdown); err != nil {
		hs.Close()
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
