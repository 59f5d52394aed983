// Package sockio reads and writes sockets with raw system calls.
//
// A relay makes two small writes and two reads per statement. Through the
// standard library each is a blocking-capable system call: the runtime
// hands the goroutine's processor off around it, and its monitor, seeing
// calls that last longer than its 20 µs tick (a loopback write delivers the
// packet to the receiver in the same call), takes processors back and
// wakes other threads for them. On a small machine those wake-ups and
// context switches cost more than the relaying. A socket in non-blocking
// mode never blocks, so its calls can be raw: the goroutine keeps its
// processor, and waits for readiness through the runtime's poller as usual
// (so deadlines and Close still interrupt it).
package sockio

import (
	"context"
	"net"
	"syscall"
)

// Wrap returns c reading and writing with raw system calls where c is a
// TCP or Unix stream socket on a platform that has them, and c itself
// otherwise.
func Wrap(c net.Conn) net.Conn {
	var sc syscall.Conn
	switch t := c.(type) {
	case *net.TCPConn:
		sc = t
	case *net.UnixConn:
		sc = t
	default:
		return c
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return c
	}
	return wrap(c, rc)
}

// LazyReader is a connection that can wait for data without holding a
// buffer: a relay with many idle sessions then holds no read buffers for
// them. Connections from Wrap implement it where they read raw.
type LazyReader interface {
	// ReadLazily waits until data is there, then reads it into a buffer
	// from take and returns the buffer and the count read. A buffer taken
	// while there was nothing to read yet goes back through give, as does
	// the buffer of a failed read; io.EOF says the peer closed.
	ReadLazily(take func() []byte, give func([]byte)) ([]byte, int, error)
}

// Listener returns ln with every accepted connection wrapped.
func Listener(ln net.Listener) net.Listener { return listener{ln} }

type listener struct{ net.Listener }

func (l listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return Wrap(c), nil
}

// Dialer returns dial with every connection it opens wrapped.
func Dialer(dial func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return Wrap(c), nil
	}
}
