package hook

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/strictjson"
)

// toolCall is the common shape: a tool name and its input object.
type toolCall struct {
	Event     string          `json:"hook_event_name"`
	Cwd       string          `json:"cwd"`
	ToolName  string          `json:"tool_name"`
	ToolInput json.RawMessage `json:"tool_input"`
}

type toolInput struct {
	Command      json.RawMessage `json:"command"`
	FilePath     string          `json:"file_path"`
	AbsolutePath string          `json:"absolute_path"`
	Path         string          `json:"path"`
}

func parseTool(data []byte, shellTools, readTools []string) (Request, bool, error) {
	var c toolCall
	if err := strictjson.Unmarshal(data, &c); err != nil {
		return Request{}, false, err
	}
	if c.ToolName == "" {
		return Request{}, false, fmt.Errorf("no tool_name")
	}
	return fromTool(c.ToolName, c.ToolInput, c.Cwd, shellTools, readTools)
}

func fromTool(name string, input json.RawMessage, cwd string, shellTools, readTools []string) (Request, bool, error) {
	var in toolInput
	if len(input) > 0 {
		if err := strictjson.Unmarshal(input, &in); err != nil {
			return Request{}, false, fmt.Errorf("tool input: %v", err)
		}
	}
	switch {
	case slices.Contains(shellTools, name):
		if len(in.Command) == 0 {
			return Request{}, false, fmt.Errorf("%s call without a command", name)
		}
		cmd, err := stringOrArgs(in.Command)
		return Request{Kind: action.KindShell, Text: cmd, Cwd: cwd}, true, err
	case slices.Contains(readTools, name):
		p := firstNonEmpty(in.FilePath, in.AbsolutePath, in.Path)
		if p == "" {
			return Request{}, false, fmt.Errorf("%s call without a path", name)
		}
		return Request{Kind: action.KindFile, Text: p, Cwd: cwd}, true, nil
	}
	return Request{}, false, nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// verdictWord maps a decision to an agent's words; approve becomes ask where
// the agent can ask its user, else deny.
func verdictWord(v action.Verdict, canAsk bool) string {
	switch v {
	case action.Allow:
		return "allow"
	case action.Approve:
		if canAsk {
			return "ask"
		}
	}
	return "deny"
}

// Claude Code PreToolUse: Bash and Read; allow, deny and ask.
var claudeCode = Adapter{
	Parse: func(data []byte) (Request, bool, error) {
		return parseTool(data, []string{"Bash"}, []string{"Read"})
	},
	Render: func(o Outcome) []byte {
		return marshal(map[string]any{"hookSpecificOutput": map[string]string{
			"hookEventName":            "PreToolUse",
			"permissionDecision":       verdictWord(o.Decision.Verdict, true),
			"permissionDecisionReason": message(o, true),
		}})
	},
}

// Codex PreToolUse: the same shape, but only a denial is honoured, so a held
// action is denied with instructions and an allowed one prints nothing.
var codex = Adapter{
	Parse: func(data []byte) (Request, bool, error) {
		return parseTool(data, []string{"Bash", "shell", "local_shell", "exec_command", "container.exec"}, []string{"Read", "read_file"})
	},
	Render: func(o Outcome) []byte {
		if o.Decision.Verdict == action.Allow {
			return nil
		}
		return marshal(map[string]any{"hookSpecificOutput": map[string]string{
			"hookEventName":            "PreToolUse",
			"permissionDecision":       "deny",
			"permissionDecisionReason": message(o, false),
		}})
	},
}

// Gemini CLI BeforeTool: allow or deny, no ask.
var gemini = Adapter{
	Parse: func(data []byte) (Request, bool, error) {
		return parseTool(data, []string{"run_shell_command"}, []string{"read_file", "read_many_files"})
	},
	Render: func(o Outcome) []byte {
		return marshal(map[string]string{"decision": verdictWord(o.Decision.Verdict, false), "reason": message(o, false)})
	},
}

// Cursor: beforeShellExecution ({command, cwd}) may ask; beforeReadFile
// ({file_path}) allows or denies.
var cursor = Adapter{
	Parse: func(data []byte) (Request, bool, error) {
		var c struct {
			Event    string  `json:"hook_event_name"`
			Command  *string `json:"command"`
			Cwd      string  `json:"cwd"`
			FilePath string  `json:"file_path"`
		}
		if err := strictjson.Unmarshal(data, &c); err != nil {
			return Request{}, false, err
		}
		switch {
		case c.Event == "beforeShellExecution" || c.Event == "" && c.Command != nil:
			if c.Command == nil {
				return Request{}, false, fmt.Errorf("beforeShellExecution without a command")
			}
			return Request{Kind: action.KindShell, Text: *c.Command, Cwd: c.Cwd}, true, nil
		case c.Event == "beforeReadFile" || c.Event == "" && c.FilePath != "":
			if c.FilePath == "" {
				return Request{}, false, fmt.Errorf("beforeReadFile without a file_path")
			}
			return Request{Kind: action.KindFile, Text: c.FilePath, Cwd: c.Cwd}, true, nil
		case c.Event == "":
			return Request{}, false, fmt.Errorf("neither a command nor a file_path")
		}
		return Request{}, false, nil
	},
	Render: func(o Outcome) []byte {
		msg := message(o, o.Action.Kind == action.KindShell)
		if o.Action.Kind == action.KindFile {
			return marshal(map[string]string{"permission": verdictWord(o.Decision.Verdict, false), "user_message": msg, "agent_message": msg})
		}
		return marshal(map[string]string{"permission": verdictWord(o.Decision.Verdict, true), "user_message": msg, "agent_message": msg})
	},
}

// Copilot CLI preToolUse: {toolName, toolArgs} with toolArgs a JSON string
// (or object); only a denial is processed, so a held action is denied.
var copilot = Adapter{
	Parse: func(data []byte) (Request, bool, error) {
		var c struct {
			Cwd      string          `json:"cwd"`
			ToolName string          `json:"toolName"`
			ToolArgs json.RawMessage `json:"toolArgs"`
		}
		if err := strictjson.Unmarshal(data, &c); err != nil {
			return Request{}, false, err
		}
		if c.ToolName == "" {
			return Request{}, false, fmt.Errorf("no toolName")
		}
		args := c.ToolArgs
		var s string
		if strictjson.Unmarshal(args, &s) == nil {
			args = json.RawMessage(s)
		}
		return fromTool(c.ToolName, args, c.Cwd, []string{"bash", "shell"}, []string{"view", "read"})
	},
	Render: func(o Outcome) []byte {
		return marshal(map[string]string{"permissionDecision": verdictWord(o.Decision.Verdict, false), "permissionDecisionReason": message(o, false)})
	},
}
