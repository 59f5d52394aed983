package pg

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/backup"
	"github.com/chaperone/chaperone/internal/classify/sql"
	"github.com/chaperone/chaperone/internal/gate"
	"github.com/chaperone/chaperone/internal/store"
)

// gate asks the one gate about a statement and forwards it, or forges the
// refusal the gate's outcome calls for. A Parse (or a PREPARE on its own)
// that would need approval runs nothing yet: it is forwarded, and each of
// its runs is decided at its Bind or EXECUTE, with the values bound.
func (s *session) gate(ctx context.Context, typ byte, body []byte, name, text string, oids []uint32, act action.Action, res sql.Result) error {
	if len(res.TypeChanges) > 0 && s.catalogCurrent(res.TypeChanges) {
		// A type change is judged by the column's current type: widening
		// loses nothing. Only where Chaperone's own connection sees the
		// same catalog as the session (nothing in the session's open
		// transaction changed these columns, or anything else that could).
		if cur, err := ColumnTypes(ctx, s.upstream.DSN, res.TypeChanges, s.upstreamPID); err == nil {
			res = sql.Refine(res, cur)
			act = actionOf(text, res)
		}
	}
	act.Env, act.Upstream, act.Requester, act.Scope = s.upstream.Env, s.upstream.Name, s.tok.ID, s.tok.Scope
	stmts := []string{text}
	var preparedRes *resolution
	for _, x := range res.Executed {
		g, err := s.guardOf(x)
		if err != nil {
			return s.forge(typ, name, ambiguity(x))
		}
		if g != nil {
			act = withPrepared(act, x, g)
			stmts = append(stmts, g.stmts...)
			preparedRes = g.res
			if g.check != nil {
				// Prepared by Parse and run by SQL EXECUTE: its
				// values come as expressions, not a Bind's bytes.
				act = reaching(act, nil, errExecuted)
			}
		}
	}
	if typ == 'Q' && len(s.portals) > 0 {
		// FETCH or MOVE of a portal bound from a write runs the write.
		for _, p := range fetchedPortals(text) {
			if e := s.staleExecute(p); e != nil {
				return s.forge(typ, name, e)
			}
		}
	}
	preview := s.g.Gate.Preview(&act)
	var check *rowCheck
	if checksRows(act, preview.Verdict) && (res.RowWrites || res.HiddenRowWrites) && !s.oneRowEach(res) {
		c, err := rowCheckOf(text, res.Pins)
		if res.HiddenRowWrites {
			c, err = nil, errHidden
		}
		switch {
		case err != nil:
			act = reaching(act, nil, err)
		case c == nil:
		case typ == 'Q' && s.cycleN > 0:
			act = reaching(act, nil, errMidCycle)
		case typ == 'Q' && res.Transaction && preview.Verdict == action.Allow && !s.pinsUnique(c.pins):
			// BEGIN; DELETE …; COMMIT: the text commits before anything
			// can ask what the write reached.
			act = reaching(act, nil, errWithControl)
		case typ == 'Q':
			// A write the policy lets through is asked again after it runs
			// (wrap.go); one that needs approval is asked before, as the
			// approver's view of it is.
			if every, err := s.askEveryRow(c, nil, nil, preview.Verdict == action.Allow); err != nil || every {
				act = reaching(act, c.tables, err)
			}
		default:
			check = c // asked at each Bind, with its values
		}
		if check == nil && act.Class != action.ClassWrite {
			preview = s.g.Gate.Preview(&act)
		}
	}
	if len(res.Schemas) > 0 && preview.Verdict == action.Allow {
		if act = s.shadowing(act, res); act.Class != action.ClassWrite {
			preview = s.g.Gate.Preview(&act)
		}
	}
	approve := preview.Verdict == action.Approve
	if approve && deferrable(typ, text, res) {
		g := &guarded{text: act.Text, act: act, oids: oids, stmts: stmts, check: check, approve: true}
		if rels, err := relations(stmts...); err == nil && len(rels) > 0 && s.cycleN == 0 {
			g.res, _ = s.resolve(rels)
		}
		if typ == 'P' {
			s.define(name, g, false)
			if check != nil && s.cycleN == 0 {
				// Kept back, so that its Bind can still ask the question
				// at the cycle's start.
				s.kept = append(s.kept[:0], body...)
				s.keptName = nameKey(name)
				return nil
			}
		}
		for _, p := range res.Prepared {
			s.define(p, g, typ == 'Q')
		}
		return s.forward(typ, body)
	}
	var r *resolution
	if approve {
		var err error
		// Only an approval binds what the tables resolved to; a grant
		// lets the statement through whatever they resolve to, so one
		// that cannot be asked here (mid-pipeline: executemany, a batch)
		// still runs under it.
		if r, err = s.bindResolution(ctx, &act, stmts, preparedRes); err != nil && !s.g.Gate.Granted(ctx, act) {
			return s.forge(typ, name, unresolved(err, act))
		}
	}
	if act.Class != action.ClassDestructive && changesSchema(act) {
		s.snapshotTablesAhead(ctx, act, text)
	}
	req := gate.Request{Entry: gate.EntryPG, Source: "pg:" + s.upstream.Name, Action: act,
		Settles: true, Key: canonicalKey(act.Text), Uncommitted: s.uncommitted(res)}
	if approve {
		// Only a statement that can be held shows an approver its impact;
		// the closure and its copy of the action are made for it alone.
		held := act
		req.Impact = func(ctx context.Context) string { return s.g.impact(ctx, s.upstream, held, nil) }
	}
	if act.Class == action.ClassDestructive {
		// Only destruction is snapshotted; the offer costs a copy of act.
		req.Snapshot = s.snapshot(act)
	}
	if !approve {
		// Nothing was added to the action since the preview: its decision
		// stands, and the policy need not run twice.
		req.Decided = &preview
	}
	o := s.g.Gate.Decide(ctx, req)
	if o.Verdict != gate.Forward {
		return s.forge(typ, name, s.refusal(o))
	}
	if o.Approved {
		s.reserved(o.Request.ID)
	}
	if o.Durable != nil {
		s.undurable = append(s.undurable, o.Durable)
	}
	if changesSchema(act) {
		s.schemaChanged(text)
	}
	if typ == 'P' {
		var g *guarded
		if check != nil {
			g = &guarded{text: act.Text, act: act, oids: oids, stmts: stmts, check: check}
		}
		s.define(name, g, false)
		if name == "" {
			s.unnamedContained = res.Contained
		}
		if g != nil && s.cycleN == 0 {
			// Kept back, so that the Bind after it is still at the
			// cycle's start (everyrow.go).
			s.kept = append(s.kept[:0], body...)
			s.keptName = nameKey(name)
			return nil
		}
	}
	if typ == 'Q' {
		// What an approval let PREPARE is run with its values decided
		// again; what the policy allowed replaces any guard on its name
		// once the query has run without error.
		var g *guarded
		if o.Approved {
			g = &guarded{text: act.Text, act: act, stmts: stmts, res: r}
		}
		for _, p := range res.Prepared {
			s.define(p, g, true)
		}
	}
	return s.forward(typ, body)
}

