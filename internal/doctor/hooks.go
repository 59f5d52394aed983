package doctor

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/chaperone/chaperone/internal/hook"
)

// HookChecks looks at every agent's hook settings in the project and the
// user's home: an installed hook that a matcher narrows to some tools, a
// timeout in the wrong unit, a missing fail-closed option, the agent's own
// off switch turned on, or (Codex) an entry no human has trusted yet.
func HookChecks(projectDir, home string, getenv func(string) string) []Finding {
	var out []Finding
	for _, agent := range hook.Names() {
		for _, scope := range []string{"project", "user", "managed"} {
			path, err := hook.SettingsPathEnv(agent, scope, projectDir, home, getenv)
			if err != nil {
				continue
			}
			out = append(out, hookFileChecks(agent, scope, path, getenv, home)...)
		}
	}
	return out
}

func hookFileChecks(agent, scope, path string, getenv func(string) string, home string) []Finding {
	check := "hook." + agent + " (" + scope + ")"
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	if filepath.Base(path) == "PreToolUse" { // a hook script
		return []Finding{{OK, check, path + " runs Chaperone's hook", ""}}
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		return []Finding{{Fail, check, path + " is not valid JSON: the agent may ignore every hook in it", "fix the file, then chaperone install " + agent}}
	}
	var out []Finding
	add := func(l Level, msg, fix string) { out = append(out, Finding{l, check, msg, fix}) }
	if v, _ := doc["disableAllHooks"].(bool); v {
		add(Fail, path+" sets disableAllHooks: no hook runs", "remove disableAllHooks")
	}
	if hc, ok := doc["hooksConfig"].(map[string]any); ok {
		if en, ok := hc["enabled"].(bool); ok && !en {
			add(Fail, path+" sets hooksConfig.enabled: false: no hook runs", "remove it")
		}
		if dis, ok := hc["disabled"].([]any); ok {
			for _, d := range dis {
				if hook.IsOurs(fmt.Sprint(d)) {
					add(Fail, path+" lists Chaperone's hook in hooksConfig.disabled", "remove it from the list")
				}
			}
		}
	}
	hooks, _ := doc["hooks"].(map[string]any)
	found := false
	events := make([]string, 0, len(hooks))
	for e := range hooks {
		events = append(events, e)
	}
	sort.Strings(events)
	for _, event := range events {
		list, _ := hooks[event].([]any)
		for gi, item := range list {
			m, _ := item.(map[string]any)
			if m == nil {
				continue
			}
			entries := []map[string]any{m}
			if inner, ok := m["hooks"].([]any); ok {
				entries = nil
				for _, h := range inner {
					if hm, _ := h.(map[string]any); hm != nil {
						entries = append(entries, hm)
					}
				}
			}
			for hi, e := range entries {
				cmd, _ := e["command"].(string)
				if cmd == "" {
					cmd, _ = e["bash"].(string)
				}
				if !hook.IsOurs(cmd) {
					continue
				}
				found = true
				if matcher, ok := m["matcher"].(string); ok && matcher != "" && matcher != "*" && matcher != ".*" {
					add(Fail, fmt.Sprintf("%s: Chaperone's %s hook is narrowed to the tools %q; every other tool runs unchecked", path, event, matcher),
						"chaperone install "+agent+" (it writes the hook for every tool)")
				}
				out = append(out, entryChecks(agent, path, event, e)...)
				if agent == "codex" && scope != "managed" {
					out = append(out, codexTrust(check, path, event, gi, hi, m, e, getenv, home)...)
				}
			}
		}
	}
	if found && len(out) == 0 {
		add(OK, path+" runs Chaperone's hook for every tool", "")
	}
	return out
}

func entryChecks(agent, path, event string, e map[string]any) []Finding {
	check := "hook." + agent
	var out []Finding
	switch agent {
	case "gemini", "qwen":
		if t, ok := e["timeout"].(float64); ok && t < 1000 {
			out = append(out, Finding{Fail, check, fmt.Sprintf("%s: the hook's timeout is %v, read as milliseconds: the hook is killed before it can answer and the tool runs", path, t),
				"chaperone install " + agent + " (it writes 10000)"})
		}
	case "claude-code":
		if v, _ := e["onFailure"].(string); v != "block" {
			out = append(out, Finding{Warn, check, path + ": a hook that fails lets the tool run (no onFailure: block)", "chaperone install claude-code"})
		}
	case "cursor":
		if v, _ := e["failClosed"].(bool); !v {
			out = append(out, Finding{Warn, check, fmt.Sprintf("%s: %s runs the tool when the hook fails (no failClosed: true)", path, event), "chaperone install cursor"})
		}
	}
	return out
}

// codexTrust: Codex records a human's trust of a hook in its config.toml
// as [hooks.state."FILE:EVENT:GROUP:HANDLER"] trusted_hash = "sha256:...".
// No entry means Codex skips the hook; a different hash means the entry
// changed since it was trusted (or Codex hashes it differently).
func codexTrust(check, path, event string, gi, hi int, group, e map[string]any, getenv func(string) string, home string) []Finding {
	codexHome := getenv("CODEX_HOME")
	if codexHome == "" {
		codexHome = filepath.Join(home, ".codex")
	}
	cfg := filepath.Join(codexHome, "config.toml")
	data, _ := os.ReadFile(cfg)
	key := fmt.Sprintf("%s:%s:%d:%d", path, snake(event), gi, hi)
	quoted, _ := json.Marshal(key)
	text := string(data)
	i := strings.Index(text, "[hooks.state."+string(quoted)+"]")
	if i < 0 {
		i = strings.Index(text, string(quoted))
	}
	if i < 0 {
		return []Finding{{Fail, check, path + ": Codex has not been told to trust Chaperone's hook, so it does not run it",
			"open /hooks in Codex and trust the Chaperone entry (or chaperone install codex --managed as root)"}}
	}
	rest := text[i:]
	if j := strings.Index(rest[1:], "\n["); j >= 0 {
		rest = rest[:j+1]
	}
	if want := codexHash(event, group, e); !strings.Contains(rest, want) {
		return []Finding{{Warn, check, path + ": Codex trusted a hook at this place, but its record does not match the entry now there; if Codex lists it as modified in /hooks, it is not run",
			"open /hooks in Codex and trust the Chaperone entry again"}}
	}
	return []Finding{{OK, check, path + ": Codex trusts Chaperone's hook", ""}}
}

func snake(event string) string {
	var b strings.Builder
	for i, r := range event {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				b.WriteByte('_')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

func codexHash(event string, group, e map[string]any) string {
	h := map[string]any{"type": "command", "command": e["command"], "async": false}
	if t, ok := e["timeout"]; ok {
		h["timeout"] = t
	}
	id := map[string]any{"event_name": snake(event), "hooks": []any{h}}
	if m, ok := group["matcher"].(string); ok && m != "" {
		id["matcher"] = m
	}
	b, _ := json.Marshal(id) // encoding/json sorts map keys: the canonical form
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}
