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

	// A function of a row is held where it is created, even a harmless
	// one in staging (TestRowFunctionsAreJudgedWhereTheyAreCreated).
	s := e.connect(t, e.stageToken, "app-staging")
	if err := s.QueryRow(ctx, "SELECT count(t.id) FROM t").Scan(&n); err != nil {
		t.Fatal(err)
	}
	_, err = s.Exec(ctx, `CREATE FUNCTION public.wipe2(public.t) RETURNS int LANGUAGE sql AS $$ SELECT 1 $$`, simple)
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

// Each way a read-looking statement reaches the database's own code
// through its types, a built-in's name, an event trigger or a view's
// definition, each in a database of its own so that one trap does not
// hold the others' statements.
func TestCodeReachedThroughTypesNamesEventsAndViews(t *testing.T) {
	// Building an index or a partition calls the comparisons too: they go
	// off only once armed, at the end of the setup.
	const myOps = `CREATE TABLE armed (x int);
CREATE FUNCTION cmp(int, int) RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$ BEGIN IF EXISTS (SELECT FROM public.armed) THEN PERFORM boom(); END IF; RETURN btint4cmp($1, $2); END $$;
CREATE OPERATOR CLASS my_ops FOR TYPE int USING btree AS OPERATOR 1 <, OPERATOR 2 <=, OPERATOR 3 =, OPERATOR 4 >=, OPERATOR 5 >, FUNCTION 1 cmp(int, int);
`
	const posint = `CREATE FUNCTION d(int) RETURNS bool LANGUAGE plpgsql AS $$ BEGIN RETURN boom(); END $$; CREATE DOMAIN posint AS int CHECK (d(VALUE))`
	const boom = `CREATE TABLE public.victim (id int); INSERT INTO public.victim SELECT generate_series(1, 10);
CREATE TABLE public.vtab (s varchar); INSERT INTO public.vtab VALUES ('a');
CREATE FUNCTION public.boom() RETURNS bool LANGUAGE plpgsql AS $$ BEGIN DELETE FROM public.victim; RETURN true; END $$;`
	for _, c := range []struct{ name, setup, stmt string }{
		{"cast", `CREATE FUNCTION c(text) RETURNS int LANGUAGE plpgsql AS $$ BEGIN PERFORM boom(); RETURN 1; END $$;
CREATE CAST (text AS integer) WITH FUNCTION c(text)`, "SELECT s::text::int FROM vtab"},
		{"implicit cast", `CREATE FUNCTION c(varchar) RETURNS int LANGUAGE plpgsql AS $$ BEGIN PERFORM boom(); RETURN 1; END $$;
CREATE CAST (varchar AS integer) WITH FUNCTION c(varchar) AS IMPLICIT`, "SELECT * FROM vtab WHERE s = 1"},
		{"domain check", `CREATE FUNCTION d(int) RETURNS bool LANGUAGE plpgsql AS $$ BEGIN RETURN boom(); END $$;
CREATE DOMAIN posint AS int CHECK (d(VALUE))`, "SELECT 5::posint"},
		{"view of a domain", `CREATE FUNCTION d(int) RETURNS bool LANGUAGE plpgsql AS $$ BEGIN RETURN boom(); END $$;
CREATE DOMAIN posint AS int CHECK (d(VALUE)); CREATE VIEW v AS SELECT 1::posint AS x`, "SELECT * FROM v"},
		{"range ordering", `CREATE FUNCTION cmp(int, int) RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$ BEGIN PERFORM boom(); RETURN btint4cmp($1, $2); END $$;
CREATE OPERATOR CLASS my_ops FOR TYPE int USING btree AS OPERATOR 1 <, OPERATOR 2 <=, OPERATOR 3 =, OPERATOR 4 >=, OPERATOR 5 >, FUNCTION 1 cmp(int, int);
CREATE TYPE myrange AS RANGE (subtype = int, subtype_opclass = my_ops); CREATE TABLE rtab (r myrange)`, "SELECT * FROM rtab WHERE r && '[1,2]'"},
		{"overload of a built-in", `CREATE FUNCTION public.lower(varchar) RETURNS text LANGUAGE plpgsql AS $$ BEGIN PERFORM boom(); RETURN 'x'; END $$`, "SELECT lower(s) FROM vtab"},
		{"aggregate of a built-in's name", `CREATE FUNCTION sf(varchar, varchar) RETURNS varchar LANGUAGE plpgsql AS $$ BEGIN PERFORM boom(); RETURN $2; END $$;
CREATE AGGREGATE public.max(varchar) (sfunc = sf, stype = varchar)`, "SELECT max(s) FROM vtab"},
		{"event trigger", `CREATE FUNCTION evt() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM boom(); END $$;
CREATE EVENT TRIGGER et ON ddl_command_start EXECUTE FUNCTION evt()`, "CREATE TEMP TABLE tt (a int)"},
		{"view running SQL", `CREATE VIEW v AS SELECT query_to_xml('SELECT boom()', true, false, '') AS x`, "SELECT * FROM v"},
		{"view of a function put in pg_catalog", `CREATE FUNCTION pg_catalog.vb() RETURNS int LANGUAGE plpgsql AS $$ BEGIN PERFORM public.boom(); RETURN 1; END $$;
CREATE VIEW v AS SELECT pg_catalog.vb() AS x`, "SELECT * FROM v"},
		{"overload put in pg_catalog", `CREATE FUNCTION pg_catalog.lower(varchar) RETURNS text LANGUAGE plpgsql AS $$ BEGIN PERFORM public.boom(); RETURN 'x'; END $$`, "SELECT lower(s) FROM vtab"},
		{"domain over a checked domain", `CREATE FUNCTION d(int) RETURNS bool LANGUAGE plpgsql AS $$ BEGIN RETURN boom(); END $$;
CREATE DOMAIN posint AS int CHECK (d(VALUE)); CREATE DOMAIN d2 AS posint`, "SELECT 1::d2"},
		{"array of a checked domain", `CREATE FUNCTION d(int) RETURNS bool LANGUAGE plpgsql AS $$ BEGIN RETURN boom(); END $$;
CREATE DOMAIN posint AS int CHECK (d(VALUE)); CREATE DOMAIN d2 AS posint`, "SELECT '{1}'::d2[]"},
		{"row type with a checked domain", `CREATE FUNCTION d(int) RETURNS bool LANGUAGE plpgsql AS $$ BEGIN RETURN boom(); END $$;
CREATE DOMAIN posint AS int CHECK (d(VALUE)); CREATE TYPE comp AS (a posint)`, "SELECT '(1)'::comp"},
		{"cast by a built-in", `CREATE CAST (text AS oid) WITH FUNCTION pg_catalog.lo_import(text)`, "SELECT '/etc/hostname'::text::oid"},
		{"foreign table", `CREATE EXTENSION postgres_fdw; CREATE SERVER lb FOREIGN DATA WRAPPER postgres_fdw; CREATE FOREIGN TABLE ft (x int) SERVER lb`, "SELECT * FROM ft"},
		{"view of a built-in that changes", `CREATE SEQUENCE s; SELECT setval('s', 100); CREATE VIEW v AS SELECT setval('s', 1) AS x; CREATE VIEW v2 AS SELECT * FROM v`, "TABLE v2"},
		// A sixth round: code reached through what a table is searched or
		// split by, through its children, and types named out of casts.
		{"index with an operator class of the database", myOps + `CREATE TABLE orders (id int); INSERT INTO orders SELECT generate_series(1, 20000);
CREATE INDEX ON orders (id my_ops); ANALYZE orders; INSERT INTO armed VALUES (1)`, "SELECT * FROM orders WHERE id = 42"},
		{"hash index with an operator class of the database", `CREATE TABLE armed (x int);
CREATE FUNCTION h(int) RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$ BEGIN IF EXISTS (SELECT FROM public.armed) THEN PERFORM boom(); END IF; RETURN hashint4($1); END $$;
CREATE OPERATOR CLASS my_hash FOR TYPE int USING hash AS OPERATOR 1 =, FUNCTION 1 h(int);
CREATE TABLE customers (id int); INSERT INTO customers SELECT generate_series(1, 20000);
CREATE INDEX ON customers USING hash (id my_hash); ANALYZE customers; INSERT INTO armed VALUES (1)`, "SELECT * FROM customers WHERE id = 42"},
		{"partition key with an operator class of the database", myOps + `CREATE TABLE events (id int) PARTITION BY RANGE (id my_ops);
CREATE TABLE events_a PARTITION OF events FOR VALUES FROM (0) TO (1000); CREATE TABLE events_b PARTITION OF events FOR VALUES FROM (1000) TO (2000); INSERT INTO armed VALUES (1)`,
			"SELECT count(*) FROM events WHERE id = 42"},
		{"view of a table indexed by the database's code", myOps + `CREATE TABLE orders (id int); INSERT INTO orders SELECT generate_series(1, 20000);
CREATE INDEX ON orders (id my_ops); ANALYZE orders; CREATE VIEW ov AS SELECT * FROM orders; INSERT INTO armed VALUES (1)`, "SELECT * FROM ov WHERE id = 42"},
		{"foreign table inheriting from a plain one", `CREATE EXTENSION postgres_fdw; CREATE SERVER lb FOREIGN DATA WRAPPER postgres_fdw;
CREATE TABLE audit_log (id int); CREATE FOREIGN TABLE audit_remote () INHERITS (audit_log) SERVER lb`, "SELECT count(*) FROM audit_log"},
		{"foreign partition", `CREATE EXTENSION postgres_fdw; CREATE SERVER lb FOREIGN DATA WRAPPER postgres_fdw;
CREATE TABLE metrics (id int) PARTITION BY LIST (id); CREATE TABLE metrics_local PARTITION OF metrics FOR VALUES IN (2);
CREATE FOREIGN TABLE metrics_remote PARTITION OF metrics FOR VALUES IN (1) SERVER lb`, "SELECT count(*) FROM metrics"},
		{"checked domain as a prepared parameter", posint, "PREPARE p(posint) AS SELECT $1; EXECUTE p('5')"},
		{"checked domain in a column definition list", posint, `SELECT * FROM json_to_record('{"x":5}') AS t(x posint)`},
		{"domain input given the domain", posint, "SELECT domain_in('5', 'posint'::regtype, -1) IS NULL"},
		{"array input given the domain", posint, "SELECT array_in('{5}', 'posint'::regtype, -1)::text"},
		{"range input given the range", myOps + `CREATE TYPE myrange AS RANGE (subtype = int, subtype_opclass = my_ops)`, "SELECT range_in('[1,5]', 'myrange'::regtype, -1)::text"},
		{"materialized view of a password catalog", `CREATE MATERIALIZED VIEW role_audit AS SELECT rolname, rolpassword FROM pg_authid`, "SELECT * FROM role_audit"},
		// An eighth: relations named in a string, and a built-in type's
		// ordering made the database's own.
		{"table_to_xml of a view running code", `CREATE VIEW evil_v AS SELECT 1 AS x WHERE boom()`, "SELECT table_to_xml('evil_v', true, false, '')"},
		{"schema_to_xml of a schema with one", `CREATE SCHEMA s; CREATE VIEW s.v AS SELECT 1 AS x WHERE public.boom()`, "SELECT schema_to_xml('s', true, false, '')"},
		{"a default ordering of a built-in type", `CREATE TABLE armed (x int);
CREATE FUNCTION bc(box, box) RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$ BEGIN IF EXISTS (SELECT FROM public.armed) THEN PERFORM public.boom(); END IF;
  RETURN CASE WHEN area($1) < area($2) THEN -1 WHEN area($1) > area($2) THEN 1 ELSE 0 END; END $$;
CREATE OPERATOR CLASS box_ops DEFAULT FOR TYPE box USING btree AS OPERATOR 1 <, OPERATOR 2 <=, OPERATOR 3 =, OPERATOR 4 >=, OPERATOR 5 >, FUNCTION 1 bc(box, box);
INSERT INTO armed VALUES (1)`, "SELECT b FROM (VALUES (box(point(0,0),point(1,1))), (box(point(0,0),point(2,2)))) v(b) ORDER BY b"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := setup(t)
			e.pg.Exec(t, e.prodDB, boom+c.setup)
			cl := e.connect(t, e.prodToken, "app-prod")
			var n int
			if err := cl.QueryRow(ctx, "SELECT count(*) FROM victim").Scan(&n); err != nil || n != 10 {
				t.Fatalf("a plain read: %v %d", err, n)
			}
			_, err := cl.Exec(ctx, c.stmt, pgx.QueryExecModeSimpleProtocol)
			pgErr(t, err, CodeHeld)
			direct, err := pgx.Connect(ctx, e.pg.DSN(e.prodDB))
			if err != nil {
				t.Fatal(err)
			}
			defer direct.Close(ctx)
			if err := direct.QueryRow(ctx, "SELECT count(*) FROM public.victim").Scan(&n); err != nil || n != 10 {
				t.Fatalf("victim rows: %d %v", n, err)
			}
		})
	}
}

