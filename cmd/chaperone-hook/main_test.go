package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestParseArgs(t *testing.T) {
	o, err := parseArgs([]string{"claude-code", "--env", "staging", "--socket=/s", "-config", "/c.yaml"})
	if err != nil || o != (options{agent: "claude-code", env: "staging", socket: "/s", config: "/c.yaml"}) {
		t.Fatalf("%+v %v", o, err)
	}
	for _, bad := range [][]string{{}, {"vim"}, {"codex", "cursor"}, {"codex", "--env"}, {"codex", "--allow"}} {
		if _, err := parseArgs(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestDefaultSocketFollowsAnExistingConfig(t *testing.T) {
	t.Setenv("CHAPERONE_HOOK_SOCKET", "")
	t.Setenv("CHAPERONE_CONFIG", "")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "chaperone.yaml")
	if got := defaultSocket(cfg); got != "" {
		t.Fatalf("socket for a missing config: %q", got)
	}
	os.WriteFile(cfg, nil, 0o600)
	if got := defaultSocket(cfg); got != filepath.Join(dir, "run", "hook.sock") {
		t.Fatalf("socket: %q", got)
	}
	t.Setenv("CHAPERONE_HOOK_SOCKET", "/x.sock")
	if got := defaultSocket(cfg); got != "/x.sock" {
		t.Fatalf("environment ignored: %q", got)
	}
}

// The hook binary starts for every tool call an agent makes, so it links
// only the agents' wire formats and the socket client: no classifier, no
// gate, no C code (which would make it a dynamically linked binary whose
// start-up alone costs more than the decision).
func TestLinksOnlyTheAdapters(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	if !slices.Contains(deps, "github.com/chaperone/chaperone/internal/hook") {
		t.Fatalf("go list did not list the hook package: %q", deps)
	}
	for _, d := range deps {
		if heavy(d) {
			t.Errorf("chaperone-hook links %s", d)
		}
	}
}

func heavy(pkg string) bool {
	if pkg == "runtime/cgo" || pkg == "os/user" || strings.Contains(pkg, "pg_query") {
		return true
	}
	rest, ok := strings.CutPrefix(pkg, "github.com/chaperone/chaperone/internal/")
	if !ok || rest == "classify/shell/argv" {
		return false
	}
	for _, p := range []string{"gate", "policy", "store", "audit", "classify"} {
		if rest == p || strings.HasPrefix(rest, p+"/") {
			return true
		}
	}
	return false
}
