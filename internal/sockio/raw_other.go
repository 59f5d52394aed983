//go:build !linux

package sockio

import (
	"net"
	"syscall"
)

func wrap(c net.Conn, _ syscall.RawConn) net.Conn { return c }
