// Package storetest is the conformance suite every store implementation runs.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/chaperone/chaperone/internal/store"
)

// Opener opens a store. Called several times in one test, it must return
// independent handles (own connections) on the same shared state, the way
// several processes or gateway replicas would see it.
type Opener func(t *testing.T) store.Store

// Run runs every conformance test. newState returns an Opener bound to a
// fresh, empty state.
func Run(t *testing.T, newState func(t *testing.T) Opener) {
	t.Run("Tokens", func(t *testing.T) { testTokens(t, newState(t)) })
	t.Run("Audit", func(t *testing.T) { testAudit(t, newState(t)) })
	t.Run("RollbackOnError", func(t *testing.T) { testRollback(t, newState(t)) })
	t.Run("ConcurrentWriters", func(t *testing.T) { testConcurrentWriters(t, newState(t)) })
}

var ctx = context.Background()

func testTokens(t *testing.T, open Opener) {
	s := open(t)
	now := time.Date(2026, 11, 24, 10, 0, 0, 123456789, time.UTC)
	k := store.Token{ID: "tok_1", Name: "ci", Env: "staging", Upstreams: []string{"a", "b"}, Scope: "all",
		Hash: []byte{1, 2, 3}, SCRAM: "SCRAM-SHA-256$4096:c2FsdA==$x:y", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	must(t, s.Update(ctx, func(tx store.Tx) error { return tx.InsertToken(k) }))
	dup := k
	dup.ID = "tok_2" // same hash
	if err := s.Update(ctx, func(tx store.Tx) error { return tx.InsertToken(dup) }); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate hash: %v", err)
	}
	must(t, s.View(ctx, func(tx store.Tx) error {
		got, err := tx.TokenByHash([]byte{1, 2, 3})
		if err != nil {
			return err
		}
		if got.ID != k.ID || got.Env != k.Env || len(got.Upstreams) != 2 || got.Upstreams[1] != "b" ||
			!got.CreatedAt.Equal(now) || !got.ExpiresAt.Equal(k.ExpiresAt) || !got.RevokedAt.IsZero() || got.SCRAM != k.SCRAM {
			t.Errorf("round trip: %+v", got)
		}
		if _, err := tx.TokenByHash([]byte{9}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("missing hash: %v", err)
		}
		return nil
	}))
	must(t, s.Update(ctx, func(tx store.Tx) error { return tx.RevokeToken("tok_1", now.Add(time.Minute)) }))
	// Revoking again keeps the first revocation time.
	must(t, s.Update(ctx, func(tx store.Tx) error { return tx.RevokeToken("tok_1", now.Add(time.Hour)) }))
	if err := s.Update(ctx, func(tx store.Tx) error { return tx.RevokeToken("tok_nope", now) }); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revoke unknown: %v", err)
	}
	must(t, s.View(ctx, func(tx store.Tx) error {
		ks, err := tx.ListTokens()
		if err != nil {
			return err
		}
		if len(ks) != 1 || !ks[0].RevokedAt.Equal(now.Add(time.Minute)) {
			t.Errorf("list after revoke: %+v", ks)
		}
		return nil
	}))
}

func testAudit(t *testing.T, open Opener) {
	s := open(t)
	must(t, s.View(ctx, func(tx store.Tx) error {
		if _, ok, err := tx.LastAudit(); ok || err != nil {
			t.Errorf("empty log: ok=%v err=%v", ok, err)
		}
		return nil
	}))
	at := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	for i := int64(1); i <= 5; i++ {
		e := store.AuditEntry{Seq: i, Time: at, Type: "t", Actor: "a", Data: []byte(`{"i":` + strconv.FormatInt(i, 10) + `}`), PrevHash: "p", Hash: "h" + strconv.FormatInt(i, 10)}
		must(t, s.Update(ctx, func(tx store.Tx) error { return tx.AppendAudit(e) }))
	}
	if err := s.Update(ctx, func(tx store.Tx) error {
		return tx.AppendAudit(store.AuditEntry{Seq: 3, Time: at, Type: "t", Data: []byte("{}")})
	}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate seq: %v", err)
	}
	must(t, s.View(ctx, func(tx store.Tx) error {
		last, ok, err := tx.LastAudit()
		if err != nil || !ok || last.Seq != 5 || last.Hash != "h5" || !last.Time.Equal(at) || !bytes.Equal(last.Data, []byte(`{"i":5}`)) {
			t.Errorf("last = %+v %v %v", last, ok, err)
		}
		es, err := tx.AuditEntries(2, 2)
		if err != nil || len(es) != 2 || es[0].Seq != 3 || es[1].Seq != 4 {
			t.Errorf("entries after 2 = %+v %v", es, err)
		}
		return nil
	}))
}

func testRollback(t *testing.T, open Opener) {
	s := open(t)
	boom := errors.New("boom")
	err := s.Update(ctx, func(tx store.Tx) error {
		if err := tx.SetMeta("k", "v"); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update returned %v", err)
	}
	must(t, s.View(ctx, func(tx store.Tx) error {
		if _, ok, _ := tx.Meta("k"); ok {
			t.Error("a failed transaction left its write behind")
		}
		return nil
	}))
}

// testConcurrentWriters increments one counter from several handles at once:
// a lost update shows up as a final count below the number of increments.
func testConcurrentWriters(t *testing.T, open Opener) {
	const handles, goroutines, each = 4, 2, 12
	stores := make([]store.Store, handles)
	for i := range stores {
		stores[i] = open(t)
	}
	var wg sync.WaitGroup
	errs := make(chan error, handles*goroutines*each)
	for _, s := range stores {
		for range goroutines {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range each {
					errs <- s.Update(ctx, func(tx store.Tx) error {
						v, _, err := tx.Meta("counter")
						if err != nil {
							return err
						}
						n, _ := strconv.Atoi(v)
						return tx.SetMeta("counter", strconv.Itoa(n+1))
					})
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}
	must(t, stores[0].View(ctx, func(tx store.Tx) error {
		v, _, err := tx.Meta("counter")
		if want := strconv.Itoa(handles * goroutines * each); v != want {
			t.Errorf("counter = %s, want %s (lost updates)", v, want)
		}
		return err
	}))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
