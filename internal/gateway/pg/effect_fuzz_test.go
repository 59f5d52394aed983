package pg

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/classify/sql"
	"github.com/chaperone/chaperone/internal/fuzzbound"
	"github.com/chaperone/chaperone/internal/localpg"
)

// effectStatements and effectWrappers are dangerous and harmless fragments
// that FuzzVerdictMatchesEffect combines.
var effectStatements = []string{
	"SELECT 1", "SELECT count(*) FROM bookings", "SELECT nextval('s')", "SELECT setval('s', 7)",
	"SELECT lo_create(0)", "SELECT lo_unlink(4243)", "SELECT lo_put(4243, 0, 'z')",
	"DELETE FROM bookings", "DELETE FROM bookings WHERE id = 1", "UPDATE bookings SET note = 'x'",
	"DROP TABLE bookings", "TRUNCATE bookings", "INSERT INTO bookings VALUES (500, 'x')",
	"SET standard_conforming_strings = off", "SET client_encoding = 'SJIS'", "SET session_replication_role = replica",
	"SET default_transaction_read_only = off", "SET ROLE postgres", "RESET ALL", "DISCARD ALL",
	"SELECT set_config('standard_conforming_strings', 'off', false)",
	"SELECT set_config('session_' || 'replication_role', 'replica', false)",
	"SELECT query_to_xml('DELETE FROM bookings', true, false, '')",
	"SELECT * FROM ts_stat('SELECT to_tsvector(note) FROM bookings')",
	"SELECT wipe()", "SELECT pg_advisory_lock(3)", "SELECT pg_sleep(0)", "SELECT random()",
	smuggleSCS, `SELECT E'a\'; DROP TABLE bookings; --'`, "SELECT $a$ ' $a$; DELETE FROM bookings WHERE id = 2",
	"BEGIN", "COMMIT", "ROLLBACK", "BEGIN READ WRITE", "SELECT * FROM bookings FOR UPDATE",
	"ALTER SYSTEM SET work_mem = '9MB'", "SELECT pg_reload_conf()", "CREATE TABLE t2 (id int)",
	"MERGE INTO bookings b USING (SELECT 1) s ON true WHEN MATCHED THEN DELETE",
	"INSERT INTO bookings VALUES (1, 'x') ON CONFLICT (id) DO UPDATE SET note = 'y'",
	"DECLARE fc CURSOR WITH HOLD FOR SELECT nextval('s')",
	"SELECT 1 AS a INTO made UNION SELECT 2",
}

var effectWrappers = []func(string) string{
	func(s string) string { return s },
	func(s string) string { return "WITH x AS (" + s + ") SELECT 1" },
	func(s string) string { return "EXPLAIN ANALYZE " + s },
	func(s string) string { return "EXPLAIN " + s },
	func(s string) string { return "PREPARE fz AS " + s + "; EXECUTE fz; DEALLOCATE fz" },
	func(s string) string { return "DO $fz$BEGIN EXECUTE " + quoteLit(s) + "; END$fz$" },
	func(s string) string { return "DO $fz$BEGIN PERFORM (" + s + "); END$fz$" },
	func(s string) string { return "SELECT query_to_xml(" + quoteLit(s) + ", true, false, '')" },
	func(s string) string { return "/* " + s + " */ " + s + " -- ;" },
	func(s string) string { return "SELECT (" + s + ")" },
	// Planning an EXECUTE evaluates its arguments, EXPLAIN or not (a
	// SELECT's expression, as a subquery may not be one).
	func(s string) string {
		return "PREPARE fx(text) AS SELECT $1; EXPLAIN EXECUTE fx((" + strings.TrimPrefix(s, "SELECT ") + ")::text); DEALLOCATE fx"
	},
	func(s string) string {
		return "PREPARE fx(text) AS SELECT $1; EXPLAIN CREATE TEMP TABLE fy AS EXECUTE fx((" + strings.TrimPrefix(s, "SELECT ") + ")::text); DEALLOCATE fx"
	},
}

