package audit

import (
	"context"
	"time"

	"github.com/chaperone/chaperone/internal/store"
)

// Follow calls fn for every entry appended after the chain's head at the
// time of the call, in order, until ctx is done: what every instance sharing
// a state learns of what the others did (a request created, approved or
// consumed elsewhere). It reads the log every `every`, and at once when wake
// fires (PostgreSQL's NOTIFY; nil without one). A state it cannot read is
// tried again on the next tick; nothing is skipped.
func Follow(ctx context.Context, st store.Store, every time.Duration, wake <-chan struct{}, fn func(store.AuditEntry)) error {
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
		for {
			var es []store.AuditEntry
			err := st.View(ctx, func(tx store.Tx) (err error) { es, err = tx.AuditEntries(after, page); return })
			if err != nil {
				break
			}
			for _, e := range es {
				fn(e)
				after = e.Seq
			}
			if len(es) < page {
				break
			}
		}
	}
}
