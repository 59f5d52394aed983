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
	// UserEnv names the variable that moves the agent's own directory, and
	// UserEnvPath the file under it (CLAUDE_CONFIG_DIR, CODEX_HOME, ...).
	UserEnv, UserEnvPath string
	// Managed is the administrator's location, which the agent's user
	// cannot edit; empty where the agent has none.
	Managed string
	add     func(doc map[string]any, command string, managed bool)
	// script marks agents whose hook is an executable file, not a
	// settings entry (Cline).
	script bool
}

// Targets by agent name. No entry names a matcher: every tool goes
// through the hook, which gives no opinion on tools that act only inside
// the agent. Timeouts are in each agent's own unit.
var Targets = map[string]Target{
	"claude-code": {Project: ".claude/settings.json", User: ".claude/settings.json", UserEnv: "CLAUDE_CONFIG_DIR", UserEnvPath: "settings.json",
		Managed: "/etc/claude-code/managed-settings.json", add: claudeEntry},
	"codex": {Project: ".codex/hooks.json", User: ".codex/hooks.json", UserEnv: "CODEX_HOME", UserEnvPath: "hooks.json",
		Managed: "/etc/codex/hooks.json", add: groups("PreToolUse", map[string]any{"timeout": 10})},
	"gemini": {Project: ".gemini/settings.json", User: ".gemini/settings.json", UserEnv: "GEMINI_CLI_HOME", UserEnvPath: ".gemini/settings.json",
		Managed: "/etc/gemini-cli/settings.json", add: groups("BeforeTool", map[string]any{"timeout": geminiTimeoutMS})},
	"qwen":    {Project: ".qwen/settings.json", User: ".qwen/settings.json", add: groups("PreToolUse", map[string]any{"timeout": geminiTimeoutMS})},
	"factory": {Project: ".factory/settings.json", User: ".factory/settings.json", add: groups("PreToolUse", map[string]any{"timeout": 10})},
	"cursor": {Project: ".cursor/hooks.json", User: ".cursor/hooks.json", Managed: "/etc/cursor/hooks.json",
		add: flat(map[string]any{"failClosed": true}, "beforeShellExecution", "beforeMCPExecution", "beforeReadFile", "preToolUse")},
	"copilot": {Project: ".github/hooks/chaperone.json", User: ".copilot/hooks/chaperone.json", UserEnv: "COPILOT_HOME", UserEnvPath: "hooks/chaperone.json",
		Managed: "/etc/github-copilot/policy.d/chaperone.json", add: copilotEntry},
	"windsurf": {Project: ".windsurf/hooks.json", User: ".codeium/windsurf/hooks.json", Managed: "/etc/windsurf/hooks.json",
		add: flat(map[string]any{"show_output": true}, "pre_run_command", "pre_read_code", "pre_write_code", "pre_mcp_tool_use")},
	"kiro":  {Project: ".kiro/agents/chaperone.json", User: ".kiro/agents/chaperone.json", add: kiroEntry},
	"cline": {Project: ".clinerules/hooks/PreToolUse", User: "Documents/Cline/Rules/Hooks/PreToolUse", script: true},
	"goose": {Project: ".agents/plugins/chaperone/hooks/hooks.json", User: ".agents/plugins/chaperone/hooks/hooks.json", add: groups("PreToolUse", nil)},
}

// geminiTimeoutMS is 10 s in the milliseconds Gemini CLI and Qwen Code
// read a hook's timeout in (a 10 there would give the hook 10 ms).
const geminiTimeoutMS = 10000

// SettingsPath resolves the settings file for a scope ("project", "user"
// or "managed"). env looks up the agent's own directory variables.
func SettingsPath(agent, scope, projectDir, home string) (string, error) {
	return SettingsPathEnv(agent, scope, projectDir, home, func(string) string { return "" })
}