func quoteLit(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// effectText builds statements from picks (wrapper, statement pairs) and
// extra, free text.
func effectText(picks []byte, extra string) string {
	var parts []string
	for i := 0; i+1 < len(picks) && len(parts) < 3; i += 2 {
		w := effectWrappers[int(picks[i])%len(effectWrappers)]
		parts = append(parts, w(effectStatements[int(picks[i+1])%len(effectStatements)]))
	}
	if extra != "" {
		parts = append(parts, extra)
	}
	return strings.Join(parts, "; ")
}

// FuzzVerdictMatchesEffect runs random combinations of dangerous fragments
// and settings through the gateway, in production where only reads run
// unapproved, and fails when the verdict and the server's effect disagree:
// the database's state changed, or the session's pinned settings did. Each
// text the classifier calls a read is also run directly, on a copy of the
// database, and must change nothing there either.
func FuzzVerdictMatchesEffect(f *testing.F) {
	for _, seed := range []struct {
		picks []byte
		extra string
	}{
		{nil, "SELECT 1"},
		{[]byte{0, 13, 0, 28}, ""},
		{[]byte{0, 14, 0, 29}, ""},
		{[]byte{1, 2}, ""},
		{[]byte{7, 7}, ""},
		{[]byte{5, 10}, ""},
		{[]byte{6, 3, 9, 12}, ""},
		{[]byte{0, 31, 0, 34, 0, 12}, ""},
		{[]byte{4, 15, 0, 10}, ""},
		{[]byte{2, 23}, ""},
		{nil, "SELECT set_config($$standard_conforming_strings$$, 'off', false)"},
		{nil, "SELECT query_to_xml(U&'DELETE FROM bookings', true, false, '')"},
		{nil, "SET standard_conforming_strings = on; SELECT 'a\\' AS x, $$'; DROP TABLE bookings; --$$"},
	} {
		f.Add(seed.picks, seed.extra)
	}
	e, tmpl := effectSetup(f)
	f.Fuzz(func(t *testing.T, picks []byte, extra string) {
		text := effectText(picks, extra)
		if text == "" || strings.ContainsRune(text, 0) || len(text) > 4000 {
			return
		}
		// Go's fuzzer waits forever for an input that never returns: one
		// that hangs must fail, so that it is saved and seen.
		fuzzbound.Run(t, 60*time.Second, func() { verdictMatchesEffect(t, e, tmpl, text) })
	})
}

// Every fragment in every wrapper, each once: the fuzzer mixes them at
// random and may take long to try one pair on its own.
func TestVerdictMatchesEffectForEveryWrapping(t *testing.T) {
	e, tmpl := effectSetup(t)
	for wi, w := range effectWrappers {
		for si, st := range effectStatements {
			t.Run(fmt.Sprintf("w%d/s%d", wi, si), func(t *testing.T) {
				fuzzbound.Run(t, 60*time.Second, func() { verdictMatchesEffect(t, e, tmpl, w(st)) })
			})
		}
	}
}

// effectSetup gives the effect tests their gateway, with a sequence, a
// large object and a function that deletes in production, and a template
// holding the same objects for the copies reads are run on directly.
func effectSetup(t testing.TB) (*env, string) {
	e := setup(t)
	seedSQL := `CREATE SEQUENCE s; SELECT lo_create(4243);
		CREATE FUNCTION public.wipe() RETURNS void LANGUAGE sql AS 'DELETE FROM bookings'`
	e.pg.Exec(t, e.prodDB, seedSQL)
	tmpl := e.pg.CreateDB(t)
	e.pg.Exec(t, tmpl, "CREATE TABLE bookings (id int PRIMARY KEY, note text); INSERT INTO bookings SELECT g, 'n' || g FROM generate_series(1, 100) g")
	e.pg.Exec(t, tmpl, seedSQL)
	return e, tmpl
}

func verdictMatchesEffect(t *testing.T, e *env, tmpl, text string) {
	{
		before := dbState(t, e, e.prodDB)
		s := e.raw(t, e.prodToken)
		codes, _ := s.send(&pgproto3.Query{String: text})
		dead := len(codes) > 0 && codes[len(codes)-1] == "08P01"
		if !dead {
			s.send(&pgproto3.Query{String: "ROLLBACK"})
			for _, q := range []string{"SHOW client_encoding", "SHOW standard_conforming_strings", "SHOW session_replication_role"} {
				_, got := s.send(&pgproto3.Query{String: q})
				v := ""
				for _, m := range got {
					if d, ok := m.(*pgproto3.DataRow); ok && len(d.Values) == 1 {
						v = string(d.Values[0])
					}
				}
				if v != "UTF8" && v != "on" && v != "origin" {
					t.Fatalf("%q (codes %v): %s is now %q", text, codes, q, v)
				}
			}
		}
		if after := dbState(t, e, e.prodDB); after != before {
			t.Fatalf("%q (codes %v) changed the database", text, codes)
		}
		if sql.Classify(text).Class() != action.ClassRead {
			return
		}
		// A read must not change anything when run directly either.
		copyDB := "fz_" + localpg.RandomHex(6)
		e.pg.Exec(t, "postgres", "CREATE DATABASE "+copyDB+" TEMPLATE "+tmpl)
		defer e.pg.Exec(t, "postgres", "DROP DATABASE "+copyDB+" WITH (FORCE)")
		want := dbState(t, e, copyDB)
		cctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		c, err := pgx.Connect(cctx, e.pg.DSN(copyDB))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(cctx)
		c.PgConn().Exec(cctx, text).ReadAll()
		c.PgConn().Exec(cctx, "ROLLBACK").ReadAll()
		if got := dbStateOn(t, cctx, c); got != want {
			t.Fatalf("%q is classified a read, and run directly it changed the database", text)
		}
	}
}
