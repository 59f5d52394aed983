package secret

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSealOpenAndRefusals(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(dir, false); err == nil {
		t.Fatal("a missing key was not reported")
	}
	b, err := Open(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(filepath.Join(dir, KeyFile)); fi.Mode().Perm() != 0o600 {
		t.Fatalf("key mode %v", fi.Mode().Perm())
	}
	const dsn = "postgres://app:S3cret-pw@db:5432/app"
	sealed, err := b.Seal("app-prod", dsn)
	if err != nil || !IsSealed(sealed) || strings.Contains(sealed, "S3cret") {
		t.Fatalf("sealed %q %v", sealed, err)
	}
	again, _ := Open(dir, true) // the same key, read back
	if got, err := again.Open("app-prod", sealed); err != nil || got != dsn {
		t.Fatalf("open: %q %v", got, err)
	}
	if _, err := again.Open("app-staging", sealed); !errors.Is(err, ErrOpen) {
		t.Fatal("a value sealed for one upstream opened for another")
	}
	tampered := sealed[:len(sealed)-4] + "AAA="
	if _, err := again.Open("app-prod", tampered); !errors.Is(err, ErrOpen) {
		t.Fatal("a tampered value opened")
	}
	other, _ := Open(t.TempDir(), true)
	if _, err := other.Open("app-prod", sealed); !errors.Is(err, ErrOpen) {
		t.Fatal("another deployment's key opened the value")
	}
}
