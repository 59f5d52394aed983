// Package approval runs the lifecycle of actions held for humans: a held
// action becomes a request bound to the token, upstream and exact text that
// asked; humans approve or deny it; the same token sending the same text
// after approval runs it exactly once. Every transition is audited, and every
// state change is a compare-and-set, so two approvers or two retries racing
// can never both win.
package approval

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/audit"
	"github.com/chaperone/chaperone/internal/store"
)

// Request states.
const (
	Pending  = "pending"
	Approved = "approved"
	Denied   = "denied"
	Expired  = "expired"
	Consumed = "consumed"
	// Reserved: an approved request whose statement is running; it becomes
	// consumed when that statement's transaction commits, approved again
	// when it rolls back or fails, so a retry can use it.
	Reserved = "reserved"
)

// DefaultTTL is how long a request waits for humans, and how long an approval
// waits to be used.
const DefaultTTL = 15 * time.Minute

var (
	ErrNotPending = errors.New("request is not pending")
	ErrSelf       = errors.New("the requester cannot approve its own request")
)

// Service holds, decides and consumes requests.
type Service struct {
	Store store.Store
	TTL   time.Duration
	Now   func() time.Time
	// Secrets seals approvers' TOTP secrets at rest (secret.Box); adding
	// an approver or checking a code needs it.
	Secrets Sealer
	// Changed, when set, is told of every request created ("requested"),
	// voted on ("voted", still pending), decided ("approved", "denied") or
	// consumed ("consumed"), after the change is committed. It must not
	// block: the gateway waits for it.
	Changed func(event string, a store.Approval)
	// MaxGrant caps how long a grant may last (approvals.max_grant).
	MaxGrant time.Duration
}

func (s *Service) changed(event string, a store.Approval) {
	if s.Changed != nil {
		s.Changed(event, a)
	}
}

// Sealer encrypts values bound to a name; secret.Box is one.
type Sealer interface {
	Seal(name, plaintext string) (string, error)
	Open(name, sealed string) (string, error)
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) ttl() time.Duration {
	if s.TTL > 0 {
		return s.TTL
	}
	return DefaultTTL
}

// Hold is one held action as the gateway sees it.
type Hold struct {
	Action   action.Action
	Decision action.Decision
	TokenID  string
	// Impact estimates what the action would touch; it is asked only when a
	// new request is created, since it may query the upstream.
	Impact func() string
	// Key, when set, is what the request binds to instead of the action's
	// exact text: a canonical form under which texts that mean the same
	// are one request.
	Key string
}

// Check looks for the request bound to h. It returns an approved request
// ready to be consumed (run is true), or the request to report: an existing
// pending or denied one, or a new one it creates.
func (s *Service) Check(ctx context.Context, h Hold) (req store.Approval, run bool, err error) {
	key := h.Action.Text
	if h.Key != "" {
		key = h.Key
	}
	sum := sha256.Sum256([]byte(key))
	now := s.now()
	// The impact estimate may query the upstream: work it out before the
	// write transaction, and only when a new request is likely.
	impact := ""
	if h.Impact != nil {
		live := false
		err := s.Store.View(ctx, func(tx store.Tx) error {
			found, err := tx.FindApprovals(h.TokenID, h.Action.Upstream, sum[:])
			for _, a := range found {
				live = live || a.State == Denied || a.State == Reserved || ((a.State == Pending || a.State == Approved) && now.Before(a.ExpiresAt))
			}
			return err
		})
		if err != nil {
			return req, false, err
		}
		if !live {
			impact = h.Impact()
		}
	}
	created := false
	err = s.Store.Update(ctx, func(tx store.Tx) error {
		created = false
		found, err := tx.FindApprovals(h.TokenID, h.Action.Upstream, sum[:])
		if err != nil {
			return err
		}
		for _, a := range found {
			if was := action.Class(a.Class).Severity(); a.State == Approved && was < h.Action.Class.Severity() ||
				a.State == Pending && was != h.Action.Class.Severity() {
				// The same text does more now than what was shown (a write
				// approved for its few rows reaches every row now): that
				// approval does not cover it, and it is asked for anew; a
				// request for what it did another time is another request.
				continue
			}
			switch a.State {
			case Pending, Approved:
				if !now.Before(a.ExpiresAt) {
					if err := s.transition(tx, a, Expired, "system", "", now); err != nil {
						return err
					}
					continue
				}
				req, run = a, a.State == Approved
				return nil
			case Denied:
				req = a // final: the same text stays denied, with its reason
				return nil
			case Reserved:
				if !now.Before(a.ExpiresAt) {
					// Held past its time by a session that never settled it
					// (its gateway stopped): it ran or not, it is spent.
					if err := s.transition(tx, a, Expired, "system", "", now); err != nil {
						return err
					}
					continue
				}
				req = a // running elsewhere: not a new request, and not twice at once
				return nil
			}
		}
		req = store.Approval{
			ID: newID(), CreatedAt: now, ExpiresAt: now.Add(s.ttl()), State: Pending,
			TokenID: h.TokenID, Env: h.Action.Env, Upstream: h.Action.Upstream, Kind: string(h.Action.Kind),
			Text: h.Action.Text, TextHash: sum[:], Class: string(h.Action.Class), Rule: h.Decision.Rule,
			Reason: h.Decision.Reason, Required: max(h.Decision.Approvals, 1), Impact: impact,
		}
		if err := tx.InsertApproval(req); err != nil {
			return err
		}
		created = true
		_, err = audit.Append(tx, audit.Event{Type: audit.ApprovalRequested, Actor: "token:" + h.TokenID, Data: summary(req)}, now)
		return err
	})
	if err == nil && created {
		s.changed("requested", req)
	}
	return req, run, err
}

