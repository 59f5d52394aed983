package pg

import (
	"errors"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/chaperone/chaperone/internal/backup"
)

// A transaction retried after each hold needs one approval per held
// statement, not one per attempt: an approval spent by a statement whose
// transaction then rolled back is given back, and spent only by the commit.
func TestARetriedTransactionNeedsOneApprovalPerHeldStatement(t *testing.T) {
	e := setup(t)
	c := e.connect(t, e.prodToken, "app-prod")
	stmts := []string{
		"UPDATE bookings SET note = 'a' WHERE id = 1",
		"UPDATE bookings SET note = 'b' WHERE id = 2",
		"UPDATE bookings SET note = 'c' WHERE id = 3",
	}
	approvals, runs := 0, 0
	for runs < 10 {
		runs++
		tx, err := c.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var held *pgconn.PgError
		for _, q := range stmts {
			if _, err = tx.Exec(ctx, q); err != nil {
				break
			}
		}
		if err == nil {
			if err = tx.Commit(ctx); err != nil {
				t.Fatalf("commit: %v", err)
			}
			break
		}
		tx.Rollback(ctx)
		if !errors.As(err, &held) || held.Code != CodeHeld {
			t.Fatalf("run %d: %v", runs, err)
		}
		id := held.Message[strings.Index(held.Message, "apr_"):][:20]
		if _, err := e.approvals.Approve(ctx, id, "alice", ""); err != nil {
			t.Fatalf("approving %s: %v", id, err)
		}
		approvals++
	}
	if approvals != 3 || runs != 4 {
		t.Fatalf("%d approvals over %d runs; want 3 over 4", approvals, runs)
	}
	var notes string
	if err := c.QueryRow(ctx, "SELECT string_agg(note, '' ORDER BY id) FROM bookings WHERE id <= 3").Scan(&notes); err != nil || notes != "abc" {
		t.Fatalf("the migration's effect: %q %v", notes, err)
	}
	list, _ := e.approvals.List(ctx, "", 10)
	for _, a := range list {
		if a.State != "consumed" {
			t.Errorf("%s is %s after the commit", a.ID, a.State)
		}
	}
	// Spent now: the same statement is asked about again.
	if _, err := c.Exec(ctx, stmts[0]); err == nil {
		t.Fatal("a spent approval ran again")
	}
}

// An approval whose session ends mid-transaction is given back; one whose
// statement fails is given back; neither ran anything.
func TestAnApprovalIsGivenBackWhenNothingWasCommitted(t *testing.T) {
	e := setup(t)
	c := e.connect(t, e.prodToken, "app-prod")
	_, err := c.Exec(ctx, "DELETE FROM bookings WHERE id > 90")
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != CodeHeld {
		t.Fatalf("delete: %v", err)
	}
	id := pe.Message[strings.Index(pe.Message, "apr_"):][:20]
	e.approvals.Approve(ctx, id, "alice", "")
	// Run inside a transaction, then the client goes away.
	c2 := e.connect(t, e.prodToken, "app-prod")
	if _, err := c2.Exec(ctx, "BEGIN"); err != nil {
		t.Fatal(err)
	}
	if _, err := c2.Exec(ctx, "DELETE FROM bookings WHERE id > 90"); err != nil {
		t.Fatal(err)
	}
	c2.Close(ctx)
	waitState(t, e, id, "approved")
	if n := e.pg.Count(t, e.prodDB, "bookings"); n != 100 {
		t.Fatalf("rows %d after the session ended", n)
	}
	// Then it runs, committed, once.
	if _, err := c.Exec(ctx, "DELETE FROM bookings WHERE id > 90"); err != nil {
		t.Fatal(err)
	}
	waitState(t, e, id, "consumed")
	if n := e.pg.Count(t, e.prodDB, "bookings"); n != 90 {
		t.Fatalf("rows %d", n)
	}
}

