package pg

import (
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgproto3"
)

// refusedBoth sends q as a simple query and through Parse/Bind/Execute, and
// fails unless Chaperone refused it both times.
func refusedBoth(t *testing.T, s *rawSession, q string) {
	t.Helper()
	codes, _ := s.send(&pgproto3.Query{String: q})
	if len(codes) == 0 || !strings.HasPrefix(codes[0], "CP") {
		t.Errorf("simple %q: codes %v", q, codes)
	}
	codes, _ = s.send(&pgproto3.Parse{Query: q}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{})
	if len(codes) == 0 || !strings.HasPrefix(codes[0], "CP") {
		t.Errorf("extended %q: codes %v", q, codes)
	}
}

// A read-scoped token cannot write at all: nothing that would lift the
// session's read-only setting passes, and with it still on, nothing
// changes in the database.
func TestReadTokenCannotLiftReadOnlyOrWrite(t *testing.T) {
	e := setup(t)
	e.pg.Exec(t, e.prodDB, "CREATE SEQUENCE s; SELECT lo_create(4243)")
	before := dbState(t, e, e.prodDB)
	s := e.raw(t, e.readToken)
	for _, q := range []string{
		"SET default_transaction_read_only = off",
		"SET default_transaction_read_only TO false",
		"SET SESSION default_transaction_read_only = 'of'",
		`SET "DEFAULT_TRANSACTION_READ_ONLY" = 0`,
		"SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE",
		"SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL SERIALIZABLE, READ WRITE",
		"BEGIN READ WRITE",
		"START TRANSACTION READ WRITE",
		"BEGIN; SET TRANSACTION READ WRITE; INSERT INTO bookings VALUES (1000, 'x'); COMMIT",
		"BEGIN; SET LOCAL transaction_read_only = off; DELETE FROM bookings; COMMIT",
		"SELECT set_config('default_transaction_read_only', 'off', false)",
		"SELECT set_config('transaction_read_only', 'off', true)",
		"SELECT set_config('default_transaction_' || 'read_only', 'off', false)",
		"SELECT set_config($$default_transaction_read_only$$, E'\\x6ff' || 'f', false)",
		"SET default_transaction_read_only = off; INSERT INTO bookings VALUES (1001, 'x')",
		"DO $$ BEGIN PERFORM set_config('default_transaction_read_only', 'off', false); END $$",
		"PREPARE lift AS SELECT set_config('default_transaction_read_only', 'off', false)",
		"SET session_replication_role = replica",
		"SELECT set_config('session_replication_role', 'replica', false)",
		"SET ROLE postgres", "RESET ROLE", "SET SESSION AUTHORIZATION postgres", "SET ROLE NONE",
		"ALTER SYSTEM SET default_transaction_read_only = off",
		"SELECT pg_reload_conf()",
		"ALTER ROLE CURRENT_USER SET default_transaction_read_only = off",
		"SELECT nextval('s')", "SELECT setval('s', 42)",
		"SELECT lo_create(0)", "SELECT lo_from_bytea(0, 'x')", "SELECT lo_put(4243, 0, 'x')",
		"SELECT lo_unlink(4243)",
		"SELECT pg_advisory_lock(7)",
		"SELECT pg_terminate_backend(pg_backend_pid())",
		"SELECT query_to_xml('SELECT nextval(''s'')', true, false, '')",
		"INSERT INTO bookings VALUES (1002, 'x')",
		"PREPARE TRANSACTION 'x'",
		"COPY bookings FROM STDIN",
	} {
		refusedBoth(t, s, q)
	}
	// Parameters do not carry a setting past the judge.
	codes, _ := s.send(&pgproto3.Parse{Query: "SELECT set_config($1, $2, false)"},
		&pgproto3.Bind{Parameters: [][]byte{[]byte("default_transaction_read_only"), []byte("off")}},
		&pgproto3.Execute{}, &pgproto3.Sync{})
	if len(codes) == 0 || !strings.HasPrefix(codes[0], "CP") {
		t.Errorf("set_config($1, $2): %v", codes)
	}
	// Reads go on, and the session is still read-only in PostgreSQL.
	c := e.connect(t, e.readToken, "app-prod")
	if got := show(t, c, "default_transaction_read_only", "transaction_read_only", "session_replication_role"); strings.Join(got, " ") != "on on origin" {
		t.Fatalf("session: %v", got)
	}
	for _, q := range []string{"RESET default_transaction_read_only", "RESET ALL", "DISCARD ALL", "SET default_transaction_read_only TO DEFAULT"} {
		if _, err := c.Exec(ctx, q, pgx.QueryExecModeSimpleProtocol); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if got := show(t, c, "default_transaction_read_only"); got[0] != "on" {
			t.Fatalf("after %s: %v", q, got)
		}
	}
	if after := dbState(t, e, e.prodDB); after != before {
		t.Fatal("a read token changed the database")
	}
}

