package pg

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgproto3"
)

// In staging, where writes run unapproved, a filter no reading of the text
// can see through still reaches every row: the database is asked before the
// write runs, by both protocols and with the values bound, and the write is
// held. Bounded writes run as before, by every route.
func TestEveryRowWritesAreHeldWhateverTheFilter(t *testing.T) {
	e := setup(t)
	e.pg.Exec(t, e.stageDB, `CREATE TABLE one (id int, v text); INSERT INTO one VALUES (1, 'a');
		CREATE TABLE dup (k int, v text); INSERT INTO dup VALUES (1, 'a'), (1, 'b')`)
	before := dbState(t, e, e.stageDB)
	s := e.rawTo(t, e.stageToken, "app-staging")
	for _, q := range []string{
		"DELETE FROM bookings WHERE id > 0",
		"DELETE FROM bookings WHERE id IS NOT NULL",
		"UPDATE bookings SET note = 'x' WHERE length(note) >= 0",
		"UPDATE bookings SET note = 'x' WHERE id * 0 = 0",
		"DELETE FROM bookings WHERE note LIKE 'n%'",
		"DELETE FROM bookings b USING (VALUES (1)) v(x) WHERE b.id >= v.x",
		"UPDATE bookings SET note = 'x' FROM generate_series(1, 100) g WHERE bookings.id = g",
		"WITH gone AS (DELETE FROM bookings WHERE id < 1000 RETURNING id) SELECT count(*) FROM gone",
		"COPY (DELETE FROM bookings WHERE id > 0 RETURNING id) TO STDOUT",
		"EXPLAIN ANALYZE DELETE FROM bookings WHERE id > 0",
		// A filter that sees the question's own prepared statement or
		// portal answers the question and the write apart.
		"DELETE FROM bookings WHERE id > 0 AND NOT EXISTS (SELECT 1 FROM pg_prepared_statements WHERE name LIKE 'chap%')",
		"UPDATE bookings SET note = 'x' WHERE id > 0 AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_cursors)",
		"DELETE FROM bookings WHERE (SELECT count(*) FROM pg_prepared_statement()) = 0",
		// A CTE named like the table: the write's target is the table, a
		// SELECT of that name under the same WITH is the CTE.
		"WITH bookings AS (SELECT 0 AS id) DELETE FROM bookings WHERE id > 0",
		"WITH RECURSIVE bookings(id) AS (SELECT 0) UPDATE bookings SET note = 'x' WHERE id >= 0",
		"WITH gone AS (DELETE FROM bookings WHERE id > 0 RETURNING 1), bookings AS (SELECT 1 AS id) SELECT count(*) FROM gone",
		"WITH bookings AS (SELECT 1 AS id) MERGE INTO bookings b USING (SELECT generate_series(1, 100) AS id) s ON b.id = s.id WHEN MATCHED THEN DELETE",
		// MERGE and upserts, joined with what they read.
		"MERGE INTO bookings b USING (SELECT generate_series(1, 100) AS id) s ON b.id = s.id WHEN MATCHED THEN DELETE",
		"MERGE INTO bookings b USING (SELECT generate_series(1, 100) AS id) s ON b.id = s.id WHEN MATCHED AND b.id > 0 THEN UPDATE SET note = 'x' WHEN NOT MATCHED THEN INSERT VALUES (s.id, 'n')",
		"INSERT INTO bookings (id, note) SELECT g, 'x' FROM generate_series(1, 100) g ON CONFLICT (id) DO UPDATE SET note = EXCLUDED.note",
		"INSERT INTO bookings SELECT g, 'x' FROM generate_series(1, 100) g ON CONFLICT (id) DO UPDATE SET note = 'x'",
		// Row by row, where nothing can be asked before each run.
		"DO $$DECLARE r record; BEGIN FOR r IN SELECT id FROM bookings LOOP DELETE FROM bookings WHERE id = r.id; END LOOP; END$$",
		"SELECT query_to_xml('DELETE FROM bookings WHERE id > 0 RETURNING id', true, false, '')",
		// What comes before it in the same text may change what it
		// reaches: not asked, so not run unapproved.
	} {
		refusedBoth(t, s, q)
	}
	for _, q := range []string{
		"BEGIN; DELETE FROM bookings WHERE id <> -1; COMMIT",
		"UPDATE bookings SET note = 'z' WHERE id = 1; DELETE FROM bookings WHERE note = 'z' OR id > 1",
	} {
		refused(t, s, q)
	}
	// A PREPARE runs nothing; each EXECUTE of it waits for approval.
	if codes, _ := s.send(&pgproto3.Query{String: "PREPARE wipe AS DELETE FROM bookings WHERE id > $1"}); len(codes) != 0 {
		t.Fatalf("PREPARE: %v", codes)
	}
	refused(t, s, "EXECUTE wipe(0)")
	refused(t, s, "EXECUTE wipe(99)")
	// The values bound decide: a Bind right after its Parse, and a Bind of
	// a statement prepared in an earlier cycle, as pgx sends them.
	p := &pgproto3.Parse{Query: "DELETE FROM bookings WHERE id > $1"}
	codes, _ := s.send(p, &pgproto3.Bind{Parameters: [][]byte{[]byte("0")}}, &pgproto3.Execute{}, &pgproto3.Sync{})
	if len(codes) == 0 || !strings.HasPrefix(codes[0], "CP") {
		t.Errorf("Parse and Bind with 0: codes %v", codes)
	}
	codes, _ = s.send(&pgproto3.Parse{Name: "upd", Query: "UPDATE bookings SET note = $2 WHERE id >= $1"}, &pgproto3.Sync{})
	if len(codes) != 0 {
		t.Fatalf("Parse alone: codes %v", codes)
	}
	codes, _ = s.send(&pgproto3.Bind{PreparedStatement: "upd", Parameters: [][]byte{[]byte("1"), []byte("x")}}, &pgproto3.Execute{}, &pgproto3.Sync{})
	if len(codes) == 0 || !strings.HasPrefix(codes[0], "CP") {
		t.Errorf("named Bind with 1: codes %v", codes)
	}
	// A second Bind inside the same pipeline cannot be asked about.
	codes, _ = s.send(&pgproto3.Bind{PreparedStatement: "upd", Parameters: [][]byte{[]byte("1000"), []byte("x")}}, &pgproto3.Execute{},
		&pgproto3.Bind{PreparedStatement: "upd", Parameters: [][]byte{[]byte("1"), []byte("x")}}, &pgproto3.Execute{}, &pgproto3.Sync{})
	if len(codes) == 0 || !strings.HasPrefix(codes[0], "CP") {
		t.Errorf("second Bind of a pipeline: codes %v", codes)
	}
	// Inside a transaction, what the transaction changed counts.
	s.send(&pgproto3.Query{String: "BEGIN"})
	if codes, _ := s.send(&pgproto3.Query{String: "UPDATE bookings SET note = 'z' WHERE id = 1"}); len(codes) != 0 {
		t.Fatalf("bounded update in a block: %v", codes)
	}
	refused(t, s, "DELETE FROM bookings WHERE note = 'z' OR id > 1")
	s.send(&pgproto3.Query{String: "ROLLBACK"})
	// A filter pinning one value is asked about unless the column is a
	// unique key where the name resolves, and what was learnt of keys is
	// forgotten when a transaction that made one rolls back.
	refused(t, s, "DELETE FROM dup WHERE k = 1")
	s.send(&pgproto3.Query{String: "BEGIN"})
	if codes, _ := s.send(&pgproto3.Query{String: "DELETE FROM dup WHERE k = 1 AND v = 'a'"}); len(codes) != 0 {
		t.Fatalf("a bounded delete in a block: %v", codes)
	}
	s.send(&pgproto3.Query{String: "CREATE UNIQUE INDEX ON dup (v)"})
	if codes, _ := s.send(&pgproto3.Query{String: "UPDATE dup SET k = 2 WHERE v = 'b'"}); len(codes) != 0 {
		t.Fatalf("an update by a unique key: %v", codes)
	}
	s.send(&pgproto3.Query{String: "ROLLBACK"})
	for _, q := range []string{"UPDATE dup SET v = 'c' WHERE k = 1 AND v = 'a'", "UPDATE dup SET v = 'c' WHERE v = 'b'"} {
		if codes, _ := s.send(&pgproto3.Query{String: q}); len(codes) != 0 {
			t.Fatalf("%q: %v", q, codes)
		}
	}
	refused(t, s, "DELETE FROM dup WHERE v = 'c'")
	refused(t, s, "UPDATE dup SET k = 9 WHERE v IS NOT NULL")
	if n := e.pg.Count(t, e.stageDB, "dup"); n != 2 {
		t.Fatalf("dup has %d rows, want 2", n)
	}
	e.pg.Exec(t, e.stageDB, "UPDATE dup SET v = 'a' WHERE ctid = (SELECT min(ctid) FROM dup); UPDATE dup SET v = 'b' WHERE v = 'c'")
	if after := dbState(t, e, e.stageDB); after != before {
		t.Fatal("a write that reaches every row ran unapproved")
	}

	// Bounded writes run: by text, by values, inside a block, and a
	// table's only row.
	for _, q := range []string{
		"DELETE FROM bookings WHERE id = 100",
		"UPDATE bookings SET note = 'y' WHERE id > 90",
		"DELETE FROM bookings WHERE id IN (SELECT id FROM bookings WHERE id > 95)",
		"DELETE FROM one WHERE id = 1",
		"BEGIN; UPDATE bookings SET note = 'w' WHERE id = 2; COMMIT",
		"MERGE INTO bookings b USING (VALUES (7)) s(id) ON b.id = s.id WHEN MATCHED THEN UPDATE SET note = 'm'",
		"INSERT INTO bookings (id, note) VALUES (8, 'u'), (9, 'u') ON CONFLICT (id) DO UPDATE SET note = EXCLUDED.note WHERE bookings.note <> EXCLUDED.note",
		// By a unique key: at most one row, however it is run.
		"PREPARE upd1 AS UPDATE bookings SET note = $1 WHERE id = $2",
		"EXECUTE upd1('p', 4)",
	} {
		ran(t, s, q)
	}
	codes, _ = s.send(&pgproto3.Parse{Query: "DELETE FROM bookings WHERE id > $1"}, &pgproto3.Bind{Parameters: [][]byte{[]byte("80")}},
		&pgproto3.Describe{ObjectType: 'P'}, &pgproto3.Execute{}, &pgproto3.Sync{})
	if len(codes) != 0 {
		t.Errorf("bounded delete by value: codes %v", codes)
	}
	codes, _ = s.send(&pgproto3.Bind{PreparedStatement: "upd", Parameters: [][]byte{[]byte("75"), []byte("v")}}, &pgproto3.Execute{}, &pgproto3.Sync{})
	if len(codes) != 0 {
		t.Errorf("bounded named update: codes %v", codes)
	}
	// An upsert with untyped parameters, as node-postgres sends it: their
	// types are inferred from the key they are compared with.
	codes, _ = s.send(&pgproto3.Parse{Query: "INSERT INTO bookings (id, note) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET note = EXCLUDED.note"},
		&pgproto3.Bind{Parameters: [][]byte{[]byte("5"), []byte("up")}}, &pgproto3.Execute{}, &pgproto3.Sync{})
	if len(codes) != 0 {
		t.Errorf("bounded upsert by value: codes %v", codes)
	}
	onDB(t, e, e.stageDB, func(ctx context.Context, c *pgx.Conn) {
		var n, v int
		if err := c.QueryRow(ctx, "SELECT count(*), count(*) FILTER (WHERE note = 'v') FROM bookings").Scan(&n, &v); err != nil {
			t.Fatal(err)
		}
		if n != 80 || v != 6 {
			t.Errorf("after the bounded writes: %d rows, %d updated by value; want 80 and 6", n, v)
		}
	})

	// Drivers: pgx binds in a cycle of its own, with binary values.
	func() {
		c, err := pgx.Connect(ctx, e.dsn(e.stageToken, "app-staging"))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DELETE FROM bookings WHERE id > $1", 0); err == nil || !strings.Contains(err.Error(), "approv") {
			t.Errorf("pgx every-row delete: %v", err)
		}
		tag, err := c.Exec(ctx, "UPDATE bookings SET note = $1 WHERE id = $2", "pgx", 3)
		if err != nil || tag.RowsAffected() != 1 {
			t.Errorf("pgx bounded update: %v %v", tag, err)
		}
		tag, err = c.Exec(ctx, "INSERT INTO bookings (id, note) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET note = EXCLUDED.note", 10, "up")
		if err != nil || tag.RowsAffected() != 1 {
			t.Errorf("pgx bounded upsert: %v %v", tag, err)
		}
	}()
	if n := e.pg.Count(t, e.stageDB, "bookings"); n != 80 {
		t.Errorf("bookings has %d rows after pgx, want 80", n)
	}
}

