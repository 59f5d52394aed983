package sql

import (
	"strings"
	"testing"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// The scan's rewrite is the text PostgreSQL's own normaliser gives, for
// texts with literals, parameters, both or neither.
func TestNormalizeMatchesPostgres(t *testing.T) {
	for _, text := range []string{
		"SELECT abalance FROM pgbench_accounts WHERE aid = 12345",
		"SELECT abalance FROM pgbench_accounts WHERE aid = $1",
		"UPDATE t SET a = 'secret', b = 2.5 WHERE id = $2 AND c = $1",
		"INSERT INTO t (a, b) VALUES ($1, 'x'), ($3, 42)",
		"SELECT 1",
		"SELECT * FROM t",
		"SELECT $12, 'a', 3",
	} {
		got, ok := Normalize(text)
		want, err := pg_query.Normalize(text)
		if !ok || err != nil || got != want {
			t.Errorf("Normalize(%q) = %q, %v; PostgreSQL's normaliser gives %q (%v)", text, got, ok, want, err)
		}
	}
}

// Whatever the scan does not understand goes to PostgreSQL's normaliser,
// and no literal survives either way.
func TestNormalizeKeepsNoLiteral(t *testing.T) {
	for _, text := range []string{
		"SELECT 'hunter2' -- a comment",
		"SELECT $$hunter2$$",
		"SELECT E'hunter2\\n'",
		"SELECT $1, 'hunter2'",
		"/* x */ SELECT 'hunter2'",
	} {
		got, ok := Normalize(text)
		if !ok || strings.Contains(got, "hunter2") {
			t.Errorf("Normalize(%q) = %q, %v", text, got, ok)
		}
	}
}
