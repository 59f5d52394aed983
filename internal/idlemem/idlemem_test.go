package idlemem

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// TestReleasesOncePerBurst drives the watcher with counted allocations: it
// releases in the first quiet interval after a busy one, and never while
// busy or while idle throughout.
func TestReleasesOncePerBurst(t *testing.T) {
	var allocs, releases atomic.Uint64
	ticks := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		watch(ctx, time.Millisecond, func() uint64 {
			// Each read of the counter after the first is one tick of the
			// watcher: hand control back to the test.
			n := allocs.Load()
			select {
			case ticks <- struct{}{}:
			case <-ctx.Done():
			}
			return n
		}, func() { releases.Add(1) })
	}()
	<-ticks // the first read
	step := func(allocated uint64) uint64 {
		allocs.Add(allocated)
		<-ticks
		return releases.Load()
	}
	for i, c := range []struct {
		allocated uint64
		want      uint64
	}{
		{0, 0},         // idle from the start: nothing to give back
		{100, 0},       // a little is still idle
		{Quiet, 0},     // a burst: not while it lasts
		{4 * Quiet, 0}, // still busy
		{10, 1},        // quiet again: give back once
	} {
		if got := step(c.allocated); got != c.want {
			t.Fatalf("step %d (%d bytes): %d releases, want %d", i, c.allocated, got, c.want)
		}
	}
	// The release read the counter once more.
	<-ticks
	if got := step(0); got != 1 {
		t.Fatalf("idle after a release: %d releases, want still 1", got)
	}
	if got := step(2 * Quiet); got != 1 {
		t.Fatalf("second burst: %d releases, want still 1", got)
	}
	if got := step(0); got != 2 {
		t.Fatalf("quiet after the second burst: %d releases, want 2", got)
	}
	cancel()
	<-done
}
