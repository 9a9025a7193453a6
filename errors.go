package main

import (
	"errors"

	"github.com/clodura/enrich/clodura"
	"github.com/clodura/enrich/job"
)

// usageError is a mistake in the command line: exit 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// errQuiet wraps an error already reported to the user, so main only
// sets the exit code.
var errQuiet = errors.New("already reported")

type quiet struct{ err error }

func (q quiet) Error() string   { return q.err.Error() }
func (q quiet) Unwrap() []error { return []error{q.err, errQuiet} }

// exitCode maps an error to the exit codes of shared/product.md.
func exitCode(err error) int {
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue), errors.Is(err, clodura.ErrInsecureURL):
		return 2
	}
	return job.ExitCode(err)
}
