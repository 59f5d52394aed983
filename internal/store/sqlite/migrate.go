package sqlite

import (
	"context"
	"embed"
	"fmt"
	"time"

	"github.com/chaperone/chaperone/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations are this driver's schema changes, in order.
func Migrations() ([]store.Migration, error) { return store.LoadMigrations(migrations, "migrations") }

// migrate applies every migration newer than the database, in one write
// transaction, so concurrent first starts apply each exactly once.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := Migrations()
	if err != nil {
		return err
	}
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("state: migrate: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("state: migrate: %w", err)
	}
	var current int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("state: migrate: %w", err)
	}
	if current > len(ms) {
		return store.NewerSchemaError(current, len(ms))
	}
	for _, m := range ms[current:] {
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			return fmt.Errorf("state: migration %s: %w", m.Name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
			m.Version, m.Name, time.Now().UTC().Format(time.RFC3339Nano)); err != nil {
			return fmt.Errorf("state: migration %s: %w", m.Name, err)
		}
	}
	return tx.Commit()
}

// SchemaVersion reports the applied schema version.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.reader.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

// CheckSchema reports whether the database is at exactly this build's schema.
func (s *Store) CheckSchema(ctx context.Context) error {
	ms, err := Migrations()
	if err != nil {
		return err
	}
	v, err := s.SchemaVersion(ctx)
	return store.CheckSchema(v, len(ms), err)
}
