package backup

import (
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// pacer spaces the reads of a pipe so that each finds it about half full.
// pg_dump writes 4 KiB at a time, and a pipe wakes a waiting reader for
// each write into it while it is empty: a reader that drains the pipe at
// once is woken some 160,000 times for a 650 MiB dump, and on a machine
// with few cores those wake-ups cost pg_dump, the server and Chaperone
// more than the data does. Whenever a read finds the pipe empty, the pacer
// naps: a shorter nap when what was read since the last one nearly filled
// the pipe (pg_dump may have waited for room), a longer one when little
// came. Every nap is bounded by maxNap.
type pacer struct {
	capacity int
	nap      time.Duration
	moved    int // bytes moved since the last nap
	sleep    func(time.Duration)
}

const (
	firstNap = time.Millisecond
	minNap   = 100 * time.Microsecond
	maxNap   = 4 * time.Millisecond
	// minPacedPipe is the smallest pipe worth pacing: in a smaller one
	// the writer would wait for room during even the shortest nap.
	minPacedPipe = 256 << 10
)

// newPacer paces a pipe of the given capacity; nil (no pacing) for a
// small pipe or what is not one.
func newPacer(capacity int) *pacer {
	if capacity < minPacedPipe {
		return nil
	}
	return &pacer{capacity: capacity, nap: firstNap, sleep: time.Sleep}
}

// move is told of n bytes read from the pipe.
func (p *pacer) move(n int) {
	if p != nil {
		p.moved += n
	}
}

// wait naps, the pipe having been found empty.
func (p *pacer) wait() {
	if p == nil {
		return
	}
	switch {
	case p.moved > p.capacity*3/4:
		p.nap = max(p.nap/2, minNap)
	case p.moved < p.capacity/4:
		p.nap = min(p.nap*2, maxNap)
	}
	p.moved = 0
	p.sleep(p.nap)
}

// growPipe asks for a 1 MiB pipe (best effort: an unprivileged process may
// be held to less) and returns the capacity it has.
func growPipe(f *os.File) int {
	rc, err := f.SyscallConn()
	if err != nil {
		return 0
	}
	size := 0
	rc.Control(func(fd uintptr) {
		unix.FcntlInt(fd, unix.F_SETPIPE_SZ, 1<<20)
		size, _ = unix.FcntlInt(fd, unix.F_GETPIPE_SZ, 0)
	})
	return size
}
