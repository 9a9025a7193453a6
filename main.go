// Command clodura-enrich enriches spreadsheets of people through the
// Clodura people-search API, paced to the plan, resumable across days.
// See README.md and shared/product.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // a second Ctrl-C kills at once
	}()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr, debug.SetMemoryLimit)
	if err != nil && !errors.Is(err, errQuiet) {
		fmt.Fprintln(os.Stderr, "clodura-enrich:", err)
	}
	os.Exit(exitCode(err))
}

// run is the whole program, with its environment passed in so that tests
// can drive it in-process.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer,
	setMemoryLimit func(int64) int64) error {
	e := &env{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr, setMemoryLimit: setMemoryLimit}
	root := newRoot(e)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err != nil && !e.started {
		return usageError{err}
	}
	return err
}
