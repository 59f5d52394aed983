// Package idlemem gives the memory a burst of work left behind back to the
// operating system once the process falls idle.
//
// Go's scavenger keeps freed heap up to the next collection's goal, about
// twice what is live, and an idle process allocates nothing and so never
// reaches that collection: a gateway that served a burst of statements and
// then sits with its clients connected and quiet would hold the burst's
// memory for as long as it stays quiet.
package idlemem

import (
	"context"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// Quiet is the most a process may allocate in one interval and still count
// as idle: timers, health checks and metrics scrapes allocate a little.
const Quiet = 1 << 20

// Watch looks every interval until ctx ends, and returns freed memory to
// the operating system once per burst: in the first interval that
// allocated less than Quiet after one or more that allocated more. The
// collection it forces then finds little to do, as the process is idle.
func Watch(ctx context.Context, interval time.Duration) {
	watch(ctx, interval, allocated, debug.FreeOSMemory)
}

// allocated is the bytes the process has allocated on the heap since it
// started.
func allocated() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

func watch(ctx context.Context, interval time.Duration, allocs func() uint64, release func()) {
	t := time.NewTicker(interval)
	defer t.Stop()
	last, busy := allocs(), false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := allocs()
		switch {
		case now-last >= Quiet:
			busy = true
		case busy:
			release()
			busy = false
			now = allocs() // what releasing allocated is not a burst
		}
		last = now
	}
}
