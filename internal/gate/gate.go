// Package gate is the one place Chaperone decides. Every entry point (the
// PostgreSQL gateway, the HTTP gateway, the forward proxy, the agent hook
// and `chaperone check`) reads its own wire, classifies what it read into
// an action.Action, and asks the gate, which runs the same steps for all of
// them: decide with the policy, hold for a human, snapshot before approved
// destruction, consume the approval, and audit the decision, then says what
// happened as one Outcome. Entry points only translate that outcome into
// their own answer (a SQLSTATE, an HTTP status, the agent's hook JSON).
package gate

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/approval"
	"github.com/chaperone/chaperone/internal/audit"
	"github.com/chaperone/chaperone/internal/classify"
	"github.com/chaperone/chaperone/internal/store"
)

// Entry points, as the audit log names them.
const (
	EntryPG    = "pg"
	EntryHTTP  = "http"
	EntryProxy = "proxy"
	EntryHook  = "hook"
	EntryCheck = "check"
)

// Policy decides a classified action; policy.Engine is one.
type Policy interface {
	Decide(*action.Action) action.Decision
}

// Auditor records events; audit.Writer is one.
type Auditor interface {
	// Append returns once ev is durable, or why it is not.
	Append(ctx context.Context, ev audit.Event) error
	// Post records ev without waiting; a failure is logged as unaudited.
	Post(ev audit.Event)
	// Queue records ev without waiting; wait returns once it is durable,
	// or why it is not.
	Queue(ev audit.Event) (wait func(context.Context) error)
}

// Gate runs the pipeline. It is safe for concurrent use.
type Gate struct {
	Policy Policy
	// Approvals holds actions for humans; without it (the hook, check) a
	// held action is reported as held and the agent asks its user.
	Approvals *approval.Service
	// Audit records every decision; nil only where nothing may be
	// recorded (check's dry run, a hook deciding without serve).
	Audit Auditor
	// Snapshots says whether approved destruction is preceded by a
	// snapshot of what it touches (backup.before_destructive).
	Snapshots bool
	// Store records which snapshot preceded which request.
	Store store.Store
	Log   *slog.Logger
}

// Snapshot is a verified copy taken before an approved destructive action.
type Snapshot struct {
	ID          string
	Description map[string]any // what the audit entry says about it
	// Recorded says the snapshot is already on the request and in the
	// audit log (RecordSnapshot), taken ahead of the action.
	Recorded bool
}

// Request is one action an entry point asks about.
type Request struct {
	Entry  string // EntryPG, ...
	Source string // "pg:prod", "hook:claude-code": the audit log's actor
	// Action is classified and carries who asked (Requester, Scope) and
	// where it goes (Upstream, Env).
	Action action.Action
	Cwd    string
	// Impact estimates what a held action would touch, for the approver;
	// asked only when a new request is created.
	Impact func(context.Context) string
	// Snapshot copies what an approved destructive action touches. Entry
	// points that cannot copy their upstream leave it nil and say why in
	// NoSnapshot, which the approval and the audit show instead.
	Snapshot   func(ctx context.Context, req store.Approval) (Snapshot, error)
	NoSnapshot string
	// Key, when set, gives what an approval binds to instead of the exact
	// text (a canonical form of it; see approval.Hold). It is asked only
	// when an approval is looked for.
	Key func() string
	// Decided is the policy's decision on exactly this Action, from
	// Preview, when the entry point asked it already.
	Decided *action.Decision
	// Settles says the entry point reports what became of an approved
	// action (Settle): its approval is then reserved while it runs and
	// spent only when its effect is committed. Otherwise it is spent as
	// the action is forwarded.
	Settles bool
	// Uncommitted says the entry point holds the action's effects in an
	// open transaction that cannot commit, or show them to anyone else,
	// before it calls the outcome's Durable. A write the policy allows is
	// then forwarded as soon as its entry is queued, and its durability
	// waited for only before the transaction ends.
	Uncommitted bool
}

// Verdict is what the entry point must do.
type Verdict int

const (
	Forward     Verdict = iota // send it on
	Refused                    // the policy denied it
	Held                       // waiting for a human
	HumanDenied                // a human denied it
	Undecidable                // Chaperone could not decide or prepare it: fail closed
)

var verdictNames = [...]string{"forwarded", "refused", "held", "denied_by_human", "undecidable"}