func (s *session) forward(typ byte, body []byte) error {
	if typ == 'P' {
		s.owe(1)
	}
	if err := writeRaw(s.uw, typ, body); err != nil {
		return err
	}
	if typ == 'Q' {
		s.syncs++
	}
	return nil
}

// deferrable says whether a text that needs approval may be forwarded
// because it runs nothing by itself: a Parse of one statement, or a query
// that only PREPAREs.
func deferrable(typ byte, text string, res sql.Result) bool {
	if typ == 'Q' && len(res.Prepared) == 0 {
		return false
	}
	tree, err := pg_query.Parse(text)
	if err != nil {
		return false
	}
	if typ == 'P' {
		// The server refuses a Parse of several statements; it is judged
		// (and refused) here like any statement.
		return len(tree.GetStmts()) == 1
	}
	if len(tree.GetStmts()) != len(res.Prepared) {
		return false
	}
	for _, st := range tree.GetStmts() {
		if st.GetStmt().GetPrepareStmt() == nil {
			return false
		}
	}
	return true
}

// bind decides a Bind of a guarded statement with the values it binds.
func (s *session) bind(ctx context.Context, body []byte) error {
	b, err := parseBind(body)
	if err != nil {
		return s.forge('P', refusedBind, pgError(CodeDenied, "Chaperone refused a malformed Bind", "", ""))
	}
	g, err := s.guardOf(b.stmt)
	if err != nil {
		return s.forge('P', refusedBind, ambiguity(b.stmt))
	}
	if g == nil {
		if err := s.sendKept(); err != nil {
			return err
		}
		return writeRaw(s.uw, 'B', body)
	}
	act := g.act
	act.Reasons, act.Targets = slices.Clone(act.Reasons), slices.Clone(act.Targets)
	if g.check != nil {
		every, err := s.bindReachesEveryRow(g, b)
		if err == nil && !every && !g.approve {
			if err := s.sendKept(); err != nil {
				return err
			}
			s.binds(b.portal, b.stmt, true) // reaches the server as it is
			s.checkedBind(g, b)
			return writeRaw(s.uw, 'B', body)
		}
		if err != nil || every {
			act = reaching(act, g.check.tables, err)
		}
	}
	if err := s.sendKept(); err != nil {
		return err
	}
	act.Text = boundText(g, b)
	if _, err := s.bindResolution(ctx, &act, g.stmts, g.res); err != nil && !s.g.Gate.Granted(ctx, act) {
		return s.forge('P', refusedBind, unresolved(err, act))
	}
	o := s.g.Gate.Decide(ctx, gate.Request{Entry: gate.EntryPG, Source: "pg:" + s.upstream.Name, Action: act,
		Impact:   func(ctx context.Context) string { return s.g.impact(ctx, s.upstream, act, &explainArgs{g, b}) },
		Snapshot: s.snapshot(act), Settles: true, Key: canonicalKey(act.Text)})
	if o.Verdict != gate.Forward {
		return s.forge('P', refusedBind, s.refusal(o))
	}
	if o.Approved {
		s.reserved(o.Request.ID)
	}
	return writeRaw(s.uw, 'B', body)
}

