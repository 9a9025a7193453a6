package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// env is what the commands get from the process: no globals.
type env struct {
	getenv         func(string) string
	stdin          io.Reader
	stdout, stderr io.Writer
	started        bool // a command's RunE began: later errors are not usage errors
	// setMemoryLimit is debug.SetMemoryLimit in the real program; nil
	// (nothing) when tests drive run in their own process.
	setMemoryLimit func(int64) int64
}

func newRoot(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:           "clodura-enrich",
		Short:         "Enrich spreadsheets of people through the Clodura people-search API",
		SilenceErrors: true,
		SilenceUsage:  true,
		PersistentPreRun: func(*cobra.Command, []string) {
			e.started = true
		},
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError{fmt.Errorf("%w (see %s --help)", err, c.CommandPath())}
	})
	root.AddCommand(runCmd(e), statusCmd(e), creditsCmd(e), plansCmd(e), demoCmd(e), simCmd(e))
	return root
}

// args checks a command's positional arguments, as a usage error.
func args(validate cobra.PositionalArgs) cobra.PositionalArgs {
	return func(c *cobra.Command, a []string) error {
		if err := validate(c, a); err != nil {
			return usageError{fmt.Errorf("%s: %w", c.CommandPath(), err)}
		}
		return nil
	}
}

// logging holds the --log-format flag shared by the commands that log.
type logging struct{ format string }

func (l *logging) register(c *cobra.Command) {
	c.Flags().StringVar(&l.format, "log-format", "text", "log format: text or json")
}

func (l *logging) logger(w io.Writer, level slog.Level) (*slog.Logger, error) {
	opt := &slog.HandlerOptions{Level: level}
	switch l.format {
	case "text", "":
		return slog.New(slog.NewTextHandler(w, opt)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opt)), nil
	}
	return nil, usageError{fmt.Errorf("--log-format %q: want text or json", l.format)}
}

// isTerminal reports whether w is a terminal (for the progress bar).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
