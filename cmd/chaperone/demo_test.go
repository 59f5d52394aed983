package main

import (
	"os/exec"
	"strings"
	"testing"
)

// The README's demo runs to the end with every promise kept.
func TestDemo(t *testing.T) {
	// The built binary, not this test process: the demo runs itself for
	// serve, the hook and the operator's commands.
	cmd := exec.Command(binary(t), "demo")
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("demo: %v\n%s\n%s", err, out.String(), errb.String())
	}
	r := result{0, out.String(), errb.String()}
	for _, want := range []string{
		"deny (shell guard)",
		"volume vol_3b8d0c has an instance in production; this token is scoped to staging",
		"took snapshot",
		"was denied: production orders are not part of this task",
		"audit log intact",
		"drill of",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("the timeline lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "✘") {
		t.Errorf("a check failed:\n%s", r.stdout)
	}
}
