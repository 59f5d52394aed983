package pg

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// A token opens at most its share of sessions, and an upstream takes at
// most its own limit across tokens; a refused agent is told why (53300),
// and a closed session gives its slot back.
func TestConnectionLimitsPerTokenAndUpstream(t *testing.T) {
	e := setup(t)
	e.gw.MaxConnectionsPerToken = 2
	var open []*pgx.Conn
	for range 2 {
		open = append(open, e.connect(t, e.prodToken, "app-prod"))
	}
	_, err := pgx.Connect(ctx, e.dsn(e.prodToken, "app-prod"))
	if pe := pgErr(t, err, "53300"); !strings.Contains(pe.Message, "max_connections_per_token") {
		t.Fatalf("per token: %q", pe.Message)
	}
	// Another token still gets in.
	e.connect(t, e.prodToken2, "app-prod")
	open[0].Close(ctx)
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := pgx.Connect(ctx, e.dsn(e.prodToken, "app-prod"))
		if err == nil {
			c.Close(ctx)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the slot was not given back: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}

	// Per upstream, all tokens together.
	e2 := setup(t)
	ups := map[string]Upstream{"app-prod": {Name: "app-prod", Env: "production", DSN: e2.pg.DSN(e2.prodDB), MaxConnections: 2}}
	e2.gw.Upstream = func(n string) (Upstream, bool) { u, ok := ups[n]; return u, ok }
	e2.connect(t, e2.prodToken, "app-prod")
	e2.connect(t, e2.prodToken2, "app-prod")
	_, err = pgx.Connect(ctx, e2.dsn(e2.readToken, "app-prod"))
	if pe := pgErr(t, err, "53300"); !strings.Contains(pe.Message, "upstream app-prod") {
		t.Fatalf("per upstream: %q", pe.Message)
	}
}

// Before a token is proven nothing says whether an upstream exists, and a
// token typed where a name goes is never echoed back.
func TestUpstreamNamesAreNotRevealedBeforeAuthenticationNorTokensEchoed(t *testing.T) {
	e := setup(t)
	cfg, err := pgconn.ParseConfig(e.dsn("chp_not-a-real-token", "nope"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = pgconn.ConnectConfig(ctx, cfg)
	pgErr(t, err, "28P01") // the same answer as for an upstream that exists
	_, err = pgconn.Connect(ctx, e.dsn("chp_not-a-real-token", "app-prod"))
	pgErr(t, err, "28P01")
	// A real token in the database field, with a real token as password.
	_, err = pgx.Connect(ctx, e.dsn(e.prodToken, e.stageToken))
	pe := pgErr(t, err, "3D000")
	if strings.Contains(pe.Message, e.stageToken) || strings.Contains(pe.Message, e.stageToken[4:]) {
		t.Fatalf("a token was echoed: %q", pe.Message)
	}
}

// A staging token on a server shared with production cannot act on the
// server as a whole: databases, roles, the configuration, other backends,
// replication slots. Each is held (or denied) whatever the environment,
// and nothing changes.
func TestStagingTokenCannotActClusterWide(t *testing.T) {
	e := setup(t)
	prod := e.connect(t, e.prodToken, "app-prod")
	var prodPID int
	if err := prod.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&prodPID); err != nil {
		t.Fatal(err)
	}
	c := e.connect(t, e.stageToken, "app-staging")
	for _, q := range []string{
		"ALTER SYSTEM SET work_mem = '8MB'",
		"SELECT pg_reload_conf()",
		"SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE datname <> current_database()",
		"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname <> current_database()",
		"SELECT pg_cancel_backend(" + itoa(prodPID) + ")",
		"SELECT pg_create_physical_replication_slot('chaperone_staging')",
		"SELECT pg_create_logical_replication_slot('chaperone_staging', 'test_decoding')",
		"CREATE DATABASE chaperone_staging_made", "DROP DATABASE " + e.prodDB,
		"ALTER DATABASE " + e.prodDB + " SET work_mem = '1MB'", "ALTER DATABASE " + e.prodDB + " CONNECTION LIMIT 0",
		"ALTER ROLE postgres CONNECTION LIMIT 0", "ALTER ROLE CURRENT_USER SET search_path = x",
		"ALTER ROLE ALL SET statement_timeout = 1", "CREATE ROLE chaperone_staging_role",
		"GRANT pg_signal_backend TO CURRENT_USER", "CREATE TABLESPACE t LOCATION '/tmp'", "CHECKPOINT",
	} {
		for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeExec} {
			_, err := c.Exec(ctx, q, mode)
			var pe *pgconn.PgError
			if !errors.As(err, &pe) || (pe.Code != CodeHeld && pe.Code != CodeDenied) {
				t.Fatalf("%q (%v): %v", q, mode, err)
			}
		}
	}
	var n int
	if err := prod.QueryRow(ctx, "SELECT count(*) FROM bookings").Scan(&n); err != nil || n != 100 {
		t.Fatalf("the production session: %d %v", n, err)
	}
	e.pg.Exec(t, "postgres", "DO $$ BEGIN IF EXISTS (SELECT FROM pg_replication_slots WHERE slot_name = 'chaperone_staging') THEN RAISE 'a slot was made'; END IF; "+
		"IF EXISTS (SELECT FROM pg_database WHERE datname = 'chaperone_staging_made') THEN RAISE 'a database was made'; END IF; "+
		"IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'chaperone_staging_role') THEN RAISE 'a role was made'; END IF; END $$")
}

func itoa(n int) string {
	return strconv.Itoa(n)
}
