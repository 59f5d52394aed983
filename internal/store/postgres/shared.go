package postgres

import (
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chaperone/chaperone/internal/store"
)

// fixedTime formats times compared in SQL at one width, so that text order
// is time order (RFC 3339 with trimmed fractions is not).
func fixedTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }

func (t *tx) PutConsoleSession(s store.ConsoleSession) error {
	_, err := t.exec(`INSERT INTO console_sessions (id_hash, approver, csrf, created_at, last_seen) VALUES ($1,$2,$3,$4,$5)`,
		bytes(s.IDHash), s.Approver, s.CSRF, fixedTime(s.CreatedAt), fixedTime(s.LastSeen))
	if isUnique(err) {
		return fmt.Errorf("console session: %w", store.ErrConflict)
	}
	return err
}

func (t *tx) ConsoleSession(idHash []byte) (store.ConsoleSession, error) {
	var s store.ConsoleSession
	var created, seen string
	err := t.queryRow(`SELECT id_hash, approver, csrf, created_at, last_seen FROM console_sessions WHERE id_hash = $1`, bytes(idHash)).
		Scan(&s.IDHash, &s.Approver, &s.CSRF, &created, &seen)
	if err != nil {
		return s, notFound(err, "console session")
	}
	if s.CreatedAt, err = parseTime(created); err == nil {
		s.LastSeen, err = parseTime(seen)
	}
	return s, err
}

func (t *tx) TouchConsoleSession(idHash []byte, at time.Time) error {
	tag, err := t.exec(`UPDATE console_sessions SET last_seen = $1 WHERE id_hash = $2`, fixedTime(at), bytes(idHash))
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return notFound(pgx.ErrNoRows, "console session")
	}
	return nil
}

func (t *tx) DeleteConsoleSession(idHash []byte) error {
	_, err := t.exec(`DELETE FROM console_sessions WHERE id_hash = $1`, bytes(idHash))
	return err
}

func (t *tx) DeleteConsoleSessions(idleBefore, createdBefore time.Time) error {
	_, err := t.exec(`DELETE FROM console_sessions WHERE last_seen < $1 OR created_at < $2`, fixedTime(idleBefore), fixedTime(createdBefore))
	return err
}

func (t *tx) PutCancelKey(k store.CancelKey) error {
	_, err := t.exec(`INSERT INTO cancel_keys (pid, secret_hash, host, port, upstream_pid, upstream_secret, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7)`,
		int64(k.PID), bytes(k.SecretHash), k.Host, int64(k.Port), int64(k.UpstreamPID), bytes(k.UpstreamSecret), fixedTime(k.CreatedAt))
	if isUnique(err) {
		return fmt.Errorf("cancel key %d: %w", k.PID, store.ErrConflict)
	}
	return err
}

func (t *tx) CancelKey(pid uint32) (store.CancelKey, error) {
	var k store.CancelKey
	var p, port, upid int64
	var created string
	err := t.queryRow(`SELECT pid, secret_hash, host, port, upstream_pid, upstream_secret, created_at FROM cancel_keys WHERE pid = $1`, int64(pid)).
		Scan(&p, &k.SecretHash, &k.Host, &port, &upid, &k.UpstreamSecret, &created)
	if err != nil {
		return k, notFound(err, "cancel key")
	}
	k.PID, k.Port, k.UpstreamPID = uint32(p), uint16(port), uint32(upid)
	k.CreatedAt, err = parseTime(created)
	return k, err
}

func (t *tx) DeleteCancelKey(pid uint32) error {
	_, err := t.exec(`DELETE FROM cancel_keys WHERE pid = $1`, int64(pid))
	return err
}

func (t *tx) DeleteCancelKeys(createdBefore time.Time) error {
	_, err := t.exec(`DELETE FROM cancel_keys WHERE created_at < $1`, fixedTime(createdBefore))
	return err
}
