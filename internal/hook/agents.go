package hook

import (
	"fmt"
	"strings"

	"github.com/chaperone/chaperone/internal/action"
)

// Each agent's tools, as its own shipped code names them (docs/hooks.md
// says which version was read). Tools an agent runs only inside itself are
// quiet: no opinion, so the agent's own settings apply.
var (
	claudeTools = tools{
		"Bash": OpShell, "PowerShell": OpShell, "Monitor": OpShell,
		"Read": OpRead, "NotebookRead": OpRead,
		"Write": OpWrite, "Edit": OpEdit, "MultiEdit": OpEdit, "NotebookEdit": OpEdit,
		"Glob": OpSearch, "Grep": OpSearch, "LS": OpSearch,
		"WebFetch": OpFetch, "Task": OpAgent, "Agent": OpAgent,
		"ReadMcpResourceTool": OpMCP, "ListMcpResourcesTool": opQuiet,
		"WebSearch": opQuiet, "TodoWrite": opQuiet, "TodoRead": opQuiet, "AskUserQuestion": opQuiet,
		"EnterPlanMode": opQuiet, "ExitPlanMode": opQuiet, "TaskCreate": opQuiet, "TaskGet": opQuiet,
		"TaskUpdate": opQuiet, "TaskList": opQuiet, "TaskStop": opQuiet, "TaskOutput": opQuiet, "KillShell": opQuiet,
		"BashOutput": opQuiet, "CronList": opQuiet, "CronDelete": opQuiet, "SlashCommand": opQuiet, "Skill": opQuiet,
	}
	codexTools = tools{
		"Bash": OpShell, "shell": OpShell, "local_shell": OpShell, "exec_command": OpShell, "container.exec": OpShell, "shell_command": OpShell,
		"apply_patch": OpPatch, "Read": OpRead, "read_file": OpRead, "view_image": OpRead,
		"grep_files": OpSearch, "list_dir": OpSearch, "spawn_agent": OpAgent,
		"update_plan": opQuiet, "web_search": opQuiet, "write_stdin": opQuiet,
	}
	geminiTools = tools{
		"run_shell_command": OpShell, "read_file": OpRead, "read_many_files": OpRead,
		"write_file": OpWrite, "replace": OpEdit, "edit": OpEdit,
		"grep_search": OpSearch, "search_file_content": OpSearch, "glob": OpSearch, "list_directory": OpSearch,
		"web_fetch": OpFetch, "invoke_agent": OpAgent, "read_mcp_resource": OpMCP,
		"google_web_search": opQuiet, "write_todos": opQuiet, "save_memory": opQuiet, "activate_skill": opQuiet,
		"ask_user": opQuiet, "enter_plan_mode": opQuiet, "exit_plan_mode": opQuiet, "get_internal_docs": opQuiet,
		"update_topic": opQuiet, "complete_task": opQuiet, "list_mcp_resources": opQuiet,
		"tracker_create_task": opQuiet, "tracker_update_task": opQuiet, "tracker_get_task": opQuiet,
		"tracker_list_tasks": opQuiet, "tracker_add_dependency": opQuiet, "tracker_visualize": opQuiet,
	}
	qwenTools = tools{
		"run_shell_command": OpShell, "read_file": OpRead, "read_many_files": OpRead,
		"write_file": OpWrite, "edit": OpEdit, "replace": OpEdit,
		"grep_search": OpSearch, "search_file_content": OpSearch, "glob": OpSearch, "list_directory": OpSearch,
		"web_fetch": OpFetch, "task": OpAgent, "agent": OpAgent,
		"web_search": opQuiet, "todo_write": opQuiet, "save_memory": opQuiet, "skill": opQuiet, "exit_plan_mode": opQuiet,
	}
	copilotTools = tools{
		"bash": OpShell, "powershell": OpShell, "shell": OpShell,
		"view": OpRead, "read": OpRead, "create": OpWrite, "edit": OpEdit, "str_replace": OpEdit,
		"str_replace_editor": OpWrite, "apply_patch": OpPatch,
		"glob": OpSearch, "grep": OpSearch, "rg": OpSearch, "web_fetch": OpFetch, "task": OpAgent,
		"read_bash": opQuiet, "stop_bash": opQuiet, "list_bash": opQuiet, "report_intent": opQuiet,
		"update_todo": opQuiet, "think": opQuiet, "fetch_copilot_cli_documentation": opQuiet,
	}
	cursorTools = tools{
		"Shell": OpShell, "Read": OpRead, "Write": OpWrite, "StrReplace": OpEdit, "Edit": OpEdit,
		"MultiEdit": OpEdit, "TabWrite": OpEdit, "Delete": OpDelete, "Grep": OpSearch, "Glob": OpSearch,
		"LS": OpSearch, "WebFetch": OpFetch, "Task": OpAgent, "TodoWrite": opQuiet, "WebSearch": opQuiet,
	}
	clineTools = tools{
		"execute_command": OpShell, "read_file": OpRead, "write_to_file": OpWrite, "replace_in_file": OpEdit,
		"search_files": OpSearch, "list_files": OpSearch, "list_code_definition_names": OpSearch,
		"use_mcp_tool": OpMCP, "access_mcp_resource": OpMCP, "web_fetch": OpFetch, "new_task": OpAgent,
		"ask_followup_question": opQuiet, "attempt_completion": opQuiet, "plan_mode_respond": opQuiet,
		"load_mcp_documentation": opQuiet, "focus_chain": opQuiet, "condense": opQuiet, "summarize_task": opQuiet,
		"browser_action": OpFetch,
	}
	kiroTools = tools{
		"execute_bash": OpShell, "execute_cmd": OpShell, "shell": OpShell, "fs_read": OpRead, "read": OpRead,
		"fs_write": OpWrite, "write": OpWrite, "use_aws": OpMCP, "aws": OpMCP, "grep": OpSearch, "glob": OpSearch,
		"web_fetch": OpFetch, "use_subagent": OpAgent,
		"report_issue": opQuiet, "thinking": opQuiet, "todo_list": opQuiet, "knowledge": opQuiet, "introspect": opQuiet,
		"web_search": opQuiet,
	}
	factoryTools = tools{
		"Execute": OpShell, "Read": OpRead, "Create": OpWrite, "Edit": OpEdit, "MultiEdit": OpEdit,
		"ApplyPatch": OpPatch, "Grep": OpSearch, "Glob": OpSearch, "LS": OpSearch, "FetchUrl": OpFetch,
		"Task": OpAgent, "WebSearch": opQuiet, "TodoWrite": opQuiet, "ExitSpecMode": opQuiet,
	}
	gooseTools = tools{
		"developer__shell": OpShell, "shell": OpShell, "developer__text_editor": OpWrite, "text_editor": OpWrite,
		"developer__analyze": OpSearch, "developer__image_processor": OpRead,
		"todo__todo_write": opQuiet, "todo__todo_read": opQuiet,
	}
)

