package pg

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/chaperone/chaperone/internal/classify/sql"
)

// ColumnTypes looks up, over Chaperone's own connection to dsn, the current
// type of each column that changes retype, as format_type() prints it, in
// the order of changes: what sql.Refine needs to tell widening from loss.
//
// An entry is "" (so the change stays destructive) whenever the answer is not
// certain for the session that sent the change:
//   - an unqualified table name is resolved by the session's search_path,
//     which Chaperone does not track, so every table of that name in any
//     schema (other sessions' temporary ones included) must have the column,
//     with one type;
//   - a new type named without a schema (text, int4) is found in the
//     session's pg_temp before pg_catalog, so any type of that name outside
//     pg_catalog makes it uncertain.
//
// It reads only the catalog and takes no lock, so a session holding the
// table's lock is not waited for; a table another session than the one with
// server process sessionPID is altering (its ACCESS EXCLUSIVE lock held or
// awaited) is uncertain too. Objects the session created in a
// transaction still open are invisible here: a gateway uses the answer only
// while the session's transaction has not changed the schema.
func ColumnTypes(ctx context.Context, dsn string, changes []sql.TypeChange, sessionPID uint32) ([]string, error) {
	out := make([]string, len(changes))
	if len(changes) == 0 {
		return out, nil
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("looking up column types: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	// A read-only transaction: this connection only ever reads the catalog.
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("looking up column types: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	for i, c := range changes {
		if c.Type == "" {
			continue
		}
		if c.Bare && bareShadowed(ctx, tx, c.Typname()) {
			continue
		}
		rows, err := tx.Query(ctx, `SELECT DISTINCT pg_catalog.format_type(a.atttypid, a.atttypmod)
			FROM pg_catalog.pg_attribute a
			JOIN pg_catalog.pg_class r ON r.oid = a.attrelid
			JOIN pg_catalog.pg_namespace n ON n.oid = r.relnamespace
			WHERE r.relname = $1 AND ($2 = '' OR n.nspname = $2) AND a.attname = $3
			  AND a.attnum > 0 AND NOT a.attisdropped AND r.relkind IN ('r', 'p', 'f')`, c.Table, c.Schema, c.Column)
		if err != nil {
			return nil, fmt.Errorf("looking up column types: %w", err)
		}
		types, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return nil, fmt.Errorf("looking up column types: %w", err)
		}
		var tables int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM pg_catalog.pg_class r
			JOIN pg_catalog.pg_namespace n ON n.oid = r.relnamespace
			WHERE r.relname = $1 AND ($2 = '' OR n.nspname = $2)`, c.Table, c.Schema).Scan(&tables); err != nil {
			return nil, fmt.Errorf("looking up column types: %w", err)
		}
		var withColumn int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM pg_catalog.pg_attribute a
			JOIN pg_catalog.pg_class r ON r.oid = a.attrelid
			JOIN pg_catalog.pg_namespace n ON n.oid = r.relnamespace
			WHERE r.relname = $1 AND ($2 = '' OR n.nspname = $2) AND a.attname = $3
			  AND a.attnum > 0 AND NOT a.attisdropped`, c.Table, c.Schema, c.Column).Scan(&withColumn); err != nil {
			return nil, fmt.Errorf("looking up column types: %w", err)
		}
		// Another session's ALTER TABLE holds or awaits the table's
		// ACCESS EXCLUSIVE lock: its change, uncommitted or queued, is what
		// this one will meet once it gets the lock.
		var altering int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM pg_catalog.pg_locks l
			JOIN pg_catalog.pg_class r ON r.oid = l.relation
			JOIN pg_catalog.pg_namespace n ON n.oid = r.relnamespace
			WHERE r.relname = $1 AND ($2 = '' OR n.nspname = $2)
			  AND l.mode = 'AccessExclusiveLock' AND l.pid <> pg_catalog.pg_backend_pid() AND l.pid <> $3`,
			c.Table, c.Schema, int64(sessionPID)).Scan(&altering); err != nil {
			return nil, fmt.Errorf("looking up column types: %w", err)
		}
		// One type, and every relation of that name has the column: the
		// session cannot mean another one.
		if len(types) == 1 && tables == withColumn && altering == 0 {
			out[i] = types[0]
		}
	}
	return out, tx.Commit(ctx)
}

// bareShadowed reports whether any type outside pg_catalog is named
// typname: an unqualified name could mean it. An error counts as shadowed.
func bareShadowed(ctx context.Context, tx pgx.Tx, typname string) bool {
	var shadowed bool
	err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_type
		WHERE typname = $1 AND typnamespace <> 'pg_catalog'::regnamespace)`, typname).Scan(&shadowed)
	return err != nil || shadowed || typname == ""
}