// SettingsPathEnv is SettingsPath with the agent's directory variables
// read through getenv.
func SettingsPathEnv(agent, scope, projectDir, home string, getenv func(string) string) (string, error) {
	t, ok := Targets[agent]
	if !ok {
		return "", fmt.Errorf("unknown agent %q (want %s)", agent, strings.Join(Names(), ", "))
	}
	switch scope {
	case "user":
		if t.UserEnv != "" {
			if d := getenv(t.UserEnv); d != "" {
				return filepath.Join(d, t.UserEnvPath), nil
			}
		}
		return filepath.Join(home, t.User), nil
	case "managed":
		if t.Managed == "" {
			return "", fmt.Errorf("%s has no administrator's settings location Chaperone knows of; install it per user or per project, and use enforced mode (chaperone run)", agent)
		}
		return t.Managed, nil
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
	return InstallScope(agent, path, command, false)
}

// InstallScope is Install, for the administrator's location when managed.
func InstallScope(agent, path, command string, managed bool) (changed bool, backup string, err error) {
	if Targets[agent].script {
		return installScript(path, command)
	}
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
	Targets[agent].add(doc, command, managed)
	backup, err = writeSettings(path, doc, existed)
	return err == nil, backup, err
}

// Uninstall removes every hook entry Chaperone installed, leaving the rest.
func Uninstall(path string) (changed bool, backup string, err error) {
	if filepath.Base(path) == "PreToolUse" {
		return uninstallScript(path)
	}
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

// groups: {"hooks": {EVENT: [{"hooks": [{"type": "command", "command": C, ...extra}]}]}},
// with no matcher, so that every tool is seen.
func groups(event string, extra map[string]any) func(map[string]any, string, bool) {
	return func(doc map[string]any, command string, _ bool) {
		h := hooksOf(doc)
		list, _ := h[event].([]any)
		entry := map[string]any{"type": "command", "command": command}
		for k, v := range extra {
			entry[k] = v
		}
		h[event] = append(list, map[string]any{"hooks": []any{entry}})
	}
}

// claudeEntry: a failing hook blocks the tool (onFailure: block) instead
// of letting it run; the administrator's copy also stops every hook but
// the managed ones from running.
func claudeEntry(doc map[string]any, command string, managed bool) {
	groups("PreToolUse", map[string]any{"timeout": 10, "onFailure": "block"})(doc, command, managed)
	if managed {
		doc["allowManagedHooksOnly"] = true
		doc["disableAllHooks"] = false
	}
}

// flat: {"version": 1, "hooks": {EVENT: [{"command": C, ...extra}]}}
func flat(extra map[string]any, events ...string) func(map[string]any, string, bool) {
	return func(doc map[string]any, command string, _ bool) {
		if _, ok := doc["version"]; !ok {
			doc["version"] = 1
		}
		h := hooksOf(doc)
		for _, e := range events {
			list, _ := h[e].([]any)
			entry := map[string]any{"command": command}
			for k, v := range extra {
				entry[k] = v
			}
			h[e] = append(list, entry)
		}
	}
}

func copilotEntry(doc map[string]any, command string, _ bool) {
	if _, ok := doc["version"]; !ok {
		doc["version"] = 1
	}
	h := hooksOf(doc)
	list, _ := h["preToolUse"].([]any)
	h["preToolUse"] = append(list, map[string]any{"type": "command", "bash": command, "timeoutSec": 10})
}

// kiroEntry: a Kiro CLI agent of its own whose every tool call is hooked.
func kiroEntry(doc map[string]any, command string, _ bool) {
	if _, ok := doc["name"]; !ok {
		doc["name"] = "chaperone"
		doc["description"] = "Kiro's default tools, each checked by Chaperone's hook first"
		doc["tools"] = []any{"*"}
	}
	h := hooksOf(doc)
	list, _ := h["preToolUse"].([]any)
	h["preToolUse"] = append(list, map[string]any{"matcher": "*", "command": command, "timeout_ms": 10000})
}

// scriptMark names the hook scripts Chaperone writes, so that uninstall
// removes those and nothing else.
const scriptMark = "# chaperone hook: installed by chaperone install; chaperone uninstall removes it"

func installScript(path, command string) (bool, string, error) {
	body := "#!/bin/sh\n" + scriptMark + "\nexec " + command + "\n"
	old, err := os.ReadFile(path)
	switch {
	case err == nil && string(old) == body:
		return false, "", nil
	case err == nil && !strings.Contains(string(old), scriptMark):
		return false, "", fmt.Errorf("%s exists and is not Chaperone's; it was left as it is (call chaperone-hook from it yourself)", path)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return false, "", err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return false, "", err
	}
	tmp := path + ".chaperone-tmp"
	if err := os.WriteFile(tmp, []byte(body), 0o755); err != nil {
		return false, "", err
	}
	return true, "", os.Rename(tmp, path)
}

func uninstallScript(path string) (bool, string, error) {
	old, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) || err == nil && !strings.Contains(string(old), scriptMark) {
		return false, "", nil
	}
	if err != nil {
		return false, "", err
	}
	return true, "", os.Remove(path)
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

// InstallNote says what the agent itself still needs before the hook runs,
// or what it cannot be made to do.
func InstallNote(agent string, managed bool) string {
	switch agent {
	case "codex":
		if managed {
			return "Codex runs hooks from its system layer as managed: no review is needed. Codex runs a tool whose hook fails or times out; enforced mode (chaperone run) is the guard for that."
		}
		return "Codex runs this hook only after a human trusts this exact entry: open /hooks in Codex and trust it (project hooks also need a trusted project). Until then nothing is checked; chaperone doctor reports it. Or install it with --managed (as root), which Codex trusts by policy."
	case "copilot":
		return "Copilot CLI runs a tool whose hook times out; enforced mode (chaperone run) is the guard for that."
	case "gemini":
		return "Gemini CLI runs project hooks only in a trusted folder, and runs a tool whose hook fails or times out; enforced mode (chaperone run) is the guard for that."
	case "kiro":
		return "The hook is on the Kiro CLI agent \"chaperone\": start it with kiro-cli chat --agent chaperone, or make it the default (kiro-cli settings chat.defaultAgent chaperone)."
	case "cline":
		return "Cline runs hook scripts only with hooks enabled in its settings."
	case "factory":
		return "Droid reads settings.json's hooks only while no .factory/hooks.json exists; chaperone doctor reports one."
	}
	return ""
}
