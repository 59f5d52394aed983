package pg

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
)

// A schema named like a role hides public's tables from that role's
// sessions; a sequence set back, a large object overwritten and a
// generation expression dropped lose what they held. Each waits for a
// human, and other schemas and forward catch-ups run.
func TestShadowingSchemasAndQuietOverwritesAreHeld(t *testing.T) {
	e := setup(t)
	e.pg.Exec(t, e.stageDB, `CREATE ROLE app_reader; CREATE SEQUENCE s START 1000; SELECT nextval('s');
		SELECT lo_from_bytea(4244, 'important'); CREATE TABLE gen (a int, b int GENERATED ALWAYS AS (a * 2) STORED)`)
	roleSchema := func() (n int) {
		onDB(t, e, e.stageDB, func(ctx context.Context, c *pgx.Conn) {
			if err := c.QueryRow(ctx, "SELECT count(*) FROM pg_namespace WHERE nspname IN ('app_reader', current_user)").Scan(&n); err != nil {
				t.Fatal(err)
			}
		})
		return n
	}
	before, facts := dbState(t, e, e.stageDB), schemaFacts(t, e, e.stageDB)
	s := e.rawTo(t, e.stageToken, "app-staging")
	for _, q := range []string{
		"CREATE SCHEMA app_reader",
		"CREATE SCHEMA IF NOT EXISTS app_reader",
		"CREATE SCHEMA AUTHORIZATION app_reader",
		"CREATE SCHEMA AUTHORIZATION CURRENT_USER",
		"SELECT setval('s', 1)",
		"SELECT pg_catalog.setval('s'::regclass, 1, false)",
		"SELECT lo_put(4244, 0, '\\x0000')",
		"ALTER TABLE gen ALTER COLUMN b DROP EXPRESSION",
	} {
		refusedBoth(t, s, q)
	}
	if n := roleSchema(); n != 0 {
		t.Fatalf("%d schemas named like a role were created", n)
	}
	if after := dbState(t, e, e.stageDB); after != before {
		t.Fatal("a held statement changed the database")
	}
	if after := schemaFacts(t, e, e.stageDB); after != facts {
		t.Fatalf("a held statement changed the database:\n%s\n%s", facts, after)
	}
	for _, q := range []string{
		"CREATE SCHEMA analytics",
		"SELECT setval('s', (SELECT coalesce(max(id), 1) FROM bookings) + 1000)",
	} {
		ran(t, s, q)
	}
}
