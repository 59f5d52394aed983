// Package sandbox starts a command confined so that Chaperone is its only
// route to infrastructure: its own network namespace with loopback alone, in
// which listeners opened inside relay to `chaperone serve` outside; a private
// mount namespace in which Chaperone's own files are hidden, the workspace's
// credentials show stand-ins, and the agent's hook settings cannot change;
// and no capabilities left to undo any of it.
package sandbox

import (
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"syscall"
)

// Spec is what to start and how to confine it.
type Spec struct {
	// Command is the program and its arguments; it is looked up in Env's
	// PATH.
	Command []string
	// Dir is where Command starts (the workspace).
	Dir string
	// Env is Command's whole environment.
	Env []string
	// Listen are TCP addresses opened inside the sandbox, in this order in
	// Session.Listeners; nothing else listens there.
	Listen []string
	// Hide are paths made unreadable and unwritable inside: a directory
	// shows as an empty read-only one, anything else as an empty read-only
	// file.
	Hide []string
	// ReadOnly are paths that stay readable but cannot be changed.
	ReadOnly []string
	// Replace shows, inside, the named file's Replace[path] instead of
	// what is on disk; the file on disk is not touched.
	Replace map[string][]byte
	// Keep is a unix socket that stays reachable even when its directory
	// is hidden, and cannot be removed or replaced (the hook socket).
	Keep string
	// Scratch is a private directory of the caller's (0700) where the
	// sandbox keeps what it mounts; it is hidden inside.
	Scratch string
	// Self is the executable re-run as the sandbox's first process
	// (default: this one). It must call Init when its first argument is
	// InitArg.
	Self string

	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

// InitArg is the first argument with which Self runs as the sandbox's
// first process.
const InitArg = "__chaperone-sandbox-init"

// ErrUnavailable is returned (wrapped, with the setting that would allow
// it) when no sandbox can be made here. Nothing was started.
var ErrUnavailable = errors.New("cannot confine the command")

// Session is a started sandbox.
type Session struct {
	// Listeners are Spec.Listen, opened inside the sandbox, to be served
	// from outside.
	Listeners []net.Listener
	// Pid is the command's process id (as seen outside).
	Pid int

	wait   func() (int, error)
	signal func(os.Signal) error
}

// Wait waits for the command and returns its exit code (128+signal when
// a signal ended it).
func (s *Session) Wait() (int, error) { return s.wait() }

// Signal sends sig to the command.
func (s *Session) Signal(sig os.Signal) error { return s.signal(sig) }

// Unconfined wraps a command started without a sandbox, for a run the
// caller chose to leave unconfined.
func Unconfined(c *exec.Cmd) *Session {
	done := make(chan struct{})
	var err error
	go func() { err = c.Wait(); close(done) }()
	return &Session{Pid: c.Process.Pid, signal: c.Process.Signal, wait: func() (int, error) {
		<-done
		if ws, ok := c.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal()), nil
		}
		if code := c.ProcessState.ExitCode(); code >= 0 {
			return code, nil
		}
		return -1, err
	}}
}
