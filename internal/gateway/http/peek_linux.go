//go:build linux

package http

import "syscall"

// idleSocketQuiet reports whether nothing is waiting on a kept socket: no
// end of stream and no bytes, looked at without reading them or waiting.
func idleSocketQuiet(raw syscall.RawConn) bool {
	quiet := false
	raw.Control(func(fd uintptr) {
		var b [1]byte
		_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		quiet = err == syscall.EAGAIN || err == syscall.EWOULDBLOCK
	})
	return quiet
}
