package pg

import (
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// An approval binds the tables its statement names as the session resolves
// them: another search_path, a temporary table, or a table created earlier
// in the path since is another request.
func TestApprovalBindsTheResolvedTables(t *testing.T) {
	e := setup(t)
	e.pg.Exec(t, e.prodDB, "CREATE SCHEMA big; CREATE TABLE public.events (id int); INSERT INTO public.events VALUES (1); "+
		"CREATE TABLE big.events (id int); INSERT INTO big.events SELECT generate_series(1, 50)")
	c := e.connect(t, e.prodToken, "app-prod")
	simple := pgx.QueryExecModeSimpleProtocol
	_, err := c.Exec(ctx, "TRUNCATE events", simple)
	id := requestOf(t, pgErr(t, err, CodeHeld).Message)
	req, _, _ := e.approvals.Get(ctx, id)
	if !strings.Contains(req.Text, "-- resolves to: events = public.events") || !strings.Contains(req.Impact, "public.events") {
		t.Fatalf("request: %q / %q", req.Text, req.Impact)
	}
	e.approvals.Approve(ctx, id, "alice", "")
	direct, err := pgx.Connect(ctx, e.pg.DSN(e.prodDB))
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close(ctx)
	count := func(table string) int {
		var n int
		if err := direct.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, step := range []string{
		"SET search_path = big, public",
		"BEGIN; SET LOCAL search_path = big",
	} {
		if _, err := c.Exec(ctx, step, simple); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		_, err = c.Exec(ctx, "TRUNCATE events", simple)
		if other := requestOf(t, pgErr(t, err, CodeHeld).Message); other == id {
			t.Fatalf("%s: the approval ran against big.events", step)
		}
		if count("big.events") != 50 || count("public.events") != 1 {
			t.Fatalf("%s: data changed: %d %d", step, count("big.events"), count("public.events"))
		}
		// ROLLBACK would undo a RESET in the same block: its own query.
		c.Exec(ctx, "ROLLBACK", simple)
		c.Exec(ctx, "RESET search_path", simple)
	}
	// A temporary table of the same name shadows public.events.
	if _, err := c.Exec(ctx, "BEGIN; CREATE TEMP TABLE events (id int)", simple); err != nil {
		t.Fatal(err)
	}
	_, err = c.Exec(ctx, "TRUNCATE events", simple)
	if other := requestOf(t, pgErr(t, err, CodeHeld).Message); other == id {
		t.Fatal("the approval ran against a temporary table")
	}
	c.Exec(ctx, "ROLLBACK", simple)
	// After ROLLBACK of a SET, the path is public again: the approval runs
	// the table it was given for, and the snapshot (none here) would be of it.
	c.Exec(ctx, "BEGIN; SET search_path = big; ROLLBACK", simple)
	if _, err := c.Exec(ctx, "TRUNCATE events", simple); err != nil {
		r2, _, _ := e.approvals.Get(ctx, requestOf(t, err.Error()))
		t.Fatalf("approved: %v %q %q", err, r2.Text, req.Text)
	}
	if count("big.events") != 50 || count("public.events") != 0 {
		t.Fatalf("the approved TRUNCATE ran against the wrong table")
	}

	// A table created earlier in the path between request and approval.
	e.pg.Exec(t, e.prodDB, "INSERT INTO public.events VALUES (1); CREATE SCHEMA \"$user\"")
	e.pg.Exec(t, e.prodDB, "ALTER ROLE CURRENT_USER IN DATABASE "+e.prodDB+" SET search_path = shadow, public")
	c2 := e.connect(t, e.prodToken, "app-prod")
	_, err = c2.Exec(ctx, "DELETE FROM events", simple)
	id2 := requestOf(t, pgErr(t, err, CodeHeld).Message)
	e.approvals.Approve(ctx, id2, "alice", "")
	e.pg.Exec(t, e.prodDB, "CREATE SCHEMA shadow; CREATE TABLE shadow.events (id int); INSERT INTO shadow.events VALUES (7)")
	_, err = c2.Exec(ctx, "DELETE FROM events", simple)
	if other := requestOf(t, pgErr(t, err, CodeHeld).Message); other == id2 {
		t.Fatal("the approval ran against a table created earlier in the path")
	}
	if count("shadow.events") != 1 || count("public.events") != 1 {
		t.Fatal("data changed")
	}
}

// An approval binds the functions its statement calls unqualified as the
// session's path reaches them: another search_path, or a better-matching
// overload created since, runs another function, so it is another request.
func TestApprovalBindsTheResolvedFunctions(t *testing.T) {
	e := setup(t)
	e.pg.Exec(t, e.prodDB, `CREATE SCHEMA app; CREATE TABLE public.calls (who text);
CREATE FUNCTION public.mark(numeric) RETURNS int LANGUAGE sql AS $$ INSERT INTO public.calls VALUES ('public numeric') RETURNING 1 $$;
CREATE FUNCTION app.mark(numeric) RETURNS int LANGUAGE sql AS $$ INSERT INTO public.calls VALUES ('app numeric') RETURNING 1 $$`)
	c := e.connect(t, e.prodToken, "app-prod")
	simple := pgx.QueryExecModeSimpleProtocol
	_, err := c.Exec(ctx, "SELECT mark(1)", simple)
	id := requestOf(t, pgErr(t, err, CodeHeld).Message)
	req, _, _ := e.approvals.Get(ctx, id)
	if !strings.Contains(req.Text, "function mark = public.mark(numeric)") {
		t.Fatalf("request text: %q", req.Text)
	}
	e.approvals.Approve(ctx, id, "alice", "")
	direct, err := pgx.Connect(ctx, e.pg.DSN(e.prodDB))
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close(ctx)
	calls := func() string {
		var s string
		if err := direct.QueryRow(ctx, "SELECT coalesce(string_agg(who, ',' ORDER BY who), '') FROM public.calls").Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	if _, err := c.Exec(ctx, "SET search_path = app, public", simple); err != nil {
		t.Fatal(err)
	}
	_, err = c.Exec(ctx, "SELECT mark(1)", simple)
	if other := requestOf(t, pgErr(t, err, CodeHeld).Message); other == id {
		t.Fatal("the approval ran app.mark")
	}
	if got := calls(); got != "" {
		t.Fatalf("a function ran: %q", got)
	}
	c.Exec(ctx, "RESET search_path", simple)

	// A better match in the same schema: mark(integer) wins over
	// mark(numeric) for mark(1).
	e.pg.Exec(t, e.prodDB, `CREATE FUNCTION public.mark(int) RETURNS int LANGUAGE sql AS $$ INSERT INTO public.calls VALUES ('public int') RETURNING 1 $$`)
	_, err = c.Exec(ctx, "SELECT mark(1)", simple)
	if other := requestOf(t, pgErr(t, err, CodeHeld).Message); other == id {
		t.Fatal("the approval ran an overload created after it")
	}
	if got := calls(); got != "" {
		t.Fatalf("a function ran: %q", got)
	}
	e.pg.Exec(t, e.prodDB, `DROP FUNCTION public.mark(int)`)
	// As approved, it runs the function that was approved.
	if _, err := c.Exec(ctx, "SELECT mark(1)", simple); err != nil {
		t.Fatalf("approved: %v", err)
	}
	if got := calls(); got != "public numeric" {
		t.Fatalf("ran %q", got)
	}
}
