package pg

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgproto3"
)

// The question reads the filter's data before the write, so it answers for
// the write only when nothing the write itself does can change what the
// filter reads. A sequence, a setting, a foreign table or a user function
// behind a builtin's name does not hold still: a write whose filter reads
// one is unknown, and nothing of it runs. Each held write here would reach
// every row when run.
func TestEveryRowQuestionNeedsDataThatHoldsStill(t *testing.T) {
	e := setup(t)
	e.pg.Exec(t, e.stageDB, `CREATE TABLE st (id int, v text); INSERT INTO st SELECT g, 'v' FROM generate_series(1, 20) g;
		CREATE TABLE other (id int); INSERT INTO other VALUES (1), (2);
		CREATE SEQUENCE s1; CREATE VIEW seqview AS SELECT last_value FROM s1;
		CREATE VIEW plain AS SELECT id FROM other;
		CREATE VIEW setting AS SELECT current_setting('chap.v', true) AS v;
		CREATE FUNCTION public.lower(int) RETURNS int VOLATILE LANGUAGE sql AS 'SELECT nextval(''s1'')::int';
		CREATE FUNCTION public.abs(text) RETURNS int STABLE LANGUAGE sql AS 'SELECT last_value::int FROM s1';
		CREATE TABLE tr (id int, v text); INSERT INTO tr SELECT g, 'v' FROM generate_series(1, 20) g;
		CREATE FUNCTION tr_set() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN PERFORM set_config('chap.w', 'go', false); RETURN NEW; END$$;
		CREATE TRIGGER tr_set BEFORE UPDATE ON tr FOR EACH ROW EXECUTE FUNCTION tr_set()`)
	before := dbState(t, e, e.stageDB)
	s := e.rawTo(t, e.stageToken, "app-staging")
	for _, q := range []string{
		// The write moves the sequence its filter reads, row by row.
		"UPDATE st SET v = nextval('s1')::text || nextval('s1')::text WHERE id = 1 OR (SELECT last_value FROM s1 WHERE st.id = st.id) > 1",
		"DELETE FROM st WHERE id = 1 OR (SELECT last_value FROM public.s1 WHERE st.id = st.id) > 1 RETURNING nextval('s1'), nextval('s1')",
		"UPDATE st SET v = 'x' WHERE id = 1 OR (SELECT last_value FROM seqview WHERE st.id = st.id) > 1",
		"MERGE INTO st USING other o ON true WHEN MATCHED AND (st.id = 1 OR (SELECT last_value FROM s1 WHERE st.id = st.id) > 1) THEN UPDATE SET v = nextval('s1')::text",
		// The write changes a setting its filter reads.
		"UPDATE st SET v = set_config('chap.t', 'go', false) WHERE id = 1 OR current_setting('chap.t', true) = 'go'",
		"DELETE FROM st WHERE id = 1 OR current_setting('chap.u', true) = 'go' RETURNING set_config('chap.u', 'go', false)",
		// A view hides the setting read; the catalog keeps no record
		// that it calls a builtin.
		"UPDATE st SET v = set_config('chap.v', 'go', false) WHERE id = 1 OR (SELECT v FROM setting WHERE st.id = st.id) = 'go'",
		// A user function behind a builtin's name.
		"UPDATE st SET v = 'x' WHERE lower(id) > 2 OR id = 1",
		"DELETE FROM st WHERE abs('x') > 1 OR id = 1",
		// A trigger of the table written can change a setting too.
		"UPDATE tr SET v = 'x' WHERE id = 1 OR current_setting('chap.w', true) = 'go'",
	} {
		refusedBoth(t, s, q)
	}
	if after := dbState(t, e, e.stageDB); after != before {
		t.Fatal("a write whose filter reads what it changes ran unapproved")
	}
	onDB(t, e, e.stageDB, func(ctx context.Context, c *pgx.Conn) {
		var n int
		if err := c.QueryRow(ctx, "SELECT (SELECT count(*) FROM st WHERE v = 'v') + (SELECT count(*) FROM tr WHERE v = 'v')").Scan(&n); err != nil || n != 40 {
			t.Fatalf("%d rows unchanged (%v), want 40", n, err)
		}
	})

	// Bounded writes still run: a volatile value with a filter on the
	// row's own columns, a setting read where nothing changes it, a join
	// with a plain view, an update of a triggered table by its columns.
	for _, q := range []string{
		"UPDATE st SET v = nextval('s1')::text WHERE id = 1",
		"UPDATE st SET v = clock_timestamp()::text WHERE id < 3",
		"UPDATE st SET v = 'c' WHERE id = 4 AND current_setting('chap.none', true) IS NULL",
		"DELETE FROM st USING plain p WHERE st.id = p.id + 18",
		"UPDATE tr SET v = 'y' WHERE id < 3",
	} {
		ran(t, s, q)
	}
	if n := e.pg.Count(t, e.stageDB, "st"); n != 18 {
		t.Errorf("st has %d rows after the bounded writes, want 18", n)
	}
}

