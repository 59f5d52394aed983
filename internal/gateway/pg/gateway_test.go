package pg

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/approval"
	"github.com/chaperone/chaperone/internal/audit"
	"github.com/chaperone/chaperone/internal/config"
	"github.com/chaperone/chaperone/internal/gate"
	"github.com/chaperone/chaperone/internal/pgtest"
	"github.com/chaperone/chaperone/internal/policy"
	"github.com/chaperone/chaperone/internal/store"
	"github.com/chaperone/chaperone/internal/store/sqlite"
	"github.com/chaperone/chaperone/internal/token"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// env is one gateway in front of a real PostgreSQL, with a staging and a
// production upstream (two databases) and tokens for each.
type env struct {
	pg              *pgtest.Server
	gw              *Gateway
	addr            string
	st              store.Store
	prodDB, stageDB string
	prodToken       string
	prodToken2      string
	stageToken      string
	readToken       string
	tokens          *token.Manager
	approvals       *approval.Service
}

func setup(t testing.TB) *env {
	t.Helper()
	return setupOn(t, pgtest.Shared(t))
}

// setupOn is setup on a given server (one a test may kill).
func setupOn(t testing.TB, pg *pgtest.Server) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{pg: pg}
	e.prodDB, e.stageDB = e.pg.CreateDB(t), e.pg.CreateDB(t)
	for _, db := range []string{e.prodDB, e.stageDB} {
		e.pg.Exec(t, db, "CREATE TABLE bookings (id int PRIMARY KEY, note text); INSERT INTO bookings SELECT g, 'n' || g FROM generate_series(1, 100) g")
	}
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e.st = st
	e.tokens = token.NewManager(st)
	mint := func(env, up, scope string) string {
		secret, _, err := e.tokens.Create(ctx, token.Spec{Env: env, Upstreams: []string{up}, Scope: scope, Actor: "test"})
		if err != nil {
			t.Fatal(err)
		}
		return secret
	}
	e.prodToken = mint("production", "app-prod", token.ScopeAll)
	e.prodToken2 = mint("production", "app-prod", token.ScopeAll)
	e.stageToken = mint("staging", "app-staging", token.ScopeAll)
	e.readToken = mint("production", "app-prod", token.ScopeRead)
	eng, err := policy.New(config.Defaults(dir))
	if err != nil {
		t.Fatal(err)
	}
	e.approvals = &approval.Service{Store: st}
	ups := map[string]Upstream{
		"app-prod":    {Name: "app-prod", Env: "production", DSN: e.pg.DSN(e.prodDB)},
		"app-staging": {Name: "app-staging", Env: "staging", DSN: e.pg.DSN(e.stageDB)},
	}
	e.gw = &Gateway{
		Upstream: func(n string) (Upstream, bool) { u, ok := ups[n]; return u, ok },
		Tokens:   e.tokens,
		Gate: &gate.Gate{Policy: eng, Approvals: e.approvals, Audit: &audit.Writer{Store: st}, Snapshots: true, Store: st,
			Log: slog.New(slog.NewTextHandler(io.Discard, nil))},
		Record:     func(ctx context.Context, ev audit.Event) error { return audit.Record(ctx, st, ev) },
		AllowPlain: true,
		Log:        slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.addr = ln.Addr().String()
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- e.gw.Serve(sctx, ln) }()
	t.Cleanup(func() {
		ln.Close()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return e
}

func (e *env) dsn(tok, upstream string) string {
	return "postgres://agent:" + tok + "@" + e.addr + "/" + upstream + "?sslmode=disable"
}

func (e *env) connect(t *testing.T, tok, upstream string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, e.dsn(tok, upstream))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func pgErr(t *testing.T, err error, code string) *pgconn.PgError {
	t.Helper()
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != code {
		t.Fatalf("want SQLSTATE %s, got %v", code, err)
	}
	return pe
}

var ctx = context.Background()

func TestReadsRunAndDestructionIsHeldUntilApprovedThenRunsOnce(t *testing.T) {
	e := setup(t)
	c := e.connect(t, e.prodToken, "app-prod")
	var n int
	if err := c.QueryRow(ctx, "SELECT count(*) FROM bookings WHERE id > $1", 50).Scan(&n); err != nil || n != 50 {
		t.Fatalf("read: %d %v", n, err)
	}
	_, err := c.Exec(ctx, "DROP TABLE bookings")
	pe := pgErr(t, err, CodeHeld)
	if !strings.Contains(pe.Message, "apr_") || !strings.Contains(pe.Hint, "chaperone approvals approve") || !strings.Contains(pe.Detail, "sql.drop") {
		t.Fatalf("held error does not say what to do: %+v", pe)
	}
	id := pe.Message[strings.Index(pe.Message, "apr_"):][:20]
	if got := e.pg.Count(t, e.prodDB, "bookings"); got != 100 {
		t.Fatalf("held statement ran: %d rows", got)
	}
	// The session goes on after a held statement, as after any error.
	if err := c.QueryRow(ctx, "SELECT 1").Scan(&n); err != nil {
		t.Fatalf("session after hold: %v", err)
	}
	req, _, err := e.approvals.Get(ctx, id)
	if err != nil || req.Upstream != "app-prod" || req.Env != "production" || !strings.Contains(req.Impact, "bookings: ~") {
		t.Fatalf("request %+v %v", req, err)
	}
	if _, err := e.approvals.Approve(ctx, id, "alice", ""); err != nil {
		t.Fatal(err)
	}
	// Another token sending the same text is not covered.
	other := e.connect(t, e.prodToken2, "app-prod")
	_, err = other.Exec(ctx, "DROP TABLE bookings")
	pgErr(t, err, CodeHeld)
	if _, err := c.Exec(ctx, "DROP TABLE bookings"); err != nil {
		t.Fatalf("approved statement: %v", err)
	}
	if got := e.pg.Count(t, e.prodDB, "bookings"); got != -1 {
		t.Fatal("the approved DROP did not run")
	}
	e.pg.Exec(t, e.prodDB, "CREATE TABLE bookings (id int)")
	_, err = c.Exec(ctx, "DROP TABLE bookings")
	if pe := pgErr(t, err, CodeHeld); strings.Contains(pe.Message, id) {
		t.Fatal("a consumed approval was used twice")
	}
	if res, err := audit.Verify(ctx, e.st); err != nil || !res.OK() {
		t.Fatalf("audit: %+v %v", res, err)
	}
}

func TestHeldStatementLeavesTheTransactionAsAnErrorWould(t *testing.T) {
	e := setup(t)
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeCacheStatement} {
		c := e.connect(t, e.prodToken, "app-prod")
		tx, err := c.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, "UPDATE bookings SET note = 'x' WHERE id = 1", mode); err == nil {
			t.Fatalf("%v: a write in production ran without approval", mode)
		}
		_, err = tx.Exec(ctx, "SELECT 1", mode)
		pgErr(t, err, "25P02") // current transaction is aborted
		if err := tx.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		var note string
		if err := c.QueryRow(ctx, "SELECT note FROM bookings WHERE id = 1", mode).Scan(&note); err != nil || note != "n1" {
			t.Fatalf("%v: after rollback: %q %v", mode, note, err)
		}
	}
}

