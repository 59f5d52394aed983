package pg

import (
	"context"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/approval"
	"github.com/chaperone/chaperone/internal/backup"
	"github.com/chaperone/chaperone/internal/classify/sql"
	"github.com/chaperone/chaperone/internal/gate"
	"github.com/chaperone/chaperone/internal/store"
)

// A snapshot taken while an approved statement runs can wait on a lock its
// own transaction holds (an ALTER TABLE earlier in the same migration takes
// the table exclusively), and would wait forever. So a token's approved
// destructive statements are snapshotted ahead: in a transaction block of a
// session of that token, before the first statement that could take such a
// lock on what the approved statement touches (anything but a read or a
// plain row change: a snapshot reads under a lock only an exclusive one
// blocks), and the statement's snapshot is then that one. Not at BEGIN:
// every transaction would copy what every approval waiting to run touches,
// used or not. The approvals waiting to run are learnt from the store with
// the token check (lifetime.go), so that an approval given anywhere is seen
// within a quarter second.

// aheadKey is a token's approvals on one upstream.
func aheadKey(tokenID, upstream string) string { return tokenID + "\x00" + upstream }

// ahead holds approved destructive SQL requests by token and upstream.
type ahead struct {
	m atomic.Pointer[map[string][]store.Approval]
	// at is when m was last learnt (Unix nanoseconds).
	at atomic.Int64
}

// aheadFresh is how recent a learnt list a new session takes as it is: a
// burst of connections asks the store once, not once each.
const aheadFresh = 100 * time.Millisecond

func (a *ahead) of(tokenID, upstream string) []store.Approval {
	m := a.m.Load()
	if m == nil {
		return nil
	}
	return (*m)[aheadKey(tokenID, upstream)]
}

// refreshAhead relearns the approvals waiting to run, unless the list was
// learnt within maxAge.
func (g *Gateway) refreshAhead(ctx context.Context, maxAge time.Duration) {
	if g.Gate == nil || g.Gate.Approvals == nil || g.Backups == nil || !g.Gate.Snapshots {
		return
	}
	if time.Since(time.Unix(0, g.ahead.at.Load())) < maxAge {
		return
	}
	list, err := g.Gate.Approvals.List(ctx, approval.Approved, 1000)
	if err != nil {
		return // the last known list stands until the store answers
	}
	m := map[string][]store.Approval{}
	for _, a := range list {
		if a.Class == string(action.ClassDestructive) && a.Kind == string(action.KindSQL) {
			k := aheadKey(a.TokenID, a.Upstream)
			m[k] = append(m[k], a)
		}
	}
	g.ahead.m.Store(&m)
	g.ahead.at.Store(time.Now().UnixNano())
}

// snapshotAhead snapshots what the token's approved destructive statements
// on this upstream touch, for those this transaction has not snapshotted
// and that text (a statement that may lock exclusively) may lock: those
// whose tables it names, or all when it names none it can be read for. A
// snapshot that fails here is not fatal: the statement's own snapshot is
// tried when it runs, and refuses it if it cannot be taken.
func (s *session) snapshotAhead(ctx context.Context, text string, calls bool) {
	names := map[string]bool{}
	if rels, err := relations(text); err == nil && !calls {
		for _, r := range rels {
			names[tableKey(r.String())] = true
		}
	}
	for _, req := range s.g.ahead.of(s.tok.ID, s.upstream.Name) {
		if _, done := s.presnaps[req.ID]; done {
			continue
		}
		targets := targetsOf(req.Text)
		if len(names) > 0 && len(targets) > 0 && !slices.ContainsFunc(targets, func(t string) bool {
			return slices.ContainsFunc(tableCandidates(t), func(c string) bool { return names[c] })
		}) {
			continue // another table's lock: the snapshot can read these
		}
		m, bs, err := s.g.Backups.Take(ctx, s.upstream.Name, s.upstream.Env, s.upstream.DSN, targetsOf(req.Text),
			"before approved request "+req.ID+", at the start of its transaction")
		if err != nil {
			s.g.Log.Warn("snapshot ahead of an approved statement failed", "request", req.ID, "err", err)
			continue
		}
		snap := gate.Snapshot{ID: m.ID, Description: backup.Describe(m, bs)}
		if err := s.g.Gate.RecordSnapshot(ctx, req, snap); err != nil {
			continue
		}
		snap.Recorded = true
		if s.presnaps == nil {
			s.presnaps = map[string]gate.Snapshot{}
		}
		s.presnaps[req.ID] = snap
	}
}

