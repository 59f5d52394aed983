package hook

import (
	"fmt"
	"sort"
	"strings"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/strictjson"
)

// Op is what a tool call does, whatever the agent calls the tool.
type Op string

const (
	OpShell  Op = "shell"  // runs a command line
	OpRead   Op = "read"   // reads files
	OpWrite  Op = "write"  // writes a whole file
	OpEdit   Op = "edit"   // replaces text in a file
	OpPatch  Op = "patch"  // Codex's apply_patch envelope
	OpDelete Op = "delete" // deletes files
	OpSearch Op = "search" // searches file names or contents
	OpFetch  Op = "fetch"  // fetches a URL
	OpMCP    Op = "mcp"    // an MCP server's tool
	OpAgent  Op = "agent"  // starts a subagent
	// opQuiet marks tools that act only inside the agent (its todo list,
	// its plan, a question to its user): no opinion, so the agent's own
	// settings apply.
	opQuiet Op = "quiet"
)

// tools maps an agent's tool names to what they do. A name not listed is
// judged by its arguments (see guessOp) and held when they say nothing.
type tools map[string]Op

func (t tools) op(name string) (Op, bool) {
	op, ok := t[name]
	return op, ok
}

// Call is one tool call as an agent describes it.
type Call struct {
	Tool  string
	Input map[string]any
	Cwd   string
}

// decodeInput reads a tool's arguments: an object, or (Copilot, Cursor's
// MCP events) a JSON string holding one, which is read strictly too.
func decodeInput(v any) (map[string]any, error) {
	if v == nil {
		return map[string]any{}, nil
	}
	if s, ok := v.(string); ok {
		if strings.TrimSpace(s) == "" {
			return map[string]any{}, nil
		}
		var err error
		if v, err = strictjson.Decode([]byte(s)); err != nil {
			return nil, fmt.Errorf("tool input: %v", err)
		}
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("tool input is not an object")
	}
	return m, nil
}

// request turns a call into what Chaperone checks. ok=false means no
// opinion: the tool acts only inside the agent.
func (t tools) request(c Call) (Request, bool, error) {
	op, known := t.op(c.Tool)
	if !known {
		op = guessOp(c.Tool, c.Input)
	}
	r := Request{Tool: c.Tool, Op: op, Cwd: c.Cwd, Args: c.Input}
	switch op {
	case opQuiet:
		return Request{}, false, nil
	case OpShell:
		cmd, ok := c.Input["command"]
		if !ok {
			cmd, ok = c.Input["command_line"]
		}
		if !ok {
			cmd, ok = c.Input["code"] // a REPL tool runs code the same way
		}
		if !ok {
			cmd, ok = c.Input["cmd"] // Codex's exec_command
		}
		if !ok {
			return Request{}, false, fmt.Errorf("%s call without a command", c.Tool)
		}
		line, err := commandLine(cmd)
		if err != nil {
			return Request{}, false, err
		}
		r.Kind, r.Text = action.KindShell, line
	case OpRead:
		r.Paths = StringsAt(c.Input, PathKeys...)
		if len(r.Paths) == 0 {
			return Request{}, false, fmt.Errorf("%s call without a path", c.Tool)
		}
		r.Kind, r.Text = action.KindFile, strings.Join(r.Paths, "\n")
	case OpWrite, OpEdit, OpDelete:
		r.Paths = StringsAt(c.Input, PathKeys...)
		if len(r.Paths) == 0 {
			return Request{}, false, fmt.Errorf("%s call without a path", c.Tool)
		}
		if op != OpDelete {
			r.Content = strings.Join(StringsAt(c.Input, ContentKeys...), "\n")
		}
		r.Kind = action.KindFileWrite
	case OpPatch:
		patch, ok := c.Input["command"].(string)
		if !ok {
			patch, ok = c.Input["input"].(string)
		}
		if !ok {
			patch, ok = c.Input["patch"].(string)
		}
		if !ok {
			return Request{}, false, fmt.Errorf("%s call without a patch", c.Tool)
		}
		r.Kind, r.Content = action.KindFileWrite, patch
	case OpSearch:
		r.Paths = StringsAt(c.Input, PathKeys...)
		r.Patterns = StringsAt(c.Input, patternKeys...)
		r.Kind = action.KindFile
	case OpFetch:
		r.Kind = action.KindTool
		r.URL = firstString(c.Input, "url", "uri", "href")
		if r.URL == "" {
			// Gemini CLI's web_fetch takes URLs inside its prompt.
			r.URL = firstURL(strings.Join(StringsAt(c.Input, "prompt"), " "))
		}
	case OpMCP, OpAgent:
		r.Kind = action.KindTool
	default:
		r.Kind = action.KindTool
	}
	return r, true, nil
}

// firstURL returns the first http or https URL in s: the scheme and what
// follows up to a space, a quote or an angle bracket.
func firstURL(s string) string {
	for i := 0; i < len(s); i++ {
		rest := s[i:]
		var after string
		if a, ok := strings.CutPrefix(rest, "http://"); ok {
			after = a
		} else if a, ok := strings.CutPrefix(rest, "https://"); ok {
			after = a
		} else {
			continue
		}
		n := strings.IndexAny(after, " \t\n\f\r\"'<>")
		if n < 0 {
			n = len(after)
		}
		if n > 0 {
			return rest[:len(rest)-len(after)+n]
		}
	}
	return ""
}

// PathKeys and ContentKeys are the argument names tools give a file's path
// and its new content under; the MCP judge reads them too.
var (
	PathKeys    = []string{"file_path", "absolute_path", "path", "notebook_path", "filePath", "target_file", "dir_path", "paths", "file_paths", "include", "source", "destination", "target", "filename", "file"}
	ContentKeys = []string{"content", "contents", "file_text", "new_string", "new_str", "new_source", "newText", "text", "diff", "edits", "insert_text"}
	patternKeys = []string{"pattern", "regex", "glob", "include_pattern", "file_pattern", "include", "query", "q", "search"}
)

// guessOp judges a tool Chaperone has no entry for by its arguments, the
// way the agent would use them; with nothing to go by it is unknown, so
// held.
func guessOp(name string, in map[string]any) Op {
	if strings.HasPrefix(name, "mcp__") || strings.HasPrefix(name, "mcp_") || strings.HasPrefix(name, "MCP:") || strings.Contains(name, "___") {
		return OpMCP
	}
	has := func(keys ...string) bool {
		for _, k := range keys {
			if _, ok := in[k]; ok {
				return true
			}
		}
		return false
	}
	switch {
	case has("command", "command_line"):
		return OpShell
	case has(PathKeys...) && has(ContentKeys...):
		return OpWrite
	case has("url"):
		return OpFetch
	}
	return "" // unknown: held
}

// StringsAt collects the strings under keys: strings, lists of strings,
// and lists of objects whose string fields are content (edits lists).
func StringsAt(in map[string]any, keys ...string) []string {
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			if v != "" {
				out = append(out, v)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		case map[string]any:
			ks := make([]string, 0, len(v))
			for k := range v {
				ks = append(ks, k)
			}
			sort.Strings(ks)
			for _, k := range ks {
				if k == "old_string" || k == "oldText" || k == "old_str" {
					continue // text being replaced does not run
				}
				walk(v[k])
			}
		}
	}
	seen := map[string]bool{}
	for _, k := range keys {
		if seen[k] {
			continue
		}
		seen[k] = true
		walk(in[k])
	}
	return out
}

func firstString(in map[string]any, keys ...string) string {
	for _, k := range keys {
		if s, ok := in[k].(string); ok && s != "" {
			return s
		}
	}
	return ""
}