// withPrepared is the action of an EXECUTE of a guarded statement: what it
// runs is judged with it, and shown with it.
func withPrepared(act action.Action, name string, g *guarded) action.Action {
	act.Text += "\n-- " + strconv.Quote(name) + " is prepared as:\n" + g.text
	if len(g.oids) > 0 {
		var ts []string
		for _, o := range g.oids {
			ts = append(ts, typeName(o))
		}
		act.Text += "\n-- with parameter types: " + strings.Join(ts, ", ")
	}
	act.Reasons = slices.Clone(act.Reasons)
	for _, r := range g.act.Reasons {
		act.AddReason(r)
	}
	for _, t := range g.act.Targets {
		if !slices.Contains(act.Targets, t) {
			act.Targets = append(act.Targets, t)
		}
	}
	return act
}

func unresolved(err error, act action.Action) *pgproto3.ErrorResponse {
	if err.Error() == "changed" {
		return pgError(CodeDenied, "Chaperone refused this run: the tables its statement names resolve to other tables now than when it was prepared",
			"", "prepare the statement again")
	}
	// Say why it needs approval: the reason is what the client can act
	// on (a filter reading the time, sent outside a transaction block).
	var why []string
	for _, r := range act.Reasons {
		if r.Class == act.Class {
			why = append(why, r.ID+": "+r.Message)
		}
	}
	return pgError(CodeDenied, "Chaperone refused this statement: it needs approval ("+strings.Join(why, "; ")+"), and where the tables it names resolve cannot be asked of the session at this point (after unsynced messages in a pipeline, or in a failed transaction)",
		err.Error(), "send it at the start of a Sync cycle, outside a failed transaction")
}

func ambiguity(name string) *pgproto3.ErrorResponse {
	return pgError(CodeDenied, fmt.Sprintf("Chaperone cannot tell which statement %q holds: it was redefined earlier in this pipeline and the server has not answered yet", name),
		"", "send a Sync and wait for its answer before using the name again")
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
		if snap, ok := s.presnaps[req.ID]; ok {
			return snap, nil // taken ahead, before its transaction locked what it touches
		}
		if snap, ok := s.tableSnapshot(act.Targets); ok {
			return snap, nil // taken before this transaction first locked them
		}
		m, bs, err := s.g.Backups.Take(ctx, s.upstream.Name, s.upstream.Env, s.upstream.DSN, act.Targets,
			"before approved request "+req.ID)
		if err != nil {
			return gate.Snapshot{}, err
		}
		return gate.Snapshot{ID: m.ID, Description: backup.Describe(m, bs)}, nil
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

// changesSchema says whether a forwarded statement may change what the
// catalog says (DDL of any kind, or anything destructive).
func changesSchema(act action.Action) bool {
	return act.Class.Severity() >= action.ClassUnknown.Severity() || slices.Contains(act.ReasonIDs(), "sql.ddl")
}

// schemaChanged notes what a forwarded statement changed in the catalog,
// which a read over Chaperone's own connection cannot see until the
// session's transaction commits.
func (s *session) schemaChanged(text string) {
	cols, other := sql.SchemaEffect(text)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ddlCycle = s.syncs + 1
	s.txOther = s.txOther || other
	for _, c := range cols {
		if s.txCols == nil {
			s.txCols = map[string]bool{}
		}
		s.txCols[columnKey(c)] = true
	}
}

// catalogCurrent says whether the catalog Chaperone reads shows these
// columns as the session sees them.
func (s *session) catalogCurrent(changes []sql.TypeChange) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.txOther {
		return false
	}
	for _, c := range changes {
		if s.txCols[columnKey(c.Table+"."+c.Column)] {
			return false
		}
	}
	return true
}

// columnKey names a column by its table's name and its own, whatever
// schema the text named: two tables of one name in different schemas are
// taken for one, which only ever makes the check stricter.
func columnKey(tableDotColumn string) string {
	parts := strings.Split(strings.ReplaceAll(strings.ToLower(tableDotColumn), `"`, ""), ".")
	if len(parts) > 2 {
		parts = parts[len(parts)-2:]
	}
	return strings.Join(parts, ".")
}

// canonicalKey is what an approval of text binds to (sql.Canonical), worked
// out only when an approval is looked for.
func canonicalKey(text string) func() string {
	return func() string { return sql.Canonical(text) }
}

var errExecuted = errors.New("it was prepared by a Parse and is run by SQL EXECUTE, whose values are expressions Chaperone cannot ask with; bind it instead")

// fetchedPortals names the portals a query's FETCH and MOVE statements
// read from.
func fetchedPortals(text string) []string {
	tree, err := pg_query.Parse(text)
	if err != nil {
		return nil
	}
	var out []string
	for _, st := range tree.GetStmts() {
		if f := st.GetStmt().GetFetchStmt(); f != nil {
			out = append(out, f.GetPortalname())
		}
	}
	return out
}
