package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// AuditAppended returns a channel that receives (coalesced) whenever any
// instance commits audit entries, until ctx is done. It holds one
// connection of its own, LISTENing, and reconnects after losing it; a
// follower should still poll, since notifications sent while it was
// reconnecting are lost.
func (s *Store) AuditAppended(ctx context.Context) <-chan struct{} {
	ch := make(chan struct{}, 1)
	go func() {
		for ctx.Err() == nil {
			s.listen(ctx, ch)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}()
	return ch
}

func (s *Store) listen(ctx context.Context, ch chan struct{}) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return
	}
	// The connection leaves the pool: LISTEN belongs to it.
	c := conn.Hijack()
	defer c.Close(context.WithoutCancel(ctx))
	if _, err := c.Exec(ctx, "LISTEN "+pgx.Identifier{AuditNotifyChannel}.Sanitize()); err != nil {
		return
	}
	for {
		if _, err := c.WaitForNotification(ctx); err != nil {
			return
		}
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}
