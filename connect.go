package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/clodura/enrich/clodura"
	"github.com/clodura/enrich/clodura/sim"
)

const defaultBaseURL = "https://api.clodura.ai"

// connection holds the flags that say where and how to reach the API.
type connection struct {
	baseURL    string
	caCert     string
	keyFile    string
	useSim     bool
	timeout    time.Duration
	simLatency time.Duration
}

func (c *connection) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&c.baseURL, "base-url", "", "API base URL (default $CLODURA_BASE_URL or "+defaultBaseURL+")")
	f.StringVar(&c.caCert, "ca-cert", "", "PEM file of a CA to trust in addition to the system's")
	f.StringVar(&c.keyFile, "api-key-file", "", "read the API key from this file instead of $CLODURA_API_KEY")
	f.BoolVar(&c.useSim, "sim", false, "run against the built-in simulator (no key needed)")
	f.DurationVar(&c.timeout, "request-timeout", 30*time.Second, "give up on one request after this long (it is retried)")
	f.DurationVar(&c.simLatency, "sim-latency", 20*time.Millisecond, "with --sim: the simulator's answer latency")
	_ = f.MarkHidden("sim-latency")
}

// client builds the API client. With --sim it first starts the simulator
// on loopback for plan, and stop shuts it down. keyOptional lets a dry run
// go on without a key (client is then nil).
func (c *connection) client(e *env, plan clodura.Plan, log *slog.Logger, keyOptional bool) (cl *clodura.Client, stop func(), err error) {
	stop = func() {}
	cfg := clodura.Config{Timeout: c.timeout, UserAgent: "clodura-enrich"}
	if c.useSim {
		key := randomKey()
		srv := sim.New(sim.Config{
			Keys:   []sim.Key{{Key: key, Plan: plan, Credits: 1_000_000}},
			Faults: sim.Faults{Latency: c.simLatency, Jitter: c.simLatency / 2},
		})
		ln, url, _, err := sim.Listen("127.0.0.1:0", false)
		if err != nil {
			return nil, stop, err
		}
		hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
		go hs.Serve(ln)
		stop = func() { hs.Close() }
		log.Info("simulator started", "url", url, "plan", plan.Name)
		cfg.BaseURL, cfg.APIKey = url, key
		cl, err := clodura.NewClient(cfg)
		return cl, stop, err
	}
	cfg.BaseURL = c.baseURL
	if cfg.BaseURL == "" {
		cfg.BaseURL = e.getenv("CLODURA_BASE_URL")
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = defaultBaseURL
	}
	if _, err := clodura.ValidateBaseURL(cfg.BaseURL); err != nil {
		return nil, stop, usageError{err}
	}
	if c.caCert != "" {
		pem, err := os.ReadFile(c.caCert)
		if err != nil {
			return nil, stop, usageError{fmt.Errorf("--ca-cert: %w", err)}
		}
		cfg.CACertPEM = pem
	}
	key, err := c.apiKey(e, log)
	if err != nil {
		return nil, stop, err
	}
	if key == "" {
		if keyOptional {
			return nil, stop, nil
		}
		return nil, stop, usageError{errors.New("no API key: set CLODURA_API_KEY, or use --api-key-file FILE (or --sim to try the built-in simulator)")}
	}
	cfg.APIKey = key
	cl, err = clodura.NewClient(cfg)
	if err != nil {
		return nil, stop, usageError{err}
	}
	return cl, stop, nil
}

// apiKey reads the key from --api-key-file or $CLODURA_API_KEY. It never
// comes from the command line, where other users could read it.
func (c *connection) apiKey(e *env, log *slog.Logger) (string, error) {
	if c.keyFile == "" {
		return strings.TrimSpace(e.getenv("CLODURA_API_KEY")), nil
	}
	fi, err := os.Stat(c.keyFile)
	if err != nil {
		return "", usageError{fmt.Errorf("--api-key-file: %w", err)}
	}
	if fi.Mode().Perm()&0o077 != 0 {
		log.Warn("the API key file is readable by other users; chmod 600 it", "file", c.keyFile, "mode", fi.Mode().Perm().String())
	}
	b, err := os.ReadFile(c.keyFile)
	if err != nil {
		return "", usageError{fmt.Errorf("--api-key-file: %w", err)}
	}
	key := strings.TrimSpace(string(b))
	if key == "" {
		return "", usageError{fmt.Errorf("--api-key-file %s is empty", c.keyFile)}
	}
	return key, nil
}

func randomKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "sim-" + hex.EncodeToString(b)
}

// planFlag resolves --plan, or $CLODURA_PLAN, or the default (free).
func planFlag(e *env, name string) (clodura.Plan, error) {
	if name == "" {
		name = e.getenv("CLODURA_PLAN")
	}
	if name == "" {
		name = clodura.DefaultPlan
	}
	p, err := clodura.PlanByName(name)
	if err != nil {
		return p, usageError{fmt.Errorf("--plan: %w", err)}
	}
	return p, nil
}