// ran sends q by the simple protocol and wants it run without an error.
func ran(t *testing.T, s *rawSession, q string) {
	t.Helper()
	if codes, _ := s.send(&pgproto3.Query{String: q}); len(codes) != 0 {
		t.Errorf("%q: codes %v", q, codes)
	}
}

// refused sends q by the simple protocol alone and wants Chaperone's refusal.
func refused(t *testing.T, s *rawSession, q string) {
	t.Helper()
	codes, _ := s.send(&pgproto3.Query{String: q})
	if len(codes) == 0 || !strings.HasPrefix(codes[0], "CP") {
		t.Errorf("%q: codes %v", q, codes)
	}
}

// receive reads n messages, for exchanges a Flush answers without a
// ReadyForQuery.
func (s *rawSession) receive(n int) []pgproto3.BackendMessage {
	s.t.Helper()
	var got []pgproto3.BackendMessage
	for len(got) < n {
		m, err := s.fe.Receive()
		if err != nil {
			s.t.Fatalf("receive: %v (after %v)", err, got)
		}
		got = append(got, m)
	}
	return got
}

func (s *rawSession) flush(msgs ...pgproto3.FrontendMessage) {
	s.t.Helper()
	for _, m := range msgs {
		s.fe.Send(m)
	}
	s.fe.Send(&pgproto3.Flush{})
	if err := s.fe.Flush(); err != nil {
		s.t.Fatal(err)
	}
}

