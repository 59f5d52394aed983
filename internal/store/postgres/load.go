package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Source is a state to copy from: its tables in foreign-key order, and
// their rows.
type Source interface {
	Export(ctx context.Context, table string, fn func(cols []string, row []any) error) error
}

// ErrNotEmpty refuses to load into a state that already holds anything.
var ErrNotEmpty = fmt.Errorf("the target state is not empty")

// Load copies every table of src into this database in one transaction,
// under the write lock, refusing a database that holds any row: a state
// is moved whole or not at all, never merged. It returns rows per table.
func (s *Store) Load(ctx context.Context, src Source, tables []string) (map[string]int64, error) {
	counts := map[string]int64{}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, writeLock); err != nil {
			return err
		}
		types := map[string]map[string]string{}
		for _, t := range tables {
			var n int64
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM `+pgx.Identifier{t}.Sanitize()).Scan(&n); err != nil {
				return fmt.Errorf("table %s: %w", t, err)
			}
			if n > 0 {
				return fmt.Errorf("%w: table %s has %d rows", ErrNotEmpty, t, n)
			}
			rows, err := tx.Query(ctx, `SELECT column_name, data_type FROM information_schema.columns
				WHERE table_schema = current_schema() AND table_name = $1`, t)
			if err != nil {
				return err
			}
			types[t] = map[string]string{}
			for rows.Next() {
				var c, dt string
				if err := rows.Scan(&c, &dt); err != nil {
					rows.Close()
					return err
				}
				types[t][c] = dt
			}
			rows.Close()
		}
		for _, t := range tables {
			var batch [][]any
			var cols []string
			flush := func() error {
				if len(batch) == 0 {
					return nil
				}
				n, err := tx.CopyFrom(ctx, pgx.Identifier{t}, cols, pgx.CopyFromRows(batch))
				counts[t] += n
				batch = batch[:0]
				return err
			}
			err := src.Export(ctx, t, func(c []string, row []any) error {
				cols = c
				for i, v := range row {
					row[i] = convert(types[t][c[i]], v)
				}
				batch = append(batch, row)
				if len(batch) >= 5000 {
					return flush()
				}
				return nil
			})
			if err == nil {
				err = flush()
			}
			if err != nil {
				return fmt.Errorf("copying %s: %w", t, err)
			}
		}
		return nil
	})
	return counts, err
}

// convert adapts a SQLite value to the PostgreSQL column's type: SQLite
// keeps booleans as integers, and text may come back as bytes.
func convert(pgType string, v any) any {
	switch pgType {
	case "boolean":
		if n, ok := v.(int64); ok {
			return n != 0
		}
	case "text":
		if b, ok := v.([]byte); ok {
			return string(b)
		}
	case "bytea":
		if s, ok := v.(string); ok {
			return []byte(s)
		}
		if v == nil {
			return []byte{}
		}
	}
	return v
}