// A client that sends the approved statement and hangs up at once does not
// hear whether it ran; the server ran and committed it. The approval is
// spent: given back, it would let the same statement run twice.
func TestAnApprovalIsSpentWhenItsStatementMayHaveCommitted(t *testing.T) {
	e := setup(t)
	c := e.connect(t, e.prodToken, "app-prod")
	id := approvedAfterHeld(t, e, c, "DELETE FROM bookings WHERE id > 90")
	pc, err := pgconn.Connect(ctx, e.dsn(e.prodToken, "app-prod"))
	if err != nil {
		t.Fatal(err)
	}
	hj, err := pc.Hijack()
	if err != nil {
		t.Fatal(err)
	}
	hj.Frontend.Send(&pgproto3.Query{String: "DELETE FROM bookings WHERE id > 90"})
	if err := hj.Frontend.Flush(); err != nil {
		t.Fatal(err)
	}
	hj.Conn.Close()
	for i := 0; i < 200 && e.pg.Count(t, e.prodDB, "bookings") != 90; i++ {
		sleepBriefly()
	}
	if n := e.pg.Count(t, e.prodDB, "bookings"); n != 90 {
		t.Fatalf("rows %d: the statement did not run", n)
	}
	waitState(t, e, id, "consumed")
	heldAgain(t, e, c, "DELETE FROM bookings WHERE id > 90")
}

// An error after the approved statement, inside its transaction, does not
// give the approval back: a savepoint taken after the statement keeps its
// effect through ROLLBACK TO, and the commit that follows commits it. It is
// spent then, and the same statement is held again.
func TestAnErrorAfterASavepointDoesNotGiveTheApprovalBack(t *testing.T) {
	e := setup(t)
	c := e.connect(t, e.prodToken, "app-prod")
	const del = "DELETE FROM bookings WHERE id > 90"
	id := approvedAfterHeld(t, e, c, del)
	s := e.raw(t, e.prodToken)
	if codes, _ := s.send(&pgproto3.Query{String: "BEGIN"}); len(codes) != 0 {
		t.Fatalf("BEGIN: %v", codes)
	}
	codes, _ := s.send(
		&pgproto3.Parse{Query: del}, &pgproto3.Bind{}, &pgproto3.Execute{},
		&pgproto3.Parse{Query: "SAVEPOINT s"}, &pgproto3.Bind{}, &pgproto3.Execute{},
		&pgproto3.Parse{Query: "SELECT 1/0"}, &pgproto3.Bind{}, &pgproto3.Execute{},
		&pgproto3.Sync{})
	if len(codes) != 1 || codes[0] != "22012" {
		t.Fatalf("the cycle: %v", codes)
	}
	for _, q := range []string{"ROLLBACK TO SAVEPOINT s", "COMMIT"} {
		if codes, _ := s.send(&pgproto3.Query{String: q}); len(codes) != 0 {
			t.Fatalf("%s: %v", q, codes)
		}
	}
	if n := e.pg.Count(t, e.prodDB, "bookings"); n != 90 {
		t.Fatalf("rows %d: the delete was not committed", n)
	}
	waitState(t, e, id, "consumed")
	heldAgain(t, e, c, del)
}