func (v Verdict) String() string { return verdictNames[v] }

// Cause says why an outcome is Undecidable, so that entry points can give
// the matching code.
type Cause int

const (
	CauseNone     Cause = iota
	CauseState          // the state store is unavailable
	CauseAudit          // the audit log cannot record the decision
	CauseSnapshot       // the snapshot before an approved action failed
	CauseSpent          // the approval was used or expired in the meantime
)

// Outcome is the gate's answer.
type Outcome struct {
	Verdict  Verdict
	Action   action.Action
	Decision action.Decision
	// Request is the approval request for held, human-denied and
	// approved actions.
	Request store.Approval
	// Approved is set when the action is forwarded on an approval: consumed,
	// or reserved when the request asked to settle it.
	Approved bool
	// Grant names the grant an action was let through on, without a
	// request of its own.
	Grant    string
	Snapshot string
	Cause    Cause
	// Message says what went wrong, for Undecidable; safe to show.
	Message string
	// Durable, when set (Request.Uncommitted), waits until the action's
	// audit entry is durable; the entry point must not let the action's
	// effects commit before it returns nil.
	Durable func(context.Context) error
}

// Misplaced names targets found in another environment, for messages.
func (o Outcome) Misplaced() string {
	var parts []string
	for _, p := range o.Action.Elsewhere() {
		parts = append(parts, p.String())
	}
	if len(parts) == 0 {
		return ""
	}
	return strings.Join(parts, "; ") + "; this token is scoped to " + o.Action.Env
}

// Preview is what the policy says about a, without holding, recording or
// running anything. An entry point uses it only to learn whether the
// decision must wait for more of the action (the values a prepared
// statement is run with); the decision itself is Decide's.
func (g *Gate) Preview(a *action.Action) action.Decision {
	return g.decide(*a)
}

// decide asks the policy about a copy of a, so that only a decision the
// policy is asked for costs a copy on the heap.
func (g *Gate) decide(a action.Action) action.Decision {
	return g.Policy.Decide(&a)
}

// Decide runs the pipeline for r.
func (g *Gate) Decide(ctx context.Context, r Request) (o Outcome) {
	defer func() {
		if p := recover(); p != nil {
			g.logError("decision failed", fmt.Errorf("%v", p))
			o = Outcome{Verdict: Undecidable, Action: r.Action, Cause: CauseState,
				Decision: action.Decision{Verdict: action.Deny, Rule: "internal.error"},
				Message:  "Chaperone could not decide this action (internal error), so it did not run"}
		}
	}()
	o = Outcome{Action: r.Action}
	if r.Decided != nil {
		o.Decision = *r.Decided
	} else {
		o.Decision = g.decide(r.Action)
	}
	switch o.Decision.Verdict {
	case action.Allow:
		o.Verdict = Forward
		return g.recordThen(ctx, r, o)
	case action.Deny:
		o.Verdict = Refused
		g.post(r, o)
		return o
	}
	if g.Approvals == nil {
		// Held where the agent asks its own user, who may then run it:
		// on the record first, like anything else that may run.
		o.Verdict = Held
		return g.recordThen(ctx, r, o)
	}
	return g.hold(ctx, r, o)
}

