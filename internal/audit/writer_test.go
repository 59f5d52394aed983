package audit

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chaperone/chaperone/internal/store"
	"github.com/chaperone/chaperone/internal/store/sqlite"
)

func openStore(t testing.TB) store.Store {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// Appends from many goroutines, waiting and not, form one chain with every
// event in it once.
func TestWriterGroupCommitsIntoOneChain(t *testing.T) {
	st := openStore(t)
	w := &Writer{Store: st}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				if i%2 == 0 {
					w.Post(Event{Type: Decision, Actor: "t", Data: map[string]int{"g": g, "i": i}})
				} else if err := w.Append(context.Background(), Event{Type: Decision, Actor: "t", Data: map[string]int{"g": g, "i": i}}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	w.Close()
	r, err := Verify(context.Background(), st)
	if err != nil || !r.OK() || r.Entries != 1600 {
		t.Fatalf("%+v %v", r, err)
	}
}

// An event that cannot be encoded fails alone; its batch neighbours are
// written.
func TestWriterIsolatesABadEvent(t *testing.T) {
	st := openStore(t)
	w := &Writer{Store: st}
	errs := make(chan error, 3)
	for _, d := range []any{1, make(chan int), 2} {
		go func() { errs <- w.Append(context.Background(), Event{Type: Decision, Data: d}) }()
	}
	failed := 0
	for range 3 {
		if <-errs != nil {
			failed++
		}
	}
	w.Close()
	if r, _ := Verify(context.Background(), st); failed != 1 || r.Entries != 2 || !r.OK() {
		t.Fatalf("failed %d, chain %+v", failed, r)
	}
}

// BenchmarkWriterPost is the cost of auditing a read at the gateway: the
// caller's part and the group-committed write, per event.
func BenchmarkWriterPost(b *testing.B) {
	st := openStore(b)
	w := &Writer{Store: st}
	data := DecisionData{Entry: "pg", Source: "pg:app", Token: "tok_0123456789abcdef", Upstream: "app", Env: "production",
		Kind: "sql", Class: "read", Rule: "builtin.read", Decision: "allow", Outcome: "forwarded",
		Text: "SELECT abalance FROM pgbench_accounts WHERE aid = $1", Fingerprint: "0123456789abcdef"}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			w.Post(Event{Type: Decision, Actor: "token:tok_0123456789abcdef", Data: data})
		}
	})
	w.Close()
}

// BenchmarkWriterAppendLone is the wait for one durable entry when nothing
// else is being written: a hook's write decision.
func BenchmarkWriterAppendLone(b *testing.B) {
	st := openStore(b)
	w := &Writer{Store: st}
	defer w.Close()
	data := DecisionData{Entry: "hook", Source: "claude-code", Kind: "shell", Class: "write", Rule: "builtin.write",
		Decision: "allow", Text: "git status && npm test"}
	b.ReportAllocs()
	for b.Loop() {
		if err := w.Append(context.Background(), Event{Type: Decision, Actor: "agent:claude-code", Data: data}); err != nil {
			b.Fatal(err)
		}
	}
}

// An append somebody waits for is bounded by its caller's deadline even
// when the writer cannot write and the queue is full.
func TestAppendWaitsNoLongerThanItsDeadline(t *testing.T) {
	st := openStore(t)
	w := &Writer{Store: st}
	defer w.Close()
	// Hold the store's write lock so that the writer stalls on its first
	// batch, then fill the queue behind it.
	release := make(chan struct{})
	held := make(chan struct{})
	go st.Update(context.Background(), func(store.Tx) error { close(held); <-release; return nil })
	<-held
	defer close(release)
	for range maxQueued + maxBatch + 1 {
		go w.Post(Event{Type: Decision, Actor: "t", Data: 1})
	}
	for full := false; !full; time.Sleep(time.Millisecond) {
		w.mu.Lock()
		full = len(w.queue) >= maxQueued
		w.mu.Unlock()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- w.Append(ctx, Event{Type: Decision, Actor: "t", Data: 2}) }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("an append succeeded while the store was locked")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Append outlived its deadline")
	}
}

// A queued entry is on the chain once its wait returns nil; a bad one
// reports its error to its own wait; after Close the wait says so.
func TestQueuedEntriesAreDurableWhenTheirWaitReturns(t *testing.T) {
	st := openStore(t)
	w := &Writer{Store: st}
	var waits []func(context.Context) error
	for i := range 5 {
		waits = append(waits, w.Queue(Event{Type: Decision, Actor: "t", Data: map[string]int{"i": i}}))
	}
	bad := w.Queue(Event{Type: Decision, Data: make(chan int)})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, wait := range waits {
		if err := wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// Durable means readable from the store now, before Close.
	if r, err := Verify(ctx, st); err != nil || !r.OK() || r.Entries != 5 {
		t.Fatalf("after the waits: %+v %v", r, err)
	}
	if err := bad(ctx); err == nil {
		t.Fatal("an event that cannot be encoded was reported durable")
	}
	w.Close()
	if err := w.Queue(Event{Type: Decision})(ctx); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
}
