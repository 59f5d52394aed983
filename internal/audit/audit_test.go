package audit

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chaperone/chaperone/internal/store"
	"github.com/chaperone/chaperone/internal/store/sqlite"

	_ "modernc.org/sqlite"
)

var ctx = context.Background()

func open(t *testing.T, path string) store.Store {
	t.Helper()
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// chain writes n entries and returns the database path.
func chain(t *testing.T, n int) string {
	path := filepath.Join(t.TempDir(), "chaperone.db")
	s := open(t, path)
	for i := 1; i <= n; i++ {
		if err := Record(ctx, s, Event{Type: Decision, Actor: "test", Data: map[string]any{"i": i}}); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

// tamper edits the database file directly, as an attacker with disk access would.
func tamper(t *testing.T, path string, stmts ...string) {
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range stmts {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func verify(t *testing.T, path string) Result {
	t.Helper()
	r, err := Verify(ctx, open(t, path))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestIntactChainVerifies(t *testing.T) {
	path := chain(t, 2500) // spans several pages
	r := verify(t, path)
	if !r.OK() || r.Entries != 2500 || r.HeadSeq != 2500 || len(r.HeadHash) != 64 {
		t.Fatalf("got %+v", r)
	}
}

func TestEmptyLogVerifies(t *testing.T) {
	if r := verify(t, filepath.Join(t.TempDir(), "c.db")); !r.OK() || r.Entries != 0 {
		t.Fatalf("got %+v", r)
	}
}

// rehash recomputes one entry's hash in place, the way a careful attacker
// would after editing it.
func rehash(t *testing.T, path string, seq int64) {
	s := open(t, path)
	var e store.AuditEntry
	if err := s.View(ctx, func(tx store.Tx) error {
		es, err := tx.AuditEntries(seq-1, 1)
		e = es[0]
		return err
	}); err != nil {
		t.Fatal(err)
	}
	tamper(t, path, fmt.Sprintf(`UPDATE audit SET hash = '%s' WHERE seq = %d`, Hash(e), seq))
}

func TestTamperingIsDetectedAndLocated(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(t *testing.T, path string)
		seq    int64
		kind   string
	}{
		{"edit data", func(t *testing.T, p string) {
			tamper(t, p, `UPDATE audit SET data = '{"i":999}' WHERE seq = 5`)
		}, 5, Edited},
		{"edit actor", func(t *testing.T, p string) { tamper(t, p, `UPDATE audit SET actor = 'someone-else' WHERE seq = 7`) }, 7, Edited},
		{"edit time", func(t *testing.T, p string) {
			tamper(t, p, `UPDATE audit SET at = '2020-01-01T00:00:00Z' WHERE seq = 3`)
		}, 3, Edited},
		{"edit and rehash", func(t *testing.T, p string) {
			tamper(t, p, `UPDATE audit SET data = '{"i":999}' WHERE seq = 5`)
			rehash(t, p, 5)
		}, 6, Replaced},
		{"delete middle", func(t *testing.T, p string) { tamper(t, p, `DELETE FROM audit WHERE seq = 5`) }, 5, Deleted},
		{"delete first", func(t *testing.T, p string) { tamper(t, p, `DELETE FROM audit WHERE seq = 1`) }, 1, Deleted},
		{"delete last", func(t *testing.T, p string) { tamper(t, p, `DELETE FROM audit WHERE seq = 10`) }, 10, Deleted},
		{"delete and renumber", func(t *testing.T, p string) {
			tamper(t, p, `DELETE FROM audit WHERE seq = 5`, `UPDATE audit SET seq = seq - 1 WHERE seq > 5`)
		}, 5, Replaced},
		{"swap two", func(t *testing.T, p string) {
			tamper(t, p, `UPDATE audit SET seq = 100 WHERE seq = 5`, `UPDATE audit SET seq = 5 WHERE seq = 6`, `UPDATE audit SET seq = 6 WHERE seq = 100`)
		}, 5, Reordered},
		{"move one earlier", func(t *testing.T, p string) {
			tamper(t, p, `UPDATE audit SET seq = 100 WHERE seq = 8`, `UPDATE audit SET seq = seq + 1000 WHERE seq BETWEEN 4 AND 7`, `UPDATE audit SET seq = seq - 999 WHERE seq > 1000`, `UPDATE audit SET seq = 4 WHERE seq = 100`)
		}, 4, Reordered},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := chain(t, 10)
			c.mutate(t, path)
			r := verify(t, path)
			if r.OK() || r.Break.Seq != c.seq || r.Break.Kind != c.kind {
				t.Fatalf("want %s at %d, got %+v", c.kind, c.seq, r.Break)
			}
			if !strings.Contains(r.Break.Detail, strconv.FormatInt(c.seq, 10)) {
				t.Fatalf("detail does not name the entry: %s", r.Break.Detail)
			}
		})
	}
}

// TestConcurrentAppendersKeepOneChain appends from goroutines and from other
// processes at once; the chain must stay whole with no entry lost.
func TestConcurrentAppendersKeepOneChain(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chaperone.db")
	s := open(t, path)
	const procs, goroutines, each = 3, 4, 20
	var wg sync.WaitGroup
	errs := make(chan error, procs+goroutines)
	for p := 0; p < procs; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(os.Args[0], "-test.run=^TestAppendChild$")
			cmd.Env = append(os.Environ(), "CHP_AUDIT_CHILD="+path, "CHP_AUDIT_EACH="+strconv.Itoa(each))
			if out, err := cmd.CombinedOutput(); err != nil {
				errs <- fmt.Errorf("child: %v: %s", err, out)
			}
		}()
	}
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if err := Record(ctx, s, Event{Type: Decision, Actor: "parent", Data: i}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	r := verify(t, path)
	if !r.OK() || r.Entries != (procs+goroutines)*each {
		t.Fatalf("got %+v, want %d intact entries", r, (procs+goroutines)*each)
	}
}

// TestAppendChild is the other process of TestConcurrentAppendersKeepOneChain.
func TestAppendChild(t *testing.T) {
	path := os.Getenv("CHP_AUDIT_CHILD")
	if path == "" {
		return // only meaningful as a child process
	}
	each, _ := strconv.Atoi(os.Getenv("CHP_AUDIT_EACH"))
	s := open(t, path)
	for i := 0; i < each; i++ {
		if err := Record(ctx, s, Event{Type: Decision, Actor: "child:" + strconv.Itoa(os.Getpid()), Data: i}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAppendRollsBackWithItsTransaction(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.db")
	s := open(t, path)
	err := s.Update(ctx, func(tx store.Tx) error {
		if _, err := Append(tx, Event{Type: TokenCreated, Actor: "x", Data: 1}, time.Now()); err != nil {
			return err
		}
		return fmt.Errorf("the change it records failed")
	})
	if err == nil {
		t.Fatal("expected error")
	}
	if r := verify(t, path); r.Entries != 0 || !r.OK() {
		t.Fatalf("rolled-back entry is in the log: %+v", r)
	}
}

// The chain hash is a stored format: logs written by earlier versions must
// still verify, so it is pinned to known values.
func TestHashIsStable(t *testing.T) {
	e := store.AuditEntry{Time: time.Date(2026, 1, 2, 3, 4, 5, 6789, time.UTC), Type: "decision", Actor: "token:x",
		Data: []byte(`{"a":1}`), PrevHash: "abc"}
	if h := Hash(e); h != "4ddaf3f8de5cc52d72a6f7b159af4bc846f352a430f50924c5bf6b0e59355130" {
		t.Errorf("hash %s", h)
	}
	e.PrevHash = ""
	if h := Hash(e); h != "4f9ba005ec1cea30485aed0455c5ec63d6ca51de9e8c02a1b1784b33d14603b5" {
		t.Errorf("hash without a predecessor %s", h)
	}
}

// appendingStore appends an entry right after each read of the log, as a
// serve still running (another HA instance) does between Verify's reads.
type appendingStore struct {
	store.Store
	reads int
}

func (s *appendingStore) View(ctx context.Context, fn func(store.Tx) error) error {
	if err := s.Store.View(ctx, fn); err != nil {
		return err
	}
	s.reads++
	return Record(ctx, s.Store, Event{Type: Decision, Actor: "token:tok_live", Data: map[string]any{"n": s.reads}})
}

// Verifying a log that grows while it is read is not a break: entries
// appended after the checkpoint was read are simply more of the chain.
func TestALiveLogVerifies(t *testing.T) {
	st := openStore(t)
	for i := 0; i < 5; i++ {
		if err := Record(context.Background(), st, Event{Type: Decision, Actor: "cli:x", Data: i}); err != nil {
			t.Fatal(err)
		}
	}
	live := &appendingStore{Store: st}
	r, err := Verify(context.Background(), live)
	if err != nil || !r.OK() {
		t.Fatalf("a log appended to while verified: %+v, %v", r, err)
	}
	if live.reads < 2 {
		t.Fatalf("the log was read %d times: the test did not append between reads", live.reads)
	}
}
