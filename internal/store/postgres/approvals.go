package postgres

import (
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chaperone/chaperone/internal/store"
)

const approvalCols = `id, created_at, expires_at, state, token_id, env, upstream, kind, text, text_hash,
	class, rule, reason, required, impact, decided_at, deny_reason, consumed_at, snapshot`

const approverCols = `name, password, created_at, totp_secret, totp_last_step, failures, locked_until`

func (t *tx) InsertApproval(a store.Approval) error {
	_, err := t.exec(`INSERT INTO approvals (`+approvalCols+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19)`,
		a.ID, fmtTime(a.CreatedAt), fmtTime(a.ExpiresAt), a.State, a.TokenID, a.Env, a.Upstream, a.Kind, a.Text, bytes(a.TextHash),
		a.Class, a.Rule, a.Reason, a.Required, a.Impact, fmtTime(a.DecidedAt), a.DenyReason, fmtTime(a.ConsumedAt), a.Snapshot)
	if isUnique(err) {
		return fmt.Errorf("approval request %s: %w", a.ID, store.ErrConflict)
	}
	return err
}

func scanApproval(row scanner) (store.Approval, error) {
	var a store.Approval
	var created, expires, decided, consumed string
	err := row.Scan(&a.ID, &created, &expires, &a.State, &a.TokenID, &a.Env, &a.Upstream, &a.Kind, &a.Text, &a.TextHash,
		&a.Class, &a.Rule, &a.Reason, &a.Required, &a.Impact, &decided, &a.DenyReason, &consumed, &a.Snapshot)
	if err != nil {
		return a, err
	}
	return a, scanTimes([]*time.Time{&a.CreatedAt, &a.ExpiresAt, &a.DecidedAt, &a.ConsumedAt}, []string{created, expires, decided, consumed})
}

func (t *tx) ApprovalByID(id string) (store.Approval, error) {
	a, err := scanApproval(t.queryRow(`SELECT `+approvalCols+` FROM approvals WHERE id = $1`, id))
	return a, notFound(err, "approval request "+id)
}

func (t *tx) FindApprovals(tokenID, upstream string, textHash []byte) ([]store.Approval, error) {
	rows, err := t.query(`SELECT `+approvalCols+` FROM approvals WHERE token_id = $1 AND upstream = $2 AND text_hash = $3
		ORDER BY created_at DESC, id DESC`, tokenID, upstream, bytes(textHash))
	return scanAll(rows, err, scanApproval)
}

func (t *tx) ListApprovals(state string, limit int) ([]store.Approval, error) {
	rows, err := t.query(`SELECT `+approvalCols+` FROM approvals WHERE $1 = '' OR state = $1
		ORDER BY created_at DESC, id DESC LIMIT $2`, state, limit)
	return scanAll(rows, err, scanApproval)
}

// SetApprovalState is one conditional UPDATE: the row's state is compared
// and changed by the database under the row's lock, so of two instances
// racing to move (or to consume) one request exactly one sees a row
// affected, whatever else serialises their transactions.
func (t *tx) SetApprovalState(id, from, to string, at time.Time, denyReason string) (bool, error) {
	var err error
	var n int64
	if to == "consumed" {
		tag, e := t.exec(`UPDATE approvals SET state = $1, consumed_at = $2 WHERE id = $3 AND state = $4`, to, fmtTime(at), id, from)
		n, err = tag.RowsAffected(), e
	} else {
		tag, e := t.exec(`UPDATE approvals SET state = $1, decided_at = $2, deny_reason = $3 WHERE id = $4 AND state = $5`,
			to, fmtTime(at), denyReason, id, from)
		n, err = tag.RowsAffected(), e
	}
	if err != nil {
		return false, err
	}
	return n == 1, nil
}

func (t *tx) AddVote(v store.Vote) error {
	_, err := t.exec(`INSERT INTO approval_votes (approval_id, approver, approve, comment, at) VALUES ($1,$2,$3,$4,$5)`,
		v.ApprovalID, v.Approver, v.Approve, v.Comment, fmtTime(v.At))
	if isUnique(err) {
		return fmt.Errorf("%s has already voted on %s: %w", v.Approver, v.ApprovalID, store.ErrConflict)
	}
	return err
}

func (t *tx) Votes(approvalID string) ([]store.Vote, error) {
	rows, err := t.query(`SELECT approval_id, approver, approve, comment, at FROM approval_votes WHERE approval_id = $1 ORDER BY at, approver`, approvalID)
	return scanAll(rows, err, func(row scanner) (store.Vote, error) {
		var v store.Vote
		var at string
		if err := row.Scan(&v.ApprovalID, &v.Approver, &v.Approve, &v.Comment, &at); err != nil {
			return v, err
		}
		var err error
		v.At, err = parseTime(at)
		return v, err
	})
}

func (t *tx) InsertApprover(a store.Approver) error {
	_, err := t.exec(`INSERT INTO approvers (`+approverCols+`) VALUES ($1,$2,$3,$4,$5,$6,$7)`,
		a.Name, a.Password, fmtTime(a.CreatedAt), a.TOTPSecret, a.TOTPLastStep, a.Failures, fmtTime(a.LockedUntil))
	if isUnique(err) {
		return fmt.Errorf("approver %s: %w", a.Name, store.ErrConflict)
	}
	return err
}

func scanApprover(row scanner) (store.Approver, error) {
	var a store.Approver
	var created, locked string
	if err := row.Scan(&a.Name, &a.Password, &created, &a.TOTPSecret, &a.TOTPLastStep, &a.Failures, &locked); err != nil {
		return a, err
	}
	return a, scanTimes([]*time.Time{&a.CreatedAt, &a.LockedUntil}, []string{created, locked})
}

func (t *tx) ApproverByName(name string) (store.Approver, error) {
	a, err := scanApprover(t.queryRow(`SELECT `+approverCols+` FROM approvers WHERE name = $1`, name))
	return a, notFound(err, "approver "+name)
}

func (t *tx) ListApprovers() ([]store.Approver, error) {
	rows, err := t.query(`SELECT ` + approverCols + ` FROM approvers ORDER BY name`)
	return scanAll(rows, err, scanApprover)
}

func (t *tx) DeleteApprover(name string) error {
	// Their passkeys go with them, so that an approver added again under
	// the same name inherits nothing.
	if _, err := t.exec(`DELETE FROM approver_passkeys WHERE approver = $1`, name); err != nil {
		return err
	}
	tag, err := t.exec(`DELETE FROM approvers WHERE name = $1`, name)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return notFound(pgx.ErrNoRows, "approver "+name)
	}
	return nil
}

func (t *tx) SetApproverFactor(name string, lastStep int64, failures int, lockedUntil time.Time) error {
	tag, err := t.exec(`UPDATE approvers SET totp_last_step = $1, failures = $2, locked_until = $3 WHERE name = $4`,
		lastStep, failures, fmtTime(lockedUntil), name)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return notFound(pgx.ErrNoRows, "approver "+name)
	}
	return nil
}

func (t *tx) PutPasskey(p store.Passkey) error {
	_, err := t.exec(`INSERT INTO approver_passkeys (id, approver, data, created_at) VALUES ($1,$2,$3,$4)
		ON CONFLICT (id) DO UPDATE SET data = excluded.data WHERE approver_passkeys.approver = excluded.approver`,
		bytes(p.ID), p.Approver, p.Data, fmtTime(p.CreatedAt))
	return err
}

func (t *tx) Passkeys(approver string) ([]store.Passkey, error) {
	rows, err := t.query(`SELECT id, approver, data, created_at FROM approver_passkeys WHERE approver = $1 ORDER BY created_at`, approver)
	return scanAll(rows, err, func(row scanner) (store.Passkey, error) {
		var p store.Passkey
		var created string
		if err := row.Scan(&p.ID, &p.Approver, &p.Data, &created); err != nil {
			return p, err
		}
		var err error
		p.CreatedAt, err = parseTime(created)
		return p, err
	})
}

func (t *tx) SetApprovalSnapshot(id, snapshot string) error {
	tag, err := t.exec(`UPDATE approvals SET snapshot = $1 WHERE id = $2`, snapshot, id)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return notFound(pgx.ErrNoRows, "approval request "+id)
	}
	return nil
}
