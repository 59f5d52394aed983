package main

import (
	"context"
	"strings"
	"testing"

	"github.com/chaperone/chaperone/internal/pgtest"
	"github.com/chaperone/chaperone/internal/store"
	"github.com/chaperone/chaperone/internal/store/postgres"
)

// A SQLite state with tokens and audit entries moves whole to PostgreSQL,
// whose chain then verifies; a second copy into the now non-empty target is
// refused, and a tampered entry on the target is still named by verify.
func TestStateMigrateToPostgres(t *testing.T) {
	cfg := initDir(t, upstreams)
	for range 3 {
		if r := chaperone(t, "", "--config", cfg, "token", "create", "--env", "staging", "--upstream", "app-staging"); r.code != 0 {
			t.Fatalf("token create: %+v", r)
		}
	}
	srv := pgtest.Start(t)
	db := srv.CreateDB(t)
	dsn := srv.DSN(db)
	t.Setenv("CHP_STATE_DSN", dsn)
	r := chaperone(t, "", "--config", cfg, "state", "migrate", "--to", "${CHP_STATE_DSN}")
	if r.code != 0 || !strings.Contains(r.stdout, "tokens 3") || !strings.Contains(r.stdout, "audit chain verified on the target") {
		t.Fatalf("state migrate: %+v", r)
	}
	if r := chaperone(t, "", "--config", cfg, "state", "migrate", "--to", "${CHP_STATE_DSN}"); r.code != exitInput || !strings.Contains(r.stderr, "not empty") {
		t.Fatalf("a second migrate into the same target: %+v", r)
	}
	setInConfig(t, cfg, "  driver: sqlite\n", "  driver: postgres\n  dsn: ${CHP_STATE_DSN}\n")
	if r := chaperone(t, "", "--config", cfg, "audit", "verify"); r.code != 0 {
		t.Fatalf("verify on postgres: %+v", r)
	}
	if r := chaperone(t, "", "--config", cfg, "token", "create", "--env", "staging", "--upstream", "app-staging"); r.code != 0 {
		t.Fatalf("token create on the migrated state: %+v", r)
	}
	st, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var n int
	st.View(context.Background(), func(tx store.Tx) error { ks, err := tx.ListTokens(); n = len(ks); return err })
	if n != 4 {
		t.Fatalf("%d tokens on the target", n)
	}
	srv.Exec(t, db, `UPDATE audit SET actor = 'someone else' WHERE seq = 2`)
	if r := chaperone(t, "", "--config", cfg, "audit", "verify"); r.code == 0 || !strings.Contains(r.stdout, "entry 2 (edited)") {
		t.Fatalf("verify after tampering with entry 2: %+v", r)
	}
}
