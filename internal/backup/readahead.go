package backup

import (
	"io"
	"sync"
)

// readAhead reads r in a goroutine of its own, up to depth blocks ahead of
// the reader, so that pg_dump never waits for the archive's rows to be
// added up (and the server never waits for pg_dump).
type readAhead struct {
	ch   chan []byte
	err  error // once ch is closed
	buf  []byte
	cur  []byte
	pool sync.Pool
	stop chan struct{}
}

const (
	aheadBlock = 256 << 10
	aheadDepth = 16
)

// newReadAhead starts reading r. pipe is the capacity of the pipe r reads,
// or 0 when r is not one; a pipe's reads are paced (pacer).
func newReadAhead(r io.Reader, pipe int) *readAhead {
	return newReadAheadPaced(r, newPacer(pipe))
}

func newReadAheadPaced(r io.Reader, pace *pacer) *readAhead {
	a := &readAhead{ch: make(chan []byte, aheadDepth), stop: make(chan struct{})}
	go func() {
		defer close(a.ch)
		for {
			b, _ := a.pool.Get().([]byte)
			if b == nil {
				b = make([]byte, aheadBlock)
			}
			n, err := r.Read(b[:aheadBlock])
			if n > 0 {
				select {
				case a.ch <- b[:n]:
				case <-a.stop:
					a.err = io.ErrClosedPipe
					return
				}
			}
			if err != nil {
				a.err = err
				return
			}
			if pace.move(n); n < aheadBlock {
				pace.wait() // the pipe is empty
			}
		}
	}()
	return a
}

func (a *readAhead) Read(p []byte) (int, error) {
	for len(a.cur) == 0 {
		if a.buf != nil {
			a.pool.Put(a.buf)
			a.buf = nil
		}
		b, ok := <-a.ch
		if !ok {
			return 0, a.err
		}
		a.buf, a.cur = b, b
	}
	n := copy(p, a.cur)
	a.cur = a.cur[n:]
	return n, nil
}

// close stops the goroutine's waiting; the source is closed by its owner.
func (a *readAhead) close() { close(a.stop) }
