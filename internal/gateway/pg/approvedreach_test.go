package pg

import (
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// An approval of a write covers what the approver saw it reach: the same
// text that reaches every row later (a temporary table refilled, a setting
// raised) is destruction, asked for anew; run as it was shown, it runs.
func TestAnApprovedWriteThatNowReachesEveryRowIsAskedAgain(t *testing.T) {
	e := setup(t)
	c := e.connect(t, e.prodToken, "app-prod")
	for _, step := range []struct{ before, stmt, widen string }{
		{"CREATE TEMP TABLE ids AS SELECT 5 AS id", "DELETE FROM bookings WHERE id IN (SELECT id FROM ids)",
			"DISCARD TEMP; CREATE TEMP TABLE ids AS SELECT generate_series(1, 1000) AS id"},
		{"SET app.n = '7'", "DELETE FROM bookings WHERE id <= current_setting('app.n')::int", "SET app.n = '1000000'"},
	} {
		if _, err := c.Exec(ctx, step.before, pgx.QueryExecModeSimpleProtocol); err != nil {
			t.Fatal(err)
		}
		id := approvedAfterHeld(t, e, c, step.stmt, pgx.QueryExecModeSimpleProtocol)
		if _, err := c.Exec(ctx, step.widen, pgx.QueryExecModeSimpleProtocol); err != nil {
			t.Fatal(err)
		}
		_, err := c.Exec(ctx, step.stmt, pgx.QueryExecModeSimpleProtocol)
		pe := pgErr(t, err, CodeHeld)
		if !strings.Contains(pe.Detail, "sql.every-row") || strings.Contains(pe.Message, id) {
			t.Fatalf("%s, widened, under approval %s: %s (%s)", step.stmt, id, pe.Message, pe.Detail)
		}
		if n := e.pg.Count(t, e.prodDB, "bookings"); n != 100 {
			t.Fatalf("%s: %d rows left, want 100", step.stmt, n)
		}
	}
	// Run as it was approved, a write runs.
	if _, err := c.Exec(ctx, "SET app.n = '7'", pgx.QueryExecModeSimpleProtocol); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, "DELETE FROM bookings WHERE id <= current_setting('app.n')::int", pgx.QueryExecModeSimpleProtocol); err != nil {
		t.Fatalf("the approved write as it was shown: %v", err)
	}
	if n := e.pg.Count(t, e.prodDB, "bookings"); n != 93 {
		t.Fatalf("%d rows left, want 93", n)
	}
}

// The same through the extended protocol: the approval is decided at the
// Bind, with the question asked there.
func TestAnApprovedBindThatReachesEveryRowIsAskedAgain(t *testing.T) {
	e := setup(t)
	c := e.connect(t, e.prodToken, "app-prod")
	const stmt = "DELETE FROM bookings WHERE id <= $1"
	approvedAfterHeld(t, e, c, stmt, 3)
	_, err := c.Exec(ctx, stmt, 100000)
	if pe := pgErr(t, err, CodeHeld); !strings.Contains(pe.Detail, "sql.every-row") {
		t.Fatalf("held without the every-row finding: %s", pe.Detail)
	}
	if n := e.pg.Count(t, e.prodDB, "bookings"); n != 100 {
		t.Fatalf("%d rows left, want 100", n)
	}
}

// A grant of writes in production does not cover a filtered write that
// reaches every row.
func TestAWriteGrantDoesNotCoverEveryRow(t *testing.T) {
	e := setup(t)
	c := e.connect(t, e.prodToken, "app-prod")
	_, err := c.Exec(ctx, "UPDATE bookings SET note = 'g' WHERE id = 12")
	req := requestOf(t, pgErr(t, err, CodeHeld).Message)
	if _, _, err := e.approvals.ApproveFor(ctx, req, "alice", "migration", 10*time.Minute, false); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"DELETE FROM bookings WHERE id >= 0", "UPDATE bookings SET note = 'x' WHERE note IS NOT NULL"} {
		for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeExec} {
			_, err := c.Exec(ctx, q, mode)
			if pe := pgErr(t, err, CodeHeld); !strings.Contains(pe.Detail, "sql.every-row") {
				t.Fatalf("%s (%v) under a write grant: %s", q, mode, pe.Detail)
			}
		}
	}
	if _, err := c.Exec(ctx, "UPDATE bookings SET note = 'g' WHERE id < 5"); err != nil {
		t.Fatalf("a write the grant covers: %v", err)
	}
	if got := dbState(t, e, e.prodDB); strings.Count(got, "'x'") > 0 || e.pg.Count(t, e.prodDB, "bookings") != 100 {
		t.Fatalf("rows changed under the grant: %d left", e.pg.Count(t, e.prodDB, "bookings"))
	}
}

// A unique index reaches one row per value only under the comparison the
// filter's = makes: an index under "C" on a column whose collation ignores
// case or punctuation does not pin the write.
func TestAUniqueKeyUnderAnotherCollationPinsNothing(t *testing.T) {
	e := setup(t)
	e.pg.Exec(t, e.stageDB, `CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
		CREATE TABLE users (email text COLLATE ci, n int);
		INSERT INTO users SELECT CASE WHEN g % 2 = 0 THEN 'A@X.COM' ELSE 'a@x.com' END || repeat(' ', 0), g FROM generate_series(1, 2) g;
		CREATE UNIQUE INDEX users_email_c ON users (email COLLATE "C")`)
	c := e.connect(t, e.stageToken, "app-staging")
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeExec} {
		_, err := c.Exec(ctx, "DELETE FROM users WHERE email = 'a@x.com'", mode)
		if pe := pgErr(t, err, CodeHeld); !strings.Contains(pe.Detail, "sql.every-row") {
			t.Fatalf("%v: %s", mode, pe.Detail)
		}
	}
	if n := e.pg.Count(t, e.stageDB, "users"); n != 2 {
		t.Fatalf("%d rows left, want 2", n)
	}
	// Under a deterministic collation the key pins the write.
	e.pg.Exec(t, e.stageDB, `CREATE TABLE plain (email text, n int); INSERT INTO plain VALUES ('a@x.com', 1), ('A@X.COM', 2);
		CREATE UNIQUE INDEX plain_email ON plain (email)`)
	if _, err := c.Exec(ctx, "DELETE FROM plain WHERE email = 'a@x.com'"); err != nil {
		t.Fatalf("a write pinned by a unique key: %v", err)
	}
}
