package sqlite

import (
	"fmt"
	"time"

	"github.com/chaperone/chaperone/internal/store"
)

const grantCols = `id, request_id, token_id, upstream, env, include_destructive, granted_by, created_at, expires_at, revoked_at, revoked_by`

func (t *tx) InsertGrant(g store.Grant) error {
	_, err := t.exec(`INSERT INTO grants (`+grantCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?)`,
		g.ID, g.RequestID, g.TokenID, g.Upstream, g.Env, g.IncludeDestructive, g.GrantedBy,
		fmtTime(g.CreatedAt), fmtTime(g.ExpiresAt), fmtTime(g.RevokedAt), g.RevokedBy)
	if isUnique(err) {
		return fmt.Errorf("grant %s: %w", g.ID, store.ErrConflict)
	}
	return err
}

func scanGrant(row scanner) (store.Grant, error) {
	var g store.Grant
	var created, expires, revoked string
	err := row.Scan(&g.ID, &g.RequestID, &g.TokenID, &g.Upstream, &g.Env, &g.IncludeDestructive, &g.GrantedBy,
		&created, &expires, &revoked, &g.RevokedBy)
	if err != nil {
		return g, err
	}
	for _, f := range []struct {
		dst *time.Time
		src string
	}{{&g.CreatedAt, created}, {&g.ExpiresAt, expires}, {&g.RevokedAt, revoked}} {
		if *f.dst, err = parseTime(f.src); err != nil {
			return g, err
		}
	}
	return g, nil
}

func (t *tx) GrantByID(id string) (store.Grant, error) {
	g, err := scanGrant(t.queryRow(`SELECT `+grantCols+` FROM grants WHERE id = ?`, id))
	return g, notFound(err, "grant "+id)
}

// ActiveGrants compares expiry in Go: stored times are RFC 3339 text, whose
// order is not time's when fractions differ in length.
func (t *tx) ActiveGrants(tokenID, upstream string, at time.Time) ([]store.Grant, error) {
	rows, err := t.query(`SELECT `+grantCols+` FROM grants WHERE token_id = ? AND upstream = ? AND revoked_at = ''
		ORDER BY created_at DESC, id DESC`, tokenID, upstream)
	all, err := scanAll(rows, err, scanGrant)
	active := all[:0]
	for _, g := range all {
		if at.Before(g.ExpiresAt) {
			active = append(active, g)
		}
	}
	return active, err
}

func (t *tx) ListGrants(limit int) ([]store.Grant, error) {
	rows, err := t.query(`SELECT `+grantCols+` FROM grants ORDER BY created_at DESC, id DESC LIMIT ?`, limit)
	return scanAll(rows, err, scanGrant)
}

func (t *tx) RevokeGrant(id string, at time.Time, by string) (bool, error) {
	res, err := t.exec(`UPDATE grants SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at = ''`, fmtTime(at), by, id)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}
