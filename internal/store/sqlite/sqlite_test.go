package sqlite

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chaperone/chaperone/internal/store"
	"github.com/chaperone/chaperone/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Opener {
		path := filepath.Join(t.TempDir(), "state", "chaperone.db")
		return func(t *testing.T) store.Store {
			s, err := Open(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}
	})
}

func TestFilesArePrivateAndMigrationsApplyOnce(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state", "chaperone.db")
	files, _ := fs.Glob(migrations, "migrations/*.sql")
	for i := 0; i < 2; i++ {
		s, err := Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		v, err := s.SchemaVersion(context.Background())
		if err != nil || v != len(files) || v < 2 {
			t.Fatalf("schema version %d, %v", v, err)
		}
		s.Close()
	}
	if fi, _ := os.Stat(filepath.Dir(path)); fi.Mode().Perm() != 0o700 {
		t.Errorf("state dir mode %v", fi.Mode().Perm())
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("state file mode %v", fi.Mode().Perm())
	}
}

func TestRefusesStateFromNewerVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chaperone.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.writer.Exec(`INSERT INTO schema_migrations VALUES (99, 'future', '')`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := Open(context.Background(), path); err == nil || !strings.Contains(err.Error(), "newer chaperone") {
		t.Fatalf("Open = %v", err)
	}
}
