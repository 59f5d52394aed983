package approval

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/audit"
	"github.com/chaperone/chaperone/internal/secret"
	"github.com/chaperone/chaperone/internal/store"
	"github.com/chaperone/chaperone/internal/store/sqlite"
)

var ctx = context.Background()

func service(t *testing.T) (*Service, *time.Time) {
	t.Helper()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	box, err := secret.Open(t.TempDir(), true)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	// The tokens the requests are bound to; only a live token spends an
	// approval.
	st.Update(ctx, func(tx store.Tx) error {
		for _, id := range []string{"tok_a", "tok_b"} {
			if err := tx.InsertToken(store.Token{ID: id, Hash: []byte(id), Env: "production", Scope: "all", CreatedAt: now}); err != nil {
				t.Fatal(err)
			}
		}
		return nil
	})
	return &Service{Store: st, Now: func() time.Time { return now }, Secrets: box}, &now
}

func hold(text string, approvals int) Hold {
	return Hold{
		Action:   action.Action{Kind: action.KindSQL, Env: "production", Upstream: "app-prod", Text: text, Class: action.ClassDestructive},
		Decision: action.Decision{Verdict: action.Approve, Rule: "builtin.destructive", Reason: "r", Approvals: approvals},
		TokenID:  "tok_a",
	}
}

func TestHeldApprovedConsumedOnceThenHeldAgain(t *testing.T) {
	s, _ := service(t)
	req, run, err := s.Check(ctx, hold("DROP TABLE bookings", 2))
	if err != nil || run || req.State != Pending || req.Required != 2 {
		t.Fatalf("first check: %+v %v %v", req, run, err)
	}
	again, run, _ := s.Check(ctx, hold("DROP TABLE bookings", 2))
	if again.ID != req.ID || run {
		t.Fatal("a retry while pending made a second request")
	}
	other := hold("DROP TABLE bookings", 2)
	other.TokenID = "tok_b"
	if o, _, _ := s.Check(ctx, other); o.ID == req.ID {
		t.Fatal("another token's request was shared")
	}
	if _, err := s.Approve(ctx, req.ID, "token:tok_a", ""); !errors.Is(err, ErrSelf) {
		t.Fatalf("the requester approved itself: %v", err)
	}
	a, err := s.Approve(ctx, req.ID, "alice", "looks right")
	if err != nil || a.State != Pending {
		t.Fatalf("one of two approvals: %+v %v", a, err)
	}
	if _, err := s.Approve(ctx, req.ID, "alice", ""); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("alice counted twice: %v", err)
	}
	if a, err = s.Approve(ctx, req.ID, "bob", ""); err != nil || a.State != Approved {
		t.Fatalf("two approvals: %+v %v", a, err)
	}
	// A different text is not covered by the approval.
	if r, run, _ := s.Check(ctx, hold("DROP TABLE payments", 2)); run || r.ID == req.ID {
		t.Fatal("an approval covered another statement")
	}
	// Racing retries: exactly one runs.
	var runs atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, run, err := s.Check(ctx, hold("DROP TABLE bookings", 2))
			if err != nil {
				t.Error(err)
				return
			}
			if run {
				if ok, err := s.Consume(ctx, r.ID, "token:tok_a"); err == nil && ok {
					runs.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if runs.Load() != 1 {
		t.Fatalf("the approved statement ran %d times", runs.Load())
	}
	next, run, _ := s.Check(ctx, hold("DROP TABLE bookings", 2))
	if run || next.ID == req.ID || next.State != Pending {
		t.Fatalf("after it ran, the same text is not held again: %+v %v", next, run)
	}
	if res, err := audit.Verify(ctx, s.Store); err != nil || !res.OK() {
		t.Fatalf("audit chain: %+v %v", res, err)
	}
}

func TestDenyIsFinalAndExpiryHolds(t *testing.T) {
	s, now := service(t)
	req, _, _ := s.Check(ctx, hold("TRUNCATE bookings", 1))
	if _, err := s.Deny(ctx, req.ID, "alice", "not during business hours"); err != nil {
		t.Fatal(err)
	}
	again, run, _ := s.Check(ctx, hold("TRUNCATE bookings", 1))
	if run || again.ID != req.ID || again.State != Denied || again.DenyReason != "not during business hours" {
		t.Fatalf("retry after deny: %+v", again)
	}
	if _, err := s.Approve(ctx, req.ID, "bob", ""); !errors.Is(err, ErrNotPending) {
		t.Fatalf("approved after deny: %v", err)
	}
	late, _, _ := s.Check(ctx, hold("DELETE FROM bookings", 1))
	*now = now.Add(DefaultTTL + time.Second)
	if _, err := s.Approve(ctx, late.ID, "alice", ""); !errors.Is(err, ErrNotPending) {
		t.Fatalf("an expired request was approved: %v", err)
	}
	fresh, run, _ := s.Check(ctx, hold("DELETE FROM bookings", 1))
	if run || fresh.ID == late.ID {
		t.Fatal("an expired request was reused")
	}
	// An approval that waits too long to be used expires too.
	s.Approve(ctx, fresh.ID, "alice", "")
	*now = now.Add(DefaultTTL + time.Second)
	if ok, _ := s.Consume(ctx, fresh.ID, "token:tok_a"); ok {
		t.Fatal("an expired approval was consumed")
	}
}

func TestApproversAuthenticate(t *testing.T) {
	s, _ := service(t)
	key, _ := NewTOTP("alice")
	if err := s.AddApprover(ctx, "alice", "short", key.Secret(), "cli:root"); err == nil {
		t.Fatal("short password accepted")
	}
	if err := s.AddApprover(ctx, "Alice!", "correct horse battery", key.Secret(), "cli:root"); err == nil {
		t.Fatal("bad name accepted")
	}
	if err := s.AddApprover(ctx, "alice", "correct horse battery", "", "cli:root"); !errors.Is(err, ErrNoFactor) {
		t.Fatalf("an approver without a second factor: %v", err)
	}
	if err := s.AddApprover(ctx, "alice", "correct horse battery", key.Secret(), "cli:root"); err != nil {
		t.Fatal(err)
	}
	if err := s.Authenticate(ctx, "alice", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][2]string{{"alice", "correct horse batterz"}, {"bob", "correct horse battery"}} {
		if err := s.Authenticate(ctx, bad[0], bad[1]); !errors.Is(err, ErrBadLogin) {
			t.Fatalf("%v: %v", bad, err)
		}
	}
	list, _ := s.Approvers(ctx)
	if len(list) != 1 || list[0].Password != "" || list[0].TOTPSecret != "enrolled" {
		t.Fatalf("list leaks hashes or lost alice: %+v", list)
	}
}

// Password hashing is bounded: many sign-ins at once queue for two slots
// instead of each taking 64 MiB at the same time.
func TestPasswordHashingIsBounded(t *testing.T) {
	var mu sync.Mutex
	running, peak := 0, 0
	inArgonSlot = func() {
		mu.Lock()
		running++
		peak = max(peak, running)
		mu.Unlock()
		time.Sleep(20 * time.Millisecond)
		mu.Lock()
		running--
		mu.Unlock()
	}
	defer func() { inArgonSlot = nil }()
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() { defer wg.Done(); checkPassword(dummyHash(), "x") }()
	}
	wg.Wait()
	if peak != cap(argonSlots) {
		t.Fatalf("%d hashes ran at once, want %d", peak, cap(argonSlots))
	}
}