// A Parse that declares a parameter of a checked type runs the check on the
// value bound, whatever the text says.
func TestDeclaredParameterTypesRunTheirChecks(t *testing.T) {
	e := setup(t)
	e.pg.Exec(t, e.prodDB, `CREATE TABLE public.victim (id int); INSERT INTO public.victim SELECT generate_series(1, 10);
CREATE FUNCTION public.d(int) RETURNS bool LANGUAGE plpgsql AS $$ BEGIN DELETE FROM public.victim; RETURN true; END $$;
CREATE DOMAIN public.posint AS int CHECK (public.d(VALUE))`)
	direct, err := pgx.Connect(ctx, e.pg.DSN(e.prodDB))
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close(ctx)
	var domain, array uint32
	if err := direct.QueryRow(ctx, "SELECT 'public.posint'::regtype::oid, 'public._posint'::regtype::oid").Scan(&domain, &array); err != nil {
		t.Fatal(err)
	}
	c := e.connect(t, e.prodToken, "app-prod")
	r := c.PgConn().ExecParams(ctx, "SELECT $1::text", [][]byte{[]byte("5")}, []uint32{23}, nil, nil).Read()
	if r.Err != nil || len(r.Rows) != 1 || string(r.Rows[0][0]) != "5" {
		t.Fatalf("an int4 parameter: %v %q", r.Err, r.Rows)
	}
	for _, p := range []struct {
		oid   uint32
		value string
	}{{domain, "5"}, {array, "{5}"}} {
		r := c.PgConn().ExecParams(ctx, "SELECT $1::text", [][]byte{[]byte(p.value)}, []uint32{p.oid}, nil, nil).Read()
		pgErr(t, r.Err, CodeHeld)
		var n int
		if err := direct.QueryRow(ctx, "SELECT count(*) FROM public.victim").Scan(&n); err != nil || n != 10 {
			t.Fatalf("OID %d: victim rows %d %v", p.oid, n, err)
		}
	}
}

