package backup

import (
	"io"
	"sync"
)

// queue hands copies of what is written to it to one reader, through a
// bounded list of buffers: the writer waits only when the reader is that
// far behind.
type queue struct {
	ch   chan []byte
	buf  []byte // the buffer being read, whole
	cur  []byte // what is left of it
	once sync.Once
	err  error
	free sync.Pool
}

const queued = 32

func newQueue() *queue {
	return &queue{ch: make(chan []byte, queued)}
}

func (q *queue) Write(p []byte) (int, error) {
	b, _ := q.free.Get().([]byte)
	q.ch <- append(b[:0], p...)
	return len(p), nil
}

// close ends the stream; the reader then sees err, or io.EOF.
func (q *queue) close(err error) {
	q.once.Do(func() {
		if err == nil {
			err = io.EOF
		}
		q.err = err
		close(q.ch)
	})
}

func (q *queue) Read(p []byte) (int, error) {
	for len(q.cur) == 0 {
		if q.buf != nil {
			q.free.Put(q.buf[:0])
		}
		b, ok := <-q.ch
		if !ok {
			q.buf, q.cur = nil, nil
			return 0, q.err
		}
		q.buf, q.cur = b, b
	}
	n := copy(p, q.cur)
	q.cur = q.cur[n:]
	return n, nil
}

// drain reads whatever is left, so that the writer never waits on a
// reader that stopped.
func (q *queue) drain() {
	for range q.ch {
	}
}
