package sqlite

import (
	"context"
	"fmt"
)

// Tables are the state's tables in an order that satisfies their foreign
// keys, for copying the state elsewhere (`chaperone state migrate`).
var Tables = []string{"tokens", "meta", "approvals", "approval_votes", "approvers", "approver_passkeys", "grants",
	"console_sessions", "cancel_keys", "audit"}

// Export calls fn for every row of table, in primary key order, with the
// column names, in one read transaction.
func (s *Store) Export(ctx context.Context, table string, fn func(cols []string, row []any) error) error {
	known := false
	for _, t := range Tables {
		known = known || t == table
	}
	if !known {
		return fmt.Errorf("export: unknown table %q", table)
	}
	tx, err := s.reader.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT * FROM `+table+` ORDER BY rowid`)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		if err := fn(cols, vals); err != nil {
			return err
		}
	}
	return rows.Err()
}
