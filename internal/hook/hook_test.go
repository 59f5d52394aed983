package hook

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chaperone/chaperone/internal/action"
)

// fixed decides by the request text, so each adapter's rendering is tested
// on its own.
func fixed(r Request) Outcome {
	a := action.Action{Kind: r.Kind, Text: r.Text}
	switch {
	case strings.Contains(r.Text, "reset --hard"):
		a.Class = action.ClassDestructive
		a.Reasons = []action.Reason{{ID: "git.reset-hard", Class: action.ClassDestructive, Message: "destroys uncommitted changes"}}
		return Outcome{action.Decision{Verdict: action.Approve, Rule: "builtin.destructive", Reason: "held", Approvals: 1}, a}
	case strings.Contains(r.Text, ".env"):
		return Outcome{action.Decision{Verdict: action.Deny, Rule: "builtin.credential-access", Reason: "secrets"}, a}
	}
	return Outcome{action.Decision{Verdict: action.Allow, Rule: "builtin.read", Reason: "reads"}, a}
}

const (
	askMsg    = "Chaperone [builtin.destructive]: held; git.reset-hard: destroys uncommitted changes"
	heldMsg   = askMsg + ". A human must approve this: ask the user to run it themselves or to allow it explicitly."
	denyMsg   = "Chaperone [builtin.credential-access]: secrets"
	allowMsg  = "Chaperone [builtin.read]: reads"
	claudeFmt = `{"hookSpecificOutput":{"hookEventName":"PreToolUse","permissionDecision":%q,"permissionDecisionReason":%q}}`
)

func claudeOut(d, msg string) string { return jsonf(claudeFmt, d, msg) }

func jsonf(format string, args ...any) string {
	return strings.TrimSpace(fmt.Sprintf(format, args...)) + "\n"
}

func TestAdaptersSpeakEachAgentsProtocol(t *testing.T) {
	cases := []struct {
		agent, in, want string
	}{
		// Claude Code PreToolUse, as Claude Code sends it.
		{"claude-code", `{"session_id":"abc","transcript_path":"/t.jsonl","cwd":"/w","permission_mode":"default","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"git reset --hard","description":"Reset"}}`,
			claudeOut("ask", askMsg)},
		{"claude-code", `{"hook_event_name":"PreToolUse","tool_name":"Read","tool_input":{"file_path":"/w/.env"}}`, claudeOut("deny", denyMsg)},
		{"claude-code", `{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"ls"}}`, ""},
		{"claude-code", `{"hook_event_name":"PreToolUse","tool_name":"TodoWrite","tool_input":{"todos":[]}}`, ""},
		// Cursor hooks.
		{"cursor", `{"conversation_id":"c","generation_id":"g","hook_event_name":"beforeShellExecution","command":"git reset --hard","cwd":"/w","workspace_roots":["/w"]}`,
			jsonf(`{"agent_message":%q,"decision":"ask","permission":"ask","reason":%q,"user_message":%q}`, askMsg, askMsg, askMsg)},
		{"cursor", `{"hook_event_name":"beforeReadFile","file_path":"/w/.env","content":"X=1","workspace_roots":["/w"]}`,
			jsonf(`{"agent_message":%q,"decision":"deny","permission":"deny","reason":%q,"user_message":%q}`, denyMsg, denyMsg, denyMsg)},
		{"cursor", `{"hook_event_name":"beforeShellExecution","command":"ls","cwd":"/w"}`,
			jsonf(`{"agent_message":%q,"decision":"allow","permission":"allow","reason":%q,"user_message":%q}`, allowMsg, allowMsg, allowMsg)},
		// Gemini CLI BeforeTool: 0.61 asks.
		{"gemini", `{"session_id":"s","cwd":"/w","hook_event_name":"BeforeTool","tool_name":"run_shell_command","tool_input":{"command":"git reset --hard","description":"x"}}`,
			jsonf(`{"decision":"ask","reason":%q}`, askMsg)},
		{"gemini", `{"hook_event_name":"BeforeTool","tool_name":"read_file","tool_input":{"absolute_path":"/w/.env"}}`, jsonf(`{"decision":"deny","reason":%q}`, denyMsg)},
		{"gemini", `{"hook_event_name":"BeforeTool","tool_name":"run_shell_command","tool_input":{"command":"ls"}}`, ""},
		// Codex PreToolUse: deny only; allow prints nothing.
		{"codex", `{"session_id":"s","cwd":"/w","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"git reset --hard"}}`, claudeOut("deny", heldMsg)},
		{"codex", `{"hook_event_name":"PreToolUse","tool_name":"shell","tool_input":{"command":["bash","-lc","ls"]}}`, ""},
		// Copilot CLI: toolArgs is a JSON string.
		{"copilot", `{"timestamp":1704614600000,"cwd":"/w","toolName":"bash","toolArgs":"{\"command\":\"git reset --hard\",\"description\":\"x\"}"}`,
			jsonf(`{"permissionDecision":"ask","permissionDecisionReason":%q}`, askMsg)},
		{"copilot", `{"toolName":"view","toolArgs":{"path":"/w/.env"}}`, jsonf(`{"permissionDecision":"deny","permissionDecisionReason":%q}`, denyMsg)},
		{"copilot", `{"toolName":"bash","toolArgs":"{\"command\":\"ls\"}"}`, ""},
	}
	for _, c := range cases {
		got := string(Run(Adapters[c.agent], []byte(c.in), fixed).Stdout)
		if got != c.want {
			t.Errorf("%s %s\n got %s\nwant %s", c.agent, c.in, got, c.want)
		}
	}
}

