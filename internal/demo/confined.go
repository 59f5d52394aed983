package demo

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/chaperone/chaperone/internal/localpg"
	"github.com/chaperone/chaperone/internal/sandbox"
)

// The agent's own commands run in a shell started by `chaperone run`, as
// an agent's harness runs them: in a network namespace with loopback
// alone, where the workspace's credentials show stand-ins and the only
// route to Railway is serve's proxy.

// commandTimeout bounds one command in the agent's shell: nothing the
// agent does should wait on the network, which it does not have.
const commandTimeout = 30 * time.Second

// canConfine fails, saying why, when no sandbox can be made here. The
// demo runs its agent confined or not at all: an unconfined run would
// replay a different story, in which the agent's own network is open.
func canConfine(exe string) error {
	for _, tool := range []string{"bash", "curl", "python3"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("the demo's agent works with bash, curl and python3, and %s is not installed here", tool)
		}
	}
	scratch, err := os.MkdirTemp("", "chaperone-demo-probe-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(scratch)
	s, err := sandbox.Start(sandbox.Spec{Command: []string{"true"}, Dir: "/", Env: []string{"PATH=/usr/bin:/bin"},
		Scratch: scratch, Self: exe})
	if err == nil {
		_, err = s.Wait()
	}
	if err != nil {
		return cannotConfine(err)
	}
	return nil
}

func cannotConfine(err error) error {
	return fmt.Errorf("the demo runs its agent confined by chaperone run, and none can be made here: %w\n"+
		"The demo never runs its agent unconfined: run it on Linux where namespaces can be made (as root, or with unprivileged user namespaces allowed)", err)
}

// shell is the agent's shell inside `chaperone run`.
type shell struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan string
	stderr logBuffer
	exited chan struct{}
	mark   string

	exe, workspace string
}

// runShell starts `chaperone run ... -- bash` in the workspace with a
// session for railway-staging, and returns once the shell answers from
// inside the sandbox.
func (w *world) runShell() (*shell, error) {
	s := &shell{lines: make(chan string, 64), exited: make(chan struct{}), mark: "chaperone-demo-" + localpg.RandomHex(8),
		exe: w.exe, workspace: w.workspace}
	s.cmd = exec.Command(w.exe, "--config", w.cfg, "run", "--env", "staging", "--upstream", "railway-staging",
		"--workspace", w.workspace, "--", "bash", "--noprofile", "--norc")
	s.cmd.Dir = w.workspace
	s.cmd.Stderr = &s.stderr
	var err error
	if s.stdin, err = s.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	out, err := s.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			s.lines <- sc.Text()
		}
		close(s.lines)
	}()
	go func() { s.cmd.Wait(); close(s.exited) }()
	// The command's errors belong with its output, as in a terminal.
	if _, _, err := s.exec("exec 2>&1"); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

// failed explains a shell that stopped answering: most often run refused
// to start it, and said why on its stderr.
func (s *shell) failed(err error) error {
	code := -1
	select {
	case <-s.exited:
		code = s.cmd.ProcessState.ExitCode()
	case <-time.After(5 * time.Second):
	}
	msg := strings.TrimSpace(s.stderr.String())
	if code == 3 && strings.Contains(msg, sandbox.ErrUnavailable.Error()) {
		return cannotConfine(errors.New(strings.TrimPrefix(msg, "chaperone: ")))
	}
	if msg != "" {
		return fmt.Errorf("chaperone run: %v\n%s", err, msg)
	}
	return fmt.Errorf("chaperone run: %w", err)
}

// exec types command into the shell and returns what it printed and its
// exit status.
func (s *shell) exec(command string) (string, int, error) {
	if _, err := fmt.Fprintf(s.stdin, "%s\nprintf '\\n%s %%d\\n' \"$?\"\n", command, s.mark); err != nil {
		return "", -1, s.failed(err)
	}
	var out []string
	deadline := time.After(commandTimeout)
	for {
		select {
		case line, ok := <-s.lines:
			if !ok {
				return strings.Join(out, "\n"), -1, s.failed(errors.New("the agent's shell ended"))
			}
			if rest, found := strings.CutPrefix(line, s.mark+" "); found {
				status, _ := strconv.Atoi(rest)
				// The mark starts on a line of its own: drop the newline
				// printed before it.
				if n := len(out); n > 0 && out[n-1] == "" {
					out = out[:n-1]
				}
				return strings.Join(out, "\n"), status, nil
			}
			out = append(out, line)
		case <-deadline:
			s.close()
			return strings.Join(out, "\n"), -1, fmt.Errorf("%q did not finish in %s inside chaperone run", command, commandTimeout)
		}
	}
}

// hook asks serve's hook about a shell command, from inside the sandbox,
// as the agent's harness does before it runs one.
func (s *shell) hook(command string) (decision, reason string, err error) {
	return s.hookTool("Bash", map[string]any{"command": command})
}

// hookTool sends Claude Code's PreToolUse event for tool to the chaperone
// hook inside the sandbox, which asks serve on the socket and with the
// session's environment that run exported. Claude Code's hook says
// nothing when it allows.
func (s *shell) hookTool(tool string, input map[string]any) (decision, reason string, err error) {
	ev, _ := json.Marshal(map[string]any{"session_id": "demo", "hook_event_name": "PreToolUse", "tool_name": tool,
		"tool_input": input, "cwd": s.workspace})
	out, status, err := s.exec("printf '%s' " + shellQuote(string(ev)) + " | " + shellQuote(s.exe) + " hook claude-code")
	if err != nil {
		return "", "", err
	}
	if status == 0 && strings.TrimSpace(out) == "" {
		return "allow", "", nil
	}
	var ans struct {
		Out struct {
			Decision string `json:"permissionDecision"`
			Reason   string `json:"permissionDecisionReason"`
		} `json:"hookSpecificOutput"`
	}
	if status != 0 || json.Unmarshal([]byte(out), &ans) != nil {
		return "", "", fmt.Errorf("the hook inside chaperone run answered %q (exit %d)", out, status)
	}
	return ans.Out.Decision, ans.Out.Reason, nil
}

// curlStatus runs a curl command that ends its output with the HTTP
// status (-w '\n%{http_code}') and returns the status and the body.
func curlStatus(s *shell, command string) (int, string, error) {
	out, status, err := s.exec(command)
	if err != nil {
		return 0, "", err
	}
	i := strings.LastIndexByte(out, '\n')
	code, cerr := strconv.Atoi(out[i+1:])
	if status != 0 || cerr != nil || i < 0 {
		return 0, "", fmt.Errorf("curl inside chaperone run failed (exit %d): %s", status, out)
	}
	return code, out[:i], nil
}

// end closes the shell and returns run's exit code.
func (s *shell) end() (int, error) {
	s.stdin.Close()
	select {
	case <-s.exited:
	case <-time.After(commandTimeout):
		s.close()
		return -1, errors.New("chaperone run did not end after its shell did")
	}
	return s.cmd.ProcessState.ExitCode(), nil
}

// close stops run, which revokes the session's token on the way out.
func (s *shell) close() {
	s.stdin.Close()
	select {
	case <-s.exited:
		return
	default:
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
	}
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
