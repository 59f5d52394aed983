package web

import (
	"strings"
	"testing"
)

func TestFormatSQLChangesOnlyWhitespace(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"DELETE FROM bookings WHERE id = 1 AND note = 'a where b'",
			"DELETE FROM bookings\nWHERE id = 1\n  AND note = 'a where b'"},
		{`SELECT "from" FROM t`, "SELECT \"from\"\nFROM t"},
		{"SELECT 'it''s FROM here' FROM t", "SELECT 'it''s FROM here'\nFROM t"},
		{"DO $$ BEGIN DELETE FROM t; END $$", "DO $$ BEGIN DELETE FROM t; END $$"},
		{"SELECT 1 -- FROM\n", "SELECT 1 -- FROM\n"},
	} {
		got := formatSQL(c.in)
		if got != c.want {
			t.Errorf("%q: got %q, want %q", c.in, got, c.want)
		}
		if strings.Join(strings.Fields(got), "") != strings.Join(strings.Fields(c.in), "") {
			t.Errorf("%q: more than whitespace changed: %q", c.in, got)
		}
	}
}