// Row by row, a write's CHECK constraints, defaults and generated columns
// run too, and an upsert's conflicts are found by the database after the
// values are converted, triggered and collated: a question that does not
// see them is not asked.
func TestEveryRowQuestionSeesWhatRunsRowByRow(t *testing.T) {
	e := setup(t)
	e.pg.Exec(t, e.stageDB, `
		CREATE TABLE g1 (id int primary key, v text default 'v', n int default 0); INSERT INTO g1 (id) SELECT generate_series(1, 30);
		ALTER TABLE g1 ADD CONSTRAINT c CHECK (set_config('my.x', '1', false) IS NOT NULL);
		CREATE TABLE g2 (id int primary key, v text default 'v', n int default 0); INSERT INTO g2 (id) SELECT generate_series(1, 30);
		ALTER TABLE g2 ALTER COLUMN v SET DEFAULT set_config('my.y', '1', false);
		CREATE TABLE u3 (id int primary key, n int default 0); INSERT INTO u3 (id) SELECT generate_series(1, 30);
		CREATE TABLE u4 (k varchar(3) primary key, n int default 0); INSERT INTO u4 SELECT lpad(g::text, 3, '0'), 0 FROM generate_series(1, 30) g;
		CREATE TABLE u2 (id int primary key, n int default 0); INSERT INTO u2 (id) SELECT generate_series(1, 30);
		CREATE FUNCTION shiftkey() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN NEW.id := NEW.id - 1000; RETURN NEW; END$$;
		CREATE TRIGGER s BEFORE INSERT ON u2 FOR EACH ROW EXECUTE FUNCTION shiftkey();
		CREATE TABLE plain (id int primary key, n int default 0, created_at timestamptz default now()); INSERT INTO plain (id) SELECT generate_series(1, 30)`)
	before := dbState(t, e, e.stageDB)
	s := e.rawTo(t, e.stageToken, "app-staging")
	values := func(format string) string {
		var rows []string
		for i := 1; i <= 30; i++ {
			rows = append(rows, fmt.Sprintf(format, i))
		}
		return strings.Join(rows, ", ")
	}
	for _, q := range []string{
		"UPDATE g1 SET n = 1 WHERE id = 1 OR (current_setting('my.x', true) = '1' AND id > 0)",
		"UPDATE g2 SET v = DEFAULT WHERE id = 1 OR (current_setting('my.y', true) = '1' AND id > 0)",
		"INSERT INTO u3 (id, n) VALUES " + values("(%d.4, 1)") + " ON CONFLICT (id) DO UPDATE SET n = 5",
		"INSERT INTO u3 (id, n) SELECT g + 0.4, 1 FROM generate_series(1, 30) g ON CONFLICT (id) DO UPDATE SET n = 6",
		"INSERT INTO u4 (k, n) VALUES " + values("(lpad('%d', 3, '0') || '   ', 1)") + " ON CONFLICT (k) DO UPDATE SET n = 5",
		"INSERT INTO u4 (k, n) VALUES " + values("('%03d   ', 1)") + " ON CONFLICT (k) DO UPDATE SET n = 5",
		"INSERT INTO u2 (id, n) VALUES " + values("(10%02d, 1)") + " ON CONFLICT (id) DO UPDATE SET n = 5",
	} {
		refusedBoth(t, s, q)
	}
	// Key values of another type than the column, bound as parameters.
	codes, _ := s.send(&pgproto3.Parse{Query: "INSERT INTO u3 (id, n) VALUES ($1, 1), ($2, 1) ON CONFLICT (id) DO UPDATE SET n = 7", ParameterOIDs: []uint32{1700, 1700}},
		&pgproto3.Bind{Parameters: [][]byte{[]byte("1.4"), []byte("2.4")}}, &pgproto3.Execute{}, &pgproto3.Sync{})
	if len(codes) == 0 || !strings.HasPrefix(codes[0], "CP") {
		t.Errorf("numeric keys into an integer: codes %v", codes)
	}
	if after := dbState(t, e, e.stageDB); after != before {
		t.Fatal("a write whose reach the question could not see ran unapproved")
	}
	// Tables with defaults of now() and serials still have their writes
	// asked about, and bounded upserts run.
	for _, q := range []string{
		"UPDATE plain SET n = 1 WHERE id < 5 AND current_setting('my.none', true) IS NULL",
		"INSERT INTO u3 (id, n) VALUES (1, 9), (2, 9) ON CONFLICT (id) DO UPDATE SET n = 9",
	} {
		ran(t, s, q)
	}
}

