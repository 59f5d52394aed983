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

	"github.com/chaperone/chaperone/internal/approval"
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
	pg := pgtest.Shared(t)
	db := pg.CreateDB(t)
	cfg := initDir(t, loadUpstreams)
	loadLimits(t, cfg)
	tok := strings.TrimSpace(chaperone(t, "", "--config", cfg, "token", "create", "--env", "staging", "--upstream", "app-staging").stdout)
	serve, addr := startServe(t, cfg, "CHP_TEST_STAGING_DSN="+pg.DSN(db), "CHP_TEST_PROD_DSN="+pg.DSN(db))
	// Approve about one held request in four, as a human would, from
	// outside serve, on its state file.
	runLoad(t, loadTarget{pg: pg, db: db, tok: tok, addrs: []string{addr}, approvals: approvalService(t, cfg),
		pids: func() []int { return []int{serve.Process.Pid} }})
}

// loadUpstreams lifts the upstream's session limit above the load's 200
// clients; loadLimits does the same for the token's.
const loadUpstreams = `upstreams:
  - name: app-staging
    kind: postgres
    env: staging
    dsn: ${CHP_TEST_STAGING_DSN}
    max_connections: 250
  - name: app-prod
    kind: postgres
    env: production
    dsn: ${CHP_TEST_PROD_DSN}
`

func loadLimits(t *testing.T, cfg string) {
	setInConfig(t, cfg, "max_connections_per_token: 10\n", "max_connections_per_token: 250\n")
}

// loadTarget is what runLoad drives: gateways (clients are split across
// them), the upstream behind them, and the approval service a human uses.
type loadTarget struct {
	pg        *pgtest.Server
	db        string
	tok       string
	addrs     []string
	approvals *approval.Service
	pids      func() []int // serve processes, for RSS
	// kill, when set, is called halfway through; clients of the killed
	// gateway (addrs[0]) reconnect to the next one.
	kill func()
}

