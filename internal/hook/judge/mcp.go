package judge

import (
	"regexp"
	"sort"
	"strings"

	"github.com/chaperone/chaperone/internal/hook"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/classify"
)

// splitMCP reads an MCP tool's server and tool from the name the agent
// gives it: mcp__server__tool (Claude Code, Codex, Qwen), mcp_server_tool
// (Gemini CLI), MCP:tool (Cursor), server___tool (Factory Droid) or
// server__tool (goose). Agents that send the server apart pass it in.
func splitMCP(name string) (server, tool string) {
	switch {
	case strings.HasPrefix(name, "mcp__"):
		server, tool, _ = strings.Cut(strings.TrimPrefix(name, "mcp__"), "__")
	case strings.HasPrefix(name, "MCP:"):
		tool = strings.TrimPrefix(name, "MCP:")
	case strings.HasPrefix(name, "mcp_"):
		server, tool, _ = strings.Cut(strings.TrimPrefix(name, "mcp_"), "_")
	case strings.Contains(name, "___"):
		server, tool, _ = strings.Cut(name, "___")
	case strings.Contains(name, "__"):
		server, tool, _ = strings.Cut(name, "__")
	default:
		tool = name
	}
	return server, tool
}

var (
	destructiveVerb = regexp.MustCompile(`(?i)(^|[_\-.])(delete|remove|drop|destroy|purge|truncate|wipe|erase|reset|terminate|revoke|rm|prune|force)([_\-.]|$)`)
	writeVerb       = regexp.MustCompile(`(?i)(^|[_\-.])(create|update|write|edit|push|merge|put|post|patch|set|add|insert|upload|move|rename|send|run|exec|execute|apply|deploy|close|comment|fork|publish|commit|restore|scale|start|stop|restart|invoke)([_\-.]|$)`)
	readVerb        = regexp.MustCompile(`(?i)^(get|list|search|read|describe|show|view|find|fetch|query_docs|lookup|inspect|count|status|whoami|explain)([_\-.]|$)`)
	sqlStart        = regexp.MustCompile(`(?is)^\s*(select|insert|update|delete|drop|alter|create|truncate|grant|revoke|with|copy|vacuum|begin|commit|merge|call|do|set|reset|comment|explain|analyze|refresh|reindex|cluster|lock|discard|prepare|execute|listen|notify|import|\()`)
	gqlStart        = regexp.MustCompile(`(?s)^\s*(mutation|subscription|query|\{|fragment)`)
)

// mcpAction judges an MCP tool call by the languages its arguments are in
// (SQL, shell, GraphQL), by what a known server's tool does, and by the
// verb in the tool's name. An argument such as confirm: true is only the
// agent speaking, never a human's approval, so it changes nothing.
func mcpAction(r hook.Request) action.Action {
	a := toolAction(r)
	server, tool := r.Server, ""
	s2, t2 := splitMCP(r.Tool)
	if server == "" {
		server = s2
	}
	tool = t2
	if r.MCPTool != "" {
		tool = r.MCPTool
	}
	judged := false
	add := func(rs []action.Reason) {
		for _, x := range rs {
			a.AddReason(x)
			judged = true
		}
	}
	keys := make([]string, 0, len(r.Args))
	for k := range r.Args {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	lowServer := strings.ToLower(server)
	dbServer := strings.Contains(lowServer, "postgres") || strings.Contains(lowServer, "sql") || strings.Contains(lowServer, "supabase") ||
		strings.Contains(lowServer, "neon") || strings.Contains(lowServer, "db") || strings.Contains(lowServer, "database")
	for _, k := range keys {
		s, ok := r.Args[k].(string)
		if !ok || strings.TrimSpace(s) == "" {
			continue
		}
		lk := strings.ToLower(k)
		switch {
		case lk == "sql" || lk == "statement" || (lk == "query" || lk == "q") && (dbServer || sqlStart.MatchString(s)) && !gqlStart.MatchString(s):
			add(nonTrivial(classify.Classify(action.KindSQL, s)))
			judged = true
		case (lk == "query" || lk == "graphql" || lk == "document") && gqlStart.MatchString(s):
			add(nonTrivial(classify.Classify(action.KindGraphQL, s)))
			judged = true
		case lk == "command" || lk == "cmd" || lk == "script" || lk == "shell" || lk == "command_line":
			add(nonTrivial(classify.Classify(action.KindShell, s)))
			judged = true
		}
	}
	// A filesystem server's tools are file reads and writes.
	switch tool {
	case "write_file", "edit_file", "create_file", "create_or_update_file", "push_files", "append_file":
		w := writeAction(hook.Request{Op: hook.OpWrite, Cwd: r.Cwd, Paths: hook.StringsAt(r.Args, hook.PathKeys...), Content: strings.Join(hook.StringsAt(r.Args, hook.ContentKeys...), "\n")})
		add(w.Reasons)
		judged = true
	case "move_file", "rename_file", "copy_file":
		w := writeAction(hook.Request{Op: hook.OpWrite, Cwd: r.Cwd, Paths: hook.StringsAt(r.Args, "destination", "target", "new_path", "to")})
		add(w.Reasons)
		add([]action.Reason{{ID: "mcp.move", Class: action.ClassWrite, Message: tool + " replaces whatever is at the destination"}})
	case "read_file", "read_text_file", "read_media_file", "read_multiple_files", "get_file_contents", "get_file_info":
		add(readAction(hook.Request{Cwd: r.Cwd, Paths: hook.StringsAt(r.Args, hook.PathKeys...)}).Reasons)
		judged = true
	case "search_files", "directory_tree", "list_directory":
		add(searchAction(hook.Request{Tool: r.Tool, Paths: hook.StringsAt(r.Args, "path"), Patterns: hook.StringsAt(r.Args, "pattern", "query")}).Reasons)
		judged = true
	}
	switch {
	case destructiveVerb.MatchString(tool):
		a.AddReason(action.Reason{ID: "mcp.destructive-tool", Class: action.ClassDestructive, Message: "the MCP tool " + tool + " deletes or overwrites"})
	case judged:
	case readVerb.MatchString(tool):
	case writeVerb.MatchString(tool):
		a.AddReason(action.Reason{ID: "mcp.write-tool", Class: action.ClassWrite, Message: "the MCP tool " + tool + " changes something"})
	default:
		a.AddReason(action.Reason{ID: "mcp.unknown-tool", Class: action.ClassUnknown, Message: "Chaperone cannot tell what the MCP tool " + r.Tool + " does"})
	}
	return a
}

// nonTrivial keeps a classifier's findings, noting that a read is a read.
func nonTrivial(a action.Action) []action.Reason {
	return a.Reasons
}