// A statement prepared by Parse and run by SQL EXECUTE, and a portal bound
// from a write and run by SQL FETCH after the rows changed, are judged
// before they run, as a Bind and an Execute are.
func TestProtocolStatementsRunBySQL(t *testing.T) {
	e := setup(t)
	e.pg.Exec(t, e.stageDB, `CREATE TABLE pd (id int, v text, flag bool default false); INSERT INTO pd (id) SELECT generate_series(1, 30)`)
	before := dbState(t, e, e.stageDB)
	s := e.rawTo(t, e.stageToken, "app-staging")
	if codes, _ := s.send(&pgproto3.Parse{Name: "s1", Query: "DELETE FROM pd WHERE id > $1"}, &pgproto3.Sync{}); len(codes) != 0 {
		t.Fatalf("parse: %v", codes)
	}
	refused(t, s, "EXECUTE s1(0)")
	refused(t, s, "EXPLAIN ANALYZE EXECUTE s1(0)")
	s.send(&pgproto3.Query{String: "BEGIN"})
	if codes, _ := s.send(&pgproto3.Parse{Name: "ps", Query: "UPDATE pd SET v = 'portal' WHERE flag OR id > 1 RETURNING id"},
		&pgproto3.Bind{DestinationPortal: "p1", PreparedStatement: "ps"}, &pgproto3.Sync{}); len(codes) != 0 {
		t.Fatalf("bind: %v", codes)
	}
	if codes, _ := s.send(&pgproto3.Query{String: "UPDATE pd SET flag = true WHERE id = 1"}); len(codes) != 0 {
		t.Fatalf("bounded update: %v", codes)
	}
	refused(t, s, "FETCH ALL FROM p1")
	refused(t, s, "MOVE ALL IN p1")
	s.send(&pgproto3.Query{String: "ROLLBACK"})
	if after := dbState(t, e, e.stageDB); after != before {
		t.Fatal("a write run by SQL reached every row unapproved")
	}
	// Bounded, both run.
	if codes, _ := s.send(&pgproto3.Parse{Name: "s2", Query: "DELETE FROM pd WHERE id > $1"}, &pgproto3.Bind{PreparedStatement: "s2", Parameters: [][]byte{[]byte("28")}},
		&pgproto3.Execute{}, &pgproto3.Sync{}); len(codes) != 0 {
		t.Errorf("bounded delete by Bind: %v", codes)
	}
	if n := e.pg.Count(t, e.stageDB, "pd"); n != 28 {
		t.Errorf("pd has %d rows, want 28", n)
	}
}

