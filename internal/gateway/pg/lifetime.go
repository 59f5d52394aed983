package pg

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/chaperone/chaperone/internal/token"
)

// tokenCheckEvery is how often open sessions' tokens are checked: a
// revoked or expired token's sessions end within it.
const tokenCheckEvery = 250 * time.Millisecond

// sessions are the admitted sessions, so that a token revoked or expired
// after its sessions began ends them: the token is checked for the life of
// the session, not only at its start.
type sessions struct {
	mu sync.Mutex
	m  map[*session]struct{}
}

func (ss *sessions) add(s *session) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.m == nil {
		ss.m = map[*session]struct{}{}
	}
	ss.m[s] = struct{}{}
}

func (ss *sessions) remove(s *session) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	delete(ss.m, s)
}

func (ss *sessions) list() []*session {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	out := make([]*session, 0, len(ss.m))
	for s := range ss.m {
		out = append(out, s)
	}
	return out
}

// watchTokens ends the sessions of tokens that stopped being usable, until
// ctx is done. A state it cannot read ends nothing: open sessions then go
// on as they do with a locked state (reads only; everything else is
// refused because it cannot be recorded).
func (g *Gateway) watchTokens(ctx context.Context) {
	t := time.NewTicker(tokenCheckEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		open := g.live.list()
		if len(open) == 0 {
			continue
		}
		g.refreshAhead(ctx, 0)
		ks, err := g.Tokens.List(ctx)
		if err != nil {
			continue
		}
		now := time.Now()
		status := make(map[string]string, len(ks))
		for _, k := range ks {
			status[k.ID] = token.Status(k, now)
		}
		for _, s := range open {
			st, ok := status[s.tok.ID]
			if !ok {
				st = "removed"
			}
			if st != "active" {
				s.end(fatal("28000", "Chaperone: token "+s.tok.ID+" is "+st+"; the session is closed"))
			}
		}
	}
}

// end closes the session from outside its relay, telling the client why:
// the upstream goes first, so nothing more runs, then the relay writes the
// reason once it has stopped writing to the client.
func (s *session) end(why *pgproto3.ErrorResponse) {
	if s.ended.CompareAndSwap(nil, why) && s.up != nil {
		s.up.Close()
	}
}
