package pg

import (
	"context"
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
		if codes, _ := s.send(&pgproto3.Query{String: q}); len(codes) != 0 {
			t.Errorf("%q: codes %v", q, codes)
		}
	}
	if n := e.pg.Count(t, e.stageDB, "st"); n != 18 {
		t.Errorf("st has %d rows after the bounded writes, want 18", n)
	}
}
