package hook

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// readFile is ReadInput for a file or pipe (the hook's standard input): it
// waits for data with select(2) in the calling thread. Reading in a
// goroutine raced against a timer cost a new hook process a thread and a
// wake-up, about 0.1 ms here. ok=false: f is not one select can wait on,
// and the caller reads it the general way. Errors are ReadInput's.
func readFile(f *os.File) (data []byte, ok bool, err error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, false, nil
	}
	deadline := time.Now().Add(InputDeadline)
	buf := make([]byte, 0, 16<<10)
	var readErr error
	ctlErr := rc.Control(func(fd uintptr) {
		if fd >= syscall.FD_SETSIZE {
			return
		}
		ok = true
		for {
			left := time.Until(deadline)
			if left <= 0 {
				readErr = fmt.Errorf("the agent sent no complete input within %s", InputDeadline)
				return
			}
			var set syscall.FdSet
			set.Bits[fd/64] |= 1 << (fd % 64)
			tv := syscall.NsecToTimeval(left.Nanoseconds())
			if _, err := syscall.Select(int(fd)+1, &set, nil, nil, &tv); err != nil && !errors.Is(err, syscall.EINTR) {
				readErr = fmt.Errorf("reading the hook input: %v", err)
				return
			}
			if set.Bits[fd/64]&(1<<(fd%64)) == 0 {
				continue // timed out or interrupted: the deadline decides
			}
			if len(buf) == cap(buf) {
				buf = append(buf, 0)[:len(buf)]
			}
			n, err := syscall.Read(int(fd), buf[len(buf):cap(buf)])
			switch {
			case errors.Is(err, syscall.EINTR) || errors.Is(err, syscall.EAGAIN):
			case err != nil:
				readErr = fmt.Errorf("reading the hook input: %v", err)
				return
			case n == 0:
				return // the end of the input
			default:
				buf = buf[:len(buf)+n]
				if len(buf) > MaxInput {
					return
				}
			}
		}
	})
	if ctlErr != nil || !ok {
		return nil, false, nil
	}
	if readErr != nil {
		return nil, true, readErr
	}
	return buf, true, nil
}