func TestMultiStatementQueriesAndPipelinesAreJudgedWhole(t *testing.T) {
	e := setup(t)
	c := e.connect(t, e.stageToken, "app-staging")
	_, err := c.Exec(ctx, "SELECT 1; DELETE FROM bookings; SELECT 2", pgx.QueryExecModeSimpleProtocol)
	pgErr(t, err, CodeHeld)
	b := &pgx.Batch{}
	b.Queue("SELECT 1")
	b.Queue("TRUNCATE bookings")
	b.Queue("INSERT INTO bookings VALUES (1000, 'after')")
	err = c.SendBatch(ctx, b).Close()
	// Held, or refused where the session cannot be asked mid-pipeline
	// which table the TRUNCATE names.
	if pe := new(pgconn.PgError); !errors.As(err, &pe) || pe.Code != CodeHeld && pe.Code != CodeDenied {
		t.Fatalf("pipeline: %v", err)
	}
	if got := e.pg.Count(t, e.stageDB, "bookings"); got != 100 {
		t.Fatalf("a pipeline ran part of itself: %d rows", got)
	}
	// Writes outside protected environments run, COPY included.
	n, err := c.CopyFrom(ctx, pgx.Identifier{"bookings"}, []string{"id", "note"},
		pgx.CopyFromRows([][]any{{2001, "a"}, {2002, "b"}}))
	if err != nil || n != 2 {
		t.Fatalf("copy in: %d %v", n, err)
	}
	if got := e.pg.Count(t, e.stageDB, "bookings"); got != 102 {
		t.Fatalf("after COPY: %d", got)
	}
}

