package judge

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chaperone/chaperone/internal/hook"

	"github.com/chaperone/chaperone/internal/config"
	"github.com/chaperone/chaperone/internal/gate"
	"github.com/chaperone/chaperone/internal/policy"
)

// verdictOf reads the decision back out of an agent's answer, as that
// agent would: none is "no opinion" (exit 0, nothing printed).
func verdictOf(t *testing.T, ans hook.Answer) string {
	t.Helper()
	if ans.Exit == 2 {
		return "block"
	}
	if len(ans.Stdout) == 0 {
		return "none"
	}
	var m map[string]any
	if err := json.Unmarshal(ans.Stdout, &m); err != nil {
		t.Fatalf("not JSON: %q", ans.Stdout)
	}
	if h, ok := m["hookSpecificOutput"].(map[string]any); ok {
		return h["permissionDecision"].(string)
	}
	for _, k := range []string{"permissionDecision", "permission", "decision"} {
		if s, ok := m[k].(string); ok {
			return s
		}
	}
	if c, ok := m["cancel"].(bool); ok {
		if c {
			return "cancel"
		}
		return "allow"
	}
	t.Fatalf("no decision in %s", ans.Stdout)
	return ""
}

// TestEveryAgentsToolsEndToEnd feeds each agent's own event JSON for every
// kind of tool it has (testdata/agents/AGENT.json) through the real
// classifiers and the built-in policy, and reads the answer back as the
// agent would.
func TestEveryAgentsToolsEndToEnd(t *testing.T) {
	eng, err := policy.New(config.Defaults(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	g := &gate.Gate{Policy: eng}
	seen := 0
	for _, agent := range hook.Names() {
		data, err := os.ReadFile(filepath.Join("testdata", "agents", agent+".json"))
		if err != nil {
			t.Errorf("%s: no end-to-end cases: %v", agent, err)
			continue
		}
		var cases []struct {
			Name string          `json:"name"`
			In   json.RawMessage `json:"in"`
			Want string          `json:"want"`
		}
		if err := json.Unmarshal(data, &cases); err != nil {
			t.Fatal(err)
		}
		for _, c := range cases {
			seen++
			ans := hook.Run(hook.Adapters[agent], c.In, GateDecider(context.Background(), g, agent, "dev"))
			if got := verdictOf(t, ans); got != c.Want {
				t.Errorf("%s / %s: got %s, want %s\n%s%s", agent, c.Name, got, c.Want, ans.Stdout, ans.Stderr)
			}
			if c.Want != "none" && c.Want != "allow" && !strings.Contains(string(ans.Stdout)+string(ans.Stderr), "Chaperone [") {
				t.Errorf("%s / %s: the answer names no rule: %s%s", agent, c.Name, ans.Stdout, ans.Stderr)
			}
		}
	}
	if seen < 100 {
		t.Fatalf("only %d cases", seen)
	}
}