// A portal runs the rows its Bind was asked about: bound, then left until
// the rows change (after a Flush, or in a later cycle of a transaction),
// it is asked about again or refused. Drivers that describe first and bind
// once answered (postgres.js: Parse, Describe, Flush; then Bind, Execute,
// Sync) are asked about in the middle of the cycle. A filter that can
// answer the question and the write apart is not asked.
func TestWhatAPortalRunsIsWhatWasAskedAbout(t *testing.T) {
	e := setup(t)
	e.pg.Exec(t, e.stageDB, "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 5) g; UPDATE t SET v = 'keep' WHERE id = 1")
	count := func() int { return e.pg.Count(t, e.stageDB, "t") }
	s := e.rawTo(t, e.stageToken, "app-staging")

	// A later cycle of the same transaction.
	s.send(&pgproto3.Query{String: "BEGIN"})
	if codes, _ := s.send(&pgproto3.Parse{Name: "s1", Query: "DELETE FROM t WHERE v LIKE 'v%'"}, &pgproto3.Bind{DestinationPortal: "p1", PreparedStatement: "s1"}, &pgproto3.Sync{}); len(codes) != 0 {
		t.Fatalf("bind: %v", codes)
	}
	s.send(&pgproto3.Query{String: "UPDATE t SET v = 'v1' WHERE id = 1"})
	refusedExec(t, s, "p1")
	s.send(&pgproto3.Query{String: "ROLLBACK"})
	if n := count(); n != 5 {
		t.Fatalf("a portal bound before the rows changed ran: %d rows", n)
	}

	// After a Flush, while another session changes the rows.
	s.flush(&pgproto3.Parse{Query: "DELETE FROM t WHERE v LIKE 'v%'"}, &pgproto3.Bind{})
	s.receive(2) // ParseComplete, BindComplete
	other := e.rawTo(t, e.stageToken, "app-staging")
	if codes, _ := other.send(&pgproto3.Query{String: "UPDATE t SET v = 'v1' WHERE id = 1"}); len(codes) != 0 {
		t.Fatalf("other session: %v", codes)
	}
	refusedExec(t, s, "")
	if n := count(); n != 5 {
		t.Fatalf("a portal run after a Flush deleted: %d rows left", n)
	}
	other.send(&pgproto3.Query{String: "UPDATE t SET v = 'keep' WHERE id = 1"})

	// postgres.js: Parse, Describe, Flush; then Bind, Execute, Sync.
	postgresJS := func(q string, args ...string) []string {
		s.flush(&pgproto3.Parse{Query: q}, &pgproto3.Describe{ObjectType: 'S'})
		s.receive(3) // ParseComplete, ParameterDescription, NoData
		var vals [][]byte
		for _, a := range args {
			vals = append(vals, []byte(a))
		}
		codes, _ := s.send(&pgproto3.Bind{Parameters: vals}, &pgproto3.Execute{}, &pgproto3.Sync{})
		return codes
	}
	if codes := postgresJS("UPDATE t SET v = $1 WHERE id = $2", "x", "3"); len(codes) != 0 {
		t.Errorf("postgres.js bounded update: %v", codes)
	}
	if codes := postgresJS("DELETE FROM t WHERE id > $1", "0"); len(codes) == 0 || !strings.HasPrefix(codes[0], "CP") {
		t.Errorf("postgres.js every-row delete: %v", codes)
	}
	if n := count(); n != 5 {
		t.Fatalf("%d rows left", n)
	}

	// Filters that answer the question and the write apart.
	for _, q := range []string{
		"DELETE FROM t WHERE v <> 'keep' OR (id = 1 AND current_query() LIKE 'DELETE%')",
		"DELETE FROM t WHERE v <> 'keep' OR (id = 1 AND txid_current_if_assigned() IS NOT NULL)",
		"DELETE FROM t WHERE v <> 'keep' OR EXISTS (SELECT 1 FROM pg_locks WHERE pid = pg_backend_pid() AND mode = 'RowExclusiveLock')",
	} {
		refused(t, s, q)
	}
	if n := count(); n != 5 {
		t.Fatalf("%d rows left", n)
	}
	// Several bounded writes by key in one text run.
	if codes, _ := s.send(&pgproto3.Query{String: "UPDATE t SET v = 'a' WHERE id = 3; UPDATE t SET v = 'b' WHERE id = 4"}); len(codes) != 0 {
		t.Errorf("two bounded updates: %v", codes)
	}
}

