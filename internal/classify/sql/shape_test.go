package sql

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestShape(t *testing.T) {
	same := [][2]string{
		{"SELECT * FROM t WHERE id = 1", "SELECT * FROM t WHERE id = 987654321"},
		{"SELECT * FROM t WHERE name = 'a'", "SELECT * FROM t WHERE name = 'it''s'"},
		{"UPDATE t SET x = 1.5 WHERE y = 'b'", "UPDATE t SET x = 22.25 WHERE y = ''"},
		{`SELECT "Col1", t2.c3 FROM t2 WHERE v = -4`, `SELECT "Col1", t2.c3 FROM t2 WHERE v = -0`},
		{"SELECT $1, 'x'", "SELECT $1, 'y'"},
		{"SELECT 'café'", "SELECT 'x'"},
	}
	for _, p := range same {
		a, okA := Shape(p[0])
		b, okB := Shape(p[1])
		if !okA || !okB || a != b {
			t.Errorf("%q and %q: shapes %q (%v) and %q (%v), want one", p[0], p[1], a, okA, b, okB)
		}
	}
	different := [][2]string{
		{"SELECT 1", "SELECT 1.5"},            // an integer and a float are different tokens
		{"SELECT 'a'\n'b'", "SELECT 'a' 'b'"}, // concatenation, and a syntax error
		{"SELECT c1 FROM t WHERE 1=1", "SELECT c2 FROM t WHERE 1=1"},
		{`SELECT "a" WHERE 1=1`, `SELECT "b" WHERE 1=1`},
		{"SELECT $1, 1", "SELECT $2, 1"},
	}
	for _, p := range different {
		a, _ := Shape(p[0])
		b, _ := Shape(p[1])
		if a == b && a != "" {
			t.Errorf("%q and %q share shape %q", p[0], p[1], a)
		}
	}
	for _, s := range []string{
		"SELECT 1 -- ' \nDROP TABLE t",           // comments
		"SELECT 1 /* ' */ DROP TABLE t; -- '",    // (a quote in a comment is not a string)
		"SELECT $$x$$, 1", "SELECT $q$ ' $q$, 1", // dollar quotes
		`SELECT E'\'', 1`, "SELECT B'101', 1", "SELECT X'1F'", "SELECT N'x'", "SELECT U&'\\0041'", "SELECT date'2020-01-01'",
		`SELECT 'a\', 1`, // backslashes: standard_conforming_strings may be off
		"SELECT 1e5", "SELECT 0x1F", "SELECT 1_000", "SELECT 1.", "SELECT .5", "SELECT 1..2", "SELECT 1.2.3", "SELECT 12345678901",
		"SELECT 'unterminated", `SELECT "unterminated, 1`, "SELECT '\xff'", "SELECT '\x01'", "SELECT é, 1",
		"SELECT * FROM t", // no literals: nothing to share
	} {
		if sh, ok := Shape(s); ok {
			t.Errorf("%q: shape %q, want none", s, sh)
		}
	}
}

// fill turns a shape back into a statement, with s for every string literal
// and n for every number.
func fill(shape, s string, n uint32) string {
	r := strings.NewReplacer("\x00s", "'"+strings.ReplaceAll(s, "'", "''")+"'",
		"\x00i", fmt.Sprint(n%1e9), "\x00f", fmt.Sprintf("%d.%d", n%1000, n%7))
	return r.Replace(shape)
}