// In staging, where writes run, the database's code reached by a
// maintenance command that does not name the table, and by a type a
// PL/pgSQL block declares.
func TestMaintenanceAndDeclaredTypesReachTheDatabasesCode(t *testing.T) {
	const boom = `CREATE TABLE public.victim (id int); INSERT INTO public.victim SELECT generate_series(1, 10);
CREATE TABLE public.armed (x int);
CREATE FUNCTION public.boom() RETURNS bool LANGUAGE plpgsql AS $$ BEGIN IF EXISTS (SELECT FROM public.armed) THEN DELETE FROM public.victim; END IF; RETURN true; END $$;`
	for _, c := range []struct{ name, setup, stmt string }{
		{"ANALYZE of every table", `CREATE FUNCTION f(int) RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$ BEGIN PERFORM boom(); RETURN $1; END $$;
CREATE TABLE st (a int); INSERT INTO st SELECT generate_series(1, 100); CREATE STATISTICS s ON (f(a)) FROM st`, "ANALYZE"},
		{"ANALYZE of a table with such statistics", `CREATE FUNCTION f(int) RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$ BEGIN PERFORM boom(); RETURN $1; END $$;
CREATE TABLE st (a int); INSERT INTO st SELECT generate_series(1, 100); CREATE STATISTICS s ON (f(a)) FROM st`, "ANALYZE st"},
		{"REINDEX of an index by its name", `CREATE FUNCTION cmp(int, int) RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$ BEGIN PERFORM boom(); RETURN btint4cmp($1, $2); END $$;
CREATE OPERATOR CLASS my_ops FOR TYPE int USING btree AS OPERATOR 1 <, OPERATOR 2 <=, OPERATOR 3 =, OPERATOR 4 >=, OPERATOR 5 >, FUNCTION 1 cmp(int, int);
CREATE TABLE orders (id int); INSERT INTO orders SELECT generate_series(1, 100); CREATE INDEX orders_idx ON orders (id my_ops)`, "REINDEX INDEX orders_idx"},
		{"a domain declared in a DO block", `CREATE FUNCTION d(int) RETURNS bool LANGUAGE plpgsql AS $$ BEGIN RETURN boom(); END $$; CREATE DOMAIN posint AS int CHECK (d(VALUE))`,
			"DO $$ DECLARE v posint := 5; BEGIN END $$"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := setup(t)
			e.pg.Exec(t, e.stageDB, boom+c.setup+"; INSERT INTO armed VALUES (1)")
			cl := e.connect(t, e.stageToken, "app-staging")
			_, err := cl.Exec(ctx, c.stmt, pgx.QueryExecModeSimpleProtocol)
			pgErr(t, err, CodeHeld)
			if n := e.pg.Count(t, e.stageDB, "victim"); n != 10 {
				t.Fatalf("victim rows: %d", n)
			}
		})
	}
}