// Consume spends an approved request, once: of several racing callers,
// exactly one gets true.
func (s *Service) Consume(ctx context.Context, id, actor string) (bool, error) {
	return s.take(ctx, id, actor, Consumed)
}

// Reserve marks an approved request as running, once: of several racing
// callers exactly one gets true. Settle then ends the reservation by what
// the statement's transaction did.
func (s *Service) Reserve(ctx context.Context, id, actor string) (bool, error) {
	return s.take(ctx, id, actor, Reserved)
}

// take moves an approved, unexpired request whose token is still good to
// state to.
func (s *Service) take(ctx context.Context, id, actor, to string) (bool, error) {
	var ok bool
	var taken store.Approval
	err := s.Store.Update(ctx, func(tx store.Tx) error {
		a, err := tx.ApprovalByID(id)
		if err != nil {
			return err
		}
		if a.State != Approved || !s.now().Before(a.ExpiresAt) {
			return nil
		}
		// An approval is spent only by the token it was granted to while
		// that token is still good: revoking a token voids its approvals.
		k, err := tx.TokenByID(a.TokenID)
		if err != nil || !k.RevokedAt.IsZero() || !k.ExpiresAt.IsZero() && !s.now().Before(k.ExpiresAt) {
			return nil
		}
		if ok, err = tx.SetApprovalState(id, Approved, to, s.now(), ""); err != nil || !ok {
			return err
		}
		taken = a
		taken.State = to
		event := audit.ApprovalConsumed
		if to == Reserved {
			event = audit.ApprovalReserved
		}
		_, err = audit.Append(tx, audit.Event{Type: event, Actor: actor, Data: summary(taken)}, s.now())
		return err
	})
	if err == nil && ok {
		s.changed(to, taken)
	}
	return ok, err
}

// Settle ends a reservation: when the statement's transaction committed
// the request is consumed; otherwise it is approved again (or expired, if
// its time ran out meanwhile), so that a retry can use it.
func (s *Service) Settle(ctx context.Context, id, actor string, committed bool) error {
	var settled store.Approval
	err := s.Store.Update(ctx, func(tx store.Tx) error {
		a, err := tx.ApprovalByID(id)
		if err != nil {
			return err
		}
		if a.State != Reserved {
			return fmt.Errorf("request %s is %s, not reserved: %w", id, a.State, store.ErrConflict)
		}
		to, event := Consumed, audit.ApprovalConsumed
		switch {
		case !committed && s.now().Before(a.ExpiresAt):
			to, event = Approved, audit.ApprovalReleased
		case !committed:
			to, event = Expired, audit.ApprovalExpired
		}
		ok, err := tx.SetApprovalState(id, Reserved, to, s.now(), "")
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("request %s changed while it was settled: %w", id, store.ErrConflict)
		}
		settled = a
		settled.State = to
		_, err = audit.Append(tx, audit.Event{Type: event, Actor: actor, Data: summary(settled)}, s.now())
		return err
	})
	if err == nil {
		s.changed(settled.State, settled)
	}
	return err
}

// Approve records one human's approval; the request is approved once enough
// distinct humans have approved it. It returns the request as it now stands.
func (s *Service) Approve(ctx context.Context, id, approver, comment string) (store.Approval, error) {
	return s.vote(ctx, id, approver, true, comment)
}

