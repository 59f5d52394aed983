package audit

import (
	"context"
	"time"

	"github.com/chaperone/chaperone/internal/store"
)

// Follow calls fn for every entry whose type starts with typePrefix
// appended after the chain's head at the time of the call, in order, until
// ctx is done: what every instance sharing a state learns of what the
// others did (a request created, approved or consumed elsewhere). The
// filter is the store's, so that the decisions every statement adds are not
// read back. It reads the log every `every`, and at once when wake
// fires (PostgreSQL's NOTIFY; nil without one). A state it cannot read is
// tried again on the next tick; nothing is skipped.
func Follow(ctx context.Context, st store.Store, every time.Duration, wake <-chan struct{}, typePrefix string, fn func(store.AuditEntry)) error {
	var after int64
	err := st.View(ctx, func(tx store.Tx) error {
		last, ok, err := tx.LastAudit()
		if ok {
			after = last.Seq
		}
		return err
	})
	if err != nil {
		return err
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-wake:
		}
		// A state it cannot read is read again from the same place on
		// the next tick.
		after, _ = EachOfType(ctx, st, after, typePrefix, fn)
	}
}
