package hook

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestAnAnswerFromAnotherUserIsNotBelieved: the hook believes an answer on
// its socket only from serve's user; from anyone else it decides locally.
func TestAnAnswerFromAnotherUserIsNotBelieved(t *testing.T) {
	socket := filepath.Join(t.TempDir(), "hook.sock")
	ln, err := net.Listen("unix", socket)
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
			io.Copy(io.Discard, io.LimitReader(c, 1<<10))
			c.Write([]byte(OK))
			c.Close()
		}
	}()
	in := []byte(`{"tool_name":"Bash","tool_input":{"command":"rm -rf /"}}`)
	if ans, err := Ask(socket, "claude-code", "", in, time.Second); err != nil || len(ans.Stdout) != 0 {
		t.Fatalf("the socket owner's own answer: %+v %v", ans, err)
	}
	t.Setenv("CHAPERONE_SERVE_UID", strconv.Itoa(os.Getuid()+1))
	if _, err := Ask(socket, "claude-code", "", in, time.Second); err == nil || !strings.Contains(err.Error(), "not serve's uid") {
		t.Fatalf("an impostor was believed: %v", err)
	}
}

type stalled struct{}

func (stalled) Read([]byte) (int, error) { select {} }

func TestReadInputHasABoundAndADeadline(t *testing.T) {
	InputDeadline = 100 * time.Millisecond
	defer func() { InputDeadline = 5 * time.Second }()
	if _, err := ReadInput(stalled{}); err == nil {
		t.Fatal("a writer that never finishes was waited for")
	}
	if _, err := ReadInput(strings.NewReader(strings.Repeat("a", MaxInput+1))); err == nil {
		t.Fatal("oversized input was read")
	}
	if got, err := ReadInput(strings.NewReader("{}")); err != nil || string(got) != "{}" {
		t.Fatal(got, err)
	}
}
