// Package pgtest gives tests a real PostgreSQL server (package localpg),
// shared by a test binary or of a test's own, and helpers that fail the
// test.
package pgtest

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chaperone/chaperone/internal/localpg"
)

// Server is a running PostgreSQL, with helpers that fail the test.
type Server struct{ *localpg.Server }

func start() (*Server, error) {
	s, err := localpg.Start()
	if err != nil {
		return nil, err
	}
	return &Server{s}, nil
}

var (
	shared     *Server
	sharedErr  error
	sharedOnce sync.Once
)

// Shared returns one server for the whole test binary, started on first use;
// Main stops it.
func Shared(t testing.TB) *Server {
	t.Helper()
	sharedOnce.Do(func() { shared, sharedErr = start() })
	if sharedErr != nil {
		t.Fatalf("starting PostgreSQL: %v", sharedErr)
	}
	return shared
}

// Main runs the package's tests and then stops the shared server.
func Main(m *testing.M) {
	code := m.Run()
	if shared != nil {
		shared.Stop()
	}
	os.Exit(code)
}

// Start runs a server of the test's own, stopped when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s, err := start()
	if err != nil {
		t.Fatalf("starting PostgreSQL: %v", err)
	}
	t.Cleanup(s.Stop)
	return s
}

// Exec runs SQL as the superuser on db, failing t on error.
func (s *Server) Exec(t testing.TB, db, sql string, args ...any) {
	t.Helper()
	ctx, c, done := s.connect(t, db)
	defer done()
	if _, err := c.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// Count returns SELECT count(*) FROM table on db, or -1 when the table is gone.
func (s *Server) Count(t testing.TB, db, table string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n, err := s.Server.Count(ctx, db, table)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// connect opens a superuser connection to db, with a context that bounds
// everything done on it; done closes both.
func (s *Server) connect(t testing.TB, db string) (context.Context, *pgx.Conn, func()) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	c, err := pgx.Connect(ctx, s.DSN(db))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	return ctx, c, func() { c.Close(ctx); cancel() }
}

// CreateDB creates a fresh database and returns its name.
func (s *Server) CreateDB(t testing.TB) string {
	t.Helper()
	name := "t_" + localpg.RandomHex(6)
	s.Exec(t, "postgres", "CREATE DATABASE "+name)
	return name
}
