package sqlite

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/chaperone/chaperone/internal/store"
)

// Times are stored as RFC 3339 text in UTC with nanoseconds, so that they
// read back exactly (the audit chain hashes them) and stay legible in sqlite3.
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return time.Parse(time.RFC3339Nano, s)
}

func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	return err
}

func isUnique(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

const tokenCols = `id, name, env, upstreams, scope, hash, scram, created_at, expires_at, revoked_at`

func (t *tx) InsertToken(k store.Token) error {
	ups, err := json.Marshal(k.Upstreams)
	if err != nil {
		return err
	}
	_, err = t.exec(`INSERT INTO tokens (`+tokenCols+`) VALUES (?,?,?,?,?,?,?,?,?,?)`,
		k.ID, k.Name, k.Env, string(ups), k.Scope, k.Hash, k.SCRAM,
		fmtTime(k.CreatedAt), fmtTime(k.ExpiresAt), fmtTime(k.RevokedAt))
	if isUnique(err) {
		return fmt.Errorf("token %s: %w", k.ID, store.ErrConflict)
	}
	return err
}

type scanner interface{ Scan(...any) error }

// scanAll reads every row of a query (given with the query's error) with scan.
func scanAll[T any](rows *sql.Rows, err error, scan func(scanner) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func scanToken(row scanner) (store.Token, error) {
	var k store.Token
	var ups, created, expires, revoked string
	if err := row.Scan(&k.ID, &k.Name, &k.Env, &ups, &k.Scope, &k.Hash, &k.SCRAM, &created, &expires, &revoked); err != nil {
		return k, err
	}
	if err := json.Unmarshal([]byte(ups), &k.Upstreams); err != nil {
		return k, fmt.Errorf("token %s: bad upstream list: %w", k.ID, err)
	}
	var err error
	if k.CreatedAt, err = parseTime(created); err == nil {
		if k.ExpiresAt, err = parseTime(expires); err == nil {
			k.RevokedAt, err = parseTime(revoked)
		}
	}
	return k, err
}

func (t *tx) TokenByHash(hash []byte) (store.Token, error) {
	k, err := scanToken(t.queryRow(`SELECT `+tokenCols+` FROM tokens WHERE hash = ?`, hash))
	return k, notFound(err, "token")
}

func (t *tx) TokenByID(id string) (store.Token, error) {
	k, err := scanToken(t.queryRow(`SELECT `+tokenCols+` FROM tokens WHERE id = ?`, id))
	return k, notFound(err, "token "+id)
}

func (t *tx) ListTokens() ([]store.Token, error) {
	rows, err := t.query(`SELECT ` + tokenCols + ` FROM tokens ORDER BY created_at, id`)
	return scanAll(rows, err, scanToken)
}

func (t *tx) RevokeToken(id string, at time.Time) error {
	res, err := t.exec(`UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at = ''`, fmtTime(at), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := t.TokenByID(id); err != nil {
			return err
		}
	}
	return nil
}

const auditCols = `seq, at, type, actor, data, prev_hash, hash`

func scanAudit(row scanner) (store.AuditEntry, error) {
	var e store.AuditEntry
	var at string
	if err := row.Scan(&e.Seq, &at, &e.Type, &e.Actor, &e.Data, &e.PrevHash, &e.Hash); err != nil {
		return e, err
	}
	var err error
	e.Time, err = parseTime(at)
	return e, err
}

func (t *tx) LastAudit() (store.AuditEntry, bool, error) {
	e, err := scanAudit(t.queryRow(lastAudit))
	if errors.Is(err, sql.ErrNoRows) {
		return e, false, nil
	}
	return e, err == nil, err
}

// The audit chain's statements, run for every batch of entries.
var (
	insertAudit      = `INSERT INTO audit (` + auditCols + `) VALUES (?,?,?,?,?,?,?)`
	insertAuditChunk = `INSERT INTO audit (` + auditCols + `) VALUES ` + strings.Repeat(",(?,?,?,?,?,?,?)", auditChunk)[1:]
	lastAudit        = `SELECT ` + auditCols + ` FROM audit ORDER BY seq DESC LIMIT 1`
	setMeta          = `INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`

	hotStatements = []string{insertAudit, insertAuditChunk, lastAudit, setMeta}
)

// auditChunk is how many entries one INSERT of a large batch carries: a
// statement run per entry cost more in the driver than the insert itself.
const auditChunk = 32

// AppendAudit prepares its INSERTs once per call and runs them per chunk
// of entries, then per entry for the rest: parsing a statement costs more
// than running it, so the texts are fixed whatever the batch's size.
func (t *tx) AppendAudit(es ...store.AuditEntry) error {
	if len(es) == 0 {
		return nil
	}
	if len(es) >= auditChunk {
		stmt, err := t.stmt(insertAuditChunk)
		if err != nil {
			return err
		}
		defer stmt.Close()
		args := make([]any, 0, 7*auditChunk)
		for len(es) >= auditChunk {
			args = args[:0]
			for _, e := range es[:auditChunk] {
				args = append(args, e.Seq, fmtTime(e.Time), e.Type, e.Actor, e.Data, e.PrevHash, e.Hash)
			}
			if err := auditInserted(es[0], es[auditChunk-1], exec(stmt, t, args)); err != nil {
				return err
			}
			es = es[auditChunk:]
		}
		if len(es) == 0 {
			return nil
		}
	}
	stmt, err := t.stmt(insertAudit)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, e := range es {
		if err := auditInserted(e, e, exec(stmt, t, []any{e.Seq, fmtTime(e.Time), e.Type, e.Actor, e.Data, e.PrevHash, e.Hash})); err != nil {
			return err
		}
	}
	return nil
}

func exec(stmt *sql.Stmt, t *tx, args []any) error {
	_, err := stmt.ExecContext(t.ctx, args...)
	return err
}

// auditInserted names the entries an insert failed for.
func auditInserted(first, last store.AuditEntry, err error) error {
	if isUnique(err) {
		if first.Seq == last.Seq {
			return fmt.Errorf("audit entry %d: %w", first.Seq, store.ErrConflict)
		}
		return fmt.Errorf("audit entries %d-%d: %w", first.Seq, last.Seq, store.ErrConflict)
	}
	return err
}

func (t *tx) AuditEntries(afterSeq int64, limit int) ([]store.AuditEntry, error) {
	rows, err := t.query(`SELECT `+auditCols+` FROM audit WHERE seq > ? ORDER BY seq LIMIT ?`, afterSeq, limit)
	return scanAll(rows, err, scanAudit)
}

func (t *tx) AuditEntriesOfType(afterSeq, throughSeq int64, typePrefix string, limit int) ([]store.AuditEntry, error) {
	rows, err := t.query(`SELECT `+auditCols+` FROM audit WHERE seq > ? AND seq <= ? AND substr(type, 1, length(?)) = ? ORDER BY seq LIMIT ?`,
		afterSeq, throughSeq, typePrefix, typePrefix, limit)
	return scanAll(rows, err, scanAudit)
}

func (t *tx) Meta(key string) (string, bool, error) {
	var v string
	err := t.queryRow(`SELECT value FROM meta WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return v, err == nil, err
}

func (t *tx) SetMeta(key, value string) error {
	_, err := t.exec(setMeta, key, value)
	return err
}
