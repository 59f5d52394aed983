package judge

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/chaperone/chaperone/internal/hook"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/config"
	"github.com/chaperone/chaperone/internal/gate"
	"github.com/chaperone/chaperone/internal/policy"
)

// A script the agent runs is read from the agent's working directory, not
// from wherever the deciding process happens to run.
func TestScriptsAreReadFromTheAgentsDirectory(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "deploy.sh"), []byte("#!/bin/sh\nrm -rf /srv/data\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	eng, err := policy.New(config.Defaults(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	decide := GateDecider(context.Background(), &gate.Gate{Policy: eng}, "claude-code", "staging")
	o := decide(hook.Request{Kind: action.KindShell, Text: "bash deploy.sh", Cwd: dir})
	if o.Action.Class != action.ClassDestructive || o.Decision.Verdict != action.Approve {
		t.Fatalf("bash deploy.sh in %s: %s, %+v", dir, o.Action.Class, o.Decision)
	}
	if o := decide(hook.Request{Kind: action.KindShell, Text: "bash deploy.sh", Cwd: t.TempDir()}); o.Action.Class == action.ClassDestructive {
		t.Fatal("a script that is not there was judged destructive")
	}
}
