package postgres

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chaperone/chaperone/internal/pgtest"
	"github.com/chaperone/chaperone/internal/store"
	"github.com/chaperone/chaperone/internal/store/storetest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// newState creates an empty database on the shared test server and returns
// its DSN.
func newState(t testing.TB) string {
	srv := pgtest.Shared(t)
	return srv.DSN(srv.CreateDB(t))
}

func open(t testing.TB, dsn string) *Store {
	t.Helper()
	s, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Opener {
		dsn := newState(t)
		return func(t *testing.T) store.Store { return open(t, dsn) }
	})
}

func TestMigrationsApplyOnceAndRefuseANewerSchema(t *testing.T) {
	dsn := newState(t)
	ms, err := Migrations()
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		s := open(t, dsn)
		if v, err := s.SchemaVersion(context.Background()); err != nil || v != len(ms) {
			t.Fatalf("schema version %d, %v", v, err)
		}
		s.Close()
	}
	s := open(t, dsn)
	if _, err := s.pool.Exec(context.Background(), `INSERT INTO schema_migrations VALUES (99, 'future', '')`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := Open(context.Background(), dsn); err == nil || !strings.Contains(err.Error(), "newer chaperone") {
		t.Fatalf("Open = %v", err)
	}
}

// The drivers' schemas move in step: the same migrations by name, so a
// state moved from one to the other is at the same version.
func TestMigrationsMatchSQLite(t *testing.T) {
	ours, err := Migrations()
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := filepath.Glob(filepath.Join("..", "sqlite", "migrations", "*.sql"))
	if err != nil || len(theirs) == 0 {
		t.Fatalf("sqlite migrations: %v %v", theirs, err)
	}
	if len(theirs) != len(ours) {
		t.Fatalf("sqlite has %d migrations, postgres %d", len(theirs), len(ours))
	}
	for i, p := range theirs {
		if filepath.Base(p) != ours[i].Name {
			t.Errorf("migration %d: sqlite %s, postgres %s", i+1, filepath.Base(p), ours[i].Name)
		}
	}
}

// Concurrent first starts apply each migration once.
func TestConcurrentFirstStarts(t *testing.T) {
	dsn := newState(t)
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			s, err := Open(context.Background(), dsn)
			if err == nil {
				s.Close()
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