// targetsOf is what an approved request's statement touches: the tables it
// resolved to in the session when it was held (its sql.ResolvedLine),
// else what its text names.
func targetsOf(text string) []string {
	var out []string
	for _, pair := range sql.Resolutions(text) {
		if name, to, ok := strings.Cut(pair, " = "); ok && !strings.HasPrefix(to, "(") && !strings.HasPrefix(name, "function ") {
			out = append(out, strings.ReplaceAll(to, `"`, ""))
		}
	}
	if len(out) > 0 {
		return out
	}
	return sql.Classify(text).Targets
}

// Under a grant that covers destruction, which statement will destroy is not
// known ahead; what is known is the first time the transaction takes a
// table's lock: a schema change to it. So before such a change is
// forwarded, while the token holds a destructive grant, the tables it names
// are snapshotted (once per transaction), and a destructive statement later
// in the transaction uses that snapshot.

// snapshotTablesAhead snapshots the tables text names that this
// transaction has not snapshotted yet, if the token's grant covers
// destruction here.
func (s *session) snapshotTablesAhead(ctx context.Context, act action.Action, text string) {
	if s.g.Backups == nil || s.g.Gate == nil || s.g.Gate.Approvals == nil || !s.g.Gate.Snapshots {
		return
	}
	probe := act
	probe.Class = action.ClassDestructive
	if _, ok, err := s.g.Gate.Approvals.Covering(ctx, probe); err != nil || !ok {
		return
	}
	rels, err := relations(text)
	if err != nil {
		return
	}
	var todo []string
	for _, r := range rels {
		name := r.String()
		if _, done := s.tableSnaps[tableKey(name)]; !done {
			todo = append(todo, strings.ReplaceAll(name, `"`, ""))
		}
	}
	if len(todo) == 0 {
		return
	}
	m, bs, err := s.g.Backups.Take(ctx, s.upstream.Name, s.upstream.Env, s.upstream.DSN, todo,
		"ahead of a schema change under a grant, at its first lock on these tables")
	if err != nil {
		s.g.Log.Warn("snapshot ahead of a schema change failed", "tables", todo, "err", err)
		return
	}
	snap := gate.Snapshot{ID: m.ID, Description: backup.Describe(m, bs)}
	if s.tableSnaps == nil {
		s.tableSnaps = map[string]gate.Snapshot{}
	}
	for _, t := range todo {
		s.tableSnaps[tableKey(t)] = snap
	}
}

// tableSnapshot is the snapshot this transaction took of every one of
// targets, if it took one of each.
func (s *session) tableSnapshot(targets []string) (gate.Snapshot, bool) {
	var first gate.Snapshot
	for i, t := range targets {
		var snap gate.Snapshot
		found := false
		for _, name := range tableCandidates(t) {
			if snap, found = s.tableSnaps[name]; found {
				break
			}
		}
		if !found {
			return gate.Snapshot{}, false
		}
		if i == 0 {
			first = snap
		}
	}
	return first, len(targets) > 0
}

// tableKey names a table for tableSnaps by its bare name.
func tableKey(name string) string {
	parts := strings.Split(strings.ToLower(strings.ReplaceAll(name, `"`, "")), ".")
	return parts[len(parts)-1]
}

// tableCandidates are the tables a target may name: "t", "schema.t",
// "t.column" or "schema.t.column".
func tableCandidates(target string) []string {
	parts := strings.Split(strings.ToLower(strings.ReplaceAll(target, `"`, "")), ".")
	switch len(parts) {
	case 1:
		return parts
	case 2:
		return []string{parts[1], parts[0]}
	}
	return []string{parts[len(parts)-2]}
}
