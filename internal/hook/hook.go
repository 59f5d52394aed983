// Package hook speaks each coding agent's pre-tool-use hook protocol: it reads
// the agent's JSON, says what to check, and renders Chaperone's decision in
// the form that agent expects. Anything it cannot read is denied: some agents
// treat a failed hook as permission, so a hook never fails open.
package hook

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/chaperone/chaperone/internal/action"
)

// Request is what an agent asked to do, in Chaperone's terms.
type Request struct {
	Kind action.Kind // shell, file (reads, searches), file_write or tool
	Text string      // the command line, or the file path(s)
	Cwd  string

	// Tool is the agent's name for the tool, Op what it does.
	Tool string
	Op   Op
	// Paths are the files a read, write or search names; Patterns what a
	// search looks for; Content what a write puts in a file (or the patch);
	// URL what a fetch gets; Args every argument, for tools judged by them.
	Paths    []string
	Patterns []string
	Content  string
	URL      string
	Args     map[string]any
	// Server and MCPTool name an MCP call's server and tool where the
	// agent sends them apart from the tool name.
	Server, MCPTool string
	// Interactive marks agents in which typing into a shell already
	// running fires no hook (Codex's write_stdin): starting one is held.
	Interactive bool
}

// Outcome is the decision to render, with the action it was made about.
type Outcome struct {
	Decision action.Decision
	Action   action.Action
}

// Adapter is one agent's protocol.
type Adapter struct {
	// Parse returns the request, or ok=false when the tool is not one
	// Chaperone inspects (the agent's own permissions then apply).
	Parse func(data []byte) (req Request, ok bool, err error)
	// Render returns the bytes to print for a decision; nil prints nothing.
	Render func(o Outcome) []byte
	// Blocks marks agents that read a refusal only from the exit code: an
	// action not allowed exits 2 with the reason on stderr.
	Blocks bool
}

// Answer is what the hook process does: print Stdout, or (Exit 2) print
// Stderr and exit 2.
type Answer struct {
	Stdout, Stderr []byte
	Exit           int
}

// answer renders o as a's answer.
func (a Adapter) answer(o Outcome) Answer {
	if a.Blocks && o.Decision.Verdict != action.Allow {
		return Answer{Stderr: []byte(message(o, false) + "\n"), Exit: 2}
	}
	return Answer{Stdout: a.Render(o)}
}

// Adapters by the name `chaperone hook NAME` takes.
var Adapters = map[string]Adapter{
	"claude-code": claudeCode,
	"cursor":      cursor,
	"gemini":      gemini,
	"codex":       codex,
	"copilot":     copilot,
	"windsurf":    windsurf,
	"cline":       cline,
	"kiro":        kiro,
	"factory":     factory,
	"qwen":        qwen,
	"goose":       goose,
}

// Names lists the supported agents.
func Names() []string {
	names := make([]string, 0, len(Adapters))
	for n := range Adapters {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Decider classifies and decides a request.
type Decider func(Request) Outcome

// MaxInput bounds what a hook reads from the agent.
const MaxInput = 1 << 20

// Timeout bounds a decision; past it the hook denies.
var Timeout = 2 * time.Second

// Run answers one hook invocation. It always returns an answer (an empty
// one is "no opinion", for tools that act only inside the agent) and never
// an error: every failure is rendered as a denial.
func Run(a Adapter, input []byte, decide Decider) (out Answer) {
	defer func() {
		if r := recover(); r != nil {
			out = a.answer(failure(fmt.Sprintf("internal error: %v", r)))
		}
	}()
	if len(input) > MaxInput {
		return a.answer(failure("hook input is over 1 MiB"))
	}
	req, ok, err := a.Parse(input)
	if err != nil {
		return a.answer(failure("cannot read the hook input: " + err.Error()))
	}
	if !ok {
		return Answer{}
	}
	done := make(chan Outcome, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- failure(fmt.Sprintf("internal error: %v", r))
			}
		}()
		done <- decide(req)
	}()
	select {
	case o := <-done:
		return a.answer(o)
	case <-time.After(Timeout):
		return a.answer(failure("the decision took too long"))
	}
}

func failure(why string) Outcome {
	return Outcome{Decision: action.Decision{Verdict: action.Deny, Rule: "hook.error",
		Reason: why + "; denied because Chaperone could not check it (fail closed)"}}
}

// message is the reason an agent and its user read: the rule, why it
// matters, and for held actions what a human must do.
func message(o Outcome, canAsk bool) string {
	d := o.Decision
	var b strings.Builder
	b.WriteString("Chaperone")
	if d.Rule != "" {
		fmt.Fprintf(&b, " [%s]", d.Rule)
	}
	b.WriteString(": ")
	b.WriteString(d.Reason)
	for i, r := range o.Action.Reasons {
		if i == 3 || r.Class == action.ClassRead {
			break
		}
		fmt.Fprintf(&b, "; %s: %s", r.ID, r.Message)
	}
	if d.Verdict == action.Approve && !canAsk {
		b.WriteString(". A human must approve this: ask the user to run it themselves or to allow it explicitly.")
	}
	return b.String()
}

func marshal(v any) []byte {
	out, _ := json.Marshal(v)
	return append(out, '\n')
}

// Deny renders a fail-closed denial for why, in a's format.
func Deny(a Adapter, why string) Answer {
	return a.answer(failure(why))
}

// InputDeadline bounds how long a hook waits for the agent's input.
var InputDeadline = 5 * time.Second

// ReadInput reads the agent's JSON with a bound and a deadline: input over
// MaxInput, a read error or a writer that never closes is an error, which
// the hook answers with a denial.
func ReadInput(r io.Reader) ([]byte, error) {
	if f, ok := r.(*os.File); ok {
		if data, ok, err := readFile(f); ok {
			if err != nil {
				return nil, err
			}
			if len(data) > MaxInput {
				return nil, fmt.Errorf("hook input is over 1 MiB")
			}
			return data, nil
		}
	}
	type result struct {
		data []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		data, err := io.ReadAll(io.LimitReader(r, MaxInput+1))
		done <- result{data, err}
	}()
	select {
	case res := <-done:
		if res.err != nil {
			return nil, fmt.Errorf("reading the hook input: %v", res.err)
		}
		if len(res.data) > MaxInput {
			return nil, fmt.Errorf("hook input is over 1 MiB")
		}
		return res.data, nil
	case <-time.After(InputDeadline):
		return nil, fmt.Errorf("the agent sent no complete input within %s", InputDeadline)
	}
}

// Write prints an answer; it returns the exit code the process ends with.
func (ans Answer) Write(stdout, stderr io.Writer) int {
	if ans.Exit != 0 {
		stderr.Write(ans.Stderr)
		return ans.Exit
	}
	stdout.Write(ans.Stdout)
	return 0
}
