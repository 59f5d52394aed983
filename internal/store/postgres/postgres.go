// Package postgres is the shared state store: several `chaperone serve`
// instances on one PostgreSQL database keep one set of tokens, requests and
// grants, and one audit chain.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chaperone/chaperone/internal/store"
)

// writeLock is the advisory lock every write transaction takes first. The
// Store contract is that writes are serialised across every process sharing
// the state, as SQLite's single writer makes them: the audit chain's
// read-head-then-append, and every read-modify-write an approval makes,
// rely on it. One lock held for a short transaction costs less than
// SERIALIZABLE's retries would under a steady stream of audit appends
// (see BenchmarkAuditAppend), and a transaction can never be half-retried.
const writeLock int64 = 0x63686170_00000001 // "chap", 1

// migrateLock serialises first starts: the migration transaction takes it
// before reading the schema version.
const migrateLock int64 = 0x63686170_00000002

// Store is the PostgreSQL implementation of store.Store.
type Store struct {
	pool *pgxpool.Pool
}

// Open connects to dsn and migrates the database.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("state dsn: %w", err)
	}
	if cfg.MaxConns < 8 {
		cfg.MaxConns = 8
	}
	rp := cfg.ConnConfig.RuntimeParams
	// A writer that waits longer than SQLite's busy timeout fails instead:
	// the caller refuses what it cannot record. A transaction left idle (a
	// process stopped between statements) lets go of the write lock.
	setDefault(rp, "lock_timeout", "10s")
	setDefault(rp, "idle_in_transaction_session_timeout", "30s")
	setDefault(rp, "application_name", "chaperone")
	cfg.ConnConfig.ConnectTimeout = 10 * time.Second
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("opening state: %w", err)
	}
	s := &Store{pool: pool}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

func setDefault(m map[string]string, k, v string) {
	if _, ok := m[k]; !ok {
		m[k] = v
	}
}

// Close closes the pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

// Update runs fn in a write transaction that holds the state's write lock,
// committing only if fn succeeds. A serialization failure or deadlock is
// returned, not retried: fn may have decided something on what it read.
func (s *Store) Update(ctx context.Context, fn func(store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("state: %w", err)
	}
	return s.run(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted, AccessMode: pgx.ReadWrite}, true, fn)
}

// View runs fn in a read-only transaction over one consistent snapshot.
func (s *Store) View(ctx context.Context, fn func(store.Tx) error) error {
	return s.run(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, false, fn)
}

func (s *Store) run(ctx context.Context, opts pgx.TxOptions, write bool, fn func(store.Tx) error) (err error) {
	ptx, err := s.pool.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("state: begin: %w", err)
	}
	// Rolling back must outlive a cancelled ctx, or the connection goes
	// back to the pool mid-transaction.
	rollback := func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		ptx.Rollback(rctx)
	}
	defer func() {
		if p := recover(); p != nil {
			rollback()
			panic(p)
		}
	}()
	if write {
		// Under READ COMMITTED every statement after the lock sees what
		// the previous holder committed.
		if _, err := ptx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, writeLock); err != nil {
			rollback()
			return fmt.Errorf("state: waiting for the write lock: %w", classify(err))
		}
	}
	if err := fn(&tx{ctx: ctx, tx: ptx}); err != nil {
		rollback()
		return err
	}
	if err := ptx.Commit(ctx); err != nil {
		return fmt.Errorf("state: commit: %w", classify(err))
	}
	return nil
}

// ErrSerialization is returned when the database aborted a transaction to
// keep transactions serialisable; nothing of it was committed.
var ErrSerialization = errors.New("state: transaction aborted by a concurrent one; nothing was written")

func classify(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "40001", "40P01":
			return fmt.Errorf("%w (%s)", ErrSerialization, pe.Message)
		}
	}
	return err
}

// tx implements store.Tx over one transaction.
type tx struct {
	ctx context.Context
	tx  pgx.Tx
}

func (t *tx) exec(query string, args ...any) (pgconn.CommandTag, error) {
	return t.tx.Exec(t.ctx, query, args...)
}

func (t *tx) query(query string, args ...any) (pgx.Rows, error) {
	return t.tx.Query(t.ctx, query, args...)
}

func (t *tx) queryRow(query string, args ...any) pgx.Row {
	return t.tx.QueryRow(t.ctx, query, args...)
}