func refusedExec(t *testing.T, s *rawSession, portal string) {
	t.Helper()
	codes, _ := s.send(&pgproto3.Execute{Portal: portal}, &pgproto3.Sync{})
	if len(codes) == 0 || !strings.HasPrefix(codes[0], "CP") {
		t.Errorf("Execute of %q: codes %v", portal, codes)
	}
}

// A Parse the server skips (after an error in its pipeline) leaves the old
// statement under its name: the old statement's question still decides its
// runs, not the one Chaperone saw sent.
func TestASkippedParseLeavesTheOldQuestion(t *testing.T) {
	e := setup(t)
	e.pg.Exec(t, e.stageDB, "CREATE TABLE nk (id int, v text); INSERT INTO nk SELECT g, 'v' FROM generate_series(0, 5) g")
	s := e.rawTo(t, e.stageToken, "app-staging")
	for _, name := range []string{"s", ""} {
		if codes, _ := s.send(&pgproto3.Parse{Name: name, Query: "DELETE FROM nk WHERE id >= 0"}, &pgproto3.Sync{}); len(codes) != 0 {
			t.Fatalf("parse: %v", codes)
		}
		codes, _ := s.send(&pgproto3.Parse{Name: "x", Query: "SELECT 1/0"}, &pgproto3.Bind{PreparedStatement: "x"}, &pgproto3.Execute{},
			&pgproto3.Close{ObjectType: 'S', Name: name}, &pgproto3.Parse{Name: name, Query: "DELETE FROM nk WHERE id = 1"}, &pgproto3.Sync{})
		if len(codes) == 0 {
			t.Fatal("the pipeline did not fail")
		}
		s.send(&pgproto3.Close{ObjectType: 'S', Name: "x"}, &pgproto3.Sync{})
		codes, _ = s.send(&pgproto3.Bind{DestinationPortal: "p", PreparedStatement: name}, &pgproto3.Execute{Portal: "p"}, &pgproto3.Sync{})
		if len(codes) == 0 || !strings.HasPrefix(codes[0], "CP") {
			t.Errorf("statement %q: the old statement ran under the new one's question: codes %v", name, codes)
		}
		if n := e.pg.Count(t, e.stageDB, "nk"); n != 6 {
			t.Fatalf("statement %q: %d rows left", name, n)
		}
		s.send(&pgproto3.Close{ObjectType: 'S', Name: name}, &pgproto3.Sync{})
	}
	// A CTE chain that covers the table between two writes, and a
	// one-row upsert, which cannot.
	refused(t, s, "WITH a AS (DELETE FROM nk WHERE id <= 2 RETURNING *) DELETE FROM nk WHERE id > 2")
	e.pg.Exec(t, e.stageDB, "CREATE TABLE uk (id int PRIMARY KEY, v int); INSERT INTO uk SELECT g, 0 FROM generate_series(1, 5) g")
	if codes, _ := s.send(&pgproto3.Query{String: "INSERT INTO uk VALUES (3, -1) ON CONFLICT (id) DO UPDATE SET v = -1"}); len(codes) != 0 {
		t.Errorf("one-row upsert: %v", codes)
	}
	if n := e.pg.Count(t, e.stageDB, "nk"); n != 6 {
		t.Fatalf("%d rows left", n)
	}
}
