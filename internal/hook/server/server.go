// Package server answers agent hooks over a unix socket for `chaperone
// serve`. It lives apart from package hook so that the small chaperone-hook
// binary, which only asks, links none of it.
package server

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/chaperone/chaperone/internal/hook"
)

// AgentDecider decides one request for an agent in an environment.
type AgentDecider func(agent, env string, r hook.Request) hook.Outcome

// Server answers hook invocations forwarded over a unix socket, so that a
// short-lived hook process need not load the policy or the state itself, and
// every decision is made, and audited, by the running `chaperone serve`.
type Server struct {
	Decide AgentDecider
	Log    *slog.Logger
}

// Serve answers connections on ln until it is closed.
func (s *Server) Serve(ln net.Listener) error {
	for {
		conn, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return err
		}
		go s.handle(conn)
	}
}

func (s *Server) handle(conn net.Conn) {
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(hook.Timeout + 5*time.Second))
	out, err := s.answer(conn)
	if err != nil {
		s.Log.Warn("hook request refused", "err", err)
		// Anything but "ok" makes the client decide locally; it never allows.
		conn.Write([]byte("error: " + err.Error() + "\n"))
		return
	}
	conn.Write(out.Reply())
}

func (s *Server) answer(conn net.Conn) (hook.Answer, error) {
	r := bufio.NewReaderSize(io.LimitReader(conn, hook.MaxHeader+hook.MaxInput+1), hook.MaxHeader)
	line, err := r.ReadSlice('\n')
	if err != nil {
		return hook.Answer{}, errors.New("no request header")
	}
	var h hook.Header
	if err := json.Unmarshal(line, &h); err != nil {
		return hook.Answer{}, errors.New("bad request header")
	}
	a, ok := hook.Adapters[h.Agent]
	if !ok {
		return hook.Answer{}, errors.New("unknown agent " + h.Agent)
	}
	input, err := io.ReadAll(r)
	if err != nil {
		input = nil // Run denies unreadable input
	}
	return hook.Run(a, input, func(req hook.Request) hook.Outcome { return s.Decide(h.Agent, h.Env, req) }), nil
}

// Listen opens the hook socket at path, creating its directory. A socket file
// left by a server that is gone is replaced; one that still answers is not:
// two servers must not take turns deciding. The socket is open to every local
// user (0666) because agents may run as other users than Chaperone; all it
// offers is a decision, the same one the agent's own hook would compute.
func Listen(path string) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("%s exists and is not a socket", path)
		}
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("another server is listening on %s", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, err
		}
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(path, 0o666); err != nil {
		ln.Close()
		return nil, err
	}
	return ln, nil
}