// A COMMIT spends the approvals reserved before it, whatever comes after:
// COMMIT AND CHAIN leaves a transaction open for a ROLLBACK, an error later
// in the same cycle, or a hang-up before the cycle ends, none of which
// undoes what was committed.
func TestACommitSpendsTheApprovalWhateverFollows(t *testing.T) {
	e := setup(t)
	const del = "DELETE FROM bookings WHERE id > 90"
	c := e.connect(t, e.prodToken, "app-prod")
	for _, tail := range []string{"chain", "error", "hangup"} {
		e.pg.Exec(t, e.prodDB, "DELETE FROM bookings WHERE id > 90; INSERT INTO bookings (id) SELECT g FROM generate_series(91, 100) g")
		id := approvedAfterHeld(t, e, c, del)
		s := e.raw(t, e.prodToken)
		s.send(&pgproto3.Query{String: "BEGIN"})
		switch tail {
		case "chain":
			s.send(&pgproto3.Query{String: del})
			s.send(&pgproto3.Query{String: "COMMIT AND CHAIN"})
			s.send(&pgproto3.Query{String: "ROLLBACK"})
		case "error":
			s.send(&pgproto3.Parse{Query: del}, &pgproto3.Bind{}, &pgproto3.Execute{},
				&pgproto3.Parse{Query: "COMMIT"}, &pgproto3.Bind{}, &pgproto3.Execute{},
				&pgproto3.Parse{Query: "SELECT 1/0"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{})
		case "hangup":
			s.send(&pgproto3.Query{String: del})
			s.fe.Send(&pgproto3.Parse{Query: "COMMIT"})
			s.fe.Send(&pgproto3.Bind{})
			s.fe.Send(&pgproto3.Execute{})
			s.fe.Send(&pgproto3.Flush{})
			s.fe.Flush()
			for {
				m, err := s.fe.Receive()
				if err != nil {
					t.Fatal(err)
				}
				if _, ok := m.(*pgproto3.CommandComplete); ok {
					break
				}
			}
			s.close()
		}
		if n := e.pg.Count(t, e.prodDB, "bookings"); n != 90 {
			t.Fatalf("%s: rows %d, the delete was not committed", tail, n)
		}
		waitState(t, e, id, "consumed")
	}
}

// heldAgain puts back the ten bookings the spent approval deleted and
// checks that the same statement is held, with the rows still there.
func heldAgain(t *testing.T, e *env, c *pgx.Conn, stmt string) {
	t.Helper()
	e.pg.Exec(t, e.prodDB, "INSERT INTO bookings (id) SELECT g FROM generate_series(91, 100) g")
	_, err := c.Exec(ctx, stmt)
	pgErr(t, err, CodeHeld)
	if n := e.pg.Count(t, e.prodDB, "bookings"); n != 100 {
		t.Fatalf("rows %d: the approval ran twice", n)
	}
}

func waitState(t *testing.T, e *env, id, want string) {
	t.Helper()
	for i := 0; i < 200; i++ {
		if a, _, _ := e.approvals.Get(ctx, id); a.State == want {
			return
		}
		sleepBriefly()
	}
	a, _, _ := e.approvals.Get(ctx, id)
	t.Fatalf("%s is %s, want %s", id, a.State, want)
}

func sleepBriefly() { time.Sleep(25 * time.Millisecond) }

// A migration that changes a table and then drops part of it, in one
// transaction, completes after one approval, in bounded time: the snapshot
// of what it drops is taken before the transaction's first statement that
// could lock that table, not at the DROP, where it would wait on that lock
// forever.
func TestAnApprovedDropAfterOtherDDLInItsTransactionCompletes(t *testing.T) {
	e := setup(t)
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	e.gw.Backups = &backup.Before{Open: func() (backup.Store, error) { return &backup.Local{Dir: dir}, nil }, Recipient: id.Recipient().String()}
	c := e.connect(t, e.stageToken, "app-staging")
	migrate := func() error {
		tx, err := c.Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(ctx)
		for _, q := range []string{"ALTER TABLE bookings ADD COLUMN extra int", "ALTER TABLE bookings DROP COLUMN note"} {
			if _, err := tx.Exec(ctx, q); err != nil {
				return err
			}
		}
		return tx.Commit(ctx)
	}
	err = migrate()
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != CodeHeld {
		t.Fatalf("first run: %v", err)
	}
	req := pe.Message[strings.Index(pe.Message, "apr_"):][:20]
	if _, err := e.approvals.Approve(ctx, req, "alice", ""); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 200 && len(e.gw.ahead.of(e.stageTokenID(t), "app-staging")) == 0; i++ {
		sleepBriefly() // the gateway learns of the approval within a quarter second
	}
	done := make(chan error, 1)
	go func() { done <- migrate() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the approved migration: %v", err)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("the approved migration is still waiting")
	}
	waitState(t, e, req, "consumed")
	a, _, _ := e.approvals.Get(ctx, req)
	ms, err := backup.Manifests(ctx, &backup.Local{Dir: dir}, "app-staging")
	if err != nil || len(ms) == 0 || a.Snapshot != ms[0].ID {
		t.Fatalf("snapshot %q, manifests %+v %v", a.Snapshot, ms, err)
	}
	var held bool
	for _, tb := range ms[0].Tables {
		held = held || tb.Name == "public.bookings" && tb.Rows == 100
	}
	if !held {
		t.Fatalf("the snapshot does not hold the dropped column's rows: %+v", ms[0].Tables)
	}
	var cols int
	if err := c.QueryRow(ctx, "SELECT count(*) FROM information_schema.columns WHERE table_name = 'bookings' AND column_name = 'note'").Scan(&cols); err != nil || cols != 0 {
		t.Fatalf("note is still there: %d %v", cols, err)
	}
}

// An approval waiting to run costs the token's other transactions nothing:
// its snapshot is taken ahead only before a statement that could lock what
// it touches, not at every BEGIN.
func TestAnApprovalWaitingToRunIsNotSnapshottedByEveryTransaction(t *testing.T) {
	e := setup(t)
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	e.gw.Backups = &backup.Before{Open: func() (backup.Store, error) { return &backup.Local{Dir: dir}, nil }, Recipient: id.Recipient().String()}
	e.pg.Exec(t, e.stageDB, "CREATE TABLE other (id int)")
	c := e.connect(t, e.stageToken, "app-staging")
	_, err = c.Exec(ctx, "DROP TABLE bookings")
	pe := pgErr(t, err, CodeHeld)
	req := pe.Message[strings.Index(pe.Message, "apr_"):][:20]
	if _, err := e.approvals.Approve(ctx, req, "alice", ""); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 200 && len(e.gw.ahead.of(e.stageTokenID(t), "app-staging")) == 0; i++ {
		sleepBriefly()
	}
	snapshots := func() int {
		ms, err := backup.Manifests(ctx, &backup.Local{Dir: dir}, "app-staging")
		if err != nil {
			t.Fatal(err)
		}
		return len(ms)
	}
	for _, q := range [][]string{
		{"SELECT 1"},
		{"INSERT INTO other VALUES (1)", "UPDATE other SET id = 2 WHERE id = 1"},
		{"ALTER TABLE other ADD COLUMN x int"},
	} {
		tx, err := c.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range q {
			if _, err := tx.Exec(ctx, s); err != nil {
				t.Fatalf("%s: %v", s, err)
			}
		}
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if n := snapshots(); n != 0 {
			t.Fatalf("%q took %d snapshots for an approval it does not touch", q, n)
		}
	}
	// A lock on the approved statement's table is taken after its snapshot.
	tx, err := c.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "ALTER TABLE bookings ADD COLUMN y int"); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "DROP TABLE bookings"); err != nil {
		t.Fatalf("the approved DROP after a lock on its table: %v", err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if n := snapshots(); n != 1 {
		t.Fatalf("%d snapshots, want the one taken ahead of the ALTER", n)
	}
}

func (e *env) stageTokenID(t *testing.T) string {
	t.Helper()
	k, err := e.tokens.Verify(ctx, e.stageToken)
	if err != nil {
		t.Fatal(err)
	}
	return k.ID
}

// A tool that prints the same statement another way each run converges on
// one approval: the TRUNCATE list in another order, other spacing, quoting
// and case.
func TestTheSameStatementSpelledAnotherWayUsesItsApproval(t *testing.T) {
	e := setup(t)
	e.pg.Exec(t, e.prodDB, "CREATE TABLE a (x int); CREATE TABLE b (y int); INSERT INTO a VALUES (1); INSERT INTO b VALUES (2)")
	c := e.connect(t, e.prodToken, "app-prod")
	_, err := c.Exec(ctx, "TRUNCATE a, b")
	pe := pgErr(t, err, CodeHeld)
	req := pe.Message[strings.Index(pe.Message, "apr_"):][:20]
	e.approvals.Approve(ctx, req, "alice", "")
	if _, err := c.Exec(ctx, `truncate  "b" ,a;`); err != nil {
		t.Fatalf("the approved TRUNCATE spelled another way: %v", err)
	}
	if e.pg.Count(t, e.prodDB, "a")+e.pg.Count(t, e.prodDB, "b") != 0 {
		t.Fatal("the TRUNCATE did not run")
	}
	waitState(t, e, req, "consumed")
}

// Under a grant, statements batched into one Sync cycle (executemany,
// pgx's SendBatch, JDBC's executeBatch) run: only an approval binds what
// their tables resolve to, which cannot be asked mid-pipeline.
func TestAGrantLetsABatchThrough(t *testing.T) {
	e := setup(t)
	e.pg.Exec(t, e.prodDB, "CREATE TABLE items (id int)")
	c := e.connect(t, e.prodToken, "app-prod")
	_, err := c.Exec(ctx, "INSERT INTO items VALUES (0)")
	pe := pgErr(t, err, CodeHeld)
	req := pe.Message[strings.Index(pe.Message, "apr_"):][:20]
	if _, _, err := e.approvals.ApproveFor(ctx, req, "alice", "migration", 10*time.Minute, false); err != nil {
		t.Fatal(err)
	}
	b := &pgx.Batch{}
	for i := 1; i <= 3; i++ {
		b.Queue("INSERT INTO items VALUES ($1)", i)
	}
	if err := c.SendBatch(ctx, b).Close(); err != nil {
		t.Fatalf("a batch under a write grant: %v", err)
	}
	if n := e.pg.Count(t, e.prodDB, "items"); n != 3 {
		t.Fatalf("%d rows, want 3", n)
	}
	// Without a grant, a destructive batch is still refused.
	b = &pgx.Batch{}
	b.Queue("SELECT 1")
	b.Queue("DELETE FROM items WHERE id > $1 OR true", 0)
	err = c.SendBatch(ctx, b).Close()
	if err == nil || e.pg.Count(t, e.prodDB, "items") != 3 {
		t.Fatalf("a destructive batch without a grant: %v", err)
	}
}
