package hook

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
)

// checkPeer trusts the process at the other end of fd only if it runs as
// serve's user: $CHAPERONE_SERVE_UID when set, else the owner of the socket
// file (which serve created).
func checkPeer(fd int, socket string) error {
	cred, err := syscall.GetsockoptUcred(fd, syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	if err != nil {
		return fmt.Errorf("cannot tell who answers on %s: %v", socket, err)
	}
	want, err := serveUID(socket)
	if err != nil {
		return err
	}
	if cred.Uid != want {
		return fmt.Errorf("%s is answered by uid %d, not serve's uid %d", socket, cred.Uid, want)
	}
	return nil
}

func serveUID(socket string) (uint32, error) {
	if s := os.Getenv("CHAPERONE_SERVE_UID"); s != "" {
		n, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			return 0, fmt.Errorf("CHAPERONE_SERVE_UID=%q is not a uid", s)
		}
		return uint32(n), nil
	}
	var st syscall.Stat_t
	if err := syscall.Lstat(socket, &st); err != nil {
		return 0, err
	}
	return st.Uid, nil
}