// Deny denies a request for good; the reason reaches the client on retry.
func (s *Service) Deny(ctx context.Context, id, approver, reason string) (store.Approval, error) {
	return s.vote(ctx, id, approver, false, reason)
}

func (s *Service) vote(ctx context.Context, id, approver string, approve bool, comment string) (store.Approval, error) {
	out, err := s.voteWith(ctx, id, approver, approve, comment, nil)
	if err == nil {
		event := out.State
		if event == Pending {
			event = "voted"
		}
		s.changed(event, out)
	}
	return out, err
}

// voteWith records a vote and, in the same transaction, runs also (when
// set) on the request as the vote left it; an error from also undoes the
// vote.
func (s *Service) voteWith(ctx context.Context, id, approver string, approve bool, comment string,
	also func(tx store.Tx, a store.Approval, now time.Time) error) (store.Approval, error) {
	var out store.Approval
	now := s.now()
	err := s.Store.Update(ctx, func(tx store.Tx) error {
		a, err := tx.ApprovalByID(id)
		if err != nil {
			return err
		}
		if a.State == Pending && !now.Before(a.ExpiresAt) {
			if err := s.transition(tx, a, Expired, "system", "", now); err != nil {
				return err
			}
			a.State = Expired
		}
		if a.State != Pending {
			return fmt.Errorf("%w: %s is %s", ErrNotPending, id, a.State)
		}
		if "token:"+a.TokenID == approver {
			return ErrSelf
		}
		if err := tx.AddVote(store.Vote{ApprovalID: id, Approver: approver, Approve: approve, Comment: comment, At: now}); err != nil {
			return err
		}
		ev := map[string]any{"request": id, "approve": approve, "comment": comment}
		if _, err := audit.Append(tx, audit.Event{Type: audit.ApprovalVoted, Actor: approver, Data: ev}, now); err != nil {
			return err
		}
		if !approve {
			if err := s.transition(tx, a, Denied, approver, comment, now); err != nil {
				return err
			}
		} else {
			votes, err := tx.Votes(id)
			if err != nil {
				return err
			}
			yes := 0
			for _, v := range votes {
				if v.Approve {
					yes++
				}
			}
			if yes >= a.Required {
				if err := s.transition(tx, a, Approved, approver, "", now); err != nil {
					return err
				}
			}
		}
		if out, err = tx.ApprovalByID(id); err != nil || also == nil {
			return err
		}
		return also(tx, out, now)
	})
	return out, err
}

// transition moves a request on and audits it; losing the compare-and-set
// means someone else moved it first, which the caller reports as a conflict.
func (s *Service) transition(tx store.Tx, a store.Approval, to, actor, reason string, now time.Time) error {
	ok, err := tx.SetApprovalState(a.ID, a.State, to, now, reason)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("request %s changed while it was being decided: %w", a.ID, store.ErrConflict)
	}
	a.State, a.DenyReason = to, reason
	_, err = audit.Append(tx, audit.Event{Type: audit.ApprovalPrefix + to, Actor: actor, Data: summary(a)}, now)
	return err
}

// Get returns one request with its votes.
func (s *Service) Get(ctx context.Context, id string) (a store.Approval, votes []store.Vote, err error) {
	err = s.Store.View(ctx, func(tx store.Tx) error {
		if a, err = tx.ApprovalByID(id); err != nil {
			return err
		}
		votes, err = tx.Votes(id)
		return err
	})
	return a, votes, err
}

// List returns requests in a state (all when empty), newest first.
func (s *Service) List(ctx context.Context, state string, limit int) (list []store.Approval, err error) {
	err = s.Store.View(ctx, func(tx store.Tx) error {
		list, err = tx.ListApprovals(state, limit)
		return err
	})
	now := s.now()
	for i := range list {
		if list[i].State == Pending && !now.Before(list[i].ExpiresAt) {
			list[i].State = Expired // not yet swept; shown as it is
		}
	}
	return list, err
}

// summary is what the audit log keeps about a request: never the text
// itself, which may carry data, only enough to find it.
func summary(a store.Approval) map[string]any {
	return map[string]any{"request": a.ID, "state": a.State, "token": a.TokenID, "env": a.Env, "upstream": a.Upstream,
		"class": a.Class, "rule": a.Rule, "text_sha256": hex.EncodeToString(a.TextHash), "required": a.Required,
		"deny_reason": a.DenyReason}
}

func newID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return "apr_" + hex.EncodeToString(b)
}
