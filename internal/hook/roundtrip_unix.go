//go:build unix

package hook

import (
	"io"
	"os"
	"syscall"
	"time"
)

// roundTrip sends req over a unix stream socket and reads the reply to EOF.
// It uses blocking system calls with kernel timeouts rather than package net:
// net starts the runtime's network poller and its threads, which costs a
// short-lived hook process about 5 ms here (see bench/hook.sh), more than
// everything else the lean hook does.
func roundTrip(socket string, req []byte, timeout time.Duration) ([]byte, error) {
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		return nil, err
	}
	syscall.CloseOnExec(fd)
	f := os.NewFile(uintptr(fd), socket)
	defer f.Close()
	tv := syscall.NsecToTimeval(timeout.Nanoseconds())
	if err := syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv); err != nil {
		return nil, err
	}
	if err := syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_SNDTIMEO, &tv); err != nil {
		return nil, err
	}
	if err := syscall.Connect(fd, &syscall.SockaddrUnix{Name: socket}); err != nil {
		return nil, err
	}
	// Anyone who can create the socket file (serve down, a writable run
	// directory) could answer on it; only serve's user is believed.
	if err := checkPeer(fd, socket); err != nil {
		return nil, err
	}
	if _, err := f.Write(req); err != nil {
		return nil, err
	}
	if err := syscall.Shutdown(fd, syscall.SHUT_WR); err != nil {
		return nil, err
	}
	return io.ReadAll(io.LimitReader(f, MaxInput+MaxHeader))
}
