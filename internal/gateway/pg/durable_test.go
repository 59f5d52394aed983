package pg

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chaperone/chaperone/internal/audit"
)

// heldAudit is the real writer, except that a session waiting for an entry
// it queued waits until the test releases it (and then learns of a failure,
// when the test says the disk is full).
type heldAudit struct {
	*audit.Writer
	mu      sync.Mutex
	queued  int
	fail    bool
	waiting chan struct{}
	release chan struct{}
}

func holdAudit(e *env) *heldAudit {
	h := &heldAudit{Writer: e.gw.Gate.Audit.(*audit.Writer), waiting: make(chan struct{}, 64), release: make(chan struct{})}
	e.gw.Gate.Audit = h
	return h
}

func (h *heldAudit) Queue(ev audit.Event) func(context.Context) error {
	h.mu.Lock()
	h.queued++
	h.mu.Unlock()
	wait := h.Writer.Queue(ev)
	return func(ctx context.Context) error {
		h.waiting <- struct{}{}
		<-h.release
		if h.fail {
			return errors.New("disk full")
		}
		return wait(ctx)
	}
}

func (h *heldAudit) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.queued
}

// note reads booking 1's note straight from the upstream, past the gateway.
func (e *env) note(t *testing.T) string {
	t.Helper()
	c, err := pgx.Connect(ctx, e.pg.DSN(e.stageDB))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var s string
	if err := c.QueryRow(ctx, "SELECT note FROM bookings WHERE id = 1").Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

// inBlock opens a transaction through the gateway and runs a write in it
// that is forwarded before its entry is durable.
func inBlock(t *testing.T, e *env, h *heldAudit, mode pgx.QueryExecMode) *pgx.Conn {
	t.Helper()
	c := e.connect(t, e.stageToken, "app-staging")
	if _, err := c.Exec(ctx, "BEGIN", pgx.QueryExecModeSimpleProtocol); err != nil {
		t.Fatal(err)
	}
	before := h.count()
	// The entry is not released: this returns only because the UPDATE
	// was forwarded while its entry was still queued.
	if _, err := c.Exec(ctx, "UPDATE bookings SET note = 'changed' WHERE id = $1", mode, 1); err != nil {
		t.Fatal(err)
	}
	if h.count() != before+1 {
		t.Fatalf("the write in the block was not queued: %d entries queued", h.count()-before)
	}
	// A contained read runs too, and sees the write.
	var got string
	if err := c.QueryRow(ctx, "SELECT note FROM bookings WHERE id = 1", mode).Scan(&got); err != nil || got != "changed" {
		t.Fatalf("read in the block: %q %v", got, err)
	}
	return c
}

// blocked runs f and fails t unless f waits for the audit entry: f must
// not finish before the held wait is entered. f's result arrives on the
// channel once the test releases the entry.
func blocked(t *testing.T, h *heldAudit, f func() error) <-chan error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		t.Fatalf("finished without waiting for the transaction's audit entries: %v", err)
	case <-h.waiting:
	case <-time.After(time.Minute):
		t.Fatal("neither waited nor finished")
	}
	return done
}

// commitsOnceRecorded runs commit (which ends the block inBlock opened)
// and fails t unless the write reaches the server only after its entry is
// released, and then does.
func commitsOnceRecorded(t *testing.T, e *env, h *heldAudit, commit func() error) {
	t.Helper()
	done := blocked(t, h, commit)
	// The session is waiting for the entry: the COMMIT has not reached
	// the server.
	if got := e.note(t); got != "n1" {
		t.Fatalf("committed before its write was on the record: %q", got)
	}
	close(h.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := e.note(t); got != "changed" {
		t.Fatalf("after COMMIT: %q", got)
	}
}

func TestWritesInATransactionBlockRunBeforeTheirEntryIsDurableButCommitWaitsForIt(t *testing.T) {
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeExec} {
		t.Run(mode.String(), func(t *testing.T) {
			e := setup(t)
			h := holdAudit(e)
			c := inBlock(t, e, h, mode)
			commitsOnceRecorded(t, e, h, func() error {
				_, err := c.Exec(ctx, "COMMIT", mode)
				return err
			})
		})
	}
}

func TestATransactionWhoseWritesCannotBeRecordedIsRolledBack(t *testing.T) {
	e := setup(t)
	h := holdAudit(e)
	h.fail = true
	c := inBlock(t, e, h, pgx.QueryExecModeSimpleProtocol)
	close(h.release)
	_, err := c.Exec(ctx, "COMMIT", pgx.QueryExecModeSimpleProtocol)
	pgErr(t, err, CodeUndecidable)
	if !c.IsClosed() {
		if err := c.Ping(ctx); err == nil {
			t.Fatal("the session went on after its writes could not be recorded")
		}
	}
	if got := e.note(t); got != "n1" {
		t.Fatalf("a write that is not on the record was committed: %q", got)
	}
}

