package tlscert

import (
	"os"
	"path/filepath"
	"testing"
)

func TestGeneratesOnceAndKeepsTheKeyPrivate(t *testing.T) {
	dir := t.TempDir()
	a, err := Config("", "", dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "tls.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi, err)
	}
	b, err := Config("", "", dir)
	if err != nil || string(a.Certificates[0].Certificate[0]) != string(b.Certificates[0].Certificate[0]) {
		t.Fatal("a second start made a new certificate")
	}
	if _, err := Config(filepath.Join(dir, "missing.crt"), filepath.Join(dir, "missing.key"), dir); err == nil {
		t.Fatal("a configured certificate that does not exist was accepted")
	}
}