func TestArgvCommandsAreQuotedBackIntoOneLine(t *testing.T) {
	var seen string
	Run(codex, []byte(`{"tool_name":"shell","tool_input":{"command":["bash","-lc","git push -f 'origin'"]}}`), func(r Request) Outcome {
		seen = r.Text
		return fixed(r)
	})
	if seen != `'bash' '-lc' 'git push -f '\''origin'\'''` {
		t.Fatalf("argv became %s", seen)
	}
}

// TestFailuresDeny: unreadable input, a panicking or hanging decision each
// deny, in every agent's format.
func TestFailuresDeny(t *testing.T) {
	panics := func(Request) Outcome { panic("boom") }
	hangs := func(Request) Outcome { time.Sleep(time.Hour); return Outcome{} }
	bad := []struct {
		name   string
		in     string
		decide Decider
	}{
		{"garbage", "not json", fixed},
		{"empty", "", fixed},
		{"no command", `{"tool_name":"Bash","tool_input":{}}`, fixed},
		{"wrong type", `{"tool_name":"Bash","tool_input":{"command":42}}`, fixed},
		// Input the agent and the hook could read two ways.
		{"two commands", `{"tool_name":"Bash","tool_input":{"command":"ls","command":"rm -rf /"},"hook_event_name":"beforeShellExecution","command":"ls","command":"rm -rf /","toolName":"bash","toolArgs":{"command":"ls","command":"rm -rf /"}}`, fixed},
		{"a command in another case", `{"tool_name":"Bash","tool_input":{"Command":"rm -rf /"},"hook_event_name":"beforeShellExecution","Command":"rm -rf /","toolName":"bash","toolArgs":{"Command":"rm -rf /"}}`, fixed},
		{"a field in another case", `{"tool_nAme":"Bash","tool_input":{"command":"ls"},"hook_event_nAme":"beforeShellExecution","commAnd":"ls","toolNAme":"bash","toolArgs":{"command":"ls"},"agent_action_nAme":"pre_run_command","tool_info":{"command_line":"ls"},"hookName":"PreToolUse","pretooluse":{"toolName":"execute_command","parameters":{"command":"ls"}}}`, fixed},
		{"a field folded to another", "{\"tool_name\":\"Bash\",\"tool_input\":{\"command\":\"ls\"},\"tool_input\u212a\":1,\"hoo\u212a_event_name\":\"beforeShellExecution\",\"command\":\"ls\",\"toolName\":\"bash\",\"toolArg\u017f\":{},\"preToolU\u017fe\":{\"toolName\":\"execute_command\",\"parameters\":{\"command\":\"ls\"}}}", fixed},
		{"a field of another type", `{"tool_name":1,"tool_input":{"command":"ls"},"hook_event_name":2,"command":"ls","toolName":["bash"],"toolArgs":{"command":"ls"},"agent_action_name":true,"hookName":"PreToolUse","preToolUse":{"toolName":6,"parameters":{"command":"ls"}},"workspaceRoots":[1]}`, fixed},
		{"too large", `{"tool_name":"Bash","tool_input":{"command":"` + strings.Repeat("a", MaxInput) + `"}}`, fixed},
		{"panic", `{"tool_name":"Bash","tool_input":{"command":"ls"},"hook_event_name":"beforeShellExecution","command":"ls","toolName":"bash","toolArgs":"{\"command\":\"ls\"}"}`, panics},
	}
	if !testing.Short() {
		bad = append(bad, struct {
			name   string
			in     string
			decide Decider
		}{"timeout", `{"tool_name":"Bash","tool_input":{"command":"ls"},"hook_event_name":"beforeShellExecution","command":"ls","toolName":"bash","toolArgs":"{\"command\":\"ls\"}"}`, hangs})
	}
	Timeout = 200 * time.Millisecond
	defer func() { Timeout = 2 * time.Second }()
	for _, b := range bad {
		for _, name := range Names() {
			in := b.in
			if sh := shellToolOf[name]; sh != "" {
				in = strings.Replace(in, `"tool_name":"Bash"`, `"tool_name":"`+sh+`"`, 1)
			}
			ans := Run(Adapters[name], []byte(in), b.decide)
			if Adapters[name].Blocks {
				if ans.Exit != 2 || !strings.Contains(string(ans.Stderr), "fail closed") {
					t.Errorf("%s/%s: %+v", name, b.name, ans)
				}
				continue
			}
			out := ans.Stdout
			var m map[string]any
			if err := json.Unmarshal(out, &m); err != nil {
				t.Errorf("%s/%s: not JSON: %q", name, b.name, out)
				continue
			}
			if !strings.Contains(string(out), `"deny"`) && !strings.Contains(string(out), `"cancel":true`) || !strings.Contains(string(out), "fail closed") {
				t.Errorf("%s/%s: %s", name, b.name, out)
			}
		}
	}
}

var shellToolOf = map[string]string{"gemini": "run_shell_command", "qwen": "run_shell_command", "factory": "Execute", "goose": "developer__shell", "kiro": "execute_bash"}

// FuzzHook: any input to any adapter yields nothing (no opinion) or JSON.
func FuzzHook(f *testing.F) {
	f.Add(0, `{"tool_name":"Bash","tool_input":{"command":"rm -rf /"}}`)
	f.Add(1, `{"hook_event_name":"beforeReadFile","file_path":".env"}`)
	f.Add(4, `{"toolName":"bash","toolArgs":"{\"command\":[\"a\"]}"}`)
	names := Names()
	f.Fuzz(func(t *testing.T, i int, in string) {
		if i < 0 {
			i = -i
		}
		out := Run(Adapters[names[i%len(names)]], []byte(in), fixed).Stdout
		if out != nil && !json.Valid(out) {
			t.Fatalf("not JSON: %q", out)
		}
	})
}
