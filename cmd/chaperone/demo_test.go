package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/chaperone/chaperone/internal/sandbox"
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
		`inside: network interfaces "lo", 0 routes`,
		"RAILWAY_TOKEN in .env: chp_",
		"no proxy: <urlopen error",
		"curl: (6) Could not resolve host: backboard.railway.app",
		"curl: (7) Failed to connect to 127.0.0.1",
		"→ HTTP 401",
		"audited credential.refused with the token's fingerprint sha256:",
		"volume vol_3b8d0c has an instance in production; this token is scoped to staging",
		"chaperone run exits 0",
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

// Where no namespace can be made the demo says so and fails, before it
// starts anything: its agent never runs unconfined.
func TestDemoRefusesWithoutNamespaces(t *testing.T) {
	cmd := exec.Command(binary(t), "demo")
	cmd.Env = append(os.Environ(), sandbox.FailEnv+"=namespace")
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != exitInternal {
		t.Fatalf("demo without namespaces: %v\n%s\n%s", err, out.String(), errb.String())
	}
	for _, want := range []string{"none can be made here", "kernel refused", "never runs its agent unconfined"} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("the demo's refusal lacks %q:\n%s", want, errb.String())
		}
	}
	if strings.Contains(out.String(), "agent") {
		t.Errorf("the demo went on without namespaces:\n%s", out.String())
	}
}