// Functions that run SQL or change state from inside a SELECT are judged by
// what they do, and nothing of it runs unapproved in production.
func TestFunctionsInsideASelectAreJudgedByTheirEffect(t *testing.T) {
	e := setup(t)
	e.pg.Exec(t, e.prodDB, `CREATE SEQUENCE s; SELECT lo_create(4243);
		CREATE FUNCTION public.wipe() RETURNS void LANGUAGE sql AS 'DELETE FROM bookings'`)
	before := dbState(t, e, e.prodDB)
	s := e.raw(t, e.prodToken)
	for _, q := range []string{
		"SELECT query_to_xml('DELETE FROM bookings', true, false, '')",
		"SELECT query_to_xml('WITH d AS (DELETE FROM bookings RETURNING 1) SELECT * FROM d', true, false, '')",
		"SELECT query_to_xmlschema('SELECT lo_unlink(4243)', true, false, '')",
		"SELECT query_to_xml_and_xmlschema($q$SELECT setval('s', 99)$q$, true, false, '')",
		"SELECT query_to_xml(E'SELECT lo_unlink(4243)', true, false, '')",
		"SELECT query_to_xml(U&'SELECT lo_unlink(4243)', true, false, '')",
		"SELECT query_to_xml('SELECT ' || 'lo_unlink(4243)', true, false, '')",
		"SELECT query_to_xml((SELECT 'SELECT lo_unlink(4243)'), true, false, '')",
		"SELECT * FROM ts_stat('WITH d AS (DELETE FROM bookings RETURNING 1) SELECT to_tsvector(''a'')')",
		"SELECT ts_rewrite('a'::tsquery, 'SELECT ''a''::tsquery, ''b''::tsquery FROM (SELECT nextval(''s'')) x')",
		"SELECT nextval('s')", "SELECT setval('s', 5, true)", "SELECT * FROM nextval('s')",
		"SELECT lo_from_bytea(0, 'x')", "SELECT lo_create(0)", "SELECT lo_put(4243, 0, 'x')",
		"SELECT lowrite(lo_open(4243, 131072), 'x')", "SELECT lo_truncate(lo_open(4243, 131072), 0)",
		"SELECT lo_unlink(4243)",
		"SELECT pg_advisory_lock(1)", "SELECT pg_try_advisory_lock(2)",
		"SELECT pg_create_physical_replication_slot('chaperone_test')",
		"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE false",
		"SELECT pg_reload_conf()",
		"SELECT wipe()", "SELECT public.wipe()", "SELECT * FROM wipe()", "SELECT 1 FROM bookings WHERE wipe() IS NULL",
		"WITH x AS (SELECT wipe()) SELECT 1",
		"SELECT (SELECT nextval('s')) + 1",
		"SELECT CASE WHEN false THEN setval('s', 1) END",
		"VALUES (nextval('s'))",
		"SELECT pg_catalog.nextval('s')", `SELECT "nextval"('s')`, `SELECT "pg_catalog"."setval"('s', 3)`,
		"EXPLAIN ANALYZE SELECT nextval('s')",
		"DECLARE c CURSOR FOR SELECT nextval('s')",
		"DO $$ BEGIN PERFORM nextval('s'); END $$",
		"PREPARE n AS SELECT nextval('s'); EXECUTE n",
		"SELECT 1; SELECT nextval('s')",
		"ALTER SYSTEM SET work_mem = '8MB'",
		"ROLLBACK PREPARED 'nothing'",
		"LOAD 'auto_explain'",
	} {
		refusedBoth(t, s, q)
	}
	// Volatile built-ins that only read, and locking reads, run.
	c := e.connect(t, e.prodToken, "app-prod")
	for _, q := range []string{
		"SELECT clock_timestamp(), random(), gen_random_uuid(), pg_database_size(current_database())",
		"SELECT lo_get(4243), pg_is_in_recovery(), txid_current(), timeofday()",
		"SELECT table_to_xml('bookings', true, false, '')",
		"SELECT * FROM ts_stat('SELECT to_tsvector(note) FROM bookings') LIMIT 1",
		"SELECT query_to_xml('SELECT count(*) FROM bookings', true, false, '')",
		"SELECT * FROM bookings WHERE id = 1 FOR UPDATE",
		"SET client_encoding = 'UTF8'", "SET standard_conforming_strings = on",
	} {
		if _, err := c.Exec(ctx, q, pgx.QueryExecModeSimpleProtocol); err != nil {
			t.Errorf("%s: %v", q, err)
		}
	}
	if after := dbState(t, e, e.prodDB); after != before {
		t.Fatal("the database changed")
	}
}
