package audit

import (
	"context"
	"fmt"

	"github.com/chaperone/chaperone/internal/store"
)

// Break kinds.
const (
	Edited    = "edited"
	Deleted   = "deleted"
	Reordered = "reordered"
	Replaced  = "replaced"
)

// Break is the first place the chain does not hold.
type Break struct {
	Seq    int64  `json:"seq"`
	Kind   string `json:"kind"`
	Detail string `json:"detail"`
}

// Result is what Verify found.
type Result struct {
	Entries  int64  `json:"entries"`
	HeadSeq  int64  `json:"head_seq"`
	HeadHash string `json:"head_hash"`
	Break    *Break `json:"break,omitempty"`
}

// OK reports whether the whole chain verified.
func (r Result) OK() bool { return r.Break == nil }

const page = 1000

// Each calls fn for every entry in order, reading a page per transaction so a
// long log never sits in memory.
func Each(ctx context.Context, st store.Store, after int64, fn func(store.AuditEntry) error) error {
	for {
		var es []store.AuditEntry
		err := st.View(ctx, func(tx store.Tx) error {
			var err error
			es, err = tx.AuditEntries(after, page)
			return err
		})
		if err != nil {
			return err
		}
		for _, e := range es {
			if err := fn(e); err != nil {
				return err
			}
		}
		if len(es) < page {
			return nil
		}
		after = es[len(es)-1].Seq
	}
}

// EachOfType calls fn for every entry after seq after whose type starts
// with typePrefix, in order, and returns the seq it read through: the
// store filters, so a long log of other entries is not read back.
func EachOfType(ctx context.Context, st store.Store, after int64, typePrefix string, fn func(store.AuditEntry)) (int64, error) {
	for {
		var es []store.AuditEntry
		head := after
		err := st.View(ctx, func(tx store.Tx) error {
			last, ok, err := tx.LastAudit()
			if err != nil || !ok {
				return err
			}
			head = last.Seq
			es, err = tx.AuditEntriesOfType(after, head, typePrefix, page)
			return err
		})
		if err != nil {
			return after, err
		}
		for _, e := range es {
			fn(e)
			after = e.Seq
		}
		if len(es) < page {
			return max(after, head), nil
		}
	}
}

// Verify recomputes the chain and names the first entry that was edited,
// deleted or reordered.
//
// The head checkpoint is read before the entries: a serve still running
// (another instance, in HA) appends entry and checkpoint together, so the
// entries read after it reach at least as far as it says. Read after them,
// an entry appended in between would look like entries cut off the end.
func Verify(ctx context.Context, st store.Store) (Result, error) {
	var r Result
	var head string
	var haveHead bool
	if err := st.View(ctx, func(tx store.Tx) (err error) { head, haveHead, err = tx.Meta(headKey); return }); err != nil {
		return r, fmt.Errorf("audit: reading head: %w", err)
	}
	var headSeq int64
	var headHash string
	if haveHead {
		var err error
		if headSeq, headHash, err = parseHead(head); err != nil {
			r.Break = &Break{Seq: 0, Kind: Edited, Detail: err.Error()}
			return r, nil
		}
	}
	var prev store.AuditEntry
	errStop := fmt.Errorf("stop")
	err := Each(ctx, st, 0, func(e store.AuditEntry) error {
		r.Entries++
		if b := check(ctx, st, prev, e); b != nil {
			r.Break = b
			return errStop
		}
		if haveHead && e.Seq == headSeq && e.Hash != headHash {
			r.Break = &Break{Seq: e.Seq, Kind: Replaced, Detail: fmt.Sprintf("entry %d is not the one last written", e.Seq)}
			return errStop
		}
		prev = e
		return nil
	})
	if err != nil && err != errStop {
		return r, fmt.Errorf("audit: reading log: %w", err)
	}
	r.HeadSeq, r.HeadHash = prev.Seq, prev.Hash
	if r.Break == nil && haveHead && headSeq > prev.Seq {
		r.Break = &Break{Seq: prev.Seq + 1, Kind: Deleted, Detail: fmt.Sprintf("entries %d to %d were cut off the end of the log", prev.Seq+1, headSeq)}
	}
	return r, nil
}

func check(ctx context.Context, st store.Store, prev, e store.AuditEntry) *Break {
	if Hash(e) != e.Hash {
		return &Break{Seq: e.Seq, Kind: Edited, Detail: fmt.Sprintf("entry %d was edited: its contents no longer match its hash", e.Seq)}
	}
	if e.Seq != prev.Seq+1 {
		return &Break{Seq: prev.Seq + 1, Kind: Deleted, Detail: fmt.Sprintf("entries %d to %d are missing (the log jumps from %d to %d)", prev.Seq+1, e.Seq-1, prev.Seq, e.Seq)}
	}
	if e.PrevHash == prev.Hash {
		return nil
	}
	// e is intact but does not follow prev. Tell a move from a replacement.
	if at := find(ctx, st, e.Seq, func(x store.AuditEntry) bool { return x.Hash == e.PrevHash }); at > 0 {
		return &Break{Seq: e.Seq, Kind: Reordered, Detail: fmt.Sprintf("entry %d was moved: it was written after the entry now at %d", e.Seq, at)}
	}
	if prev.Seq > 0 {
		if at := find(ctx, st, e.Seq, func(x store.AuditEntry) bool { return x.PrevHash == prev.Hash }); at > 0 {
			return &Break{Seq: e.Seq, Kind: Reordered, Detail: fmt.Sprintf("entry %d was moved: the entry written after %d is now at %d", e.Seq, prev.Seq, at)}
		}
	}
	if prev.Seq == 0 {
		return &Break{Seq: e.Seq, Kind: Deleted, Detail: fmt.Sprintf("the log's first entries were deleted: entry %d follows an entry that is gone", e.Seq)}
	}
	return &Break{Seq: e.Seq, Kind: Replaced, Detail: fmt.Sprintf("entry %d does not follow entry %d: entry %d was replaced, or entries between them were deleted and the log renumbered", e.Seq, prev.Seq, prev.Seq)}
}

// find returns the seq of the first entry after `after` that matches, or 0.
func find(ctx context.Context, st store.Store, after int64, match func(store.AuditEntry) bool) int64 {
	var at int64
	found := fmt.Errorf("found")
	Each(ctx, st, after, func(x store.AuditEntry) error {
		if match(x) {
			at = x.Seq
			return found
		}
		return nil
	})
	return at
}
