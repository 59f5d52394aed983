package storetest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chaperone/chaperone/internal/audit"
	"github.com/chaperone/chaperone/internal/store"
)

// testAuditChain appends from several handles (instances) at once, each
// through its own group-committing writer and by single records, and
// checks that the result is one chain with nothing lost.
func testAuditChain(t *testing.T, open Opener) {
	const handles, writers, each = 3, 4, 25
	var wg sync.WaitGroup
	errs := make(chan error, handles*writers*each)
	for h := range handles {
		s := open(t)
		w := &audit.Writer{Store: s}
		for g := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					ev := audit.Event{Type: "test", Actor: fmt.Sprintf("h%d", h), Data: map[string]int{"g": g, "i": i}}
					if i%5 == 0 {
						errs <- audit.Record(ctx, s, ev)
					} else {
						errs <- w.Append(ctx, ev)
					}
				}
			}()
		}
		defer w.Close()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}
	r, err := audit.Verify(ctx, open(t))
	must(t, err)
	if !r.OK() || r.Entries != handles*writers*each {
		t.Fatalf("verify: %d entries (want %d), break %+v", r.Entries, handles*writers*each, r.Break)
	}
}

// testConsumeOnce races handles to spend one approval: exactly one wins.
func testConsumeOnce(t *testing.T, open Opener) {
	s := open(t)
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	const n = 8
	for i := range n {
		must(t, s.Update(ctx, func(tx store.Tx) error {
			return tx.InsertApproval(store.Approval{ID: fmt.Sprintf("apr_%d", i), CreatedAt: now, ExpiresAt: now.Add(time.Hour),
				State: "approved", TokenID: "tok", Upstream: "db", Kind: "sql", Text: "DELETE", TextHash: []byte{1}, Required: 1})
		}))
	}
	hs := make([]store.Store, 6)
	for i := range hs {
		hs[i] = open(t)
	}
	for i := range n {
		var wins atomic.Int32
		var wg sync.WaitGroup
		for _, h := range hs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := h.Update(ctx, func(tx store.Tx) error {
					a, err := tx.ApprovalByID(fmt.Sprintf("apr_%d", i))
					if err != nil || a.State != "approved" {
						return err
					}
					ok, err := tx.SetApprovalState(a.ID, "approved", "consumed", now, "")
					if ok {
						wins.Add(1)
					}
					return err
				})
				if err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if w := wins.Load(); w != 1 {
			t.Fatalf("apr_%d consumed %d times", i, w)
		}
	}
}

// BenchAuditAppend measures audit appends on one state shared by handles
// (instances): each goroutine appends through its handle's group-committing
// writer, as the gateways do. It reports entries per second.
func BenchAuditAppend(b *testing.B, open func(b *testing.B) store.Store, handles int) {
	stores := make([]store.Store, handles)
	writers := make([]*audit.Writer, handles)
	for i := range stores {
		stores[i] = open(b)
		writers[i] = &audit.Writer{Store: stores[i]}
	}
	var next atomic.Int64
	b.SetParallelism(16)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		w := writers[int(next.Add(1))%handles]
		for pb.Next() {
			if err := w.Append(context.Background(), audit.Event{Type: "bench", Actor: "b", Data: map[string]string{"k": "v"}}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "entries/s")
	for _, w := range writers {
		w.Close()
	}
	r, err := audit.Verify(context.Background(), stores[0])
	if err != nil || !r.OK() {
		b.Fatalf("verify after the benchmark: %+v %v", r.Break, err)
	}
}

// BenchAuditRecord measures one entry per transaction (no group commit),
// from goroutines spread over handles: the cost of the serialised write.
func BenchAuditRecord(b *testing.B, open func(b *testing.B) store.Store, handles int) {
	stores := make([]store.Store, handles)
	for i := range stores {
		stores[i] = open(b)
	}
	var next atomic.Int64
	b.SetParallelism(4)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		s := stores[int(next.Add(1))%handles]
		for pb.Next() {
			if err := audit.Record(context.Background(), s, audit.Event{Type: "bench", Actor: "b", Data: map[string]string{"k": "v"}}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "entries/s")
}
