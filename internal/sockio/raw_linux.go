//go:build linux

package sockio

import (
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"unsafe"
)

// conn keeps each direction's arguments and results in fields, so that the
// functions handed to the poller are made once, not per call; a lock per
// direction keeps net.Conn's promise that goroutines may call it at once.
type conn struct {
	net.Conn
	rc syscall.RawConn

	rmu    sync.Mutex
	rbuf   []byte
	rn     int
	rerrno syscall.Errno
	read   func(fd uintptr) bool
	// take and give lend rbuf for a ReadLazily; readLazy is the function
	// handed to the poller for it.
	take     func() []byte
	give     func([]byte)
	readLazy func(fd uintptr) bool

	wmu    sync.Mutex
	wbuf   []byte
	wn     int
	werrno syscall.Errno
	write  func(fd uintptr) bool
}

func wrap(c net.Conn, rc syscall.RawConn) net.Conn {
	w := &conn{Conn: c, rc: rc}
	w.read, w.write, w.readLazy = w.readOnce, w.writeAll, w.readLazyOnce
	return w
}

func (c *conn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	c.rmu.Lock()
	defer c.rmu.Unlock()
	c.rbuf, c.rn, c.rerrno = p, 0, 0
	err := c.rc.Read(c.read)
	n, errno := c.rn, c.rerrno
	c.rbuf = nil
	switch {
	case err != nil:
		return 0, c.opError("read", err)
	case errno != 0:
		return 0, c.opError("read", os.NewSyscallError("read", errno))
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

func (c *conn) readOnce(fd uintptr) bool {
	for {
		r, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&c.rbuf[0])), uintptr(len(c.rbuf)))
		switch e {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false // wait in the poller
		}
		c.rn, c.rerrno = int(r), e
		return true
	}
}

// ReadLazily reads into a buffer taken only once the socket has data: while
// it waits, the buffer is given back.
func (c *conn) ReadLazily(take func() []byte, give func([]byte)) ([]byte, int, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	c.rbuf, c.rn, c.rerrno, c.take, c.give = nil, 0, 0, take, give
	err := c.rc.Read(c.readLazy)
	b, n, errno := c.rbuf, c.rn, c.rerrno
	c.rbuf, c.take, c.give = nil, nil, nil
	if err == nil && errno != 0 {
		err = c.opError("read", os.NewSyscallError("read", errno))
	} else if err != nil {
		err = c.opError("read", err)
	} else if n == 0 {
		err = io.EOF
	}
	if err != nil {
		if b != nil {
			give(b)
		}
		return nil, 0, err
	}
	return b, n, nil
}

func (c *conn) readLazyOnce(fd uintptr) bool {
	if c.rbuf == nil {
		c.rbuf = c.take()
	}
	if !c.readOnce(fd) {
		c.give(c.rbuf)
		c.rbuf = nil
		return false
	}
	return true
}

func (c *conn) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.wbuf, c.wn, c.werrno = p, 0, 0
	err := c.rc.Write(c.write)
	n, errno := c.wn, c.werrno
	c.wbuf = nil
	if err == nil && errno != 0 {
		err = os.NewSyscallError("write", errno)
	}
	if err != nil {
		return n, c.opError("write", err)
	}
	return n, nil
}

func (c *conn) writeAll(fd uintptr) bool {
	for c.wn < len(c.wbuf) {
		// MSG_NOSIGNAL: a peer that has gone is an EPIPE error, not a
		// signal.
		r, _, e := syscall.RawSyscall6(syscall.SYS_SENDTO, fd, uintptr(unsafe.Pointer(&c.wbuf[c.wn])), uintptr(len(c.wbuf)-c.wn),
			syscall.MSG_NOSIGNAL, 0, 0)
		switch e {
		case 0:
			c.wn += int(r)
		case syscall.EINTR:
		case syscall.EAGAIN:
			return false // wait in the poller for room
		default:
			c.werrno = e
			return true
		}
	}
	return true
}

// CloseWrite half-closes a TCP or Unix socket, as the wrapped one would:
// an HTTP server shuts its side this way before closing after an error.
func (c *conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return c.Conn.Close()
}

func (c *conn) opError(op string, err error) error {
	if _, ok := err.(*net.OpError); ok {
		return err
	}
	return &net.OpError{Op: op, Net: c.LocalAddr().Network(), Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
}
