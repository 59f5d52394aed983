package pg

import (
	"context"
	"strings"
	"sync/atomic"

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
// destructive statements are snapshotted ahead: when a session of that token
// starts a transaction, before the transaction holds any lock, and the
// statement's snapshot is then that one. The approvals waiting to run are
// learnt from the store with the token check (lifetime.go), so that an
// approval given anywhere is seen within a quarter second.

// aheadKey is a token's approvals on one upstream.
func aheadKey(tokenID, upstream string) string { return tokenID + "\x00" + upstream }

// ahead holds approved destructive SQL requests by token and upstream.
type ahead struct {
	m atomic.Pointer[map[string][]store.Approval]
}

func (a *ahead) of(tokenID, upstream string) []store.Approval {
	m := a.m.Load()
	if m == nil {
		return nil
	}
	return (*m)[aheadKey(tokenID, upstream)]
}

// refreshAhead relearns the approvals waiting to run.
func (g *Gateway) refreshAhead(ctx context.Context) {
	if g.Gate == nil || g.Gate.Approvals == nil || g.Backups == nil || !g.Gate.Snapshots {
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
}

// snapshotAhead snapshots, at the start of a transaction, what the token's
// approved destructive statements on this upstream touch. A snapshot that
// fails here is not fatal: the statement's own snapshot is tried when it
// runs, and refuses it if it cannot be taken.
func (s *session) snapshotAhead(ctx context.Context) {
	s.presnaps = nil
	reqs := s.g.ahead.of(s.tok.ID, s.upstream.Name)
	for _, req := range reqs {
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
// resolved to in the session when it was held (its "-- resolves to:" line),
// else what its text names.
func targetsOf(text string) []string {
	for _, line := range strings.Split(text, "\n") {
		rest, ok := strings.CutPrefix(line, "-- resolves to: ")
		if !ok {
			continue
		}
		var out []string
		for _, pair := range strings.Split(rest, ", ") {
			if _, to, ok := strings.Cut(pair, " = "); ok && !strings.HasPrefix(to, "(") {
				out = append(out, strings.ReplaceAll(to, `"`, ""))
			}
		}
		if len(out) > 0 {
			return out
		}
	}
	return sql.Classify(text).Targets
}