func TestScopeAndCredentialsAreCheckedAtConnect(t *testing.T) {
	e := setup(t)
	_, err := pgx.Connect(ctx, e.dsn(e.stageToken, "app-prod"))
	pe := pgErr(t, err, "28000")
	if !strings.Contains(pe.Message, "token is scoped to staging; upstream app-prod is production") {
		t.Fatalf("scope refusal: %q", pe.Message)
	}
	_, err = pgx.Connect(ctx, e.dsn("chp_not-a-real-token", "app-prod"))
	pgErr(t, err, "28P01")
	_, err = pgx.Connect(ctx, e.dsn(e.prodToken, "nope"))
	pgErr(t, err, "3D000")
	// A revoked token is refused by name.
	toks, _ := e.tokens.List(ctx)
	for _, k := range toks {
		if k.Env == "staging" {
			e.tokens.Revoke(ctx, k.ID, "test")
		}
	}
	_, err = pgx.Connect(ctx, e.dsn(e.stageToken, "app-staging"))
	if pe := pgErr(t, err, "28000"); !strings.Contains(pe.Message, "revoked") {
		t.Fatalf("revoked: %q", pe.Message)
	}
	// The upstream's password never reaches a client, in errors either.
	if strings.Contains(err.Error(), e.pg.Password) {
		t.Fatal("the upstream password reached a client")
	}
	// A real token used where it may not go is audited; a failed proof is not.
	var refused []string
	e.st.View(ctx, func(tx store.Tx) error {
		es, err := tx.AuditEntries(0, 1000)
		for _, x := range es {
			if x.Type == "pg.refused" {
				refused = append(refused, string(x.Data))
			}
		}
		return err
	})
	if len(refused) != 2 || !strings.Contains(refused[0], `"upstream":"app-prod"`) || !strings.Contains(refused[0], "token is scoped to staging") || !strings.Contains(refused[1], "revoked") {
		t.Fatalf("refusals audited: %q", refused)
	}
}

func TestReadScopeIsReadOnlyUpstreamToo(t *testing.T) {
	e := setup(t)
	c := e.connect(t, e.readToken, "app-prod")
	var ro string
	if err := c.QueryRow(ctx, "SHOW default_transaction_read_only").Scan(&ro); err != nil || ro != "on" {
		t.Fatalf("read-only setting: %q %v", ro, err)
	}
}

func TestDenyAndFastPathAndSmuggling(t *testing.T) {
	e := setup(t)
	c := e.connect(t, e.prodToken, "app-prod")
	_, err := c.Exec(ctx, "SELECT pg_read_file('/etc/passwd')")
	if pe := pgErr(t, err, CodeDenied); !strings.Contains(pe.Message, "builtin.credential-access") && !strings.Contains(pe.Message, "[builtin.") {
		t.Fatalf("deny: %+v", pe)
	}
	// Approving one statement does not approve another sent with it.
	_, err = c.Exec(ctx, "DELETE FROM bookings")
	id := pgErr(t, err, CodeHeld).Message
	id = id[strings.Index(id, "apr_"):][:20]
	e.approvals.Approve(ctx, id, "alice", "")
	_, err = c.Exec(ctx, "DELETE FROM bookings; DROP TABLE bookings", pgx.QueryExecModeSimpleProtocol)
	pgErr(t, err, CodeHeld)
	if got := e.pg.Count(t, e.prodDB, "bookings"); got != 100 {
		t.Fatalf("rows gone: %d", got)
	}
	// A prepared statement an approval let run once cannot be run again.
	if _, err := c.Exec(ctx, "DELETE FROM bookings"); err != nil {
		t.Fatalf("approved: %v", err)
	}
	e.pg.Exec(t, e.prodDB, "INSERT INTO bookings VALUES (1, 'back')")
	_, err = c.Exec(ctx, "DELETE FROM bookings") // pgx re-binds its cached statement
	pgErr(t, err, CodeHeld)
	if got := e.pg.Count(t, e.prodDB, "bookings"); got != 1 {
		t.Fatalf("the approved statement ran twice: %d rows left", got)
	}
}

