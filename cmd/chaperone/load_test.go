package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/chaperone/chaperone/internal/pgtest"
)

// loadDuration is how long TestLoadThroughTheGateway runs: a short CI
// mode by default, CHAPERONE_LOAD_DURATION (make reliability: 60s) for the
// full run.
func loadDuration(t *testing.T) time.Duration {
	if v := os.Getenv("CHAPERONE_LOAD_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("CHAPERONE_LOAD_DURATION: %v", err)
		}
		return d
	}
	return 5 * time.Second
}

// 200 clients through a real serve for the load duration, mixing reads,
// writes, destructive statements and approvals. Every destructive
// statement drops a guard table of its own; at the end exactly the
// approved ones are gone. Any error other than a hold is a failure.
// serve's RSS is sampled throughout and reported.
func TestLoadThroughTheGateway(t *testing.T) {
	const clients, guards = 200, 100_000
	duration := loadDuration(t)
	pg := pgtest.Shared(t)
	db := pg.CreateDB(t)
	pg.Exec(t, db, "CREATE TABLE items (id serial PRIMARY KEY, v int NOT NULL); INSERT INTO items (v) SELECT g FROM generate_series(1, 1000) g")
	cfg := initDir(t, upstreams)
	tok := strings.TrimSpace(chaperone(t, "", "--config", cfg, "token", "create", "--env", "staging", "--upstream", "app-staging").stdout)
	serve, addr := startServe(t, cfg, "CHP_TEST_STAGING_DSN="+pg.DSN(db), "CHP_TEST_PROD_DSN="+pg.DSN(db))

	var nextGuard atomic.Int64
	var reads, writes, held, approved, failures atomic.Int64
	var mu sync.Mutex
	ranGuards := map[int64]bool{} // guard rows whose approved DELETE ran
	var firstFailure atomic.Value

	// Approve about one held request in four, as a human would, from
	// outside serve, on its state file.
	approvals := approvalService(t, cfg)
	fail := func(err error) {
		failures.Add(1)
		firstFailure.CompareAndSwap(nil, err.Error())
	}

	ctx, cancel := context.WithTimeout(context.Background(), duration)
	defer cancel()
	rssStop := make(chan struct{})
	var rssMax, rssSamples atomic.Int64
	go func() {
		for {
			if kb := rssKB(serve.Process.Pid); kb > rssMax.Load() {
				rssMax.Store(kb)
			}
			rssSamples.Add(1)
			select {
			case <-rssStop:
				return
			case <-time.After(250 * time.Millisecond):
			}
		}
	}()

	var wg sync.WaitGroup
	var connected sync.WaitGroup
	connected.Add(clients)
	start := time.Now()
	go func() { connected.Wait(); t.Logf("%d clients connected in %s", clients, time.Since(start)) }()
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			cctx, ccancel := context.WithTimeout(context.Background(), duration+60*time.Second)
			defer ccancel()
			c, err := pgx.Connect(cctx, "postgres://agent:"+tok+"@"+addr+"/app-staging?sslmode=disable")
			connected.Done()
			if err != nil {
				fail(fmt.Errorf("client %d connect: %w", i, err))
				return
			}
			defer c.Close(context.Background())
			r := rand.New(rand.NewPCG(uint64(i), 42))
			// slow reports an operation that took long, to find where a
			// stall is when one happens.
			slow := func(kind string, t0 time.Time) {
				if d := time.Since(t0); d > 5*time.Second {
					t.Logf("client %d: %s took %s, ending %s into the test", i, kind, d.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
				}
			}
			for ctx.Err() == nil {
				switch n := r.IntN(100); {
				case n < 60:
					var v int
					t0 := time.Now()
					err := c.QueryRow(cctx, "SELECT v FROM items WHERE id = $1", 1+r.IntN(1000)).Scan(&v)
					slow("a read", t0)
					if err != nil {
						fail(fmt.Errorf("read: %w", err))
						return
					}
					reads.Add(1)
				case n < 90:
					t0 := time.Now()
					_, err := c.Exec(cctx, "UPDATE items SET v = v + 1 WHERE id = $1", 1+r.IntN(1000))
					slow("a write", t0)
					if err != nil {
						fail(fmt.Errorf("write: %w", err))
						return
					}
					writes.Add(1)
				default:
					g := nextGuard.Add(1)
					if g > guards {
						continue
					}
					if _, err := c.Exec(cctx, fmt.Sprintf("CREATE TABLE guard_%d (id int)", g)); err != nil {
						fail(fmt.Errorf("guard: %w", err))
						return
					}
					stmt := fmt.Sprintf("DROP TABLE guard_%d", g)
					t0 := time.Now()
					_, err := c.Exec(cctx, stmt)
					slow("a held DROP", t0)
					id := holdID(err)
					if id == "" {
						fail(fmt.Errorf("%s was not held: %v", stmt, err))
						return
					}
					held.Add(1)
					if r.IntN(4) != 0 {
						continue
					}
					t0 = time.Now()
					if _, err := approvals.Approve(context.Background(), id, "approver:load", ""); err != nil {
						fail(fmt.Errorf("approve %s: %w", id, err))
						return
					}
					slow("an approval", t0)
					t0 = time.Now()
					_, err = c.Exec(cctx, stmt)
					slow("an approved DROP", t0)
					if err != nil {
						fail(fmt.Errorf("approved %s: %w", stmt, err))
						return
					}
					approved.Add(1)
					mu.Lock()
					ranGuards[g] = true
					mu.Unlock()
				}
			}
		}(i)
	}
	wg.Wait()
	close(rssStop)

	t.Logf("%d clients for %s: %d reads, %d writes, %d destructive held, %d approved and run; serve RSS max %.1f MiB over %d samples",
		clients, duration, reads.Load(), writes.Load(), held.Load(), approved.Load(), float64(rssMax.Load())/1024, rssSamples.Load())
	if f := failures.Load(); f > 0 {
		t.Fatalf("%d clients failed; the first: %v", f, firstFailure.Load())
	}
	if reads.Load() == 0 || writes.Load() == 0 || held.Load() == 0 || approved.Load() == 0 {
		t.Fatal("the mix did not exercise every kind of statement")
	}
	// Exactly the approved guard rows are gone.
	conn, err := pgx.Connect(context.Background(), pg.DSN(db))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(context.Background(), "SELECT g FROM generate_series(1, $1::int) g WHERE to_regclass('guard_' || g) IS NULL", min(nextGuard.Load(), guards))
	if err != nil {
		t.Fatal(err)
	}
	gone, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range gone {
		if !ranGuards[g] {
			t.Errorf("guard %d is gone without an approval", g)
		}
	}
	if len(gone) != len(ranGuards) {
		t.Errorf("%d guard rows gone, %d approved deletes ran", len(gone), len(ranGuards))
	}
	if rssMax.Load() > 256*1024 {
		t.Errorf("serve's RSS reached %.1f MiB under load (bound: 256 MiB)", float64(rssMax.Load())/1024)
	}
}

// holdID is the request id of a CP001 hold, or "".
func holdID(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "CP001" {
		return aprID.FindString(pe.Message)
	}
	return ""
}

// rssKB reads a process's resident set size.
func rssKB(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kb int64
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), &kb)
			return kb
		}
	}
	return 0
}
