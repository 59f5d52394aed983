package hook

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const existing = `{
  "model": "opus",
  "permissions": {"allow": ["Bash(npm test)"]},
  "hooks": {
    "PreToolUse": [{"matcher": "Write", "hooks": [{"type": "command", "command": "prettier --check"}]}],
    "Stop": [{"hooks": [{"type": "command", "command": "notify-send done"}]}]
  }
}
`

func TestInstallMergesIdempotentlyAndUninstallRestores(t *testing.T) {
	for _, agent := range Names() {
		if Targets[agent].script {
			continue // TestScriptInstall
		}
		t.Run(agent, func(t *testing.T) {
			dir := t.TempDir()
			path, err := SettingsPath(agent, "project", dir, "/home/x")
			if err != nil {
				t.Fatal(err)
			}
			os.MkdirAll(filepath.Dir(path), 0o755)
			if err := os.WriteFile(path, []byte(existing), 0o600); err != nil {
				t.Fatal(err)
			}
			cmd := "/usr/local/bin/chaperone hook " + agent
			changed, backup, err := Install(agent, path, cmd)
			if err != nil || !changed || backup == "" {
				t.Fatalf("install: %v %v %q", changed, err, backup)
			}
			if b, _ := os.ReadFile(backup); string(b) != existing {
				t.Fatal("the backup is not the previous file")
			}
			text, _ := os.ReadFile(path)
			var doc map[string]any
			if err := json.Unmarshal(text, &doc); err != nil {
				t.Fatal(err)
			}
			if doc["model"] != "opus" || !strings.Contains(string(text), "Bash(npm test)") || !strings.Contains(string(text), "prettier --check") ||
				!strings.Contains(string(text), "notify-send done") || !strings.Contains(string(text), cmd) {
				t.Fatalf("settings lost or hook missing:\n%s", text)
			}
			if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
				t.Fatalf("mode changed to %v", fi.Mode().Perm())
			}
			changed, _, err = Install(agent, path, cmd)
			if err != nil || changed {
				t.Fatalf("second install changed the file: %v %v", changed, err)
			}
			if again, _ := os.ReadFile(path); string(again) != string(text) {
				t.Fatal("second install rewrote the file")
			}
			changed, _, err = Uninstall(path)
			if err != nil || !changed {
				t.Fatalf("uninstall: %v %v", changed, err)
			}
			after, _ := os.ReadFile(path)
			var want, got map[string]any
			json.Unmarshal([]byte(existing), &want)
			json.Unmarshal(after, &got)
			delete(got, "version") // flat formats gained a version key
			if agent == "kiro" {   // the agent Chaperone's hook lives on stays
				delete(got, "name")
				delete(got, "description")
				delete(got, "tools")
			}
			if w, g := mustJSON(want), mustJSON(got); w != g {
				t.Fatalf("uninstall left\n%s\nwant\n%s", g, w)
			}
		})
	}
}

func mustJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestInstallCreatesMissingFileAndRefusesBadJSON(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, ".claude", "settings.json")
	changed, backup, err := Install("claude-code", path, "chaperone hook claude-code")
	if err != nil || !changed || backup != "" {
		t.Fatalf("%v %v %q", changed, err, backup)
	}
	text, _ := os.ReadFile(path)
	want := `{"hooks":{"PreToolUse":[{"hooks":[{"command":"chaperone hook claude-code","onFailure":"block","timeout":10,"type":"command"}]}]}}`
	var doc any
	json.Unmarshal(text, &doc)
	if mustJSON(doc) != want {
		t.Fatalf("got %s", mustJSON(doc))
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte("{not json"), 0o644)
	if _, _, err := Install("claude-code", bad, "chaperone hook claude-code"); err == nil || !strings.Contains(err.Error(), "not valid JSON") {
		t.Fatalf("bad JSON: %v", err)
	}
	if b, _ := os.ReadFile(bad); string(b) != "{not json" {
		t.Fatal("a file that could not be read was changed")
	}
}

func TestInstallReplacesAnOlderCommandOfOurs(t *testing.T) {
	for _, agent := range Names() {
		if Targets[agent].script {
			continue
		}
		path := filepath.Join(t.TempDir(), "settings.json")
		old, lean := "/old/chaperone hook "+agent, "/new/chaperone-hook "+agent+" --socket /s"
		if _, _, err := Install(agent, path, old); err != nil {
			t.Fatal(err)
		}
		changed, backup, err := Install(agent, path, lean)
		if err != nil || !changed || backup == "" {
			t.Fatalf("%s: %v %v %q", agent, changed, err, backup)
		}
		text, _ := os.ReadFile(path)
		var doc map[string]any
		json.Unmarshal(text, &doc)
		cmds := ourCommands(doc)
		if len(cmds) == 0 || slices.Contains(cmds, old) || strings.Count(string(text), lean) != len(cmds) {
			t.Fatalf("%s: after upgrade %q:\n%s", agent, cmds, text)
		}
		if changed, _, _ := Install(agent, path, lean); changed {
			t.Fatalf("%s: installing the same command again changed the file", agent)
		}
	}
}

func TestIsOurs(t *testing.T) {
	for s, want := range map[string]bool{
		"chaperone hook claude-code":                              true,
		"/opt/bin/chaperone hook cursor":                          true,
		"prettier --check":                                        false,
		"chaperone check -- x":                                    false,
		"my-chaperone-wrapper hook gemini":                        true,
		"chaperone hook claude-code --config /c/chaperone.yaml":   true,
		"/opt/bin/chaperone-hook codex --socket /run/c/hook.sock": true,
		"chaperone-hook":                                          false,
		"chaperone-hook vim":                                      false,
		"chaperone hook":                                          false,
	} {
		if IsOurs(s) != want {
			t.Errorf("IsOurs(%q) = %v", s, !want)
		}
	}
}

func TestScriptInstall(t *testing.T) {
	dir := t.TempDir()
	path, _ := SettingsPath("cline", "project", dir, "/home/x")
	if changed, _, err := Install("cline", path, "/usr/bin/chaperone-hook cline"); err != nil || !changed {
		t.Fatal(changed, err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm()&0o100 == 0 {
		t.Fatalf("not executable: %v", err)
	}
	if changed, _, _ := Install("cline", path, "/usr/bin/chaperone-hook cline"); changed {
		t.Fatal("second install changed the script")
	}
	if changed, _, err := Uninstall(path); err != nil || !changed {
		t.Fatal(changed, err)
	}
	os.WriteFile(path, []byte("#!/bin/sh\nmy-own-hook\n"), 0o755)
	if _, _, err := Install("cline", path, "/usr/bin/chaperone-hook cline"); err == nil {
		t.Fatal("someone else's hook script was replaced")
	}
	if changed, _, _ := Uninstall(path); changed {
		t.Fatal("someone else's hook script was removed")
	}
}
