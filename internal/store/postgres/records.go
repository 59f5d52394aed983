package postgres

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/chaperone/chaperone/internal/store"
)

// Times are stored as RFC 3339 text in UTC with nanoseconds, exactly as the
// SQLite store keeps them: the audit chain hashes them, and a state moved
// between the drivers must read back the same.
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

// bytes keeps a nil slice from becoming NULL in a NOT NULL column.
func bytes(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

func notFound(err error, what string) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	return err
}

func isUnique(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

type scanner interface{ Scan(...any) error }

// scanAll reads every row of a query (given with the query's error) with scan.
func scanAll[T any](rows pgx.Rows, err error, scan func(scanner) (T, error)) ([]T, error) {
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

func scanTimes(dst []*time.Time, src []string) error {
	for i := range dst {
		var err error
		if *dst[i], err = parseTime(src[i]); err != nil {
			return err
		}
	}
	return nil
}

const tokenCols = `id, name, env, upstreams, scope, hash, scram, created_at, expires_at, revoked_at`

func (t *tx) InsertToken(k store.Token) error {
	ups, err := json.Marshal(k.Upstreams)
	if err != nil {
		return err
	}
	_, err = t.exec(`INSERT INTO tokens (`+tokenCols+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)`,
		k.ID, k.Name, k.Env, string(ups), k.Scope, bytes(k.Hash), k.SCRAM,
		fmtTime(k.CreatedAt), fmtTime(k.ExpiresAt), fmtTime(k.RevokedAt))
	if isUnique(err) {
		return fmt.Errorf("token %s: %w", k.ID, store.ErrConflict)
	}
	return err
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
	return k, scanTimes([]*time.Time{&k.CreatedAt, &k.ExpiresAt, &k.RevokedAt}, []string{created, expires, revoked})
}

func (t *tx) TokenByHash(hash []byte) (store.Token, error) {
	k, err := scanToken(t.queryRow(`SELECT `+tokenCols+` FROM tokens WHERE hash = $1`, bytes(hash)))
	return k, notFound(err, "token")
}

func (t *tx) TokenByID(id string) (store.Token, error) {
	k, err := scanToken(t.queryRow(`SELECT `+tokenCols+` FROM tokens WHERE id = $1`, id))
	return k, notFound(err, "token "+id)
}

func (t *tx) ListTokens() ([]store.Token, error) {
	rows, err := t.query(`SELECT ` + tokenCols + ` FROM tokens ORDER BY created_at, id`)
	return scanAll(rows, err, scanToken)
}

func (t *tx) RevokeToken(id string, at time.Time) error {
	tag, err := t.exec(`UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at = ''`, fmtTime(at), id)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
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
	e, err := scanAudit(t.queryRow(`SELECT ` + auditCols + ` FROM audit ORDER BY seq DESC LIMIT 1`))
	if errors.Is(err, pgx.ErrNoRows) {
		return e, false, nil
	}
	return e, err == nil, err
}

// auditRowsPerInsert bounds one multi-row INSERT (PostgreSQL allows 65535
// parameters; seven a row).
const auditRowsPerInsert = 1024

// AuditNotifyChannel is notified, on commit, of every transaction that
// appended to the audit log, with the last sequence number as payload, so
// other instances' followers need not wait for their next poll.
const AuditNotifyChannel = "chaperone_audit"

func (t *tx) AppendAudit(es ...store.AuditEntry) error {
	if len(es) == 0 {
		return nil
	}
	last := es[len(es)-1].Seq
	for len(es) > 0 {
		n := min(len(es), auditRowsPerInsert)
		var q strings.Builder
		q.WriteString(`INSERT INTO audit (` + auditCols + `) VALUES `)
		args := make([]any, 0, 7*n)
		for i, e := range es[:n] {
			if i > 0 {
				q.WriteByte(',')
			}
			fmt.Fprintf(&q, "($%d,$%d,$%d,$%d,$%d,$%d,$%d)", 7*i+1, 7*i+2, 7*i+3, 7*i+4, 7*i+5, 7*i+6, 7*i+7)
			args = append(args, e.Seq, fmtTime(e.Time), e.Type, e.Actor, bytes(e.Data), e.PrevHash, e.Hash)
		}
		if _, err := t.exec(q.String(), args...); err != nil {
			if isUnique(err) {
				return fmt.Errorf("audit entries from %d: %w", es[0].Seq, store.ErrConflict)
			}
			return err
		}
		es = es[n:]
	}
	_, err := t.exec(`SELECT pg_notify($1, $2)`, AuditNotifyChannel, fmt.Sprint(last))
	return err
}

func (t *tx) AuditEntries(afterSeq int64, limit int) ([]store.AuditEntry, error) {
	rows, err := t.query(`SELECT `+auditCols+` FROM audit WHERE seq > $1 ORDER BY seq LIMIT $2`, afterSeq, limit)
	return scanAll(rows, err, scanAudit)
}

func (t *tx) AuditEntriesOfType(afterSeq, throughSeq int64, typePrefix string, limit int) ([]store.AuditEntry, error) {
	rows, err := t.query(`SELECT `+auditCols+` FROM audit WHERE seq > $1 AND seq <= $2 AND substr(type, 1, length($3)) = $3 ORDER BY seq LIMIT $4`,
		afterSeq, throughSeq, typePrefix, limit)
	return scanAll(rows, err, scanAudit)
}

func (t *tx) Meta(key string) (string, bool, error) {
	var v string
	err := t.queryRow(`SELECT value FROM meta WHERE key = $1`, key).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	}
	return v, err == nil, err
}

func (t *tx) SetMeta(key, value string) error {
	_, err := t.exec(`INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	return err
}
