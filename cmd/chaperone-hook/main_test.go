package main

import (
	"os"
	"path/filepath"
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
