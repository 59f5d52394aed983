package pg

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/backup"
	"github.com/chaperone/chaperone/internal/gate"
	"github.com/chaperone/chaperone/internal/store"
)

// gate asks the one gate about a statement and forwards it, or forges the
// refusal the gate's outcome calls for.
func (s *session) gate(ctx context.Context, typ byte, body []byte, name, text string, wellFormed bool) error {
	if !wellFormed {
		return s.forge(typ, name, pgError(CodeDenied, "Chaperone refused a malformed message (a NUL inside the statement text)", "", ""))
	}
	act, res := s.g.cache.classify(text)
	act.Env, act.Upstream, act.Requester, act.Scope = s.upstream.Env, s.upstream.Name, s.tok.ID, s.tok.Scope
	for _, x := range res.Executed {
		if s.spent[x] {
			// An approval ran this prepared statement once; running it again
			// is a new action that needs its own.
			act.AddReason(action.Reason{ID: "sql.execute-approved", Class: action.ClassDestructive,
				Message: "EXECUTE " + x + " runs a statement whose approval has been used"})
		}
	}
	o := s.g.Gate.Decide(ctx, gate.Request{Entry: gate.EntryPG, Source: "pg:" + s.upstream.Name, Action: act,
		Impact:   func(ctx context.Context) string { return s.g.impact(ctx, s.upstream, act) },
		Snapshot: s.snapshot(act)})
	if o.Verdict == gate.Forward {
		s.allowed(typ, name, res.Prepared, o.Approved)
		s.executed(res.Executed)
		return writeRaw(s.uw, typ, body)
	}
	return s.forge(typ, name, s.refusal(o))
}

// refusal is the error a client sees for an outcome that forwards nothing.
func (s *session) refusal(o gate.Outcome) *pgproto3.ErrorResponse {
	d, req := o.Decision, o.Request
	switch o.Verdict {
	case gate.Refused:
		msg := fmt.Sprintf("Chaperone denied this statement [%s]: %s", d.Rule, d.Reason)
		if m := o.Misplaced(); m != "" {
			msg += ": " + m
		}
		return pgError(CodeDenied, msg, findings(o.Action), "")
	case gate.HumanDenied:
		return pgError(CodeHumanDenied, fmt.Sprintf("Chaperone: request %s was denied: %s", req.ID, orNone(req.DenyReason)), findings(o.Action), "")
	case gate.Held:
		return pgError(CodeHeld, fmt.Sprintf("Chaperone held this statement for approval: request %s [%s] %s", req.ID, d.Rule, d.Reason),
			findings(o.Action), s.hint(req.ID))
	}
	switch o.Cause {
	case gate.CauseSnapshot:
		return pgError(CodeHookFailed, o.Message, "", "the approval stays valid; try again")
	case gate.CauseSpent:
		return pgError(CodeHeld, o.Message, "", "send the statement again to ask for a new approval")
	}
	return pgError(CodeUndecidable, o.Message, "", "try again shortly")
}

// snapshot offers the gate a copy of what act touches, taken with
// Chaperone's own credential before an approved destructive statement.
func (s *session) snapshot(act action.Action) func(context.Context, store.Approval) (gate.Snapshot, error) {
	if s.g.Backups == nil {
		return nil
	}
	return func(ctx context.Context, req store.Approval) (gate.Snapshot, error) {
		m, bs, err := s.g.Backups.Take(ctx, s.upstream.Name, s.upstream.Env, s.upstream.DSN, act.Targets,
			"before approved request "+req.ID)
		if err != nil {
			return gate.Snapshot{}, err
		}
		return gate.Snapshot{ID: m.ID, Description: backup.Describe(m, bs)}, nil
	}
}

// allowed tracks statement names created by a forwarded statement: one let
// through by an approval may run once.
func (s *session) allowed(typ byte, name string, prepared []string, byApproval bool) {
	names := prepared
	if typ == 'P' {
		names = []string{name}
	}
	for _, n := range names {
		delete(s.spent, n)
		delete(s.once, n)
		if byApproval {
			if s.once == nil {
				s.once = map[string]bool{}
			}
			s.once[n] = true
		}
	}
}

// executed spends the run that an approval allowed a prepared statement.
func (s *session) executed(names []string) {
	for _, n := range names {
		if s.once[n] {
			delete(s.once, n)
			s.spentAdd(n)
		}
	}
}

func (s *session) hint(id string) string {
	h := "approve it with: chaperone approvals approve " + id
	if s.g.ApproveHint != "" {
		h += " (or at " + s.g.ApproveHint + ")"
	}
	return h + "; then send the same statement again with the same token"
}

func findings(act action.Action) string {
	var parts []string
	for _, r := range act.Reasons {
		if r.Class != action.ClassRead {
			parts = append(parts, r.ID+": "+r.Message)
		}
	}
	return strings.Join(parts, "; ")
}

func orNone(s string) string {
	if s == "" {
		return "(no reason given)"
	}
	return s
}