// A function of a row, created through the gateway, is held where it is
// created: the catalog the gateway reads to find t.f calls is not yet
// current for a statement later in the same text, or in another session
// a moment later, or for one that resolves its names after waiting on a
// lock, and that statement would run it unseen.
func TestRowFunctionsAreJudgedWhereTheyAreCreated(t *testing.T) {
	e := setup(t)
	e.pg.Exec(t, e.stageDB, `CREATE TABLE victim_a (id int PRIMARY KEY, v text);
		INSERT INTO victim_a SELECT g, 'v' FROM generate_series(1, 20) g;
		CREATE TABLE hook_a (id int); INSERT INTO hook_a VALUES (1)`)
	s := e.rawTo(t, e.stageToken, "app-staging")
	refused(t, s, "CREATE FUNCTION wipe_a(hook_a) RETURNS int LANGUAGE sql AS 'DELETE FROM victim_a WHERE id > 0 RETURNING 1'; SELECT h.wipe_a FROM hook_a h")
	refused(t, s, "CREATE FUNCTION wipe_b(r record) RETURNS int LANGUAGE sql AS 'DELETE FROM victim_a WHERE id > 0 RETURNING 1'")
	if n := e.pg.Count(t, e.stageDB, "victim_a"); n != 20 {
		t.Fatalf("victim_a has %d rows, want 20", n)
	}
	ran(t, s, "CREATE FUNCTION add_one(int) RETURNS int LANGUAGE sql AS 'SELECT $1 + 1'")
}
