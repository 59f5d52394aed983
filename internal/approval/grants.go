package approval

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/audit"
	"github.com/chaperone/chaperone/internal/store"
)

// DefaultMaxGrant caps how long a grant may last when the config says
// nothing (approvals.max_grant).
const DefaultMaxGrant = time.Hour

var (
	// ErrGrantTooLong is a grant asked for longer than the configured cap.
	ErrGrantTooLong = errors.New("a grant may not last that long")
	// ErrGrantNeedsApproval is a grant asked on a vote that would not
	// approve the request by itself.
	ErrGrantNeedsApproval = errors.New("a grant is given with the vote that approves the request")
)

func (s *Service) maxGrant() time.Duration {
	if s.MaxGrant > 0 {
		return s.MaxGrant
	}
	return DefaultMaxGrant
}

// ApproveFor approves request id and, in the same transaction, grants its
// token a time-boxed elevation on its upstream: writes for d, and with
// destructive also destructive statements. The approver's second factor is
// checked by the caller, as for Approve. The vote must be the one that
// approves the request, so that a grant never outruns the approvals the
// request needs.
func (s *Service) ApproveFor(ctx context.Context, id, approver, comment string, d time.Duration, destructive bool) (store.Approval, store.Grant, error) {
	if d <= 0 {
		return store.Approval{}, store.Grant{}, fmt.Errorf("a grant needs a positive duration")
	}
	if d > s.maxGrant() {
		return store.Approval{}, store.Grant{}, fmt.Errorf("%w: %s asked, approvals.max_grant is %s", ErrGrantTooLong, d, s.maxGrant())
	}
	var g store.Grant
	a, err := s.voteWith(ctx, id, approver, true, comment, func(tx store.Tx, a store.Approval, now time.Time) error {
		if a.State != Approved {
			return fmt.Errorf("%w: %s still needs more approvals", ErrGrantNeedsApproval, id)
		}
		g = store.Grant{ID: newGrantID(), RequestID: a.ID, TokenID: a.TokenID, Upstream: a.Upstream, Env: a.Env,
			IncludeDestructive: destructive, GrantedBy: approver, CreatedAt: now, ExpiresAt: now.Add(d)}
		if err := tx.InsertGrant(g); err != nil {
			return err
		}
		_, err := audit.Append(tx, audit.Event{Type: audit.GrantCreated, Actor: approver, Data: grantSummary(g)}, now)
		return err
	})
	if err != nil {
		return a, store.Grant{}, err
	}
	s.changed("granted", a)
	return a, g, nil
}

// Covering returns the live grant that lets act through without a request
// of its own: writes under any grant, destructive statements under one
// that includes them. Nothing else is ever elevated.
func (s *Service) Covering(ctx context.Context, act action.Action) (store.Grant, bool, error) {
	if act.Requester == "" || act.Class != action.ClassWrite && act.Class != action.ClassDestructive {
		return store.Grant{}, false, nil
	}
	var gs []store.Grant
	err := s.Store.View(ctx, func(tx store.Tx) (err error) {
		gs, err = tx.ActiveGrants(act.Requester, act.Upstream, s.now())
		return err
	})
	for _, g := range gs {
		if act.Class == action.ClassWrite || g.IncludeDestructive {
			return g, true, err
		}
	}
	return store.Grant{}, false, err
}

// RevokeGrant ends a grant at once.
func (s *Service) RevokeGrant(ctx context.Context, id, actor string) error {
	now := s.now()
	err := s.Store.Update(ctx, func(tx store.Tx) error {
		g, err := tx.GrantByID(id)
		if err != nil {
			return err
		}
		ok, err := tx.RevokeGrant(id, now, actor)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("grant %s was already revoked: %w", id, store.ErrConflict)
		}
		g.RevokedAt, g.RevokedBy = now, actor
		_, err = audit.Append(tx, audit.Event{Type: audit.GrantRevoked, Actor: actor, Data: grantSummary(g)}, now)
		return err
	})
	if err == nil {
		s.changed("grant_revoked", store.Approval{})
	}
	return err
}

// Grants lists the newest grants.
func (s *Service) Grants(ctx context.Context, limit int) (gs []store.Grant, err error) {
	err = s.Store.View(ctx, func(tx store.Tx) error {
		gs, err = tx.ListGrants(limit)
		return err
	})
	return gs, err
}

// GrantView is a grant as the CLI (--json) and the console's API show it.
type GrantView struct {
	ID                 string     `json:"id"`
	Request            string     `json:"request"`
	Token              string     `json:"token"`
	Upstream           string     `json:"upstream"`
	Env                string     `json:"env"`
	IncludeDestructive bool       `json:"include_destructive"`
	Covers             string     `json:"covers"`
	GrantedBy          string     `json:"granted_by"`
	CreatedAt          time.Time  `json:"created_at"`
	ExpiresAt          time.Time  `json:"expires_at"`
	RevokedAt          *time.Time `json:"revoked_at"`
	RevokedBy          string     `json:"revoked_by,omitempty"`
	Status             string     `json:"status"`
	SecondsLeft        int64      `json:"seconds_left"`
}

// GrantViewOf is g as shown at now.
func GrantViewOf(g store.Grant, now time.Time) GrantView {
	v := GrantView{ID: g.ID, Request: g.RequestID, Token: g.TokenID, Upstream: g.Upstream, Env: g.Env,
		IncludeDestructive: g.IncludeDestructive, Covers: "writes", GrantedBy: g.GrantedBy, CreatedAt: g.CreatedAt,
		ExpiresAt: g.ExpiresAt, RevokedBy: g.RevokedBy, Status: GrantStatus(g, now)}
	if g.IncludeDestructive {
		v.Covers = "writes and destructive statements"
	}
	if !g.RevokedAt.IsZero() {
		v.RevokedAt = &g.RevokedAt
	}
	if v.Status == "active" {
		v.SecondsLeft = int64(g.ExpiresAt.Sub(now).Seconds())
	}
	return v
}

// GrantStatus is a grant's state at now: active, expired or revoked.
func GrantStatus(g store.Grant, now time.Time) string {
	switch {
	case !g.RevokedAt.IsZero():
		return "revoked"
	case !now.Before(g.ExpiresAt):
		return "expired"
	}
	return "active"
}

func grantSummary(g store.Grant) map[string]any {
	return map[string]any{"grant": g.ID, "request": g.RequestID, "token": g.TokenID, "upstream": g.Upstream, "env": g.Env,
		"include_destructive": g.IncludeDestructive, "expires_at": g.ExpiresAt.UTC().Format(time.RFC3339), "revoked_by": g.RevokedBy}
}

func newGrantID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return "grt_" + hex.EncodeToString(b)
}
