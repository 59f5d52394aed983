// Package sqlite is the embedded state store: one SQLite file in WAL mode,
// shared safely by goroutines and by several processes.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"

	"github.com/chaperone/chaperone/internal/store"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Store is the SQLite implementation of store.Store.
type Store struct {
	// writer has one connection and opens every transaction with BEGIN
	// IMMEDIATE, so writers queue on SQLite's lock (with a busy timeout)
	// instead of failing half-way through a read-modify-write.
	writer *sql.DB
	reader *sql.DB
	// prepared holds the writer's hot statements (the audit chain's),
	// prepared once: parsing them for every batch cost more than running
	// them.
	prepared map[string]*sql.Stmt
	// turn makes writers in this process take turns in arrival order.
	// database/sql hands a freed connection to an arbitrary waiter, so under
	// a steady stream of writes one waiter (a session's connect record, an
	// approval) could wait for minutes; sync.Mutex hands over in order once
	// a waiter has waited a millisecond.
	turn sync.Mutex
}

// Open opens (creating if needed) the database at path and migrates it. The
// file and its directory are made private to the current user.
func Open(ctx context.Context, path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	}
	// Create the file ourselves so SQLite's -wal and -shm files inherit 0600.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("state file: %w", err)
	}
	f.Close()
	writer, err := openDB(path, "immediate")
	if err != nil {
		return nil, err
	}
	writer.SetMaxOpenConns(1)
	reader, err := openDB(path, "deferred")
	if err != nil {
		writer.Close()
		return nil, err
	}
	reader.SetMaxOpenConns(8)
	s := &Store{writer: writer, reader: reader}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	// Prepared before any transaction holds the writer's one connection;
	// a transaction reuses them on that connection (or prepares them
	// again on a new one) without asking the pool.
	s.prepared = map[string]*sql.Stmt{}
	for _, q := range hotStatements {
		st, err := writer.PrepareContext(ctx, q)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("state: preparing %q: %w", q, err)
		}
		s.prepared[q] = st
	}
	return s, nil
}

func openDB(path, txlock string) (*sql.DB, error) {
	q := url.Values{}
	// cache_size: each connection's page cache, 2 MiB by default, is
	// memory serve keeps (SQLite's allocator does not give it back); the
	// state is small and the OS caches its file anyway.
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(1)", "cache_size(-512)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", txlock)
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("opening state %s: %w", path, err)
	}
	return db, nil
}

// Close closes both pools.
func (s *Store) Close() error {
	for _, st := range s.prepared {
		st.Close()
	}
	return errors.Join(s.writer.Close(), s.reader.Close())
}

// Update runs fn in a write transaction, committing only if fn succeeds.
func (s *Store) Update(ctx context.Context, fn func(store.Tx) error) error {
	s.turn.Lock()
	defer s.turn.Unlock()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("state: %w", err)
	}
	return run(ctx, s.writer, s.prepared, fn)
}

// View runs fn in a read transaction over a consistent snapshot.
func (s *Store) View(ctx context.Context, fn func(store.Tx) error) error {
	return run(ctx, s.reader, nil, fn)
}

func run(ctx context.Context, db *sql.DB, prepared map[string]*sql.Stmt, fn func(store.Tx) error) (err error) {
	sqlTx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("state: begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			sqlTx.Rollback()
			panic(p)
		}
	}()
	if err := fn(&tx{ctx: ctx, tx: sqlTx, prepared: prepared}); err != nil {
		sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("state: commit: %w", err)
	}
	return nil
}

// tx implements store.Tx over one SQL transaction.
type tx struct {
	ctx      context.Context
	tx       *sql.Tx
	prepared map[string]*sql.Stmt
}

// stmt is query prepared for this transaction: the store's prepared
// statement where there is one, otherwise prepared now (and closed with
// the transaction).
func (t *tx) stmt(query string) (*sql.Stmt, error) {
	if st, ok := t.prepared[query]; ok {
		return t.tx.StmtContext(t.ctx, st), nil
	}
	return t.tx.PrepareContext(t.ctx, query)
}

func (t *tx) exec(query string, args ...any) (sql.Result, error) {
	if st, ok := t.prepared[query]; ok {
		return t.tx.StmtContext(t.ctx, st).ExecContext(t.ctx, args...)
	}
	return t.tx.ExecContext(t.ctx, query, args...)
}

func (t *tx) query(query string, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(t.ctx, query, args...)
}

func (t *tx) queryRow(query string, args ...any) *sql.Row {
	if st, ok := t.prepared[query]; ok {
		return t.tx.StmtContext(t.ctx, st).QueryRowContext(t.ctx, args...)
	}
	return t.tx.QueryRowContext(t.ctx, query, args...)
}
