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
	t.Run("Approvals", func(t *testing.T) { testApprovals(t, newState(t)) })
	t.Run("Approvers", func(t *testing.T) { testApprovers(t, newState(t)) })
	t.Run("Grants", func(t *testing.T) { testGrants(t, newState(t)) })
	t.Run("RollbackOnError", func(t *testing.T) { testRollback(t, newState(t)) })
	t.Run("ConcurrentWriters", func(t *testing.T) { testConcurrentWriters(t, newState(t)) })
	t.Run("AuditChainAcrossHandles", func(t *testing.T) { testAuditChain(t, newState(t)) })
	t.Run("ConsumeOnceAcrossHandles", func(t *testing.T) { testConsumeOnce(t, newState(t)) })
	t.Run("ConsoleSessions", func(t *testing.T) { testConsoleSessions(t, newState(t)) })
	t.Run("CancelKeys", func(t *testing.T) { testCancelKeys(t, newState(t)) })
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
	types := []string{"", "approval.requested", "decision", "approval_x", "approval.approved", "t"}
	for i := int64(1); i <= 5; i++ {
		e := store.AuditEntry{Seq: i, Time: at, Type: types[i], Actor: "a", Data: []byte(`{"i":` + strconv.FormatInt(i, 10) + `}`), PrevHash: "p", Hash: "h" + strconv.FormatInt(i, 10)}
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
		// A prefix is matched literally ("_" is no wildcard) and the range
		// is half-open.
		es, err = tx.AuditEntriesOfType(0, 3, "approval.", 10)
		if err != nil || len(es) != 1 || es[0].Seq != 1 {
			t.Errorf("approval entries through 3 = %+v %v", es, err)
		}
		es, err = tx.AuditEntriesOfType(1, 5, "approval.", 10)
		if err != nil || len(es) != 1 || es[0].Seq != 4 {
			t.Errorf("approval entries after 1 = %+v %v", es, err)
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

func testApprovals(t *testing.T, open Opener) {
	s := open(t)
	now := time.Date(2026, 11, 24, 10, 0, 0, 5, time.UTC)
	a := store.Approval{ID: "apr_1", CreatedAt: now, ExpiresAt: now.Add(15 * time.Minute), State: "pending",
		TokenID: "tok_1", Env: "production", Upstream: "db", Kind: "sql", Text: "DROP TABLE t", TextHash: []byte{9, 9},
		Class: "destructive", Rule: "builtin.destructive", Reason: "r", Required: 2, Impact: "~10 rows"}
	must(t, s.Update(ctx, func(tx store.Tx) error { return tx.InsertApproval(a) }))
	if err := s.Update(ctx, func(tx store.Tx) error { return tx.InsertApproval(a) }); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate id: %v", err)
	}
	later := a
	later.ID, later.CreatedAt = "apr_2", now.Add(time.Second)
	must(t, s.Update(ctx, func(tx store.Tx) error { return tx.InsertApproval(later) }))
	must(t, s.View(ctx, func(tx store.Tx) error {
		got, err := tx.ApprovalByID("apr_1")
		if err != nil || got.Text != a.Text || !got.CreatedAt.Equal(now) || got.Required != 2 || !bytes.Equal(got.TextHash, a.TextHash) {
			t.Fatalf("read back %+v %v", got, err)
		}
		found, err := tx.FindApprovals("tok_1", "db", []byte{9, 9})
		if err != nil || len(found) != 2 || found[0].ID != "apr_2" {
			t.Fatalf("find: %+v %v", found, err)
		}
		if none, _ := tx.FindApprovals("tok_2", "db", []byte{9, 9}); len(none) != 0 {
			t.Fatal("found another token's request")
		}
		if _, err := tx.ApprovalByID("apr_x"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing: %v", err)
		}
		return nil
	}))
	must(t, s.Update(ctx, func(tx store.Tx) error {
		return tx.AddVote(store.Vote{ApprovalID: "apr_1", Approver: "alice", Approve: true, At: now})
	}))
	if err := s.Update(ctx, func(tx store.Tx) error {
		return tx.AddVote(store.Vote{ApprovalID: "apr_1", Approver: "alice", Approve: true, At: now})
	}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second vote by one approver: %v", err)
	}
	// Many handles race to move the same request: exactly one wins.
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for i := 0; i < 6; i++ {
		h := open(t)
		wg.Add(1)
		go func() {
			defer wg.Done()
			var won bool
			err := h.Update(ctx, func(tx store.Tx) error {
				var err error
				won, err = tx.SetApprovalState("apr_1", "pending", "approved", now, "")
				return err
			})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.Error(err)
			}
			if won {
				wins++
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d handles moved the request out of pending", wins)
	}
	must(t, s.Update(ctx, func(tx store.Tx) error {
		if ok, err := tx.SetApprovalState("apr_1", "approved", "consumed", now.Add(time.Minute), ""); !ok || err != nil {
			t.Fatalf("consume: %v %v", ok, err)
		}
		return nil
	}))
	must(t, s.View(ctx, func(tx store.Tx) error {
		got, _ := tx.ApprovalByID("apr_1")
		if got.State != "consumed" || !got.DecidedAt.Equal(now) || !got.ConsumedAt.Equal(now.Add(time.Minute)) {
			t.Fatalf("after consume: %+v", got)
		}
		pending, _ := tx.ListApprovals("pending", 10)
		all, _ := tx.ListApprovals("", 10)
		if len(pending) != 1 || pending[0].ID != "apr_2" || len(all) != 2 {
			t.Fatalf("list: %d pending, %d in all", len(pending), len(all))
		}
		votes, err := tx.Votes("apr_1")
		if err != nil || len(votes) != 1 || votes[0].Approver != "alice" || !votes[0].Approve {
			t.Fatalf("votes %+v %v", votes, err)
		}
		return nil
	}))
	must(t, s.Update(ctx, func(tx store.Tx) error {
		if err := tx.SetApprovalSnapshot("apr_1", "20261124T120000Z-ab"); err != nil {
			return err
		}
		if a, err := tx.ApprovalByID("apr_1"); err != nil || a.Snapshot != "20261124T120000Z-ab" {
			t.Fatalf("snapshot not recorded: %+v %v", a, err)
		}
		if err := tx.SetApprovalSnapshot("apr_none", "x"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("snapshot of an unknown request: %v", err)
		}
		return nil
	}))
}

func testApprovers(t *testing.T, open Opener) {
	s := open(t)
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	must(t, s.Update(ctx, func(tx store.Tx) error {
		return tx.InsertApprover(store.Approver{Name: "alice", Password: "$argon2id$x", CreatedAt: now, TOTPSecret: "sealed:v1:x"})
	}))
	if err := s.Update(ctx, func(tx store.Tx) error {
		return tx.InsertApprover(store.Approver{Name: "alice", Password: "y", CreatedAt: now})
	}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate approver: %v", err)
	}
	must(t, s.Update(ctx, func(tx store.Tx) error {
		a, err := tx.ApproverByName("alice")
		if err != nil || a.Password != "$argon2id$x" || !a.CreatedAt.Equal(now) || a.TOTPSecret != "sealed:v1:x" ||
			a.Failures != 0 || !a.LockedUntil.IsZero() {
			t.Fatalf("%+v %v", a, err)
		}
		locked := now.Add(15 * time.Minute)
		if err := tx.SetApproverFactor("alice", 59123, 3, locked); err != nil {
			return err
		}
		if a, err = tx.ApproverByName("alice"); err != nil || a.TOTPLastStep != 59123 || a.Failures != 3 || !a.LockedUntil.Equal(locked) {
			t.Fatalf("after SetApproverFactor: %+v %v", a, err)
		}
		if err := tx.SetApproverFactor("bob", 1, 0, time.Time{}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("factor of an unknown approver: %v", err)
		}
		must(t, tx.PutPasskey(store.Passkey{ID: []byte{1, 2}, Approver: "alice", Data: `{"n":1}`, CreatedAt: now}))
		must(t, tx.PutPasskey(store.Passkey{ID: []byte{1, 2}, Approver: "alice", Data: `{"n":2}`, CreatedAt: now}))
		// Another approver cannot take over a credential id.
		must(t, tx.PutPasskey(store.Passkey{ID: []byte{1, 2}, Approver: "mallory", Data: `{"n":3}`, CreatedAt: now}))
		keys, err := tx.Passkeys("alice")
		if err != nil || len(keys) != 1 || keys[0].Data != `{"n":2}` || !keys[0].CreatedAt.Equal(now) {
			t.Fatalf("passkeys %+v %v", keys, err)
		}
		if err := tx.DeleteApprover("alice"); err != nil {
			return err
		}
		if keys, err := tx.Passkeys("alice"); err != nil || len(keys) != 0 {
			t.Fatalf("passkeys outlive their approver: %+v %v", keys, err)
		}
		if err := tx.DeleteApprover("alice"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("second delete: %v", err)
		}
		list, err := tx.ListApprovers()
		if err != nil || len(list) != 0 {
			t.Fatalf("list %v %v", list, err)
		}
		return nil
	}))
}

func testGrants(t *testing.T, open Opener) {
	s := open(t)
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	g := store.Grant{ID: "grt_1", RequestID: "apr_1", TokenID: "tok_1", Upstream: "db", Env: "production", IncludeDestructive: true,
		GrantedBy: "approver:alice", CreatedAt: now, ExpiresAt: now.Add(15 * time.Minute)}
	must(t, s.Update(ctx, func(tx store.Tx) error { return tx.InsertGrant(g) }))
	if err := s.Update(ctx, func(tx store.Tx) error { return tx.InsertGrant(g) }); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate id: %v", err)
	}
	short := g
	short.ID, short.IncludeDestructive, short.ExpiresAt = "grt_2", false, now.Add(500*time.Millisecond)
	must(t, s.Update(ctx, func(tx store.Tx) error { return tx.InsertGrant(short) }))
	must(t, s.View(ctx, func(tx store.Tx) error {
		got, err := tx.GrantByID("grt_1")
		if err != nil || got != g {
			t.Fatalf("read back %+v %v", got, err)
		}
		active, err := tx.ActiveGrants("tok_1", "db", now.Add(time.Second))
		if err != nil || len(active) != 1 || active[0].ID != "grt_1" {
			t.Fatalf("active a second later: %+v %v", active, err)
		}
		if other, _ := tx.ActiveGrants("tok_2", "db", now); len(other) != 0 {
			t.Fatal("another token's grant applied")
		}
		if other, _ := tx.ActiveGrants("tok_1", "db2", now); len(other) != 0 {
			t.Fatal("another upstream's grant applied")
		}
		if _, err := tx.GrantByID("grt_9"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing: %v", err)
		}
		return nil
	}))
	must(t, s.Update(ctx, func(tx store.Tx) error {
		if ok, err := tx.RevokeGrant("grt_1", now.Add(time.Minute), "approver:bob"); !ok || err != nil {
			t.Fatalf("revoke: %v %v", ok, err)
		}
		if ok, _ := tx.RevokeGrant("grt_1", now.Add(2*time.Minute), "approver:bob"); ok {
			t.Fatal("revoked twice")
		}
		return nil
	}))
	must(t, s.View(ctx, func(tx store.Tx) error {
		if active, _ := tx.ActiveGrants("tok_1", "db", now.Add(time.Minute)); len(active) != 0 {
			t.Fatalf("a revoked grant is active: %+v", active)
		}
		list, err := tx.ListGrants(10)
		if err != nil || len(list) != 2 || list[0].RevokedBy != "approver:bob" && list[1].RevokedBy != "approver:bob" {
			t.Fatalf("list: %+v %v", list, err)
		}
		return nil
	}))
}