// The question's own reading of the catalog cannot be answered by
// operators a user put first on the search path.
func TestEveryRowQuestionIgnoresTheSearchPathsOperators(t *testing.T) {
	e := setup(t)
	e.pg.Exec(t, e.stageDB, `CREATE TABLE sp (id int, v text); INSERT INTO sp (id) SELECT generate_series(1, 20); CREATE SEQUENCE sq;
		CREATE FUNCTION public.never(oid, oid) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT false';
		CREATE FUNCTION public.never_c("char", "char") RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT false';
		CREATE OPERATOR public.= (LEFTARG = oid, RIGHTARG = oid, FUNCTION = public.never);
		CREATE OPERATOR public.= (LEFTARG = "char", RIGHTARG = "char", FUNCTION = public.never_c)`)
	// Set for the database, as its owner may: the gateway's session
	// starts with it.
	e.pg.Exec(t, e.stageDB, "ALTER DATABASE "+e.stageDB+" SET search_path = public, pg_catalog")
	before := dbState(t, e, e.stageDB)
	s := e.rawTo(t, e.stageToken, "app-staging")
	refusedBoth(t, s, "UPDATE sp SET v = nextval('sq')::text || nextval('sq')::text WHERE id < 2 OR (SELECT last_value FROM sq WHERE sp.id IS NOT NULL) > 1")
	if after := dbState(t, e, e.stageDB); after != before {
		t.Fatal("a write reached every row unapproved")
	}
}

// A bounded write reaches every row of another table where a foreign key
// cascades from its own: asked too, and held when it would.
func TestEveryRowQuestionFollowsCascades(t *testing.T) {
	e := setup(t)
	e.pg.Exec(t, e.stageDB, `CREATE TABLE anchor (id int primary key); INSERT INTO anchor VALUES (1), (2);
		CREATE TABLE big (id int primary key, aid int NOT NULL DEFAULT 1 REFERENCES anchor ON DELETE CASCADE ON UPDATE CASCADE); INSERT INTO big (id) SELECT generate_series(1, 30);
		CREATE TABLE nul (id int primary key, aid int DEFAULT 1 REFERENCES anchor ON DELETE SET NULL); INSERT INTO nul (id) SELECT generate_series(1, 30);
		CREATE TABLE selfref (id int primary key, up int REFERENCES selfref ON DELETE CASCADE); INSERT INTO selfref SELECT g, NULLIF(g - 1, 0) FROM generate_series(1, 30) g;
		CREATE TABLE users (id int primary key); INSERT INTO users SELECT generate_series(1, 5);
		CREATE TABLE sessions (id int primary key, uid int REFERENCES users ON DELETE CASCADE); INSERT INTO sessions SELECT g, g % 5 + 1 FROM generate_series(1, 30) g`)
	before := dbState(t, e, e.stageDB)
	s := e.rawTo(t, e.stageToken, "app-staging")
	for _, q := range []string{
		"DELETE FROM anchor WHERE id = 1",
		"DELETE FROM anchor WHERE id < 2",
		"UPDATE anchor SET id = 100 WHERE id = 1",
		"DELETE FROM selfref WHERE id = 1",
	} {
		refusedBoth(t, s, q)
	}
	codes, _ := s.send(&pgproto3.Parse{Query: "DELETE FROM anchor WHERE id = $1"}, &pgproto3.Bind{Parameters: [][]byte{[]byte("1")}}, &pgproto3.Execute{}, &pgproto3.Sync{})
	if len(codes) == 0 || !strings.HasPrefix(codes[0], "CP") {
		t.Errorf("bound delete of the anchor: codes %v", codes)
	}
	if after := dbState(t, e, e.stageDB); after != before {
		t.Fatal("a cascade reached every row of a table unapproved")
	}
	// A user's sessions are some of the sessions: the delete runs.
	for _, q := range []string{"DELETE FROM users WHERE id = 1", "DELETE FROM anchor WHERE id = 2"} {
		ran(t, s, q)
	}
	codes, _ = s.send(&pgproto3.Parse{Query: "DELETE FROM users WHERE id = $1"}, &pgproto3.Bind{Parameters: [][]byte{[]byte("2")}}, &pgproto3.Execute{}, &pgproto3.Sync{})
	if len(codes) != 0 {
		t.Errorf("bound delete of a user: codes %v", codes)
	}
	if n := e.pg.Count(t, e.stageDB, "sessions"); n != 18 {
		t.Errorf("sessions has %d rows, want 18", n)
	}
}