// toolCall is the common shape: a tool name and its input object.
type toolCall struct {
	Event, Cwd, ToolName string
	ToolInput            any
}

var toolCallFields = []field{{"hook_event_name", aString, nil}, {"cwd", aString, nil}, {"tool_name", aString, nil}, {"tool_input", anyValue, nil}}

func readToolCall(data []byte) (toolCall, error) {
	m, err := object(data, toolCallFields...)
	if err != nil {
		return toolCall{}, err
	}
	return toolCall{Event: m.str("hook_event_name"), Cwd: m.str("cwd"), ToolName: m.str("tool_name"), ToolInput: m["tool_input"]}, nil
}

func parseTool(data []byte, t tools, interactive bool) (Request, bool, error) {
	c, err := readToolCall(data)
	if err != nil {
		return Request{}, false, err
	}
	if c.ToolName == "" {
		return Request{}, false, fmt.Errorf("no tool_name")
	}
	in, err := decodeInput(c.ToolInput)
	if err != nil {
		return Request{}, false, err
	}
	r, ok, err := t.request(Call{Tool: c.ToolName, Input: in, Cwd: c.Cwd})
	r.Interactive = interactive && r.Op == OpShell
	return r, ok, err
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

// hookSpecific is the PreToolUse answer of Claude Code and the agents that
// copied its protocol. Allowed actions get no answer at all: an "allow"
// would skip the agent's own permission prompt, and Chaperone having
// nothing against an action is no reason to skip it.
func hookSpecific(event string, canAsk bool) func(Outcome) []byte {
	return func(o Outcome) []byte {
		if o.Decision.Verdict == action.Allow {
			return nil
		}
		return marshal(map[string]any{"hookSpecificOutput": map[string]string{
			"hookEventName":            event,
			"permissionDecision":       verdictWord(o.Decision.Verdict, canAsk),
			"permissionDecisionReason": message(o, canAsk),
		}})
	}
}

// Claude Code PreToolUse: every tool; deny and ask.
var claudeCode = Adapter{
	Parse:  func(data []byte) (Request, bool, error) { return parseTool(data, claudeTools, false) },
	Render: hookSpecific("PreToolUse", true),
}

// Codex PreToolUse: only a denial is honoured (its code refuses "allow" and
// "ask"), so a held action is denied with instructions. Typing into a
// shell it already started fires no hook, so starting one is held.
var codex = Adapter{
	Parse:  func(data []byte) (Request, bool, error) { return parseTool(data, codexTools, true) },
	Render: hookSpecific("PreToolUse", false),
}

// Factory Droid PreToolUse: Claude Code's protocol, its own tool names.
var factory = Adapter{
	Parse:  func(data []byte) (Request, bool, error) { return parseTool(data, factoryTools, false) },
	Render: hookSpecific("PreToolUse", true),
}

// goose runs Open Plugins hooks, Claude Code's protocol; held actions are
// denied with instructions, as its ask is not documented.
var goose = Adapter{
	Parse:  func(data []byte) (Request, bool, error) { return parseTool(data, gooseTools, false) },
	Render: hookSpecific("PreToolUse", false),
}

// Gemini CLI BeforeTool: {decision, reason}; 0.61 reads "ask" and asks its
// user. Nothing printed means no opinion.
var gemini = Adapter{
	Parse: func(data []byte) (Request, bool, error) { return parseTool(data, geminiTools, false) },
	Render: func(o Outcome) []byte {
		if o.Decision.Verdict == action.Allow {
			return nil
		}
		return marshal(map[string]string{"decision": verdictWord(o.Decision.Verdict, true), "reason": message(o, true)})
	},
}

// Qwen Code PreToolUse: Gemini CLI's tools under Claude Code's event name;
// the answer carries both forms so that either reader finds it.
var qwen = Adapter{
	Parse: func(data []byte) (Request, bool, error) { return parseTool(data, qwenTools, false) },
	Render: func(o Outcome) []byte {
		if o.Decision.Verdict == action.Allow {
			return nil
		}
		w, msg := verdictWord(o.Decision.Verdict, true), message(o, true)
		return marshal(map[string]any{"decision": w, "reason": msg, "hookSpecificOutput": map[string]string{
			"hookEventName": "PreToolUse", "permissionDecision": w, "permissionDecisionReason": msg}})
	},
}

// Cursor: beforeShellExecution ({command, cwd}) and beforeMCPExecution
// may ask; beforeReadFile ({file_path}) allows or denies; preToolUse
// carries any tool as {tool_name, tool_input}.
var cursor = Adapter{
	Parse: func(data []byte) (Request, bool, error) {
		m, err := object(data, field{"hook_event_name", aString, nil}, field{"command", aString, nil}, field{"cwd", aString, nil},
			field{"file_path", aString, nil}, field{"tool_name", aString, nil}, field{"tool_input", anyValue, nil}, field{"url", aString, nil},
			field{"workspace_roots", aStringList, nil})
		if err != nil {
			return Request{}, false, err
		}
		c := struct {
			Event, Cwd, FilePath, ToolName string
			Command                        *string
			ToolInput                      any
		}{Event: m.str("hook_event_name"), Cwd: m.str("cwd"), FilePath: m.str("file_path"), ToolName: m.str("tool_name"), ToolInput: m["tool_input"]}
		if roots := m.list("workspace_roots"); c.Cwd == "" && len(roots) > 0 {
			c.Cwd = roots[0] // events other than the shell's carry no cwd
		}
		if m.has("command") {
			cmd := m.str("command")
			c.Command = &cmd
		}
		switch {
		case c.Event == "beforeShellExecution" || c.Event == "" && c.Command != nil && c.ToolName == "":
			if c.Command == nil {
				return Request{}, false, fmt.Errorf("beforeShellExecution without a command")
			}
			return Request{Kind: action.KindShell, Op: OpShell, Tool: "Shell", Text: *c.Command, Cwd: c.Cwd}, true, nil
		case c.Event == "beforeReadFile" || c.Event == "" && c.FilePath != "":
			if c.FilePath == "" {
				return Request{}, false, fmt.Errorf("beforeReadFile without a file_path")
			}
			return Request{Kind: action.KindFile, Op: OpRead, Tool: "Read", Text: c.FilePath, Paths: []string{c.FilePath}, Cwd: c.Cwd}, true, nil
		case c.Event == "beforeMCPExecution":
			in, err := decodeInput(c.ToolInput)
			if err != nil {
				return Request{}, false, err
			}
			if c.ToolName == "" {
				return Request{}, false, fmt.Errorf("beforeMCPExecution without a tool_name")
			}
			return Request{Kind: action.KindTool, Op: OpMCP, Tool: "MCP:" + c.ToolName, MCPTool: c.ToolName, Args: in, Cwd: c.Cwd}, true, nil
		case c.Event == "preToolUse":
			in, err := decodeInput(c.ToolInput)
			if err != nil {
				return Request{}, false, err
			}
			if c.ToolName == "" {
				return Request{}, false, fmt.Errorf("preToolUse without a tool_name")
			}
			return cursorTools.request(Call{Tool: c.ToolName, Input: in, Cwd: c.Cwd})
		case c.Event == "":
			return Request{}, false, fmt.Errorf("neither a command nor a file_path")
		}
		return Request{}, false, nil
	},
	Render: func(o Outcome) []byte {
		canAsk := o.Action.Kind != action.KindFile
		msg := message(o, canAsk)
		w := verdictWord(o.Decision.Verdict, canAsk)
		return marshal(map[string]string{"permission": w, "decision": w, "reason": msg, "user_message": msg, "agent_message": msg})
	},
}

// Copilot CLI preToolUse: {toolName, toolArgs} with toolArgs a JSON string
// (or object). 1.0.4 and later read "ask"; "allow" would skip its own
// prompt, so an allowed action gets no answer.
var copilot = Adapter{
	Parse: func(data []byte) (Request, bool, error) {
		m, err := object(data, field{"cwd", aString, nil}, field{"toolName", aString, nil}, field{"toolArgs", anyValue, nil})
		if err != nil {
			return Request{}, false, err
		}
		c := struct {
			Cwd, ToolName string
			ToolArgs      any
		}{m.str("cwd"), m.str("toolName"), m["toolArgs"]}
		if c.ToolName == "" {
			return Request{}, false, fmt.Errorf("no toolName")
		}
		in, err := decodeInput(c.ToolArgs)
		if err != nil {
			return Request{}, false, err
		}
		if c.ToolName == "write_bash" {
			// What is typed into a running shell is a command line.
			if s, ok := in["input"].(string); ok {
				in = map[string]any{"command": s}
				return copilotTools.request(Call{Tool: "bash", Input: in, Cwd: c.Cwd})
			}
		}
		return copilotTools.request(Call{Tool: c.ToolName, Input: in, Cwd: c.Cwd})
	},
	Render: func(o Outcome) []byte {
		if o.Decision.Verdict == action.Allow {
			return nil
		}
		return marshal(map[string]string{"permissionDecision": verdictWord(o.Decision.Verdict, true), "permissionDecisionReason": message(o, true)})
	},
}

// Windsurf (Cascade) pre-hooks: {agent_action_name, tool_info}; a pre-hook
// blocks only by exiting 2, with the reason on stderr.
var windsurf = Adapter{
	Blocks: true,
	Parse: func(data []byte) (Request, bool, error) {
		m, err := object(data, field{"agent_action_name", aString, nil}, field{"tool_info", anyValue, nil})
		if err != nil {
			return Request{}, false, err
		}
		c := struct {
			Action   string
			ToolInfo any
		}{m.str("agent_action_name"), m["tool_info"]}
		in, err := decodeInput(c.ToolInfo)
		if err != nil {
			return Request{}, false, err
		}
		cwd, _ := in["cwd"].(string)
		switch c.Action {
		case "pre_run_command":
			cmd, ok := in["command_line"].(string)
			if !ok {
				return Request{}, false, fmt.Errorf("pre_run_command without a command_line")
			}
			return Request{Kind: action.KindShell, Op: OpShell, Tool: "run_command", Text: cmd, Cwd: cwd}, true, nil
		case "pre_read_code":
			return tools{"read_code": OpRead}.request(Call{Tool: "read_code", Input: in, Cwd: cwd})
		case "pre_write_code":
			return tools{"write_code": OpEdit}.request(Call{Tool: "write_code", Input: in, Cwd: cwd})
		case "pre_mcp_tool_use":
			args, _ := in["mcp_tool_arguments"].(map[string]any)
			server, _ := in["mcp_server_name"].(string)
			tool, _ := in["mcp_tool_name"].(string)
			if tool == "" {
				return Request{}, false, fmt.Errorf("pre_mcp_tool_use without an mcp_tool_name")
			}
			return Request{Kind: action.KindTool, Op: OpMCP, Tool: "mcp__" + server + "__" + tool, Server: server, MCPTool: tool, Args: args, Cwd: cwd}, true, nil
		case "":
			return Request{}, false, fmt.Errorf("no agent_action_name")
		}
		return Request{}, false, nil
	},
	Render: func(Outcome) []byte { return nil },
}

// Kiro CLI preToolUse: {hook_event_name, cwd, tool_name, tool_input}; it
// blocks only on exit 2, reading the reason from stderr. MCP tools are
// named @server/tool.
var kiro = Adapter{
	Blocks: true,
	Parse: func(data []byte) (Request, bool, error) {
		c, err := readToolCall(data)
		if err != nil {
			return Request{}, false, err
		}
		if c.ToolName == "" {
			return Request{}, false, fmt.Errorf("no tool_name")
		}
		in, err := decodeInput(c.ToolInput)
		if err != nil {
			return Request{}, false, err
		}
		if server, tool, ok := kiroMCP(c.ToolName); ok {
			return Request{Kind: action.KindTool, Op: OpMCP, Tool: c.ToolName, Server: server, MCPTool: tool, Args: in, Cwd: c.Cwd}, true, nil
		}
		if c.ToolName == "use_aws" || c.ToolName == "aws" {
			op, _ := in["operation_name"].(string)
			svc, _ := in["service_name"].(string)
			return Request{Kind: action.KindTool, Op: OpMCP, Tool: c.ToolName, Server: "aws-" + svc, MCPTool: op, Args: in, Cwd: c.Cwd}, true, nil
		}
		if c.ToolName == "fs_read" || c.ToolName == "read" {
			if ops, ok := in["operations"].([]any); ok {
				in = map[string]any{"paths": pathsOf(ops)}
			}
		}
		return kiroTools.request(Call{Tool: c.ToolName, Input: in, Cwd: c.Cwd})
	},
	Render: func(Outcome) []byte { return nil },
}

// kiroMCP splits Kiro's "@server/tool" name of an MCP tool. It is not a
// regular expression because this package runs in the hook binary, whose
// start-up every tool call pays.
func kiroMCP(name string) (server, tool string, ok bool) {
	rest, ok := strings.CutPrefix(name, "@")
	if !ok {
		return "", "", false
	}
	server, tool, ok = strings.Cut(rest, "/")
	if !ok || server == "" || tool == "" || strings.Contains(tool, "\n") {
		return "", "", false
	}
	return server, tool, true
}

func pathsOf(ops []any) []any {
	var out []any
	for _, o := range ops {
		if m, ok := o.(map[string]any); ok {
			if p, ok := m["path"].(string); ok {
				out = append(out, p)
			}
		}
	}
	return out
}

// Cline PreToolUse: {hookName, preToolUse: {toolName, parameters}}; the
// hook answers {cancel, errorMessage}. Cline has no ask from a hook, so a
// held action is cancelled with instructions.
var cline = Adapter{
	Parse: func(data []byte) (Request, bool, error) {
		m, err := object(data, field{"hookName", aString, nil}, field{"workspaceRoots", aStringList, nil},
			field{"preToolUse", anObject, []field{{"toolName", aString, nil}, {"parameters", anyValue, nil}}})
		if err != nil {
			return Request{}, false, err
		}
		pre := m.obj("preToolUse")
		toolName := pre.str("toolName")
		if toolName == "" {
			if h := m.str("hookName"); h != "" && h != "PreToolUse" {
				return Request{}, false, nil
			}
			return Request{}, false, fmt.Errorf("no preToolUse.toolName")
		}
		in, err := decodeInput(pre["parameters"])
		if err != nil {
			return Request{}, false, err
		}
		cwd := ""
		if roots := m.list("workspaceRoots"); len(roots) > 0 {
			cwd = roots[0]
		}
		if toolName == "use_mcp_tool" {
			server, _ := in["server_name"].(string)
			tool, _ := in["tool_name"].(string)
			args := map[string]any{}
			if s, ok := in["arguments"].(string); ok {
				// A string holds the arguments as JSON; an empty one is none.
				if args, err = decodeInput(s); err != nil {
					return Request{}, false, err
				}
			} else if m, ok := in["arguments"].(map[string]any); ok {
				args = m
			}
			return Request{Kind: action.KindTool, Op: OpMCP, Tool: "mcp__" + server + "__" + tool, Server: server, MCPTool: tool, Args: args, Cwd: cwd}, true, nil
		}
		return clineTools.request(Call{Tool: toolName, Input: in, Cwd: cwd})
	},
	Render: func(o Outcome) []byte {
		if o.Decision.Verdict == action.Allow {
			return marshal(map[string]any{"cancel": false})
		}
		return marshal(map[string]any{"cancel": true, "errorMessage": message(o, false)})
	},
}
