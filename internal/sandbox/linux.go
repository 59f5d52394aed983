//go:build linux

package sandbox

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// FailEnv, set to "namespace", makes the namespace step fail as it does on
// a kernel that forbids it. It can only make a run refuse, never loosen one.
const FailEnv = "CHAPERONE_SANDBOX_FAIL"

// initSpec is what the first process inside needs; it travels over the
// control socket, not argv or the environment, which the command inherits.
type initSpec struct {
	Command  []string
	Dir      string
	Env      []string
	Listen   []string
	Hide     []string
	ReadOnly []string
	Replace  map[string]string // target -> copy under Scratch
	Keep     string
	Scratch  string
	Root     bool // no user namespace: capabilities must be dropped by hand
}

type initReply struct {
	Error string `json:"error,omitempty"`
}

// Start confines and starts spec.Command. It returns once the sandbox is
// made and its listeners are open, or with an error and nothing running.
func Start(spec Spec) (*Session, error) {
	if len(spec.Command) == 0 {
		return nil, errors.New("no command to run")
	}
	if os.Getenv(FailEnv) == "namespace" {
		return nil, unavailable(syscall.EPERM)
	}
	self := spec.Self
	if self == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, err
		}
		self = exe
	}
	is := initSpec{Command: spec.Command, Dir: spec.Dir, Env: spec.Env, Listen: spec.Listen,
		ReadOnly: spec.ReadOnly, Keep: spec.Keep, Scratch: spec.Scratch, Root: os.Geteuid() == 0, Replace: map[string]string{}}
	copies := filepath.Join(spec.Scratch, "copies")
	if len(spec.Replace) > 0 {
		if err := os.MkdirAll(copies, 0o700); err != nil {
			return nil, err
		}
		i := 0
		for target, content := range spec.Replace {
			p := filepath.Join(copies, strconv.Itoa(i))
			i++
			if err := os.WriteFile(p, content, 0o400); err != nil {
				return nil, err
			}
			is.Replace[target] = p
		}
	}
	is.Hide = append(slices.Clone(spec.Hide), copies)
	is.Hide = append(is.Hide, hostSockets(spec.Keep)...)
	if err := os.MkdirAll(filepath.Join(spec.Scratch, "stage"), 0o700); err != nil {
		return nil, err
	}

	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	ours, theirs := os.NewFile(uintptr(pair[0]), "sandbox-control"), os.NewFile(uintptr(pair[1]), "sandbox-control")
	defer ours.Close()

	cmd := exec.Command(self, InitArg)
	cmd.Env = spec.Env
	cmd.Dir = "/"
	cmd.Stdin, cmd.Stdout, cmd.Stderr = spec.Stdin, spec.Stdout, spec.Stderr
	cmd.ExtraFiles = []*os.File{theirs}
	attr := &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Cloneflags: syscall.CLONE_NEWNS | syscall.CLONE_NEWNET}
	if !is.Root {
		uid, gid := os.Getuid(), os.Getgid()
		attr.Cloneflags |= syscall.CLONE_NEWUSER
		attr.UidMappings = []syscall.SysProcIDMap{{ContainerID: uid, HostID: uid, Size: 1}}
		attr.GidMappings = []syscall.SysProcIDMap{{ContainerID: gid, HostID: gid, Size: 1}}
		attr.GidMappingsEnableSetgroups = false
		// The first process keeps, across its exec, only what it needs to
		// build the sandbox; it gives them up before the command starts.
		attr.AmbientCaps = []uintptr{unix.CAP_SYS_ADMIN, unix.CAP_NET_ADMIN, unix.CAP_SETPCAP}
	}
	cmd.SysProcAttr = attr
	// Pdeathsig follows the thread that started the child: keep it alive.
	started := make(chan error, 1)
	exited := make(chan struct{})
	var waitErr error
	go func() {
		runtime.LockOSThread()
		err := cmd.Start()
		started <- err
		if err != nil {
			return
		}
		waitErr = cmd.Wait()
		close(exited)
	}()
	err = <-started
	theirs.Close()
	if err != nil {
		if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EACCES) {
			return nil, unavailable(err)
		}
		return nil, fmt.Errorf("starting the sandbox: %w", err)
	}
	kill := func() { cmd.Process.Kill(); <-exited }
	if err := writeFrame(ours, is); err != nil {
		kill()
		return nil, fmt.Errorf("starting the sandbox: %w", err)
	}
	var reply initReply
	fds, err := readFrame(ours, &reply)
	if err != nil {
		kill()
		return nil, fmt.Errorf("the sandbox did not start: %w", err)
	}
	if reply.Error != "" {
		for _, fd := range fds {
			unix.Close(fd)
		}
		kill()
		return nil, fmt.Errorf("%w: %s", ErrUnavailable, reply.Error)
	}
	if len(fds) != len(spec.Listen) {
		kill()
		return nil, fmt.Errorf("the sandbox opened %d listeners of %d", len(fds), len(spec.Listen))
	}
	s := &Session{Pid: cmd.Process.Pid, signal: cmd.Process.Signal}
	for _, fd := range fds {
		f := os.NewFile(uintptr(fd), "sandbox-listener")
		ln, err := net.FileListener(f)
		f.Close()
		if err != nil {
			kill()
			return nil, err
		}
		s.Listeners = append(s.Listeners, ln)
	}
	s.wait = func() (int, error) {
		<-exited
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal()), nil
		}
		if code := cmd.ProcessState.ExitCode(); code >= 0 {
			return code, nil
		}
		return -1, waitErr
	}
	return s, nil
}

