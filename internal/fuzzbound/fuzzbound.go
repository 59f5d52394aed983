// Package fuzzbound bounds the time one fuzz input may take. Go's fuzzer does
// not notice an input that never returns: the run simply ends at -fuzztime and
// passes. A hang or a super-linear blow-up must therefore fail the input
// itself, so that the fuzzer saves it as a regression case.
package fuzzbound

import (
	"testing"
	"time"
)

// Run runs fn and fails t once fn has taken longer than limit, without waiting
// for it to return: a hung fn is left running and the input is reported.
func Run(t testing.TB, limit time.Duration, fn func()) {
	t.Helper()
	done := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(done)
		fn()
	}()
	timer := time.NewTimer(limit)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		t.Fatalf("still running after %v (a hang or super-linear time)", limit)
	}
	if d := time.Since(start); d > limit {
		t.Fatalf("took %v, over the %v bound", d, limit)
	}
}
