package sql

import (
	"testing"
	"time"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/fuzzbound"
)

func FuzzClassifySQL(f *testing.F) {
	for _, s := range []string{
		"SELECT 1", "DROP TABLE t", "DELETE FROM t WHERE 1 = 1", "WITH x AS (DELETE FROM t) SELECT 1",
		"DO $$ BEGIN EXECUTE 'x'; END $$", "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN DELETE FROM t; END $$",
		"SELECT dblink_exec('c', 'DROP TABLE t')", "COPY t TO PROGRAM 'x'", "SELECT\x00 1", "PREPARE p AS TRUNCATE t",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		var r Result
		fuzzbound.Run(t, 2*time.Second, func() { r = Classify(text) })
		if _, err := pg_query.Parse(text); err != nil && r.Class().Severity() < action.ClassUnknown.Severity() {
			t.Fatalf("unparseable %q classified %s", text, r.Class())
		}
		for _, x := range r.Reasons {
			if x.ID == "" || x.Message == "" {
				t.Fatalf("finding without id or message: %+v", x)
			}
		}
	})
}

func BenchmarkClassify(b *testing.B) {
	for _, c := range []struct{ name, sql string }{
		{"select", "SELECT b.id, b.price FROM bookings b JOIN users u ON u.id = b.user_id WHERE b.id = $1"},
		{"delete", "DELETE FROM bookings WHERE created_at < now() - interval '30 days'"},
		{"do-block", "DO $$ BEGIN DELETE FROM bookings WHERE id = 1; PERFORM pg_sleep(0); END $$"},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				Classify(c.sql)
			}
		})
	}
}