// unavailable explains which setting would let a namespace be made.
func unavailable(err error) error {
	if os.Geteuid() == 0 {
		return fmt.Errorf("%w: the kernel refused new mount and network namespaces (%v) even to root; a container runtime's seccomp profile or a missing CAP_SYS_ADMIN does that: run Chaperone where namespaces can be made, or pass --unconfined to run without confinement", ErrUnavailable, err)
	}
	var settings []string
	for _, s := range []struct{ name, file, want string }{
		{"kernel.unprivileged_userns_clone", "/proc/sys/kernel/unprivileged_userns_clone", "1"},
		{"user.max_user_namespaces", "/proc/sys/user/max_user_namespaces", "a positive number"},
		{"kernel.apparmor_restrict_unprivileged_userns", "/proc/sys/kernel/apparmor_restrict_unprivileged_userns", "0"},
	} {
		v, rerr := os.ReadFile(s.file)
		if rerr != nil {
			continue
		}
		settings = append(settings, fmt.Sprintf("%s=%s (needs %s)", s.name, strings.TrimSpace(string(v)), s.want))
	}
	if len(settings) == 0 {
		settings = []string{"user.max_user_namespaces (needs a positive number)"}
	}
	return fmt.Errorf("%w: the kernel refused an unprivileged user namespace (%v); allow it with sysctl: %s; or run as root; or pass --unconfined to run without confinement",
		ErrUnavailable, err, strings.Join(settings, ", "))
}

// hostSockets lists the unix sockets bound by this host's processes: each is
// a route out that no network namespace closes (a D-Bus session bus that
// starts programs outside, a Docker or tmux server, an X display). keep is
// left reachable.
func hostSockets(keep string) []string {
	f, err := os.Open("/proc/self/net/unix")
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 8 || !strings.HasPrefix(fields[7], "/") || fields[7] == keep {
			continue
		}
		if fi, err := os.Lstat(fields[7]); err == nil && fi.Mode()&os.ModeSocket != 0 && !slices.Contains(out, fields[7]) {
			out = append(out, fields[7])
		}
	}
	return out
}

// Frames on the control socket: a 4-byte length, then JSON; file
// descriptors ride with the frame.
func writeFrame(f *os.File, v any, fds ...int) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	msg := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	msg = append(msg, data...)
	var oob []byte
	if len(fds) > 0 {
		oob = unix.UnixRights(fds...)
	}
	return unix.Sendmsg(int(f.Fd()), msg, oob, nil, 0)
}

func readFrame(f *os.File, v any) ([]int, error) {
	buf := make([]byte, 1<<20)
	oob := make([]byte, unix.CmsgSpace(4*64))
	n, oobn, _, _, err := unix.Recvmsg(int(f.Fd()), buf, oob, unix.MSG_CMSG_CLOEXEC)
	if err != nil {
		return nil, err
	}
	var fds []int
	if oobn > 0 {
		msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
		if err != nil {
			return nil, err
		}
		for _, m := range msgs {
			got, err := unix.ParseUnixRights(&m)
			if err != nil {
				return nil, err
			}
			fds = append(fds, got...)
		}
	}
	if n < 4 {
		return fds, io.ErrUnexpectedEOF
	}
	size := int(binary.BigEndian.Uint32(buf))
	data := slices.Clone(buf[4:n])
	for len(data) < size {
		m, err := f.Read(buf[:min(len(buf), size-len(data))])
		if err != nil {
			return fds, err
		}
		data = append(data, buf[:m]...)
	}
	return fds, json.Unmarshal(data[:size], v)
}