// hold finds or creates the approval request; an approved one is prepared
// (snapshot), recorded and consumed, in that order, so that nothing runs
// that is not on the record and no approval is spent on what did not run.
func (g *Gate) hold(ctx context.Context, r Request, o Outcome) Outcome {
	grant, granted, err := g.Approvals.Covering(ctx, o.Action)
	if err != nil {
		g.logError("approval state unavailable", err)
		return g.undecidable(r, o, CauseState, "Chaperone cannot read its approvals right now, so this did not run; try again shortly")
	}
	if granted {
		return g.elevated(ctx, r, o, grant)
	}
	h := approval.Hold{Action: o.Action, Decision: o.Decision, TokenID: o.Action.Requester}
	if r.Key != nil {
		h.Key = r.Key()
	}
	if r.Impact != nil {
		h.Impact = func() string { return r.Impact(ctx) }
	}
	if o.Action.Class == action.ClassDestructive && g.Snapshots && r.Snapshot == nil && r.NoSnapshot != "" {
		// The approver decides knowing that nothing will be copied first.
		impact := h.Impact
		h.Impact = func() string {
			if impact == nil {
				return r.NoSnapshot
			}
			return impact() + "; " + r.NoSnapshot
		}
	}
	req, run, err := g.Approvals.Check(ctx, h)
	if err != nil {
		g.logError("approval state unavailable", err)
		return g.undecidable(r, o, CauseState, "Chaperone cannot record an approval request right now, so this did not run; try again shortly")
	}
	o.Request = req
	switch {
	case req.State == approval.Denied:
		o.Verdict = HumanDenied
		g.post(r, o)
		return o
	case req.State == approval.Reserved:
		return g.undecidable(r, o, CauseSpent,
			fmt.Sprintf("Chaperone: the approval of request %s is in use by another session's transaction; send it again once that one ends", req.ID))
	case !run:
		o.Verdict = Held
		g.post(r, o)
		return o
	}
	o, ready := g.beforeDestruction(ctx, r, o, req, "approved request "+req.ID, "the approval stays valid")
	if !ready {
		return o
	}
	o.Verdict, o.Approved = Forward, true
	if o = g.recordThen(ctx, r, o); o.Verdict != Forward {
		return o
	}
	take := g.Approvals.Consume
	if r.Settles {
		take = g.Approvals.Reserve
	}
	taken, err := take(ctx, req.ID, "token:"+o.Action.Requester)
	if err != nil || !taken {
		return g.undecidable(r, o, CauseSpent,
			fmt.Sprintf("Chaperone: the approval of request %s was already used, has expired, or its token is no longer valid; send it again to ask for a new approval", req.ID))
	}
	return o
}

// Settle reports what became of an action forwarded on a reserved
// approval: committed spends the approval; otherwise (rolled back, failed,
// or the session ended first) it is good again for a retry.
func (g *Gate) Settle(ctx context.Context, requestID, actor string, committed bool) {
	if err := g.Approvals.Settle(ctx, requestID, actor, committed); err != nil {
		g.logError("settling an approval", err, "request", requestID, "committed", committed)
	}
}

// Granted says whether a human's grant lets a through without a request
// of its own; false when the approvals cannot be read.
func (g *Gate) Granted(ctx context.Context, a action.Action) bool {
	if g.Approvals == nil {
		return false
	}
	_, ok, err := g.Approvals.Covering(ctx, a)
	return err == nil && ok
}

// elevated lets an action through on a human's grant: snapshotted first
// when destructive, and on the record before it runs, naming the grant.
func (g *Gate) elevated(ctx context.Context, r Request, o Outcome, grant store.Grant) Outcome {
	o.Grant = grant.ID
	o, ok := g.beforeDestruction(ctx, r, o, store.Approval{ID: grant.RequestID, Upstream: grant.Upstream},
		"a statement under grant "+grant.ID, "the grant stays in force")
	if !ok {
		return o
	}
	o.Verdict = Forward
	return g.recordThen(ctx, r, o)
}

// beforeDestruction takes the snapshot an approved destructive action waits
// for (or records why none can be taken); ok is false, with the outcome to
// return, when it could not.
func (g *Gate) beforeDestruction(ctx context.Context, r Request, o Outcome, req store.Approval, what, still string) (Outcome, bool) {
	if o.Action.Class != action.ClassDestructive || !g.Snapshots {
		return o, true
	}
	if r.Snapshot == nil {
		if r.NoSnapshot != "" {
			if err := g.noteNoSnapshot(ctx, req, r.NoSnapshot); err != nil {
				return g.undecidable(r, o, CauseAudit, fmt.Sprintf("Chaperone did not run %s: the audit log cannot record it; %s", what, still)), false
			}
		}
		return o, true
	}
	snap, err := r.Snapshot(ctx, req)
	if err != nil {
		g.logError("pre-destruction snapshot failed", err, "for", what)
		return g.undecidable(r, o, CauseSnapshot, fmt.Sprintf("Chaperone did not run %s: the snapshot before it failed: %v; %s", what, err, still)), false
	}
	if snap.Recorded {
		o.Snapshot = snap.ID
		return o, true
	}
	if err := g.recordSnapshot(ctx, req, snap); err != nil {
		return g.undecidable(r, o, CauseAudit, fmt.Sprintf("Chaperone did not run %s: the snapshot could not be recorded; %s", what, still)), false
	}
	o.Snapshot = snap.ID
	return o, true
}