// The rows a cascade reaches are found by table and ctid, so no alias,
// setting or type conversion changes what the question counts; keys into
// partitions and inheritance children count, several keys of one child
// are counted together, and chains are unknown only when reached.
func TestCascadeQuestionCountsTheRowsThemselves(t *testing.T) {
	e := setup(t)
	e.pg.Exec(t, e.stageDB, `
		CREATE TABLE p1 (id int primary key, v int, status text); INSERT INTO p1 SELECT g, g, 's' FROM generate_series(1, 30) g;
		CREATE TABLE c1 (id int primary key, pid int REFERENCES p1 ON DELETE CASCADE ON UPDATE CASCADE); INSERT INTO c1 SELECT g, 1 FROM generate_series(1, 25) g;
		CREATE TABLE pf (k float8 primary key); INSERT INTO pf SELECT g + 0.25 FROM generate_series(1, 30) g;
		CREATE TABLE cf (id int primary key, pk float8 REFERENCES pf ON DELETE CASCADE); INSERT INTO cf SELECT g, 1.25 FROM generate_series(1, 25) g;
		CREATE TABLE pc (code char(4) primary key); INSERT INTO pc SELECT 'c' || g FROM generate_series(1, 30) g;
		CREATE TABLE cc (id int primary key, pc text REFERENCES pc ON DELETE CASCADE); INSERT INTO cc SELECT g, 'c1' FROM generate_series(1, 25) g;
		CREATE TABLE two (id int primary key, a int REFERENCES p1 ON DELETE CASCADE, b int REFERENCES p1 ON DELETE CASCADE);
		INSERT INTO two SELECT g, CASE WHEN g <= 12 THEN 2 ELSE 3 END, CASE WHEN g <= 12 THEN 3 ELSE 2 END FROM generate_series(1, 25) g;
		CREATE TABLE pp (id int, v int) PARTITION BY RANGE (id); CREATE TABLE pp1 PARTITION OF pp FOR VALUES FROM (1) TO (100); INSERT INTO pp SELECT g, g FROM generate_series(1, 30) g;
		ALTER TABLE pp1 ADD PRIMARY KEY (id);
		CREATE TABLE cpp (id int primary key, pid int REFERENCES pp1 ON DELETE CASCADE); INSERT INTO cpp SELECT g, 1 FROM generate_series(1, 25) g;
		CREATE TABLE chain_u (id int primary key); INSERT INTO chain_u SELECT generate_series(1, 5);
		CREATE TABLE chain_o (id int primary key, uid int REFERENCES chain_u ON DELETE CASCADE); INSERT INTO chain_o SELECT g, g % 4 + 1 FROM generate_series(1, 20) g;
		CREATE TABLE chain_i (id int primary key, oid int REFERENCES chain_o ON DELETE CASCADE); INSERT INTO chain_i SELECT g, g FROM generate_series(1, 20) g;
		CREATE TABLE mc_p (a int, b int, primary key (a, b)); INSERT INTO mc_p SELECT g, g FROM generate_series(1, 10) g;
		CREATE TABLE mc_c (id int primary key, a int, b int, FOREIGN KEY (a, b) REFERENCES mc_p ON DELETE CASCADE); INSERT INTO mc_c SELECT g, 1, 1 FROM generate_series(1, 3) g;
		INSERT INTO mc_c SELECT g, 2, 2 FROM generate_series(4, 6) g`)
	before := dbState(t, e, e.stageDB)
	s := e.rawTo(t, e.stageToken, "app-staging")
	for _, q := range []string{
		"DELETE FROM p1 AS v WHERE v.id = 1",
		"DELETE FROM p1 AS status WHERE status.id = 1 AND status.v = 1",
		"UPDATE p1 AS v SET id = 100 WHERE v.id = 1",
		"INSERT INTO p1 VALUES (1, 0, 's') ON CONFLICT (id) DO UPDATE SET id = 100",
		"DELETE FROM pf WHERE k = 1.25",
		"DELETE FROM pc WHERE code = 'c1'",
		"DELETE FROM p1 WHERE id IN (2, 3) AND v < 4",
		"DELETE FROM pp WHERE id = 1 AND v = 1",
		"DELETE FROM chain_u WHERE id = 2",
	} {
		refusedBoth(t, s, q)
	}
	s.send(&pgproto3.Query{String: "SET extra_float_digits = -14"})
	refused(t, s, "DELETE FROM pf WHERE k = 1.25")
	if after := dbState(t, e, e.stageDB); after != before {
		t.Fatal("a cascade reached every row of a table unapproved")
	}
	// Reached partly, or not at all where a chain goes on; a key of two
	// columns counted whole.
	for _, q := range []string{
		"DELETE FROM chain_u WHERE id = 5",
		"DELETE FROM mc_p WHERE a = 1 AND b = 1",
		"DELETE FROM pf WHERE k = 2.25",
		"DELETE FROM p1 WHERE id = 30",
	} {
		ran(t, s, q)
	}
	if n := e.pg.Count(t, e.stageDB, "mc_c"); n != 3 {
		t.Errorf("mc_c has %d rows, want 3", n)
	}
}