func runLoad(t *testing.T, lt loadTarget) {
	const clients, guards = 200, 100_000
	duration := loadDuration(t)
	pg, db := lt.pg, lt.db
	pg.Exec(t, db, "CREATE TABLE items (id serial PRIMARY KEY, v int NOT NULL); INSERT INTO items (v) SELECT g FROM generate_series(1, 1000) g")

	var nextGuard atomic.Int64
	var reads, writes, held, approved, failures, reconnects, inDoubt atomic.Int64
	var mu sync.Mutex
	ranGuards := map[int64]bool{}   // guard rows whose approved DROP ran
	doubtGuards := map[int64]bool{} // approved DROPs cut off by a killed gateway
	unmade := map[int64]bool{}      // CREATEs cut off by a killed gateway
	var firstFailure atomic.Value
	approvals := lt.approvals
	fail := func(err error) {
		failures.Add(1)
		firstFailure.CompareAndSwap(nil, err.Error())
	}

	// Clients connect, wait until every one has connected (or failed to),
	// and then work together for duration: on a slow machine connecting 200
	// clients can take longer than the run, and clients already at work
	// would starve the ones still connecting.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rssStop := make(chan struct{})
	var rssMax, rssSamples atomic.Int64
	go func() {
		for {
			for _, pid := range lt.pids() {
				if kb := rssKB(pid); kb > rssMax.Load() {
					rssMax.Store(kb)
				}
			}
			rssSamples.Add(1)
			select {
			case <-rssStop:
				return
			case <-time.After(250 * time.Millisecond):
			}
		}
	}()
	var dead atomic.Bool
	var wg sync.WaitGroup
	var connected sync.WaitGroup
	connected.Add(clients)
	start := time.Now()
	go func() {
		connected.Wait()
		t.Logf("%d clients connected in %s", clients, time.Since(start))
		time.AfterFunc(duration, cancel)
		if lt.kill == nil {
			return
		}
		select {
		case <-time.After(duration / 2):
			lt.kill()
			dead.Store(true)
			t.Logf("killed the gateway at %s with SIGKILL %s into the run", lt.addrs[0], duration/2)
		case <-ctx.Done():
		}
	}()
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			cctx, ccancel := context.WithTimeout(context.Background(), duration+60*time.Second)
			defer ccancel()
			at := i % len(lt.addrs)
			// dial connects, retrying while the gateway refuses the session
			// as its upstream unavailable (08006), as applications do: 200
			// clients connecting at once (or a hundred reconnecting to one
			// gateway) on a loaded machine can wait longer than the
			// gateway's bound for the upstream.
			dial := func() (*pgx.Conn, error) {
				for {
					if dead.Load() && at == 0 {
						at = 1
					}
					c, err := pgx.Connect(cctx, "postgres://agent:"+lt.tok+"@"+lt.addrs[at]+"/app-staging?sslmode=disable")
					var pe *pgconn.PgError
					if !errors.As(err, &pe) || pe.Code != "08006" || cctx.Err() != nil {
						return c, err
					}
					time.Sleep(time.Second)
				}
			}
			c, err := dial()
			connected.Done()
			connected.Wait()
			if err != nil {
				fail(fmt.Errorf("client %d connect: %w", i, err))
				return
			}
			defer func() {
				if c != nil {
					c.Close(context.Background())
				}
			}()
			// lost reports whether err is the gateway going away (its
			// process killed), and if so reconnects to another.
			lost := func(err error) bool {
				var pe *pgconn.PgError
				if lt.kill == nil || err == nil || errors.As(err, &pe) || at != 0 {
					return false
				}
				for !dead.Load() {
					time.Sleep(10 * time.Millisecond)
				}
				c.Close(context.Background())
				if c, err = dial(); err != nil {
					fail(fmt.Errorf("client %d reconnect: %w", i, err))
					return false
				}
				reconnects.Add(1)
				return true
			}
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
					if lost(err) {
						continue
					}
					if err != nil {
						fail(fmt.Errorf("read: %w", err))
						return
					}
					reads.Add(1)
				case n < 90:
					t0 := time.Now()
					_, err := c.Exec(cctx, "UPDATE items SET v = v + 1 WHERE id = $1", 1+r.IntN(1000))
					slow("a write", t0)
					if lost(err) {
						continue
					}
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
					if _, err := c.Exec(cctx, fmt.Sprintf("CREATE TABLE guard_%d (id int)", g)); lost(err) {
						// Cut off: the table may never have been made.
						mu.Lock()
						unmade[g] = true
						mu.Unlock()
						continue
					} else if err != nil {
						fail(fmt.Errorf("guard: %w", err))
						return
					}
					stmt := fmt.Sprintf("DROP TABLE guard_%d", g)
					t0 := time.Now()
					_, err := c.Exec(cctx, stmt)
					slow("a held DROP", t0)
					if lost(err) {
						continue
					}
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
					if lost(err) {
						// Cut off: it ran at most once at the dead
						// gateway, or runs now, once, at this one.
						_, err = c.Exec(cctx, stmt)
						if holdID(err) != "" {
							// Consumed at the dead gateway: it may have
							// run there, never here.
							inDoubt.Add(1)
							mu.Lock()
							doubtGuards[g] = true
							mu.Unlock()
							continue
						}
					}
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

	elapsed := time.Since(start)
	total := reads.Load() + writes.Load() + held.Load() + approved.Load()
	t.Logf("%d clients over %d gateway(s), %s in all: %d reads, %d writes, %d destructive held, %d approved and run (%.0f statements/s); %d reconnects, %d approved DROPs cut off by a kill; serve RSS max %.1f MiB over %d samples",
		clients, len(lt.addrs), elapsed.Round(time.Millisecond), reads.Load(), writes.Load(), held.Load(), approved.Load(), float64(total)/elapsed.Seconds(),
		reconnects.Load(), inDoubt.Load(), float64(rssMax.Load())/1024, rssSamples.Load())
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
	goneSet := map[int64]bool{}
	for _, g := range gone {
		goneSet[g] = true
		if !ranGuards[g] && !doubtGuards[g] && !unmade[g] {
			t.Errorf("guard %d is gone without an approval", g)
		}
	}
	for g := range ranGuards {
		if !goneSet[g] {
			t.Errorf("guard %d survived its approved DROP", g)
		}
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
