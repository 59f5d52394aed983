package hook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Target is where and how an agent's settings hold Chaperone's hook.
type Target struct {
	Project string // path under the project directory
	User    string // path under the home directory
	add     func(doc map[string]any, command string)
}

// Targets by agent name.
var Targets = map[string]Target{
	"claude-code": {Project: ".claude/settings.json", User: ".claude/settings.json", add: groups("PreToolUse", "Bash|Read")},
	"codex":       {Project: ".codex/hooks.json", User: ".codex/hooks.json", add: groups("PreToolUse", "Bash|shell|local_shell|exec_command")},
	"gemini":      {Project: ".gemini/settings.json", User: ".gemini/settings.json", add: groups("BeforeTool", "run_shell_command|read_file|read_many_files")},
	"cursor":      {Project: ".cursor/hooks.json", User: ".cursor/hooks.json", add: flat(true, "beforeShellExecution", "beforeReadFile")},
	"copilot":     {Project: ".github/hooks/chaperone.json", User: ".copilot/hooks/chaperone.json", add: copilotEntry},
}

// SettingsPath resolves the settings file for a scope ("project" or "user").
func SettingsPath(agent, scope, projectDir, home string) (string, error) {
	t, ok := Targets[agent]
	if !ok {
		return "", fmt.Errorf("unknown agent %q (want %s)", agent, strings.Join(Names(), ", "))
	}
	if scope == "user" {
		return filepath.Join(home, t.User), nil
	}
	return filepath.Join(projectDir, t.Project), nil
}

// IsOurs recognises a hook command Chaperone installed: `chaperone hook
// AGENT ...` or `chaperone-hook AGENT ...`, by any path.
func IsOurs(command string) bool {
	f := strings.Fields(command)
	if len(f) < 2 {
		return false
	}
	base := filepath.Base(strings.Trim(f[0], `"'`))
	if base == "chaperone-hook" {
		_, ok := Adapters[f[1]]
		return ok
	}
	return len(f) >= 3 && strings.Contains(base, "chaperone") && f[1] == "hook"
}

// Install merges the hook into the agent's settings file, keeping every other
// setting. It is idempotent; when it changes an existing file it first saves
// it beside itself. It reports whether it changed anything and the backup.
func Install(agent, path, command string) (changed bool, backup string, err error) {
	doc, existed, err := readSettings(path)
	if err != nil {
		return false, "", err
	}
	ours := ourCommands(doc)
	if len(ours) > 0 && !slices.ContainsFunc(ours, func(c string) bool { return c != command }) {
		return false, "", nil
	}
	// A different command of ours (an older binary path, other flags) is
	// replaced, not doubled.
	removeOurs(doc)
	Targets[agent].add(doc, command)
	backup, err = writeSettings(path, doc, existed)
	return err == nil, backup, err
}

// Uninstall removes every hook entry Chaperone installed, leaving the rest.
func Uninstall(path string) (changed bool, backup string, err error) {
	doc, existed, err := readSettings(path)
	if err != nil || !existed || !removeOurs(doc) {
		return false, "", err
	}
	backup, err = writeSettings(path, doc, true)
	return err == nil, backup, err
}

// removeOurs deletes every hook entry of ours from doc, and events and
// matcher groups left empty by that; it reports whether it removed any.
func removeOurs(doc map[string]any) (changed bool) {
	hooks, _ := doc["hooks"].(map[string]any)
	for event, v := range hooks {
		list, _ := v.([]any)
		var kept []any
		for _, item := range list {
			m, _ := item.(map[string]any)
			if m == nil {
				kept = append(kept, item)
				continue
			}
			if inner, ok := m["hooks"].([]any); ok { // matcher group
				var keptInner []any
				for _, h := range inner {
					if hm, _ := h.(map[string]any); hm != nil && IsOurs(str(hm["command"])) {
						changed = true
						continue
					}
					keptInner = append(keptInner, h)
				}
				if len(keptInner) == 0 && len(inner) > 0 {
					continue
				}
				m["hooks"] = keptInner
				kept = append(kept, m)
				continue
			}
			if IsOurs(str(m["command"])) || IsOurs(str(m["bash"])) {
				changed = true
				continue
			}
			kept = append(kept, item)
		}
		if len(kept) == 0 {
			delete(hooks, event)
		} else {
			hooks[event] = kept
		}
	}
	if changed && len(hooks) == 0 {
		delete(doc, "hooks")
	}
	return changed
}