func TestCancelReachesTheUpstreamBackend(t *testing.T) {
	e := setup(t)
	c := e.connect(t, e.stageToken, "app-staging")
	errc := make(chan error, 1)
	go func() {
		_, err := c.Exec(ctx, "SELECT pg_sleep(20)") // no deadline: only a cancel ends it
		errc <- err
	}()
	time.Sleep(300 * time.Millisecond)
	if err := c.PgConn().CancelRequest(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		pgErr(t, err, "57014") // canceling statement due to user request: from the upstream backend
	case <-time.After(15 * time.Second):
		t.Fatal("the cancel did not reach the upstream backend")
	}
	var n int
	if err := c.QueryRow(ctx, "SELECT 1").Scan(&n); err != nil {
		t.Fatalf("the session did not survive the cancel: %v", err)
	}
}

var _ = action.Allow

// The classification cache shares results between statements of one shape
// only when no finding read a literal: a harmless statement never lets its
// destructive twin through.
func TestCachedShapesNeverAllowADestructiveTwin(t *testing.T) {
	e := setup(t)
	c := e.connect(t, e.stageToken, "app-staging")
	simple := pgx.QueryExecModeSimpleProtocol
	for id := 1; id <= 3; id++ {
		var note string
		if err := c.QueryRow(ctx, fmt.Sprintf("SELECT note FROM bookings WHERE id = %d", id), simple).Scan(&note); err != nil || note != fmt.Sprintf("n%d", id) {
			t.Fatalf("id %d: %q %v", id, note, err)
		}
	}
	for _, twins := range [][2]string{
		{"DELETE FROM bookings WHERE id = -1 OR 1 = 2", "DELETE FROM bookings WHERE id = -1 OR 1 = 1"},
		{"SELECT set_config('application_name', 'x', false)", "SELECT set_config('session_replication_role', 'replica', false)"},
		{"DO 'BEGIN PERFORM 1; END'", "DO 'BEGIN DELETE FROM bookings; END'"},
	} {
		for range 2 {
			if _, err := c.Exec(ctx, twins[0], simple); err != nil {
				t.Fatalf("%s: %v", twins[0], err)
			}
		}
		_, err := c.Exec(ctx, twins[1], simple)
		pgErr(t, err, CodeHeld)
	}
	// The first of these fails in the server, not in Chaperone: being
	// judged is what fills the cache. COPY to '' parses as COPY to STDOUT
	// does; a function named by a string literal is the literal's.
	file := filepath.Join(t.TempDir(), "twin.csv")
	for _, twins := range [][3]string{
		{"COPY bookings TO ''", "COPY bookings TO '" + file + "'", CodeHeld},
		{"COPY bookings FROM ''", "COPY bookings FROM '/etc/hostname'", CodeDenied},
		{"CREATE OPERATOR #~# (leftarg = int4, rightarg = int8, function = 'int4eq')",
			"CREATE OPERATOR #~# (leftarg = int4, rightarg = int8, function = 'pg_terminate_backend')", CodeHeld},
		{"CREATE OPERATOR @~@ (rightarg = oid, function = 'int4eq')", "CREATE OPERATOR @~@ (rightarg = oid, function = 'lo_unlink')", CodeHeld},
	} {
		for range 2 {
			_, err := c.Exec(ctx, twins[0], simple)
			var pe *pgconn.PgError
			if errors.As(err, &pe) && strings.HasPrefix(pe.Code, "CP") {
				t.Fatalf("%s: Chaperone refused it: %v", twins[0], err)
			}
		}
		_, err := c.Exec(ctx, twins[1], simple)
		pgErr(t, err, twins[2])
	}
	if n := e.pg.Count(t, e.stageDB, "bookings"); n != 100 {
		t.Fatalf("rows %d", n)
	}
}