// A write that cannot be asked about is refused with the reason, by the
// extended protocol too: the client can act on it.
func TestUnaskableWriteSaysWhy(t *testing.T) {
	e := setup(t)
	e.pg.Exec(t, e.stageDB, `CREATE TABLE ck (id int, at timestamptz default now()); INSERT INTO ck (id) SELECT generate_series(1, 5)`)
	s := e.rawTo(t, e.stageToken, "app-staging")
	s.send(&pgproto3.Parse{Name: "w", Query: "DELETE FROM ck WHERE id < $1::int"}, &pgproto3.Sync{})
	// The second write of a pipeline cannot be asked about.
	_, got := s.send(&pgproto3.Bind{PreparedStatement: "w", Parameters: [][]byte{[]byte("2")}}, &pgproto3.Execute{},
		&pgproto3.Bind{PreparedStatement: "w", Parameters: [][]byte{[]byte("3")}}, &pgproto3.Execute{}, &pgproto3.Sync{})
	found := false
	for _, m := range got {
		if er, ok := m.(*pgproto3.ErrorResponse); ok && strings.Contains(er.Message, "sql.reach-unknown") && strings.Contains(er.Message, "pipeline") {
			found = true
		}
	}
	if !found {
		t.Errorf("no refusal naming the reason: %v", got)
	}
	if n := e.pg.Count(t, e.stageDB, "ck"); n != 5 {
		t.Errorf("ck has %d rows, want 5: nothing of the failed pipeline is committed", n)
	}
}