// recordThen audits an outcome that may run. A read goes on when the log
// cannot take it (logged as unaudited); anything else is not forwarded
// unless it is on the record first.
func (g *Gate) recordThen(ctx context.Context, r Request, o Outcome) Outcome {
	if g.Audit == nil {
		return o
	}
	if o.Action.Class == action.ClassRead && !o.Approved {
		g.Audit.Post(event(r, o))
		return o
	}
	if r.Uncommitted && o.Action.Class == action.ClassWrite && o.Verdict == Forward && !o.Approved && o.Grant == "" {
		o.Durable = g.Audit.Queue(event(r, o))
		return o
	}
	actx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := g.Audit.Append(actx, event(r, o)); err != nil {
		g.logError("recording a decision", err, "source", r.Source)
		o.Verdict, o.Cause, o.Approved = Undecidable, CauseAudit, false
		o.Message = "Chaperone cannot write its audit log right now, so only reads go on; this did not run"
	}
	return o
}

func (g *Gate) undecidable(r Request, o Outcome, c Cause, msg string) Outcome {
	o.Verdict, o.Cause, o.Message, o.Approved = Undecidable, c, msg, false
	g.post(r, o)
	return o
}

// post records an outcome that forwards nothing. It is on the record by
// the time the refusal is answered, but a log that cannot take it changes
// nothing: the action does not run either way.
func (g *Gate) post(r Request, o Outcome) {
	if g.Audit == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := g.Audit.Append(ctx, event(r, o)); err != nil {
		g.logError("recording a refusal", err, "source", r.Source)
	}
}

// RecordSnapshot names snap on request req and in the audit log: for a
// snapshot an entry point takes ahead of the action it protects (at the
// start of the transaction an approved statement will run in, before that
// transaction holds any lock the snapshot would wait for).
func (g *Gate) RecordSnapshot(ctx context.Context, req store.Approval, snap Snapshot) error {
	return g.recordSnapshot(ctx, req, snap)
}

func (g *Gate) recordSnapshot(ctx context.Context, req store.Approval, snap Snapshot) error {
	data := map[string]any{"request": req.ID, "snapshot": snap.ID, "upstream": req.Upstream}
	for k, v := range snap.Description {
		data[k] = v
	}
	return g.Store.Update(ctx, func(tx store.Tx) error {
		if err := tx.SetApprovalSnapshot(req.ID, snap.ID); err != nil {
			return err
		}
		_, err := audit.Append(tx, audit.Event{Type: audit.BackupSnapshot, Actor: "system", Data: data}, time.Now())
		return err
	})
}

func (g *Gate) noteNoSnapshot(ctx context.Context, req store.Approval, why string) error {
	return audit.Record(ctx, g.Store, audit.Event{Type: audit.BackupSkipped, Actor: "system", Data: map[string]any{
		"request": req.ID, "upstream": req.Upstream, "reason": why}})
}

func (g *Gate) logError(msg string, err error, args ...any) {
	if g.Log != nil {
		g.Log.Error(msg, append([]any{"err", err}, args...)...)
	}
}

// event is the one audit entry of a decision, the same shape for every
// entry point.
func event(r Request, o Outcome) audit.Event {
	a := o.Action
	text, fp := classify.Redact(a.Kind, a.Text)
	d := audit.DecisionData{
		Entry: r.Entry, Source: r.Source, Token: a.Requester, Upstream: a.Upstream, Env: a.Env,
		Kind: a.Kind, Class: a.Class, Rule: o.Decision.Rule, Decision: o.Decision.Verdict,
		Outcome: o.Verdict.String(), Reason: o.Decision.Reason, Findings: a.ReasonIDs(), Targets: a.Targets,
		Placements: a.Placements, Request: o.Request.ID, Snapshot: o.Snapshot, Text: text, Fingerprint: fp, Cwd: r.Cwd,
	}
	switch {
	case o.Approved:
		d.Outcome = "approved"
	case o.Grant != "" && o.Verdict == Forward:
		d.Outcome = "granted"
	}
	d.Grant = o.Grant
	actor := r.Source
	if a.Requester != "" {
		actor = "token:" + a.Requester
	}
	return audit.Event{Type: audit.Decision, Actor: actor, Data: d}
}
