package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite"

	"github.com/chaperone/chaperone/internal/approval"
	"github.com/chaperone/chaperone/internal/config"
	"github.com/chaperone/chaperone/internal/pgtest"
	"github.com/chaperone/chaperone/internal/store/sqlite"
)

// Fault tests: real serve processes, a real PostgreSQL, loopback only.

// prodBookings is a production upstream over a fresh database with n
// bookings, and a token for it.
func prodBookings(t *testing.T, n int, extra string) (pg *pgtest.Server, db, cfg, tok, dsnEnv string) {
	t.Helper()
	pg = pgtest.Shared(t)
	db = pg.CreateDB(t)
	pg.Exec(t, db, "CREATE TABLE bookings (id int)")
	pg.Exec(t, db, "INSERT INTO bookings SELECT generate_series(1, $1::int)", n)
	cfg = initDir(t, prodUpstream+extra)
	r := chaperone(t, "", "--config", cfg, "token", "create", "--env", "production", "--upstream", "app-prod")
	if r.code != 0 {
		t.Fatalf("token: %+v", r)
	}
	return pg, db, cfg, strings.TrimSpace(r.stdout), "CHP_E2E_DSN=" + pg.DSN(db)
}

// approvalService works on the state file serve uses, from outside it,
// as the CLI or console would.
func approvalService(t *testing.T, cfg string) *approval.Service {
	t.Helper()
	c, err := config.Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(context.Background(), c.State.Path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &approval.Service{Store: st}
}

// approveInStore approves a request the way a vote does.
func approveInStore(t *testing.T, cfg, id string) {
	t.Helper()
	if _, err := approvalService(t, cfg).Approve(context.Background(), id, "approver:alice", ""); err != nil {
		t.Fatal(err)
	}
}

var aprID = regexp.MustCompile(`apr_[0-9a-f]{16}`)

// SIGKILL between an approval and its execution: after a restart the
// approval is still there, runs once, and is not there a second time.
func TestServeKilledBetweenApprovalAndExecution(t *testing.T) {
	pg, db, cfg, tok, env := prodBookings(t, 48, "")
	serve, addr := startServe(t, cfg, env)
	out, err := psql(t, tok, addr, "app-prod", "DELETE FROM bookings")
	id := aprID.FindString(out)
	if err == nil || id == "" {
		t.Fatalf("not held: %v\n%s", err, out)
	}
	approveInStore(t, cfg, id)
	if err := serve.Process.Kill(); err != nil { // SIGKILL: no shutdown, no flush
		t.Fatal(err)
	}
	serve.Wait()
	if n := pg.Count(t, db, "bookings"); n != 48 {
		t.Fatalf("rows after the kill: %d", n)
	}
	_, addr = startServe(t, cfg, env)
	if out, err := psql(t, tok, addr, "app-prod", "DELETE FROM bookings"); err != nil {
		t.Fatalf("the approval did not survive the restart: %v\n%s", err, out)
	}
	if n := pg.Count(t, db, "bookings"); n != 0 {
		t.Fatalf("the approved DELETE did not run: %d rows", n)
	}
	pg.Exec(t, db, "INSERT INTO bookings VALUES (1)")
	if out, err := psql(t, tok, addr, "app-prod", "DELETE FROM bookings"); err == nil || !strings.Contains(out, "CP001") || strings.Contains(out, id) {
		t.Fatalf("the approval ran twice: %v\n%s", err, out)
	}
	if n := pg.Count(t, db, "bookings"); n != 1 {
		t.Fatalf("rows: %d", n)
	}
	if v := chaperone(t, "", "--config", cfg, "audit", "verify"); v.code != 0 {
		t.Fatalf("audit after SIGKILL: %+v", v)
	}
}

// The state store locked by another writer: reads go on; what needs an
// approval request or an audit entry is refused, and nothing destructive
// runs. When the lock goes, everything works again.
func TestLockedStateStoreFailsClosed(t *testing.T) {
	api := &recorder{}
	apiSrv := newServer(t, api)
	extra := "\n  - name: api-staging\n    kind: http\n    env: staging\n    provider: generic\n    url: " + apiSrv + "\n    credential: ${CHP_API_TOKEN}\n"
	pg, db, cfg, tok, env := prodBookings(t, 10, extra)
	c, _ := config.Load(cfg)
	httpTok := strings.TrimSpace(chaperone(t, "", "--config", cfg, "token", "create", "--env", "staging", "--upstream", "api-staging").stdout)
	_, addr, httpAddr := startServeHTTP(t, cfg, env, "CHP_API_TOKEN=real")

	// An agent's session, open before the store is locked.
	sess, err := pgx.Connect(context.Background(), "postgres://agent:"+tok+"@"+addr+"/app-prod?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close(context.Background())

	lock, err := sql.Open("sqlite", "file:"+c.State.Path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	conn, err := lock.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(context.Background(), "BEGIN EXCLUSIVE"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := sess.QueryRow(context.Background(), "SELECT count(*) FROM bookings").Scan(&n); err != nil || n != 10 {
		t.Fatalf("a read while the store is locked: %v %d", err, n)
	}
	// Each change waits out SQLite's busy timeout (10 s) for its write, and
	// is then refused: run them side by side.
	var wg sync.WaitGroup
	var httpAnswer string
	var pgErr error
	wg.Add(2)
	go func() { defer wg.Done(); _, pgErr = sess.Exec(context.Background(), "DELETE FROM bookings") }()
	go func() {
		defer wg.Done()
		httpAnswer = post(t, httpTok, "http://"+httpAddr+"/u/api-staging/things", `{"a":1}`)
	}()
	wg.Wait()
	if pgErr == nil || !strings.Contains(pgErr.Error(), "CP005") {
		t.Fatalf("a DELETE with no way to record its approval request: %v", pgErr)
	}
	if !strings.HasPrefix(httpAnswer, "503") || api.count() != 0 {
		t.Fatalf("a write with no way to audit it: %s (the API saw %d)", httpAnswer, api.count())
	}
	if n := pg.Count(t, db, "bookings"); n != 10 {
		t.Fatalf("rows: %d", n)
	}
	conn.ExecContext(context.Background(), "ROLLBACK")
	conn.Close()
	if out, err := psql(t, tok, addr, "app-prod", "DELETE FROM bookings"); err == nil || !strings.Contains(out, "CP001") {
		t.Fatalf("after the lock: %v\n%s", err, out)
	}
	if a := post(t, httpTok, "http://"+httpAddr+"/u/api-staging/things", `{"a":1}`); !strings.HasPrefix(a, "200") || api.count() != 1 {
		t.Fatalf("after the lock: %s", a)
	}
}

// recorder is an API that counts what reaches it.
type recorder struct {
	mu sync.Mutex
	n  int
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	r.mu.Lock()
	r.n++
	r.mu.Unlock()
	w.Write([]byte(`{"ok":true}`))
}

func (r *recorder) count() int { r.mu.Lock(); defer r.mu.Unlock(); return r.n }

func newServer(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// post sends a body with an agent token and returns "STATUS body".
func post(t *testing.T, tok, url, body string) string {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Timeout: 60 * time.Second}).Do(req)
	if err != nil {
		return "error " + err.Error()
	}
	defer resp.Body.Close()
	b := make([]byte, 4096)
	n, _ := resp.Body.Read(b)
	return resp.Status + " " + string(b[:n])
}

// The backup store cannot be reached and the webhook hangs: held requests
// are still held and announced without waiting, but an approved DROP does
// not run, because its snapshot cannot be taken.
func TestBackupStoreUnreachableAndWebhookHanging(t *testing.T) {
	hang := make(chan struct{})
	var calls atomic.Int32
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls.Add(1); <-hang }))
	defer hook.Close()
	defer close(hang) // before Close, which waits for the hanging handlers
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close() // nothing listens there any more
	pg, db, cfg, tok, env := prodBookings(t, 5, "")
	id, _ := age.GenerateX25519Identity()
	setRecipient(t, cfg, id.Recipient().String())
	setInConfig(t, cfg, "  store: local", "  store: s3")
	setInConfig(t, cfg, `    endpoint: ""`, `    endpoint: `+deadURL)
	setInConfig(t, cfg, `    bucket: ""`, `    bucket: snapshots`)
	setInConfig(t, cfg, `    access_key: ""`, `    access_key: ${CHP_S3_KEY}`)
	setInConfig(t, cfg, `    secret_key: ""`, `    secret_key: ${CHP_S3_SECRET}`)
	setInConfig(t, cfg, "  webhooks: []", "  webhooks:\n    - url: "+hook.URL)
	_, addr := startServe(t, cfg, env, "CHP_S3_KEY=k", "CHP_S3_SECRET=s")

	start := time.Now()
	out, err := psql(t, tok, addr, "app-prod", "DROP TABLE bookings")
	reqID := aprID.FindString(out)
	if err == nil || reqID == "" || time.Since(start) > 8*time.Second {
		t.Fatalf("held while the webhook hangs: %v after %s\n%s", err, time.Since(start), out)
	}
	approveInStore(t, cfg, reqID)
	out, err = psql(t, tok, addr, "app-prod", "DROP TABLE bookings")
	if err == nil || !strings.Contains(out, "CP004") {
		t.Fatalf("an approved DROP with no reachable backup store: %v\n%s", err, out)
	}
	if n := pg.Count(t, db, "bookings"); n != 5 {
		t.Fatalf("the DROP ran without its snapshot: %d rows", n)
	}
	if calls.Load() == 0 {
		t.Fatal("the webhook was never called")
	}
}

