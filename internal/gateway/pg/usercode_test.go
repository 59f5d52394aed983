package pg

import (
	"testing"

	"github.com/jackc/pgx/v5"
)

// A statement that runs the database's own functions without naming them
// is judged as calling them: t.f is the call f(t) when t has no column f;
// an operator runs its function; reading a view or a table with a policy
// runs what they were defined with.
func TestUnnamedCallsOfTheDatabasesFunctions(t *testing.T) {
	e := setup(t)
	for _, db := range []string{e.prodDB, e.stageDB} {
		e.pg.Exec(t, db, `CREATE TABLE public.t (id int); INSERT INTO public.t VALUES (1), (2);
CREATE FUNCTION public.wipe(public.t) RETURNS int LANGUAGE sql AS $$ DELETE FROM public.t; SELECT 1 $$;
CREATE FUNCTION public.wipe_any(anyelement) RETURNS int LANGUAGE sql AS $$ DELETE FROM public.t; SELECT 1 $$;
CREATE FUNCTION public.id(int) RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;
CREATE FUNCTION public.t_eq(public.t, int) RETURNS bool LANGUAGE sql AS $$ DELETE FROM public.t; SELECT true $$;
CREATE OPERATOR public.=== (leftarg = public.t, rightarg = int, function = public.t_eq);
CREATE VIEW public.v AS SELECT public.wipe(t) FROM public.t;
CREATE VIEW public.v2 AS SELECT * FROM public.v;
CREATE VIEW public.plain AS SELECT id FROM public.t;
CREATE TABLE public.p (id int); ALTER TABLE public.p ENABLE ROW LEVEL SECURITY; ALTER TABLE public.p FORCE ROW LEVEL SECURITY;
CREATE POLICY everyone ON public.p USING (public.id(id) > 0)`)
	}
	direct, err := pgx.Connect(ctx, e.pg.DSN(e.prodDB))
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close(ctx)
	rows := func() int {
		var n int
		if err := direct.QueryRow(ctx, "SELECT count(*) FROM public.t").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	simple := pgx.QueryExecModeSimpleProtocol
	c := e.connect(t, e.prodToken, "app-prod")
	// Columns are read as before, also where a function of the same name
	// takes no row.
	var n int
	for _, q := range []string{"SELECT count(t.id) FROM t", "SELECT count(*) FROM plain WHERE plain.id > 0"} {
		if err := c.QueryRow(ctx, q).Scan(&n); err != nil || n != 2 {
			t.Fatalf("%s: %v %d", q, err, n)
		}
	}
	for _, q := range []string{
		"SELECT t.wipe FROM t",
		"SELECT x.wipe FROM t x",
		"SELECT (t).wipe FROM t",
		"SELECT public.t.wipe FROM public.t",
		`SELECT "t"."wipe" FROM "t"`,
		"SELECT 1 FROM t WHERE t.wipe > 0",
		"SELECT (SELECT t.wipe) FROM t",
		"SELECT t.wipe_any FROM t",
		"SELECT 1 FROM t WHERE t === 1",
		"SELECT * FROM v",
		"SELECT * FROM public.v2",
		"SELECT * FROM p",
	} {
		for _, mode := range []pgx.QueryExecMode{simple, pgx.QueryExecModeExec} {
			_, err := c.Exec(ctx, q, mode)
			pgErr(t, err, CodeHeld)
			if rows() != 2 {
				t.Fatalf("%s ran wipe", q)
			}
		}
	}

	// A function created through the gateway is known at once (its body
	// is judged when it is created; a harmless one is allowed in staging).
	s := e.connect(t, e.stageToken, "app-staging")
	if err := s.QueryRow(ctx, "SELECT count(t.id) FROM t").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Exec(ctx, `CREATE FUNCTION public.wipe2(public.t) RETURNS int LANGUAGE sql AS $$ SELECT 1 $$`, simple); err != nil {
		t.Fatal(err)
	}
	_, err = s.Exec(ctx, "SELECT t.wipe2 FROM t", simple)
	pgErr(t, err, CodeHeld)
}

// An operator of the database named as a built-in one is picked over the
// built-in for its own types.
func TestUserOperatorNamedAsABuiltin(t *testing.T) {
	e := setup(t)
	e.pg.Exec(t, e.prodDB, `CREATE TABLE public.t (id int); INSERT INTO public.t VALUES (1);
CREATE FUNCTION public.t_eq(public.t, int) RETURNS bool LANGUAGE sql AS $$ DELETE FROM public.t; SELECT true $$;
CREATE OPERATOR public.= (leftarg = public.t, rightarg = int, function = public.t_eq)`)
	c := e.connect(t, e.prodToken, "app-prod")
	_, err := c.Exec(ctx, "SELECT 1 FROM t WHERE t = 1", pgx.QueryExecModeSimpleProtocol)
	pgErr(t, err, CodeHeld)
	var n int
	direct, err := pgx.Connect(ctx, e.pg.DSN(e.prodDB))
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close(ctx)
	if err := direct.QueryRow(ctx, "SELECT count(*) FROM public.t").Scan(&n); err != nil || n != 1 {
		t.Fatalf("rows: %d %v", n, err)
	}
}