// Revoking a token voids the approvals granted to it.
func TestARevokedTokenCannotSpendItsApproval(t *testing.T) {
	s, now := service(t)
	req, _, err := s.Check(ctx, hold("DROP TABLE bookings", 1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Approve(ctx, req.ID, "alice", ""); err != nil {
		t.Fatal(err)
	}
	s.Store.Update(ctx, func(tx store.Tx) error { return tx.RevokeToken("tok_a", *now) })
	if _, run, _ := s.Check(ctx, hold("DROP TABLE bookings", 1)); !run {
		t.Fatal("the approval is not ready to run")
	}
	if ok, err := s.Consume(ctx, req.ID, "token:tok_a"); ok || err != nil {
		t.Fatalf("a revoked token spent its approval: %v %v", ok, err)
	}
}

// A reserved approval runs once at a time, and is spent only when settled
// as committed; settled otherwise it is good for a retry.
func TestReservedApprovalsAreSpentOnlyByACommit(t *testing.T) {
	s, _ := service(t)
	req, _, _ := s.Check(ctx, hold("DROP TABLE bookings", 1))
	s.Approve(ctx, req.ID, "alice", "")
	if ok, err := s.Reserve(ctx, req.ID, "token:tok_a"); !ok || err != nil {
		t.Fatalf("reserve: %v %v", ok, err)
	}
	if ok, _ := s.Reserve(ctx, req.ID, "token:tok_a"); ok {
		t.Fatal("reserved twice at once")
	}
	if got, run, _ := s.Check(ctx, hold("DROP TABLE bookings", 1)); run || got.ID != req.ID || got.State != Reserved {
		t.Fatalf("while reserved: %+v run=%v", got, run)
	}
	if err := s.Settle(ctx, req.ID, "token:tok_a", false); err != nil {
		t.Fatal(err)
	}
	if got, run, _ := s.Check(ctx, hold("DROP TABLE bookings", 1)); !run || got.ID != req.ID {
		t.Fatalf("after a rollback the approval is not ready again: %+v", got)
	}
	s.Reserve(ctx, req.ID, "token:tok_a")
	if err := s.Settle(ctx, req.ID, "token:tok_a", true); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := s.Get(ctx, req.ID); got.State != Consumed {
		t.Fatalf("after a commit: %s", got.State)
	}
	if err := s.Settle(ctx, req.ID, "token:tok_a", true); err == nil {
		t.Fatal("settled twice")
	}
}