// A result without Literals stands for every statement of its shape: change
// each case's literals to values that matter elsewhere (the names, bodies
// and truths that the classifier reads) and the findings must not move.
func TestResultsWithoutLiteralsHoldForTheirShape(t *testing.T) {
	values := []string{"", "a", "t", "true", "1", "session_replication_role", "replica",
		"DROP TABLE bookings", "DELETE FROM bookings", "BEGIN DELETE FROM bookings; END", "plpgsql", "/etc/passwd"}
	shared := 0
	for _, c := range cases {
		shape, ok := Shape(c.sql)
		r := Classify(c.sql)
		if !ok || r.Literals {
			continue
		}
		shared++
		for i, v := range values {
			variant := fill(shape, v, uint32(i))
			if vs, _ := Shape(variant); vs != shape {
				t.Fatalf("%q: variant %q has shape %q, not %q", c.sql, variant, vs, shape)
			}
			if got := Classify(variant); !sameFindings(r, got) {
				t.Errorf("%q is %v without literals, but %q is %v", c.sql, r.Reasons, variant, got.Reasons)
			}
		}
	}
	if shared < 5 {
		t.Fatalf("only %d cases share their shape", shared)
	}
	// And the statements whose findings rest on a literal never do.
	for _, s := range []string{
		"DELETE FROM bookings WHERE 1 = 1", "DELETE FROM bookings WHERE 1 = 2", "DELETE FROM bookings WHERE 't'::boolean",
		"DELETE FROM bookings WHERE NOT (0 <> 1)", "DELETE FROM bookings WHERE (1 <> 2) IS FALSE",
		"DELETE FROM bookings WHERE NOT (id + 1 <> id + 2)", "DELETE FROM bookings WHERE id + 1 IN (SELECT id + 2)",
		// '' parses as STDOUT and STDIN do; a function named by a string.
		"COPY bookings TO ''", "COPY bookings FROM ''", "COPY (SELECT 1) TO ''", "COPY bookings (id) TO '' WITH (FORMAT csv)",
		"CREATE OPERATOR #~# (leftarg = int4, rightarg = int8, function = 'int4eq')",
		"CREATE AGGREGATE agg (int) (sfunc = 'int4pl', stype = int)",
		"SELECT set_config('application_name', 'x', false)", "SELECT dblink_exec('c', 'SELECT 1')",
		"DO 'BEGIN PERFORM 1; END'", "CREATE FUNCTION one() RETURNS int LANGUAGE sql AS 'SELECT 1'",
		"COPY bookings TO '/tmp/x'", "EXPLAIN (ANALYZE 'off') DELETE FROM bookings", "SELECT 'unterminated",
	} {
		if !Classify(s).Literals {
			t.Errorf("%q: findings rest on a literal but Literals is not set", s)
		}
	}
}

func FuzzShape(f *testing.F) {
	for _, c := range cases {
		f.Add(c.sql, "session_replication_role", uint32(1))
	}
	// Forms once shared by their shape with a dangerous twin.
	for _, s := range []string{"COPY bookings TO ''", "COPY bookings FROM ''", "DELETE FROM A WHERE NOT(0!=1)",
		"CREATE OPERATOR #~# (leftarg = int4, rightarg = int8, function = 'int4eq')"} {
		f.Add(s, "/etc/passwd", uint32(0))
		f.Add(s, "pg_terminate_backend", uint32(0))
	}
	f.Fuzz(func(t *testing.T, text, s string, n uint32) {
		shape, ok := Shape(text)
		if !ok {
			return
		}
		r := Classify(text)
		if r.Literals {
			return
		}
		s = strings.Map(func(r rune) rune {
			if r < 0x20 || r >= 0x7f || r == '\\' {
				return -1
			}
			return r
		}, s)
		variant := fill(shape, s, n)
		if vs, _ := Shape(variant); vs != shape {
			t.Fatalf("%q: variant %q has shape %q, not %q", text, variant, vs, shape)
		}
		if got := Classify(variant); !sameFindings(r, got) {
			t.Fatalf("%q is %v without literals, but %q is %v", text, r.Reasons, variant, got.Reasons)
		}
	})
}

// HoldsForShape keeps to its own text a result that rests on a literal
// even when the walker failed to mark it (simulated here by clearing the
// mark), and lets ordinary statements share their shape.
func TestHoldsForShapeCatchesWhatTheMarkMissed(t *testing.T) {
	for _, s := range []string{
		"COPY bookings TO ''", "COPY bookings FROM ''",
		"CREATE OPERATOR #~# (leftarg = int4, rightarg = int8, function = 'int4eq')",
		"DELETE FROM bookings WHERE NOT (0 <> 1)", "DELETE FROM bookings WHERE 1 = 2",
		"SELECT set_config('application_name', 'x', false)", "DO 'BEGIN PERFORM 1; END'",
	} {
		shape, ok := Shape(s)
		if !ok {
			t.Fatalf("%q has no shape", s)
		}
		r := Classify(s)
		r.Literals = false
		if HoldsForShape(shape, r) {
			t.Errorf("%q: its result was taken to hold for its shape", s)
		}
	}
	for _, s := range []string{
		"SELECT abalance FROM pgbench_accounts WHERE aid = 7",
		"UPDATE pgbench_accounts SET abalance = abalance + -5 WHERE aid = 7",
		"INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (1, 2, 3, 4, CURRENT_TIMESTAMP)",
		"SELECT * FROM bookings WHERE note = 'n1' AND id > 2.5",
	} {
		shape, _ := Shape(s)
		if r := Classify(s); r.Literals || !HoldsForShape(shape, r) {
			t.Errorf("%q does not share its shape (literals %v)", s, r.Literals)
		}
	}
	if got := probes("SELECT \x00s, \x00i, \x00f, \x00s"); !slices.Equal(got, []string{
		"SELECT '', 0, 0.0, ''", "SELECT 't', 1, 1.0, 't'", "SELECT 'probe_1', 102, 103.5, 'probe_4'"}) {
		t.Errorf("probes: %q", got)
	}
}