// Anything that could end the transaction or carry its writes outside it
// waits for their entries first.
func TestWhatCouldLetAWriteOutWaitsForItsEntry(t *testing.T) {
	e := setup(t)
	e.pg.Exec(t, e.stageDB, "CREATE TABLE side (v text)")
	for _, stmt := range []string{
		"END",
		"COMMIT AND CHAIN",
		"PREPARE TRANSACTION 'p1'",
		"COPY bookings TO STDOUT",
		"SELECT pg_notify('c', note) FROM bookings WHERE id = 1",
		"SELECT length(note) FROM bookings WHERE id = 1",
		"DO $$ BEGIN PERFORM 1; END $$",
		"INSERT INTO side SELECT note FROM bookings WHERE id = 1; COMMIT",
	} {
		t.Run(stmt, func(t *testing.T) {
			h := holdAudit(e)
			c := inBlock(t, e, h, pgx.QueryExecModeSimpleProtocol)
			done := blocked(t, h, func() error {
				_, err := c.Exec(ctx, stmt, pgx.QueryExecModeSimpleProtocol)
				return err
			})
			close(h.release)
			<-done // refused or not, it had to wait
			c.Exec(ctx, "ROLLBACK", pgx.QueryExecModeSimpleProtocol)
			e.gw.Gate.Audit = h.Writer
		})
	}
}

// The unnamed portal is tracked by what it was bound from: an Execute of a
// portal bound to a COMMIT before the write waits as well.
func TestAnExecuteOfAPortalBoundEarlierWaits(t *testing.T) {
	e := setup(t)
	h := holdAudit(e)
	c := inBlock(t, e, h, pgx.QueryExecModeSimpleProtocol)
	pc := c.PgConn()
	// A named statement for COMMIT, bound later to the unnamed portal:
	// the Execute alone runs it.
	if _, err := pc.Prepare(ctx, "fin", "COMMIT", nil); err != nil {
		t.Fatal(err)
	}
	commitsOnceRecorded(t, e, h, func() error {
		return pc.ExecPrepared(ctx, "fin", nil, nil, nil).Read().Err
	})
}

// A write sent behind a COMMIT the server has not answered yet may run
// outside any block: it is recorded before it is forwarded.
func TestAWritePipelinedBehindACommitIsRecordedFirst(t *testing.T) {
	e := setup(t)
	h := holdAudit(e)
	close(h.release)
	c := e.connect(t, e.stageToken, "app-staging")
	if _, err := c.Exec(ctx, "BEGIN", pgx.QueryExecModeSimpleProtocol); err != nil {
		t.Fatal(err)
	}
	before := h.count()
	p := c.PgConn().StartPipeline(ctx)
	p.SendQueryParams("COMMIT", nil, nil, nil, nil)
	p.Sync()
	p.SendQueryParams("UPDATE bookings SET note = 'after' WHERE id = $1", [][]byte{[]byte("1")}, nil, nil, nil)
	p.Sync()
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if h.count() != before {
		t.Fatal("a write behind an unanswered COMMIT was forwarded before its entry was durable")
	}
	if got := e.note(t); got != "after" {
		t.Fatalf("pipelined write: %q", got)
	}
}

// A function called as a field of its argument ((x).f, a.f) is judged as
// the call it is, and nothing it does leaves a transaction early: the
// server never runs it before a human says so.
func TestFunctionsCalledAsFieldsAreJudgedAsCalls(t *testing.T) {
	e := setup(t)
	h := holdAudit(e)
	close(h.release)
	e.pg.Exec(t, e.prodDB, "CREATE SEQUENCE s")
	c := e.connect(t, e.prodToken, "app-prod")
	for _, q := range []string{
		"SELECT (id::bigint + 4200).pg_advisory_lock FROM bookings WHERE id = 1",
		"SELECT x.pg_advisory_lock FROM (SELECT 4201::bigint AS x) q",
		"SELECT ($$SELECT to_tsvector('simple', pg_advisory_lock(4202)::text)$$::text).ts_stat",
		"SELECT ('s'::regclass).nextval",
		"SELECT (pg_backend_pid()).pg_terminate_backend",
	} {
		if _, err := c.Exec(ctx, q, pgx.QueryExecModeSimpleProtocol); err == nil {
			t.Errorf("%s ran", q)
		}
	}
	direct, err := pgx.Connect(ctx, e.pg.DSN(e.prodDB))
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close(ctx)
	var locks int
	var called bool
	if err := direct.QueryRow(ctx, "SELECT (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'), (SELECT is_called FROM s)").Scan(&locks, &called); err != nil {
		t.Fatal(err)
	}
	if locks != 0 || called {
		t.Fatalf("advisory locks %d, sequence called %v: a call written as a field ran", locks, called)
	}
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("the session itself: %v", err)
	}
}
