package hook

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The hook's standard input is a pipe or a file, read without a goroutine:
// the same bound and deadline hold.
func TestReadInputFromAPipeOrAFile(t *testing.T) {
	InputDeadline = 200 * time.Millisecond
	defer func() { InputDeadline = 5 * time.Second }()

	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		w.Write([]byte(`{"tool_name":`))
		time.Sleep(20 * time.Millisecond)
		w.Write([]byte(`"Bash"}`))
		w.Close()
	}()
	if got, err := ReadInput(r); err != nil || string(got) != `{"tool_name":"Bash"}` {
		t.Fatalf("pipe written in two parts: %q, %v", got, err)
	}
	r.Close()

	r, w, _ = os.Pipe()
	w.Write([]byte("{"))
	if _, err := ReadInput(r); err == nil || !strings.Contains(err.Error(), "no complete input within") {
		t.Fatalf("a writer that never closes: %v", err)
	}
	r.Close()
	w.Close()

	big := filepath.Join(t.TempDir(), "big")
	os.WriteFile(big, []byte(strings.Repeat("a", MaxInput+1)), 0o600)
	f, _ := os.Open(big)
	defer f.Close()
	if _, err := ReadInput(f); err == nil || !strings.Contains(err.Error(), "over 1 MiB") {
		t.Fatalf("oversized file: %v", err)
	}
	exact := filepath.Join(t.TempDir(), "exact")
	os.WriteFile(exact, []byte(strings.Repeat("b", MaxInput)), 0o600)
	g, _ := os.Open(exact)
	defer g.Close()
	if got, err := ReadInput(g); err != nil || len(got) != MaxInput {
		t.Fatalf("a file of exactly the bound: %d bytes, %v", len(got), err)
	}
}