func str(v any) string { s, _ := v.(string); return s }

// ourCommands lists the commands of every hook entry of ours in doc.
func ourCommands(doc map[string]any) []string {
	var found []string
	keep := func(m map[string]any) {
		for _, k := range []string{"command", "bash"} {
			if c := str(m[k]); IsOurs(c) {
				found = append(found, c)
			}
		}
	}
	hooks, _ := doc["hooks"].(map[string]any)
	for _, v := range hooks {
		list, _ := v.([]any)
		for _, item := range list {
			m, _ := item.(map[string]any)
			keep(m)
			inner, _ := m["hooks"].([]any)
			for _, h := range inner {
				if hm, _ := h.(map[string]any); hm != nil {
					keep(hm)
				}
			}
		}
	}
	return found
}

func hooksOf(doc map[string]any) map[string]any {
	h, ok := doc["hooks"].(map[string]any)
	if !ok {
		h = map[string]any{}
		doc["hooks"] = h
	}
	return h
}

// groups: {"hooks": {EVENT: [{"matcher": M, "hooks": [{"type": "command", "command": C}]}]}}
func groups(event, matcher string) func(map[string]any, string) {
	return func(doc map[string]any, command string) {
		h := hooksOf(doc)
		list, _ := h[event].([]any)
		h[event] = append(list, map[string]any{"matcher": matcher,
			"hooks": []any{map[string]any{"type": "command", "command": command, "timeout": 10}}})
	}
}

// flat: {"version": 1, "hooks": {EVENT: [{"command": C}]}}
func flat(version bool, events ...string) func(map[string]any, string) {
	return func(doc map[string]any, command string) {
		if _, ok := doc["version"]; !ok && version {
			doc["version"] = 1
		}
		h := hooksOf(doc)
		for _, e := range events {
			list, _ := h[e].([]any)
			h[e] = append(list, map[string]any{"command": command})
		}
	}
}

func copilotEntry(doc map[string]any, command string) {
	if _, ok := doc["version"]; !ok {
		doc["version"] = 1
	}
	h := hooksOf(doc)
	list, _ := h["preToolUse"].([]any)
	h["preToolUse"] = append(list, map[string]any{"type": "command", "bash": command, "timeoutSec": 10})
}

func readSettings(path string) (map[string]any, bool, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]any{}, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	doc := map[string]any{}
	if len(bytes.TrimSpace(data)) == 0 {
		return doc, true, nil
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, true, fmt.Errorf("%s is not valid JSON (%v); it was left as it is", path, err)
	}
	if h, ok := doc["hooks"]; ok {
		if _, isMap := h.(map[string]any); !isMap {
			return nil, true, fmt.Errorf("%s: \"hooks\" is not an object; it was left as it is", path)
		}
	}
	return doc, true, nil
}

// writeSettings saves the old file beside the new one, then replaces it
// atomically with the same permissions.
func writeSettings(path string, doc map[string]any, existed bool) (backup string, err error) {
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return "", err
	}
	out = append(out, '\n')
	mode := fs.FileMode(0o644)
	if existed {
		fi, err := os.Stat(path)
		if err != nil {
			return "", err
		}
		mode = fi.Mode().Perm()
		old, err := os.ReadFile(path)
		if err != nil {
			return "", err
		}
		backup = fmt.Sprintf("%s.chaperone-backup-%s", path, time.Now().UTC().Format("20060102T150405.000000000"))
		if err := os.WriteFile(backup, old, mode); err != nil {
			return "", fmt.Errorf("saving %s: %w", backup, err)
		}
	} else if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".chaperone-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(out); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	return backup, os.Rename(tmp.Name(), path)
}