// An unknown message type ends the session with a FATAL that reaches the
// client whole, written only after the upstream side has stopped writing.
func TestUnknownMessageEndsTheSessionWithAFatal(t *testing.T) {
	e := setup(t)
	pc, err := pgconn.Connect(ctx, e.dsn(e.prodToken, "app-prod"))
	if err != nil {
		t.Fatal(err)
	}
	hj, err := pc.Hijack()
	if err != nil {
		t.Fatal(err)
	}
	defer hj.Conn.Close()
	hj.Conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := hj.Conn.Write([]byte{'Y', 0, 0, 0, 4}); err != nil {
		t.Fatal(err)
	}
	m, err := hj.Frontend.Receive()
	if err != nil {
		t.Fatal(err)
	}
	if er, ok := m.(*pgproto3.ErrorResponse); !ok || er.Severity != "FATAL" || er.Code != "08P01" || !strings.Contains(er.Message, `'Y'`) {
		t.Fatalf("got %#v", m)
	}
	if _, err := hj.Frontend.Receive(); err == nil {
		t.Fatal("the session went on")
	}
}

// A token is checked for the life of its sessions: revoking it, or its
// expiry, ends the sessions already open, with the reason, and nothing
// more runs on them.
func TestRevokedOrExpiredTokensEndOpenSessions(t *testing.T) {
	e := setup(t)
	c := e.connect(t, e.prodToken, "app-prod")
	var n int
	if err := c.QueryRow(ctx, "SELECT count(*) FROM bookings").Scan(&n); err != nil {
		t.Fatal(err)
	}
	tok, err := e.tokens.Verify(ctx, e.prodToken)
	if err != nil {
		t.Fatal(err)
	}
	revoked := time.Now()
	if err := e.tokens.Revoke(ctx, tok.ID, "test"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		err = c.QueryRow(ctx, "SELECT count(*) FROM bookings").Scan(&n)
		if err != nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "28000" || !strings.Contains(pe.Message, "revoked") {
		t.Fatalf("after the revocation: %v", err)
	}
	t.Logf("the session ended %v after the revocation", time.Since(revoked).Round(time.Millisecond))
	if !c.IsClosed() {
		if err := c.QueryRow(ctx, "SELECT 1").Scan(&n); err == nil {
			t.Fatal("the session still runs statements")
		}
	}

	// Expiry: a token that expires while its session is open.
	secret, _, err := e.tokens.Create(ctx, token.Spec{Env: "production", Upstreams: []string{"app-prod"}, Scope: token.ScopeAll,
		Actor: "test", TTL: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	c2 := e.connect(t, secret, "app-prod")
	deadline = time.Now().Add(15 * time.Second)
	for err = nil; err == nil && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		err = c2.QueryRow(ctx, "SELECT 1").Scan(&n)
	}
	if err == nil {
		t.Fatal("the session outlived its expired token")
	}
	if !errors.As(err, &pe) || pe.Code != "28000" || !strings.Contains(pe.Message, "expired") {
		t.Fatalf("expiry: %v", err)
	}
}

// A cancel sent to another instance sharing the state reaches the backend
// of a session held by this one.
func TestCancelReachesTheBackendThroughAnotherInstance(t *testing.T) {
	e := setup(t)
	other := &Gateway{Upstream: e.gw.Upstream, Tokens: e.gw.Tokens, Gate: e.gw.Gate, AllowPlain: true, Log: e.gw.Log}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	go other.Serve(sctx, ln)
	t.Cleanup(func() { ln.Close(); cancel() })
	c := e.connect(t, e.stageToken, "app-staging")
	errc := make(chan error, 1)
	go func() {
		_, err := c.Exec(ctx, "SELECT pg_sleep(20)")
		errc <- err
	}()
	time.Sleep(300 * time.Millisecond)
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	buf, _ := (&pgproto3.CancelRequest{ProcessID: c.PgConn().PID(), SecretKey: c.PgConn().SecretKey()}).Encode(nil)
	conn.Write(buf)
	conn.Close()
	select {
	case err := <-errc:
		pgErr(t, err, "57014")
	case <-time.After(15 * time.Second):
		t.Fatal("the cancel sent to the other instance did not reach the backend")
	}
}
