package postgres

import (
	"fmt"
	"time"

	"github.com/chaperone/chaperone/internal/store"
)

const grantCols = `id, request_id, token_id, upstream, env, include_destructive, granted_by, created_at, expires_at, revoked_at, revoked_by`

func (t *tx) InsertGrant(g store.Grant) error {
	_, err := t.exec(`INSERT INTO grants (`+grantCols+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)`,
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
	return g, scanTimes([]*time.Time{&g.CreatedAt, &g.ExpiresAt, &g.RevokedAt}, []string{created, expires, revoked})
}

func (t *tx) GrantByID(id string) (store.Grant, error) {
	g, err := scanGrant(t.queryRow(`SELECT `+grantCols+` FROM grants WHERE id = $1`, id))
	return g, notFound(err, "grant "+id)
}

// ActiveGrants compares expiry in Go, as the SQLite store does: stored times
// are RFC 3339 text, whose order is not time's when fractions differ in length.
func (t *tx) ActiveGrants(tokenID, upstream string, at time.Time) ([]store.Grant, error) {
	rows, err := t.query(`SELECT `+grantCols+` FROM grants WHERE token_id = $1 AND upstream = $2 AND revoked_at = ''
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
	rows, err := t.query(`SELECT `+grantCols+` FROM grants ORDER BY created_at DESC, id DESC LIMIT $1`, limit)
	return scanAll(rows, err, scanGrant)
}

func (t *tx) RevokeGrant(id string, at time.Time, by string) (bool, error) {
	tag, err := t.exec(`UPDATE grants SET revoked_at = $1, revoked_by = $2 WHERE id = $3 AND revoked_at = ''`, fmtTime(at), by, id)
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() == 1, nil
}
