//go:build linux

package sandbox

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Init is the sandbox's first process: born in the new namespaces, it
// builds them, hands the listeners it opened inside to Start, gives up
// every capability and becomes the command. It never returns.
func Init() {
	runtime.LockOSThread() // credentials are per thread: drop and exec on one
	ctl := os.NewFile(3, "sandbox-control")
	var is initSpec
	if _, err := readFrame(ctl, &is); err != nil {
		fmt.Fprintf(os.Stderr, "chaperone sandbox: reading its spec: %v\n", err)
		os.Exit(126)
	}
	fds, path, err := build(is)
	if err != nil {
		writeFrame(ctl, initReply{Error: err.Error()})
		os.Exit(126)
	}
	if err := writeFrame(ctl, initReply{}, fds...); err != nil {
		os.Exit(126)
	}
	for _, fd := range fds {
		unix.Close(fd)
	}
	ctl.Close()
	if err := dropPrivileges(is.Root); err != nil {
		fmt.Fprintf(os.Stderr, "chaperone sandbox: %v\n", err)
		os.Exit(126)
	}
	err = unix.Exec(path, is.Command, is.Env)
	fmt.Fprintf(os.Stderr, "chaperone sandbox: %s: %v\n", is.Command[0], err)
	os.Exit(127)
}

// build makes the sandbox and returns the listeners' descriptors and the
// command's path.
func build(is initSpec) ([]int, string, error) {
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return nil, "", fmt.Errorf("making the mount namespace private: %w", err)
	}
	if err := mountAll(is); err != nil {
		return nil, "", err
	}
	if err := loopbackUp(); err != nil {
		return nil, "", fmt.Errorf("bringing loopback up: %w", err)
	}
	// /sys shows the namespace of whoever mounted it: the host's interfaces
	// until it is mounted again from in here. A kernel that will not is no
	// route out, so it is let be.
	unix.Mount("sysfs", "/sys", "sysfs", unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "")
	var fds []int
	for _, addr := range is.Listen {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, "", fmt.Errorf("listening on %s inside: %w", addr, err)
		}
		f, err := ln.(*net.TCPListener).File()
		ln.Close()
		if err != nil {
			return nil, "", err
		}
		fds = append(fds, int(f.Fd()))
	}
	path, err := lookPath(is.Command[0], is.Env)
	if err != nil {
		return nil, "", err
	}
	if is.Dir != "" {
		if err := os.Chdir(is.Dir); err != nil {
			return nil, "", fmt.Errorf("entering the workspace: %w", err)
		}
	}
	return fds, path, nil
}

func lookPath(name string, env []string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			os.Setenv("PATH", v)
		}
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, errors.Unwrap(err))
	}
	return p, nil
}

func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	ifr.SetUint16(unix.IFF_UP | unix.IFF_LOOPBACK | unix.IFF_RUNNING)
	return unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
}

