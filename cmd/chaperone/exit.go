package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/chaperone/chaperone/internal/config"
	"github.com/chaperone/chaperone/internal/store"
)

// Exit codes, a contract scripts rely on.
const (
	exitOK       = 0
	exitInput    = 1 // usage or input error
	exitHeld     = 2 // denied or held for approval
	exitInternal = 3 // internal error: whatever was asked did not happen (fail closed)
)

// exitError carries the exit code an error should end the process with.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func inputErr(err error) error {
	if err == nil {
		return nil
	}
	return &exitError{exitInput, err}
}

func inputErrf(format string, args ...any) error {
	return &exitError{exitInput, fmt.Errorf(format, args...)}
}

// silentExit ends the process with code after the command already said why.
type silentExit int

func (s silentExit) Error() string { return fmt.Sprintf("exit %d", int(s)) }

// exitCode maps an error to its exit code. Anything not known to be the
// caller's mistake is internal, so it is never mistaken for success.
func exitCode(err error) int {
	var ee *exitError
	var se silentExit
	var cerrs config.Errors
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &se):
		return int(se)
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &cerrs), errors.Is(err, config.ErrNotFound), errors.Is(err, store.ErrNotFound):
		return exitInput
	case strings.HasPrefix(err.Error(), "unknown command"), strings.HasPrefix(err.Error(), "accepts "),
		strings.HasPrefix(err.Error(), "requires "):
		return exitInput // cobra's own usage errors
	}
	return exitInternal
}
