package sql

import "testing"

// Texts that mean the same bind one approval; texts that do not, do not.
func TestCanonicalBindsMeaningNotSpelling(t *testing.T) {
	same := [][]string{
		{`TRUNCATE a, b, "C"`, `truncate "C", b , a;`, "TRUNCATE TABLE b,\n\ta, \"C\" -- django flush"},
		{"DROP TABLE bookings", `drop   table "bookings"`, "/* by a tool */ DROP TABLE bookings;"},
		{"DELETE FROM t WHERE id < $1\n-- bound parameters:\n-- $1 int4 text '5'", "delete from t where id<$1\n-- bound parameters:\n-- $1 int4 text '5'"},
	}
	for _, group := range same {
		for _, txt := range group[1:] {
			if Canonical(txt) != Canonical(group[0]) {
				t.Errorf("%q and %q bind differently:\n%s\n%s", group[0], txt, Canonical(group[0]), Canonical(txt))
			}
		}
	}
	different := [][2]string{
		{"TRUNCATE a", "TRUNCATE a, b"},
		{"TRUNCATE a", "TRUNCATE a CASCADE"},
		{`DROP TABLE "Bookings"`, "DROP TABLE bookings"},
		{"DELETE FROM t WHERE id < 5", "DELETE FROM t WHERE id < 50"},
		{"DELETE FROM t WHERE id < $1\n-- bound parameters:\n-- $1 int4 text '5'", "DELETE FROM t WHERE id < $1\n-- bound parameters:\n-- $1 int4 text '500'"},
		{"TRUNCATE events\n-- resolves to: events = public.events", "TRUNCATE events\n-- resolves to: events = big.events"},
		{"DELETE FROM a; DELETE FROM b", "DELETE FROM b; DELETE FROM a"},
	}
	for _, d := range different {
		if Canonical(d[0]) == Canonical(d[1]) {
			t.Errorf("%q and %q bind the same: %s", d[0], d[1], Canonical(d[0]))
		}
	}
}

func TestSchemaEffect(t *testing.T) {
	for text, want := range map[string]struct {
		cols  int
		other bool
	}{
		"ALTER TABLE a ALTER COLUMN b TYPE text":                                  {1, false},
		"ALTER TABLE a ALTER COLUMN b DROP DEFAULT, ALTER COLUMN b DROP NOT NULL": {0, false},
		"ALTER TABLE a ADD COLUMN c int":                                          {0, false},
		"ALTER TABLE a RENAME COLUMN b TO c":                                      {0, true},
		"ALTER TABLE a DROP COLUMN b":                                             {0, true},
		"CREATE TABLE x (y int)":                                                  {0, true},
		"UPDATE a SET b = 1":                                                      {0, false},
		"SELECT 1 INTO x":                                                         {0, true},
		"not sql":                                                                 {0, true},
	} {
		cols, other := SchemaEffect(text)
		if len(cols) != want.cols || other != want.other {
			t.Errorf("%s: %v %v", text, cols, other)
		}
	}
}