// The state directory's disk fills up (a 4 MiB tmpfs): statements that need
// an approval request are refused with CP005 rather than run, reads go on,
// and once there is room again everything works and the audit chain
// verifies.
func TestStateDiskFull(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mounting a small tmpfs for the state directory (the tests run as root): %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	pg, db, cfg, _, env := prodBookings(t, 20, "")
	setInConfig(t, cfg, "path: state/chaperone.db", "path: "+filepath.Join(dir, "chaperone.db"))
	tok := strings.TrimSpace(chaperone(t, "", "--config", cfg, "token", "create", "--env", "production", "--upstream", "app-prod").stdout)
	_, addr := startServe(t, cfg, env)
	sess, err := pgx.Connect(context.Background(), "postgres://agent:"+tok+"@"+addr+"/app-prod?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close(context.Background())

	filler := filepath.Join(dir, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	zeros := make([]byte, 64<<10)
	for {
		if _, err := f.Write(zeros); err != nil {
			break // ENOSPC: the disk is full
		}
	}
	f.Close()

	refused := 0
	for i := 0; i < 200 && refused == 0; i++ {
		_, err := sess.Exec(context.Background(), fmt.Sprintf("DELETE FROM bookings WHERE id > %d", i))
		switch {
		case err == nil:
			t.Fatal("a DELETE ran unapproved on a full disk")
		case strings.Contains(err.Error(), "CP005"):
			refused++
		case !strings.Contains(err.Error(), "CP001"):
			t.Fatalf("DELETE on a full disk: %v", err)
		}
	}
	if refused == 0 {
		t.Fatal("200 holds fitted on a full disk; nothing was refused")
	}
	var n int
	if err := sess.QueryRow(context.Background(), "SELECT count(*) FROM bookings").Scan(&n); err != nil || n != 20 {
		t.Fatalf("a read on a full disk: %v, %d rows", err, n)
	}
	if got := pg.Count(t, db, "bookings"); got != 20 {
		t.Fatalf("rows: %d", got)
	}

	os.Remove(filler)
	if _, err := sess.Exec(context.Background(), "DELETE FROM bookings WHERE id = 1"); err == nil || !strings.Contains(err.Error(), "CP001") {
		t.Fatalf("after recovery: %v", err)
	}
	if v := chaperone(t, "", "--config", cfg, "audit", "verify"); v.code != 0 {
		t.Fatalf("audit after a full disk: %+v", v)
	}
}
