package pg

import (
	"errors"
	"io"
	"sync"
	"sync/atomic"

	"github.com/chaperone/chaperone/internal/sockio"
)

// A session's buffers come from one pool and go back to it whenever they
// are empty: a reader waiting on a quiet socket and a writer with nothing
// to flush hold none. Most sessions are idle most of the time; with
// buffers of their own, 200 idle clients held four each, 6.4 MiB of the
// heap that idle memory is made of (pgbouncer likewise keeps its packet
// buffers in a pool, not per client).
var bufPool = sync.Pool{New: func() any { return new([sessionBuffer]byte) }}

// buffersOut counts the buffers taken and not given back.
var buffersOut atomic.Int64

func takeBuf() []byte {
	buffersOut.Add(1)
	return bufPool.Get().(*[sessionBuffer]byte)[:]
}

func giveBuf(b []byte) {
	buffersOut.Add(-1)
	bufPool.Put((*[sessionBuffer]byte)(b[:sessionBuffer]))
}

// msgReader is a buffered reader whose buffer is lent from the pool only
// while it holds bytes not yet consumed.
type msgReader struct {
	src  io.Reader
	lazy sockio.LazyReader // nil: src needs a buffer to wait with
	buf  []byte            // nil while empty, when src reads lazily
	r, w int
	err  error // sticky: a relay gives up on a connection that failed
}

func newMsgReader(src io.Reader) *msgReader {
	m := &msgReader{src: src}
	m.lazy, _ = src.(sockio.LazyReader)
	return m
}

// Buffered is the count of bytes read and not yet consumed.
func (m *msgReader) Buffered() int { return m.w - m.r }

// Size is the most Peek can return.
func (m *msgReader) Size() int { return sessionBuffer }

// fill reads once more into the buffer.
func (m *msgReader) fill() error {
	if m.err != nil {
		return m.err
	}
	if m.r == m.w {
		m.r, m.w = 0, 0
		if m.lazy != nil {
			if m.buf != nil {
				giveBuf(m.buf)
				m.buf = nil
			}
			b, n, err := m.lazy.ReadLazily(takeBuf, giveBuf)
			if err != nil {
				m.err = err
				return err
			}
			m.buf, m.w = b, n
			return nil
		}
		if m.buf == nil {
			m.buf = takeBuf()
		}
	} else if m.r > 0 {
		copy(m.buf, m.buf[m.r:m.w])
		m.w -= m.r
		m.r = 0
	}
	for range 100 {
		n, err := m.src.Read(m.buf[m.w:])
		m.w += n
		if err != nil {
			m.err = err
		}
		if n > 0 || err != nil {
			return err
		}
	}
	m.err = io.ErrNoProgress
	return m.err
}

var errPeekTooLarge = errors.New("pg: peek beyond the buffer")

// Peek returns the next n bytes without consuming them; they are valid
// until the next read.
func (m *msgReader) Peek(n int) ([]byte, error) {
	if n > sessionBuffer {
		return nil, errPeekTooLarge
	}
	for m.w-m.r < n {
		if err := m.fill(); err != nil {
			return nil, err
		}
	}
	return m.buf[m.r : m.r+n], nil
}

// Discard consumes the next n bytes.
func (m *msgReader) Discard(n int) error {
	for n > 0 {
		if m.r == m.w {
			if err := m.fill(); err != nil {
				return err
			}
		}
		k := min(n, m.w-m.r)
		m.r += k
		n -= k
	}
	return nil
}

// Read reads what is buffered, or once from the source when nothing is;
// a read as large as the buffer goes straight into p.
func (m *msgReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if m.r == m.w {
		if m.err != nil {
			return 0, m.err
		}
		if len(p) >= sessionBuffer {
			if m.buf != nil {
				giveBuf(m.buf)
				m.buf, m.r, m.w = nil, 0, 0
			}
			n, err := m.src.Read(p)
			if err != nil {
				m.err = err
			}
			return n, err
		}
		if err := m.fill(); err != nil && m.r == m.w {
			return 0, err
		}
	}
	n := copy(p, m.buf[m.r:m.w])
	m.r += n
	return n, nil
}

// release gives the buffer back for good: the session is over.
func (m *msgReader) release() {
	if m.buf != nil {
		giveBuf(m.buf)
		m.buf, m.r, m.w = nil, 0, 0
	}
	if m.err == nil {
		m.err = io.ErrClosedPipe
	}
}

// msgWriter is a buffered writer whose buffer is lent from the pool from
// the first byte written until it is flushed.
type msgWriter struct {
	dst io.Writer
	buf []byte // nil while empty
	err error  // sticky, as bufio.Writer's
	// partial says a message passed through in pieces (copyRaw) stopped
	// in its middle: whatever followed would be read as the rest of it.
	partial bool
}

func newMsgWriter(dst io.Writer) *msgWriter { return &msgWriter{dst: dst} }

func (m *msgWriter) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		if m.err != nil {
			return written, m.err
		}
		if m.buf == nil {
			if len(p) >= sessionBuffer {
				n, err := m.dst.Write(p)
				if err == nil && n < len(p) {
					err = io.ErrShortWrite
				}
				m.err = err
				return written + n, err
			}
			m.buf = takeBuf()[:0]
		}
		n := copy(m.buf[len(m.buf):cap(m.buf)], p)
		m.buf = m.buf[:len(m.buf)+n]
		p = p[n:]
		written += n
		if len(m.buf) == cap(m.buf) {
			m.Flush()
		}
	}
	return written, m.err
}

// Flush writes what is buffered and gives the buffer back.
func (m *msgWriter) Flush() error {
	if m.buf == nil {
		return m.err
	}
	if m.err == nil {
		n, err := m.dst.Write(m.buf)
		if err == nil && n < len(m.buf) {
			err = io.ErrShortWrite
		}
		m.err = err
	}
	giveBuf(m.buf)
	m.buf = nil
	return m.err
}

// release drops what is unwritten and gives the buffer back for good.
func (m *msgWriter) release() {
	if m.buf != nil {
		giveBuf(m.buf)
		m.buf = nil
	}
	if m.err == nil {
		m.err = io.ErrClosedPipe
	}
}
