package server

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/hook"
)

type call struct {
	agent, env string
	req        hook.Request
}

// serve starts a server whose decider denies everything with a fixed rule
// and records what it was asked.
func serve(t *testing.T) (socket string, calls func() []call) {
	t.Helper()
	socket = filepath.Join(t.TempDir(), "run", "hook.sock")
	ln, err := Listen(socket)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []call
	s := &Server{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Decide: func(agent, env string, r hook.Request) hook.Outcome {
		mu.Lock()
		got = append(got, call{agent, env, r})
		mu.Unlock()
		return hook.Outcome{Decision: action.Decision{Verdict: action.Deny, Rule: "test.rule", Reason: "decided by serve"}}
	}}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	t.Cleanup(func() {
		ln.Close()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return socket, func() []call { mu.Lock(); defer mu.Unlock(); return append([]call(nil), got...) }
}

func TestAskGetsServesDecisionInTheAgentsFormat(t *testing.T) {
	socket, calls := serve(t)
	in := `{"cwd":"/w","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"git push --force"}}`
	ans, err := hook.Ask(socket, "claude-code", "staging", []byte(in), 2*time.Second)
	out := ans.Stdout
	if err != nil {
		t.Fatal(err)
	}
	want := `{"hookSpecificOutput":{"hookEventName":"PreToolUse","permissionDecision":"deny","permissionDecisionReason":"Chaperone [test.rule]: decided by serve"}}` + "\n"
	if string(out) != want {
		t.Fatalf("got %s\nwant %s", out, want)
	}
	c := calls()
	if len(c) != 1 || c[0].agent != "claude-code" || c[0].env != "staging" ||
		c[0].req.Kind != action.KindShell || c[0].req.Text != "git push --force" || c[0].req.Cwd != "/w" {
		t.Fatalf("serve was asked %+v", c)
	}
	// A tool that acts only inside the agent gets no opinion, and no decision.
	ans, err = hook.Ask(socket, "claude-code", "", []byte(`{"tool_name":"TodoWrite","tool_input":{"todos":[]}}`), 2*time.Second)
	out = ans.Stdout
	if err != nil || len(out) != 0 || len(calls()) != 1 {
		t.Fatalf("uninspected tool: %q %v %d", out, err, len(calls()))
	}
	// Input over the limit is denied by serve, not decided.
	big := `{"tool_name":"Bash","tool_input":{"command":"` + strings.Repeat("a", hook.MaxInput) + `"}}`
	ans, err = hook.Ask(socket, "gemini", "", []byte(big), 5*time.Second)
	out = ans.Stdout
	if err != nil || !strings.Contains(string(out), `"decision":"deny"`) || !strings.Contains(string(out), "over 1 MiB") || len(calls()) != 1 {
		t.Fatalf("oversized input: %q %v", out, err)
	}
}

func TestAskFailsWithoutAnAnswer(t *testing.T) {
	socket, _ := serve(t)
	if _, err := hook.Ask(socket, "vim", "", []byte("{}"), time.Second); !errors.Is(err, hook.ErrNoServer) || !strings.Contains(err.Error(), "unknown agent") {
		t.Fatalf("unknown agent: %v", err)
	}
	if _, err := hook.Ask(filepath.Join(t.TempDir(), "none.sock"), "codex", "", []byte("{}"), time.Second); !errors.Is(err, hook.ErrNoServer) {
		t.Fatalf("no socket: %v", err)
	}
	// A server that accepts and never answers is given up on, not waited for.
	silent := filepath.Join(t.TempDir(), "silent.sock")
	ln, err := net.Listen("unix", silent)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	start := time.Now()
	if _, err := hook.Ask(silent, "codex", "", []byte("{}"), 300*time.Millisecond); !errors.Is(err, hook.ErrNoServer) {
		t.Fatalf("silent server: %v", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Fatal("Ask ignored its timeout") // generous: proves a bound, not a speed
	}
}

func TestListenReplacesStaleSocketsOnly(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hook.sock")
	stale, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	stale.(*net.UnixListener).SetUnlinkOnClose(false)
	stale.Close()
	ln, err := Listen(path)
	if err != nil {
		t.Fatalf("stale socket not replaced: %v", err)
	}
	defer ln.Close()
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o666 {
		t.Fatalf("socket mode: %v %v", fi.Mode(), err)
	}
	if _, err := Listen(path); err == nil || !strings.Contains(err.Error(), "another server is listening") {
		t.Fatalf("second server: %v", err)
	}
	file := filepath.Join(dir, "file")
	os.WriteFile(file, []byte("keep"), 0o600)
	if _, err := Listen(file); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Fatalf("regular file: %v", err)
	}
	if b, _ := os.ReadFile(file); string(b) != "keep" {
		t.Fatal("a regular file was replaced")
	}
}