// The cascade is counted with the key's own equality: a char(n) key
// ignores trailing blanks that a text comparison would see.
func TestCascadeQuestionUsesTheKeysEquality(t *testing.T) {
	e := setup(t)
	e.pg.Exec(t, e.stageDB, `CREATE TABLE bp (id char(4) primary key); INSERT INTO bp SELECT 'k' || g FROM generate_series(1, 25) g; INSERT INTO bp VALUES ('ab');
		CREATE TABLE bc (id int primary key, pid text REFERENCES bp ON UPDATE CASCADE ON DELETE CASCADE);
		INSERT INTO bc SELECT g, CASE WHEN g % 2 = 0 THEN 'ab' ELSE 'ab ' END FROM generate_series(1, 25) g`)
	before := dbState(t, e, e.stageDB)
	s := e.rawTo(t, e.stageToken, "app-staging")
	refusedBoth(t, s, "DELETE FROM bp WHERE id = 'ab'")
	refusedBoth(t, s, "UPDATE bp SET id = 'zz' WHERE id = 'ab'")
	if after := dbState(t, e, e.stageDB); after != before {
		t.Fatal("a cascade reached every row unapproved")
	}
}

// A write to an inheritance parent or a partitioned table reaches every
// table under it: one row its filter leaves out elsewhere in the tree does
// not keep it from emptying a child or a partition. Each table of the tree
// is asked about.
func TestEveryRowQuestionAsksEachTableOfATree(t *testing.T) {
	e := setup(t)
	e.pg.Exec(t, e.stageDB, `CREATE TABLE parent_b (id int, v text); INSERT INTO parent_b VALUES (0, 'keep'), (1000, 'p');
		CREATE TABLE child_b () INHERITS (parent_b); INSERT INTO child_b SELECT g, 'c' FROM generate_series(1, 20) g;
		CREATE TABLE events_b (id int, region text, v text) PARTITION BY LIST (region);
		CREATE TABLE events_b_eu PARTITION OF events_b FOR VALUES IN ('eu');
		CREATE TABLE events_b_us PARTITION OF events_b FOR VALUES IN ('us');
		INSERT INTO events_b SELECT g, CASE WHEN g <= 20 THEN 'eu' ELSE 'us' END, 'v' FROM generate_series(1, 40) g`)
	before := dbState(t, e, e.stageDB)
	s := e.rawTo(t, e.stageToken, "app-staging")
	for _, q := range []string{
		"DELETE FROM parent_b WHERE id > 0",
		"DELETE FROM parent_b p WHERE p.id <> 0",
		"UPDATE events_b SET v = 'overwritten' WHERE id <= 20 OR id = 40",
		"DELETE FROM events_b WHERE id <= 20 OR id = 40",
		"DELETE FROM public.events_b e USING (SELECT 20 AS n) x WHERE e.id <= x.n OR e.id = 40",
	} {
		refusedBoth(t, s, q)
	}
	if after := dbState(t, e, e.stageDB); after != before {
		t.Fatal("a write emptied a table of a tree unapproved")
	}
	onDB(t, e, e.stageDB, func(ctx context.Context, c *pgx.Conn) {
		var n int
		if err := c.QueryRow(ctx, "SELECT (SELECT count(*) FROM child_b) + (SELECT count(*) FROM events_b_eu WHERE v = 'v')").Scan(&n); err != nil || n != 40 {
			t.Fatalf("%d rows kept (%v), want 40", n, err)
		}
	})
	// Bounded in every table, or naming the parent alone: they run.
	for _, q := range []string{
		"DELETE FROM parent_b WHERE id > 15",
		"DELETE FROM ONLY parent_b WHERE id = 1000",
		"UPDATE events_b SET v = 'w' WHERE id IN (1, 2, 39)",
	} {
		ran(t, s, q)
	}
	if n := e.pg.Count(t, e.stageDB, "child_b"); n != 15 {
		t.Errorf("child_b has %d rows, want 15", n)
	}
}
