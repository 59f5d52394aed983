package pg

import (
	"context"
	"fmt"
	"strings"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/approval"
	"github.com/chaperone/chaperone/internal/audit"
)

// gate decides one statement and forwards it, or forges its refusal. A
// statement is forwarded only on an allow, or on an approval consumed here
// and now, after the pre-execution step succeeded.
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
	d := s.g.Decide(&act)
	switch d.Verdict {
	case action.Allow:
		s.allowed(typ, name, res.Prepared, false)
		s.executed(res.Executed)
		return writeRaw(s.uw, typ, body)
	case action.Deny:
		s.record(ctx, act, d)
		return s.forge(typ, name, pgError(CodeDenied,
			fmt.Sprintf("Chaperone denied this statement [%s]: %s", d.Rule, d.Reason), findings(act), ""))
	}
	req, run, err := s.g.Approvals.Check(ctx, approval.Hold{Action: act, Decision: d, TokenID: s.tok.ID,
		Impact: func() string { return s.g.impact(ctx, s.upstream, act) }})
	switch {
	case err != nil:
		s.g.Log.Error("approval state unavailable", "err", err)
		return s.forge(typ, name, pgError(CodeUndecidable, "Chaperone cannot record an approval request right now, so the statement did not run", "", "try again shortly"))
	case req.State == approval.Denied:
		return s.forge(typ, name, pgError(CodeHumanDenied,
			fmt.Sprintf("Chaperone: request %s was denied: %s", req.ID, orNone(req.DenyReason)), findings(act), ""))
	case !run:
		return s.forge(typ, name, pgError(CodeHeld,
			fmt.Sprintf("Chaperone held this statement for approval: request %s [%s] %s", req.ID, d.Rule, d.Reason),
			findings(act), s.hint(req.ID)))
	}
	if act.Class == action.ClassDestructive && s.g.BeforeDestructive != nil {
		if err := s.g.BeforeDestructive(ctx, req, act); err != nil {
			return s.forge(typ, name, pgError(CodeHookFailed,
				fmt.Sprintf("Chaperone did not run approved request %s: the step before it failed: %v", req.ID, err), "", "the approval stays valid; try again"))
		}
	}
	ok, err := s.g.Approvals.Consume(ctx, req.ID, "token:"+s.tok.ID)
	if err != nil || !ok {
		return s.forge(typ, name, pgError(CodeHeld,
			fmt.Sprintf("Chaperone: the approval of request %s was already used or has expired", req.ID), "", "send the statement again to ask for a new approval"))
	}
	s.allowed(typ, name, res.Prepared, true)
	s.executed(res.Executed)
	return writeRaw(s.uw, typ, body)
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

func (s *session) record(ctx context.Context, act action.Action, d action.Decision) {
	if s.g.Record == nil {
		return
	}
	if err := s.g.Record(ctx, audit.NewDecision("pg:"+s.upstream.Name, "", act, d)); err != nil {
		s.g.Log.Warn("recording a gateway decision", "err", err)
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
