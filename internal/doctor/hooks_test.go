package doctor

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chaperone/chaperone/internal/hook"
)

func TestHookChecks(t *testing.T) {
	proj, home := t.TempDir(), t.TempDir()
	env := map[string]string{"CODEX_HOME": filepath.Join(home, "codex")}
	getenv := func(k string) string { return env[k] }
	write := func(p, s string) {
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(s), 0o600)
	}
	// An old install: narrowed to Bash|Read, Gemini's timeout of 10 ms.
	write(filepath.Join(proj, ".claude/settings.json"), `{"hooks":{"PreToolUse":[{"matcher":"Bash|Read","hooks":[{"type":"command","command":"chaperone hook claude-code","timeout":10}]}]}}`)
	write(filepath.Join(proj, ".gemini/settings.json"), `{"hooks":{"BeforeTool":[{"hooks":[{"type":"command","command":"chaperone hook gemini","timeout":10}]}]}}`)
	write(filepath.Join(proj, ".qwen/settings.json"), `{"disableAllHooks":true}`)
	codexPath := filepath.Join(proj, ".codex/hooks.json")
	if _, _, err := hook.Install("codex", codexPath, "chaperone hook codex"); err != nil {
		t.Fatal(err)
	}
	text := func(fs []Finding) string {
		var b strings.Builder
		for _, f := range fs {
			b.WriteString(string(f.Level) + " " + f.Check + ": " + f.Message + "\n")
		}
		return b.String()
	}
	got := text(HookChecks(proj, home, getenv))
	for _, want := range []string{
		`FAIL hook.claude-code (project): ` + filepath.Join(proj, ".claude/settings.json") + `: Chaperone's PreToolUse hook is narrowed to the tools "Bash|Read"`,
		"warn hook.claude-code: " + filepath.Join(proj, ".claude/settings.json") + ": a hook that fails lets the tool run",
		"FAIL hook.gemini: " + filepath.Join(proj, ".gemini/settings.json") + ": the hook's timeout is 10, read as milliseconds",
		"FAIL hook.qwen (project): " + filepath.Join(proj, ".qwen/settings.json") + " sets disableAllHooks",
		"FAIL hook.codex (project): " + codexPath + ": Codex has not been told to trust",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
	// Trusted as Codex records it: the finding turns OK.
	key := codexPath + ":pre_tool_use:0:0"
	hash := codexHash("PreToolUse", map[string]any{}, map[string]any{"type": "command", "command": "chaperone hook codex", "timeout": float64(10)})
	write(filepath.Join(home, "codex/config.toml"), "[hooks.state.\""+key+"\"]\ntrusted_hash = \""+hash+"\"\n")
	if got := text(HookChecks(proj, home, getenv)); !strings.Contains(got, "ok hook.codex (project): "+codexPath+": Codex trusts") {
		t.Errorf("trusted entry not seen:\n%s", got)
	}
	// A fresh install everywhere else reports nothing wrong.
	proj2 := t.TempDir()
	for _, agent := range hook.Names() {
		p, _ := hook.SettingsPath(agent, "project", proj2, home)
		if _, _, err := hook.Install(agent, p, "/usr/bin/chaperone-hook "+agent); err != nil {
			t.Fatal(agent, err)
		}
	}
	for _, f := range HookChecks(proj2, home, func(string) string { return "" }) {
		if f.Level != OK && !strings.HasPrefix(f.Check, "hook.codex") {
			t.Errorf("fresh install: %+v", f)
		}
	}
}
