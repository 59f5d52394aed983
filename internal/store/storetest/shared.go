package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/chaperone/chaperone/internal/store"
)

func testConsoleSessions(t *testing.T, open Opener) {
	a, b := open(t), open(t)
	now := time.Date(2026, 11, 24, 10, 0, 0, 500, time.UTC)
	cs := store.ConsoleSession{IDHash: []byte{7, 7}, Approver: "alice", CSRF: "c", CreatedAt: now, LastSeen: now}
	must(t, a.Update(ctx, func(tx store.Tx) error { return tx.PutConsoleSession(cs) }))
	must(t, b.View(ctx, func(tx store.Tx) error {
		got, err := tx.ConsoleSession([]byte{7, 7})
		if err != nil || got.Approver != "alice" || got.CSRF != "c" || !got.CreatedAt.Equal(now) || !got.LastSeen.Equal(now) {
			t.Fatalf("another handle reads %+v %v", got, err)
		}
		if _, err := tx.ConsoleSession([]byte{8}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown session: %v", err)
		}
		return nil
	}))
	later := now.Add(10 * time.Minute)
	must(t, b.Update(ctx, func(tx store.Tx) error { return tx.TouchConsoleSession([]byte{7, 7}, later) }))
	// Idle before a time just after creation (whole seconds against
	// nanoseconds: ordered as times, not as text) keeps the touched one.
	other := store.ConsoleSession{IDHash: []byte{9}, Approver: "bob", CSRF: "d", CreatedAt: now, LastSeen: now}
	must(t, a.Update(ctx, func(tx store.Tx) error { return tx.PutConsoleSession(other) }))
	must(t, a.Update(ctx, func(tx store.Tx) error {
		return tx.DeleteConsoleSessions(now.Truncate(time.Second).Add(time.Second), now.Add(-time.Hour))
	}))
	must(t, a.View(ctx, func(tx store.Tx) error {
		if got, err := tx.ConsoleSession([]byte{7, 7}); err != nil || !got.LastSeen.Equal(later) {
			t.Fatalf("touched session: %+v %v", got, err)
		}
		if _, err := tx.ConsoleSession([]byte{9}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("an idle session outlived the sweep: %v", err)
		}
		return nil
	}))
	must(t, b.Update(ctx, func(tx store.Tx) error { return tx.DeleteConsoleSession([]byte{7, 7}) }))
	if err := a.Update(ctx, func(tx store.Tx) error { return tx.TouchConsoleSession([]byte{7, 7}, later) }); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("touching an ended session: %v", err)
	}
}

func testCancelKeys(t *testing.T, open Opener) {
	a, b := open(t), open(t)
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	k := store.CancelKey{PID: 0xfffffff0, SecretHash: []byte{1}, Host: "/run/pg", Port: 65432, UpstreamPID: 0x80000001,
		UpstreamSecret: []byte{2, 3}, CreatedAt: now}
	must(t, a.Update(ctx, func(tx store.Tx) error { return tx.PutCancelKey(k) }))
	if err := b.Update(ctx, func(tx store.Tx) error { return tx.PutCancelKey(k) }); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("a taken pid: %v", err)
	}
	must(t, b.View(ctx, func(tx store.Tx) error {
		got, err := tx.CancelKey(k.PID)
		if err != nil || got.Host != k.Host || got.Port != k.Port || got.UpstreamPID != k.UpstreamPID ||
			string(got.UpstreamSecret) != string(k.UpstreamSecret) || string(got.SecretHash) != "\x01" {
			t.Fatalf("read back %+v %v", got, err)
		}
		return nil
	}))
	must(t, b.Update(ctx, func(tx store.Tx) error { return tx.DeleteCancelKeys(now.Add(time.Nanosecond)) }))
	must(t, a.View(ctx, func(tx store.Tx) error {
		if _, err := tx.CancelKey(k.PID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("after sweep: %v", err)
		}
		return nil
	}))
}