// mountAll stages the hook socket and the rewritten copies, binds them in
// place, makes the read-only paths so, and hides the rest. Hidden
// directories are empty tmpfs, made read-only last, after the kept socket
// has been bound inside the one that holds it.
func mountAll(is initSpec) error {
	stage := filepath.Join(is.Scratch, "stage")
	if err := unix.Mount("tmpfs", stage, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "mode=0700,size=64k"); err != nil {
		return fmt.Errorf("staging: %w", err)
	}
	empty := filepath.Join(stage, "empty")
	if err := os.WriteFile(empty, nil, 0o400); err != nil {
		return err
	}
	staged := ""
	if is.Keep != "" {
		if fi, err := os.Lstat(is.Keep); err != nil || fi.Mode()&os.ModeSocket == 0 {
			return fmt.Errorf("the hook socket %s is not there: is serve running?", is.Keep)
		}
		staged = filepath.Join(stage, "keep.sock")
		if err := os.WriteFile(staged, nil, 0o400); err != nil {
			return err
		}
		if err := bind(is.Keep, staged, false); err != nil {
			return fmt.Errorf("keeping the hook socket: %w", err)
		}
	}
	for target, copy := range is.Replace {
		if err := bind(copy, target, true); err != nil {
			return fmt.Errorf("showing stand-ins in %s: %w", target, err)
		}
	}
	for _, p := range is.ReadOnly {
		if _, err := os.Lstat(p); err != nil {
			continue
		}
		if err := bind(p, p, true); err != nil {
			return fmt.Errorf("making %s read-only: %w", p, err)
		}
	}
	hide := slices.Clone(is.Hide)
	keepDir := ""
	if is.Keep != "" {
		keepDir = filepath.Dir(is.Keep)
		hide = append(hide, keepDir)
	}
	sort.Slice(hide, func(i, j int) bool { return len(hide[i]) < len(hide[j]) })
	var dirs []string // hidden, made read-only at the end, deepest first
	covered := func(p string) bool {
		for _, d := range dirs {
			if p == d || strings.HasPrefix(p, d+"/") {
				return true
			}
		}
		return false
	}
	for _, p := range hide {
		p = filepath.Clean(p)
		if covered(p) && p != keepDir {
			continue
		}
		fi, err := os.Lstat(p)
		if err != nil && !(p == keepDir && covered(p)) {
			continue
		}
		if p == keepDir && covered(p) {
			// Inside a hidden directory: make the path in its tmpfs.
			if err := os.MkdirAll(p, 0o555); err != nil {
				return err
			}
		} else if !fi.IsDir() {
			if err := bind(empty, p, true); err != nil {
				return fmt.Errorf("hiding %s: %w", p, err)
			}
			continue
		}
		if err := unix.Mount("tmpfs", p, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "mode=0755,size=16k"); err != nil {
			return fmt.Errorf("hiding %s: %w", p, err)
		}
		dirs = append(dirs, p)
		if p == keepDir {
			socket := filepath.Join(p, filepath.Base(is.Keep))
			if err := os.WriteFile(socket, nil, 0o400); err != nil {
				return err
			}
			if err := bind(staged, socket, true); err != nil {
				return fmt.Errorf("keeping the hook socket: %w", err)
			}
		}
	}
	// The stage goes last: everything above was bound from it.
	if err := unix.Mount("tmpfs", stage, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "mode=0555,size=16k"); err != nil {
		return fmt.Errorf("hiding the stage: %w", err)
	}
	dirs = append(dirs, stage)
	// Anything still to make inside a hidden directory comes before it is
	// made read-only, so the deepest go first.
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := os.Chmod(dirs[i], 0o555); err != nil {
			return err
		}
		if err := unix.Mount("", dirs[i], "", unix.MS_REMOUNT|unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "mode=0555"); err != nil {
			return fmt.Errorf("hiding %s: %w", dirs[i], err)
		}
	}
	return nil
}

// bind mounts src over dst, read-only if asked, keeping the flags the
// mount under it has locked (a user namespace may not clear them).
func bind(src, dst string, readOnly bool) error {
	if err := unix.Mount(src, dst, "", unix.MS_BIND, ""); err != nil {
		return err
	}
	if !readOnly {
		return nil
	}
	var st unix.Statfs_t
	if err := unix.Statfs(dst, &st); err != nil {
		return err
	}
	flags := uintptr(unix.MS_REMOUNT | unix.MS_BIND | unix.MS_RDONLY)
	for _, f := range []struct{ st, ms uintptr }{
		{unix.ST_NOSUID, unix.MS_NOSUID}, {unix.ST_NODEV, unix.MS_NODEV}, {unix.ST_NOEXEC, unix.MS_NOEXEC},
		{unix.ST_NOATIME, unix.MS_NOATIME}, {unix.ST_NODIRATIME, unix.MS_NODIRATIME}, {unix.ST_RELATIME, unix.MS_RELATIME},
	} {
		if uintptr(st.Flags)&f.st != 0 {
			flags |= f.ms
		}
	}
	return unix.Mount("", dst, "", flags, "")
}

// dropPrivileges leaves the command no capability, in this namespace or
// any, and no way to gain one: not by exec of a set-user-ID program, not
// (as root) by being uid 0.
func dropPrivileges(root bool) error {
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("no_new_privs: %w", err)
	}
	if root {
		// linux/securebits.h: NOROOT, NO_SETUID_FIXUP, KEEP_CAPS and
		// NO_CAP_AMBIENT_RAISE, each with its lock, KEEP_CAPS itself off.
		const bits = 1<<0 | 1<<1 | 1<<2 | 1<<3 | 1<<5 | 1<<6 | 1<<7
		if err := unix.Prctl(unix.PR_SET_SECUREBITS, uintptr(bits), 0, 0, 0); err != nil {
			return fmt.Errorf("securebits: %w", err)
		}
	}
	last := lastCap()
	for c := 0; c <= last; c++ {
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err != nil && !errors.Is(err, unix.EINVAL) {
			return fmt.Errorf("dropping capability %d: %w", c, err)
		}
	}
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil {
		return fmt.Errorf("ambient capabilities: %w", err)
	}
	var data [2]unix.CapUserData
	if err := unix.Capset(&unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}, &data[0]); err != nil {
		return fmt.Errorf("capabilities: %w", err)
	}
	return nil
}

func lastCap() int {
	if b, err := os.ReadFile("/proc/sys/kernel/cap_last_cap"); err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			return n
		}
	}
	return 63
}
