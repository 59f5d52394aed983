package sql

import (
	"errors"
	"strings"
	"testing"
)

func TestEveryRowProbe(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"DELETE FROM sessions WHERE expires_at < now() - interval '1 day'", "COALESCE(expires_at < (now() - '1 day'::interval), false)"},
		{"DELETE FROM t WHERE id > 0", "ELSE ((SELECT NOT EXISTS (SELECT 1 FROM t WHERE NOT COALESCE(id > 0, false)) AND EXISTS (SELECT 1 FROM t OFFSET 1)) OR (SELECT CASE WHEN NOT EXISTS"},
		// Each table under the written one is asked about too, by its
		// tableoid, unless the write names it with ONLY.
		{"DELETE FROM s.t p WHERE p.id > 0", "WHERE NOT EXISTS (SELECT 1 FROM s.t p WHERE p.tableoid OPERATOR(pg_catalog.=) chaperone_m.oid AND NOT COALESCE(p.id > 0, false))"},
		// What the filter reads is checked to hold still first.
		{"DELETE FROM s.t WHERE id > 0", "SELECT CASE WHEN EXISTS (WITH RECURSIVE chaperone_rel(oid) AS (SELECT c FROM pg_catalog.unnest(ARRAY[pg_catalog.to_regclass('\"s\".\"t\"')]"},
		{"DELETE FROM t WHERE v = 'a'", "o.oprname OPERATOR(pg_catalog.=) ANY(ARRAY['=']::pg_catalog.name[])"},
		{"UPDATE t SET v = nextval('q')::text WHERE lower(v) = 'a'", "p.proname OPERATOR(pg_catalog.=) ANY(ARRAY['lower']::pg_catalog.name[])"},
		{"UPDATE t SET v = 'x' WHERE owner = current_user", "FROM pg_catalog.pg_trigger t WHERE"},
		// The filter stays one argument whatever its operators' precedence.
		{"DELETE FROM t WHERE a = 1 OR b = 2 AND NOT c", "NOT COALESCE(a = 1 OR (b = 2 AND NOT c), false)"},
		// USING and FROM: a row is left out when no combination matches it.
		{"UPDATE s.t AS x SET a = 1 FROM u WHERE x.id = u.id", "FROM s.t x WHERE NOT EXISTS (SELECT 1 FROM u WHERE x.id = u.id)"},
		{"DELETE FROM ONLY t USING u WHERE t.a = u.a", "EXISTS (SELECT 1 FROM ONLY t OFFSET 1)"},
		{"WITH c AS (SELECT 1 AS id) DELETE FROM t WHERE id IN (SELECT id FROM c)", "(WITH c AS (SELECT 1 AS id) SELECT NOT EXISTS"},
		{"WITH d AS (DELETE FROM t WHERE id > 0 RETURNING *) SELECT * FROM d", "FROM t WHERE NOT COALESCE(id > 0, false)"},
		{"COPY (UPDATE t SET a = 1 WHERE b RETURNING a) TO STDOUT", "NOT COALESCE(b, false)"},
		{"BEGIN; DELETE FROM t WHERE id = $1; COMMIT", "COALESCE(id = $1, false)"},
		{"DELETE FROM a WHERE x; DELETE FROM b WHERE y", ""}, // the second follows a write
		// MERGE and upserts, as joins with what they read or insert.
		{"MERGE INTO t USING s ON t.id = s.id WHEN MATCHED AND t.id > 0 THEN DELETE", "FROM t WHERE NOT EXISTS (SELECT 1 FROM s WHERE t.id = s.id AND t.id > 0)"},
		{"INSERT INTO t (id, v) SELECT g, 'x' FROM generate_series(1, 5) g ON CONFLICT (id) DO UPDATE SET v = excluded.v", "chaperone_excluded(id, v) WHERE t.id OPERATOR(pg_catalog.=) chaperone_excluded.id"},
		{"INSERT INTO t AS x (id, v) VALUES ($1, $2), ($3, $4) ON CONFLICT (id) DO UPDATE SET v = EXCLUDED.v WHERE x.v < EXCLUDED.v", "NOT COALESCE((x.id OPERATOR(pg_catalog.=) $1 AND x.v < $2) OR (x.id OPERATOR(pg_catalog.=) $3 AND x.v < $4), false)"},
		{"INSERT INTO t SELECT g, 'x' FROM generate_series(1, 5) g ON CONFLICT (id) DO UPDATE SET v = 'x'", ""}, // no column list
		{"INSERT INTO t (id, v) SELECT CASE WHEN current_query() LIKE 'I%' THEN g END, 'x' FROM generate_series(1, 5) g ON CONFLICT (id) DO UPDATE SET v = 'x'", ""},
		{"INSERT INTO t (id, v) VALUES (1, 'a') ON CONFLICT DO NOTHING", "-"},
		// One proposed row overwrites at most one: nothing to ask.
		{"INSERT INTO t VALUES (7, -1) ON CONFLICT (id) DO UPDATE SET v = -1", "-"},
		// Two writes of one table in one statement can cover it between them.
		{"WITH a AS (DELETE FROM t WHERE id <= 2 RETURNING *) DELETE FROM t WHERE id > 2", ""},
		{"WITH a AS (UPDATE t SET v = -1 WHERE id < 3 RETURNING 1) UPDATE t SET v = -1 WHERE id >= 3", ""},
		// Nothing to ask: no filter (judged from the text), a cursor's row,
		// a tool's bookkeeping, no UPDATE or DELETE.
		{"DELETE FROM t", "-"},
		{"UPDATE t SET a = 1 WHERE CURRENT OF c", "-"},
		{"DELETE FROM schema_migrations WHERE version = '1'", "-"},
		{"INSERT INTO t VALUES (1)", "-"},
	} {
		rp, err := EveryRowProbe(c.text)
		got := rp.Query
		switch {
		case c.want == "-":
			if got != "" || err != nil {
				t.Errorf("%q: %q %v, want nothing to ask", c.text, got, err)
			}
		case c.want == "":
			if !errors.Is(err, ErrNoProbe) {
				t.Errorf("%q: %q %v, want ErrNoProbe", c.text, got, err)
			}
		case err != nil || !strings.Contains(got, c.want):
			t.Errorf("%q: %q %v, want it to hold %q", c.text, got, err, c.want)
		}
	}
	for _, text := range []string{
		"UPDATE a SET x = 1 WHERE id = 1; DELETE FROM t WHERE x = 1",
		"SET search_path = other; DELETE FROM t WHERE id > 0",
		"ROLLBACK TO SAVEPOINT s; DELETE FROM t WHERE id > 0",
		"WITH a AS (UPDATE x SET y = 1 RETURNING id) DELETE FROM t WHERE id IN (SELECT id FROM a)",
		"PREPARE p AS DELETE FROM t WHERE id > $1",
		// A volatile function answers the question and the write apart.
		"DELETE FROM t WHERE id <> 1 OR (id = 1 AND current_query() LIKE 'DELETE%')",
		"DELETE FROM t WHERE id <> 1 OR (id = 1 AND txid_current_if_assigned() IS NOT NULL)",
		"DELETE FROM t WHERE v <> 'keep' AND pg_sleep(0.2)::text = ''",
		"UPDATE t SET v = 'x' FROM generate_series(1, 5) g WHERE t.id = g AND random() < 2",
		"DELETE FROM t WHERE id <> 1 OR (SELECT query FROM pg_stat_activity WHERE pid = pg_backend_pid()) LIKE 'DELETE%'",
		"DELETE FROM t WHERE id <> 1 OR EXISTS (SELECT 1 FROM pg_locks WHERE pid = pg_backend_pid() AND mode = 'RowExclusiveLock')",
		// The statement changes the settings its filter reads.
		"UPDATE t SET v = set_config('a.b', 'x', false) WHERE id = 1 OR current_setting('a.b', true) = 'x'",
		"DELETE FROM t WHERE id = 1 OR owner = current_user RETURNING my_fn()",
		"UPDATE t SET v = 'x' WHERE id = 1 OR name = 'x'::regclass::text RETURNING pg_catalog.set_config('search_path', 'o', false)",
	} {
		if _, err := EveryRowProbe(text); !errors.Is(err, ErrNoProbe) {
			t.Errorf("%q: %v, want ErrNoProbe", text, err)
		}
	}
}

