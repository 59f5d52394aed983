package backup

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/chaperone/chaperone/internal/pgtest"
)

// turnsFixture is a database with tables a (1 row), b (2) and c (3), and a
// Before whose one turn the test holds until the snapshots it starts have
// all joined the same batch.
type turnsFixture struct {
	dsn string
	dir string
	b   *Before
}

func newTurnsFixture(t *testing.T) turnsFixture {
	pg := pgtest.Shared(t)
	db := pg.CreateDB(t)
	pg.Exec(t, db, `CREATE TABLE a (x int); INSERT INTO a VALUES (1);
		CREATE TABLE b (x int); INSERT INTO b VALUES (1), (2);
		CREATE TABLE c (x int); INSERT INTO c VALUES (1), (2), (3)`)
	id, _ := age.GenerateX25519Identity()
	dir := t.TempDir()
	b := &Before{Open: func() (Store, error) { return &Local{Dir: dir}, nil }, Recipient: id.Recipient().String(),
		Retain: time.Hour, LockWait: 500 * time.Millisecond, Parallel: 1}
	return turnsFixture{dsn: pg.DSN(db), dir: dir, b: b}
}

// holdTurn takes the only turn; the returned func gives it back once n
// snapshots wait in the batch for the fixture's database.
func (f turnsFixture) holdTurn(t *testing.T) func(n int) {
	t.Helper()
	done, err := f.b.turn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return func(n int) {
		f.waitJoined(t, n)
		done()
	}
}

// waitJoined waits until n snapshots wait in the batches forming.
func (f turnsFixture) waitJoined(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		f.b.mu.Lock()
		waiting := 0
		for _, bt := range f.b.forming {
			waiting += bt.waiting
		}
		f.b.mu.Unlock()
		if waiting == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d snapshots joined the batch, want %d", waiting, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type taken struct {
	m   Manifest
	err error
}

func (f turnsFixture) take(ctx context.Context, targets ...string) <-chan taken {
	out := make(chan taken, 1)
	go func() {
		m, _, err := f.b.Take(ctx, "u", "staging", f.dsn, targets, "before "+strings.Join(targets, ","))
		out <- taken{m, err}
	}()
	return out
}

// Snapshots of one database waiting for the same turn share one pg_dump of
// every table they name; one that stops waiting leaves the others theirs.
func TestSnapshotsWaitingTogetherShareOne(t *testing.T) {
	f := newTurnsFixture(t)
	release := f.holdTurn(t)
	gone, leave := context.WithCancel(ctx)
	results := []<-chan taken{f.take(ctx, "a"), f.take(ctx, "b", "a"), f.take(ctx, "c"), f.take(gone, "b")}
	release(4)
	leave()
	var ids []string
	for i, r := range results[:3] {
		got := <-r
		if got.err != nil {
			t.Fatalf("snapshot %d: %v", i, got.err)
		}
		rows := map[string]int64{}
		for _, tb := range got.m.Tables {
			rows[tb.Name] = tb.Rows
		}
		if got.m.WholeDB || len(rows) != 3 || rows["public.a"] != 1 || rows["public.b"] != 2 || rows["public.c"] != 3 {
			t.Fatalf("snapshot %d has %+v, want a, b and c with their rows", i, got.m.Tables)
		}
		ids = append(ids, got.m.ID)
	}
	if ids[0] != ids[1] || ids[1] != ids[2] {
		t.Fatalf("snapshots waiting together were taken apart: %v", ids)
	}
	if got := <-results[3]; got.err == nil {
		// It left before or after the snapshot ended: either is fine,
		// as long as what it got is the shared one.
		if got.m.ID != ids[0] {
			t.Fatalf("the member that left got another snapshot %s", got.m.ID)
		}
	} else if !errors.Is(got.err, context.Canceled) {
		t.Fatalf("the member that left: %v", got.err)
	}
	ms, err := Manifests(ctx, &Local{Dir: f.dir}, "u")
	if err != nil || len(ms) != 1 {
		t.Fatalf("%d snapshots stored, want 1 (%v)", len(ms), err)
	}
	if !strings.Contains(ms[0].Reason, "before a") || !strings.Contains(ms[0].Reason, "before c") {
		t.Fatalf("the shared snapshot's reason names not every action: %q", ms[0].Reason)
	}
	// One that needs the whole database makes the shared one whole.
	release = f.holdTurn(t)
	whole, one := f.take(ctx), f.take(ctx, "a")
	release(2)
	if w, o := <-whole, <-one; w.err != nil || o.err != nil || !w.m.WholeDB || o.m.ID != w.m.ID {
		t.Fatalf("whole: %+v %v; a: %+v %v", w.m, w.err, o.m, o.err)
	}
}

// A shared snapshot that fails is taken again for each action alone: a
// lock on one action's table fails that action, not the others.
func TestASharedSnapshotThatFailsIsRetakenAlone(t *testing.T) {
	f := newTurnsFixture(t)
	lockTable(t, f.dsn, "c")
	release := f.holdTurn(t)
	free, locked := f.take(ctx, "a"), f.take(ctx, "c")
	release(2)
	if got := <-free; got.err != nil || len(got.m.Tables) != 1 || got.m.Tables[0].Name != "public.a" {
		t.Fatalf("the free table's snapshot: %+v %v", got.m, got.err)
	}
	if got := <-locked; got.err == nil || !strings.Contains(got.err.Error(), "lock") {
		t.Fatalf("the locked table's snapshot: %+v %v", got.m, got.err)
	}
}

// The wait for a turn is bounded, and says why it ended.
func TestTheWaitForASnapshotsTurnIsBounded(t *testing.T) {
	f := newTurnsFixture(t)
	f.b.QueueWait = 200 * time.Millisecond
	done, err := f.b.turn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got := <-f.take(ctx, "a")
			if got.err == nil || !strings.Contains(got.err.Error(), "for its turn") || !strings.Contains(got.err.Error(), "try again") {
				t.Errorf("a snapshot with no turn: %+v %v", got.m, got.err)
			}
		}()
	}
	wg.Wait()
	done()
	if ms, _ := Manifests(ctx, &Local{Dir: f.dir}, "u"); len(ms) != 0 {
		t.Fatalf("a snapshot without a turn was stored: %+v", ms)
	}
	// Once the turn is free, the next snapshot is taken.
	if got := <-f.take(ctx, "a"); got.err != nil {
		t.Fatal(got.err)
	}
}

// A member that stops waiting before the shared snapshot starts still has
// its tables in it: when the snapshot fails on one of them, the member
// that stayed is retaken alone, not failed for the one that left.
func TestASharedSnapshotFailingOnALeaversTableIsRetakenAlone(t *testing.T) {
	f := newTurnsFixture(t)
	lockTable(t, f.dsn, "c")
	release := f.holdTurn(t)
	gone, leave := context.WithCancel(ctx)
	left, stays := f.take(gone, "c"), f.take(ctx, "a")
	f.waitJoined(t, 2)
	leave()
	if got := <-left; !errors.Is(got.err, context.Canceled) {
		t.Fatalf("the member that left: %+v %v", got.m, got.err)
	}
	release(1)
	if got := <-stays; got.err != nil || len(got.m.Tables) != 1 || got.m.Tables[0].Name != "public.a" {
		t.Fatalf("the member that stayed: %+v %v", got.m, got.err)
	}
}
