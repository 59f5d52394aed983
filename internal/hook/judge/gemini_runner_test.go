package judge

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chaperone/chaperone/internal/hook"

	"github.com/chaperone/chaperone/internal/config"
	"github.com/chaperone/chaperone/internal/gate"
	"github.com/chaperone/chaperone/internal/policy"
)

// TestMain lets this test binary serve as the hook an agent runs:
// "hook.test as-hook AGENT" answers like `chaperone hook AGENT --local`.
func TestMain(m *testing.M) {
	if len(os.Args) == 3 && os.Args[1] == "as-hook" {
		a := hook.Adapters[os.Args[2]]
		input, err := hook.ReadInput(os.Stdin)
		if err != nil {
			os.Exit(hook.Deny(a, err.Error()).Write(os.Stdout, os.Stderr))
		}
		dir, _ := os.MkdirTemp("", "hook")
		eng, err := policy.New(config.Defaults(dir))
		if err != nil {
			os.Exit(hook.Deny(a, err.Error()).Write(os.Stdout, os.Stderr))
		}
		ans := hook.Run(a, input, GateDecider(context.Background(), &gate.Gate{Policy: eng}, os.Args[2], "dev"))
		os.Exit(ans.Write(os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// TestGeminiRunsTheInstalledEntry installs the hook as `chaperone install
// gemini` does, then runs Gemini CLI's own hook registry, planner, runner
// and aggregator (@google/gemini-cli-core, installed by
// scripts/test-deps.sh) on BeforeTool events: the runner must wait for the
// hook and act on Chaperone's decision. The timeout Gemini reads is in
// milliseconds; the entry's 10000 gives the hook its 10 seconds.
func TestGeminiRunsTheInstalledEntry(t *testing.T) {
	runner, _ := filepath.Abs(filepath.Join("testdata", "gemini", "runner.mjs"))
	if _, err := os.Stat(filepath.Join("testdata", "gemini", "node_modules", "@google", "gemini-cli-core")); err != nil {
		t.Fatal("Gemini CLI's hook runner is not installed: run scripts/test-deps.sh (make test does)")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("the runner is installed but node is not on PATH: run scripts/test-deps.sh")
	}
	self, _ := os.Executable()
	dir := t.TempDir()
	settings := filepath.Join(dir, ".gemini", "settings.json")
	if _, _, err := hook.Install("gemini", settings, self+" as-hook gemini"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		tool, input  string
		blocked, ask bool
	}{
		{"run_shell_command", `{"command":"terraform destroy -auto-approve"}`, false, true},
		{"read_file", `{"file_path":"` + dir + `/.env"}`, true, false},
		{"write_file", `{"file_path":"` + dir + `/.gemini/settings.json","content":"{}"}`, true, false},
		{"read_many_files", `{"include":["src/**/*.go"]}`, false, false},
		{"run_shell_command", `{"command":"ls"}`, false, false},
	} {
		event := filepath.Join(dir, "event.json")
		os.WriteFile(event, []byte(`{"session_id":"s","transcript_path":"`+dir+`/t.json","cwd":"`+dir+`","hook_event_name":"BeforeTool","timestamp":"2026-01-01T00:00:00Z","tool_name":"`+c.tool+`","tool_input":`+c.input+`}`), 0o600)
		cmd := exec.Command(node, runner, settings, event)
		cmd.Dir = filepath.Dir(runner)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: %v\n%s", c.tool, err, out)
		}
		var got struct {
			Matched  bool     `json:"matched"`
			Timeouts []int    `json:"timeouts"`
			Failures []string `json:"failures"`
			Blocked  bool     `json:"blocked"`
			Ask      bool     `json:"ask"`
			Reason   string   `json:"reason"`
		}
		line := string(out[strings.LastIndex(string(out), "RESULT ")+len("RESULT "):])
		if err := json.Unmarshal([]byte(line), &got); err != nil {
			t.Fatalf("%s: %v: %s", c.tool, err, out)
		}
		if !got.Matched || len(got.Failures) > 0 || got.Timeouts[0] != 10000 || got.Blocked != c.blocked || got.Ask != c.ask {
			t.Errorf("%s %s: Gemini CLI did %+v", c.tool, c.input, got)
		}
		if (c.blocked || c.ask) && !strings.Contains(got.Reason, "Chaperone [") {
			t.Errorf("%s: reason %q", c.tool, got.Reason)
		}
	}
}