func TestRowWritesAreNotedWhereTheyRun(t *testing.T) {
	for _, c := range []struct {
		text          string
		shown, hidden bool
	}{
		{"DELETE FROM t WHERE id > 0", true, false},
		{"DELETE FROM t", false, false},
		{"DO $$BEGIN DELETE FROM t WHERE id > 0; END$$", false, true},
		{"SELECT query_to_xml('UPDATE t SET a = 1 WHERE b RETURNING a', true, false, '')", false, true},
		{"CREATE FUNCTION f() RETURNS void LANGUAGE sql AS 'DELETE FROM t WHERE id > 0'", false, false},
	} {
		r := Classify(c.text)
		if r.RowWrites != c.shown || r.HiddenRowWrites != c.hidden {
			t.Errorf("%q: RowWrites %v HiddenRowWrites %v, want %v %v", c.text, r.RowWrites, r.HiddenRowWrites, c.shown, c.hidden)
		}
	}
}

func TestPinsOfFilteredWrites(t *testing.T) {
	for _, c := range []struct {
		text string
		want []Pin
	}{
		{"UPDATE pgbench_accounts SET abalance = abalance + 5 WHERE aid = 7", []Pin{{Table: "pgbench_accounts", Column: "aid"}}},
		{"DELETE FROM ONLY s.t x WHERE x.id = $1 AND note > 'a'", []Pin{{Schema: "s", Table: "t", Column: "id", Only: true}}},
		{"UPDATE t SET a = 1 WHERE 'k' = t.code", []Pin{{Table: "t", Column: "code"}}},
		// Not pinned: another table's column, an OR, a range, a float.
		{"DELETE FROM t USING u WHERE u.id = 1", nil},
		{"DELETE FROM t WHERE id = 1 OR id = 2", nil},
		{"DELETE FROM t WHERE id > 1", nil},
		{"DELETE FROM t WHERE id = 1.5", nil},
		{"DELETE FROM t WHERE id = 1; DELETE FROM u WHERE id > 2", nil},
		{"SET search_path = s2; DELETE FROM t WHERE id = 1", nil},
		// Several plain writes cannot move a later one's names or keys.
		{"UPDATE t SET v = 'a' WHERE id = 3; UPDATE t SET v = 'b' WHERE id = 4", []Pin{{Table: "t", Column: "id"}}},
	} {
		// None for several statements unless all are plain reads and
		// writes: a statement before a write may change what its name
		// resolves to.
		if got := Classify(c.text).Pins; len(got) != len(c.want) || len(c.want) > 0 && got[0] != c.want[0] {
			t.Errorf("%q: Classify pins %+v, want %+v", c.text, got, c.want)
		}
	}
}
