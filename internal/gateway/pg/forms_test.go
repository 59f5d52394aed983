package pg

import (
	"errors"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/chaperone/chaperone/internal/backup"
	"github.com/chaperone/chaperone/internal/store"
)

// fingerprint is everything the destructive forms could change, read over a
// direct connection.
func fingerprint(t *testing.T, e *env, db string) string {
	t.Helper()
	c, err := pgx.Connect(ctx, e.pg.DSN(db))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var out string
	err = c.QueryRow(ctx, `SELECT
		(SELECT count(*) || ':' || sum(id) || ':' || string_agg(note, ',' ORDER BY id) FROM bookings) || '|' ||
		(SELECT string_agg(column_name || ' ' || data_type, ',' ORDER BY column_name) FROM information_schema.columns WHERE table_name = 'bookings') || '|' ||
		(SELECT count(*) FROM pg_namespace WHERE nspname = 'app') || '|' ||
		(SELECT count(*) FROM pg_roles WHERE rolname = 'app_ro') || '|' ||
		(SELECT count(*) FROM pg_largeobject_metadata) || '|' ||
		has_table_privilege('app_ro', 'bookings', 'SELECT')`).Scan(&out)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Every destructive form is held (or denied), in both protocols, and nothing
// of it runs.
func TestEveryDestructiveFormIsHeldAndTheDataStays(t *testing.T) {
	e := setup(t)
	e.pg.Exec(t, "postgres", "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'app_ro') THEN CREATE ROLE app_ro; END IF; END $$")
	e.pg.Exec(t, e.prodDB, "CREATE SCHEMA app; CREATE TABLE app.t (id int); GRANT SELECT ON bookings TO app_ro; SELECT lo_create(4242)")
	before := fingerprint(t, e, e.prodDB)
	forms := []string{
		"DROP TABLE bookings", "DROP TABLE IF EXISTS bookings CASCADE", "DROP SCHEMA app CASCADE",
		"TRUNCATE bookings", "DELETE FROM bookings", "DELETE FROM bookings WHERE 1 = 1", "UPDATE bookings SET note = 'x'",
		"UPDATE bookings SET note = 'x' WHERE true OR id = 1", "ALTER TABLE bookings DROP COLUMN note",
		"ALTER TABLE bookings ALTER COLUMN note TYPE int USING 0", "ALTER TABLE bookings RENAME TO gone",
		"ALTER TABLE bookings RENAME COLUMN note TO n", "REVOKE SELECT ON bookings FROM app_ro", "DROP ROLE app_ro",
		"DROP DATABASE " + e.stageDB, "WITH d AS (DELETE FROM bookings RETURNING 1) SELECT count(*) FROM d",
		"DO $$ BEGIN DELETE FROM bookings; END $$", "DO $$ BEGIN EXECUTE 'TRUNCATE ' || 'bookings'; END $$",
		"CREATE FUNCTION wipe() RETURNS void LANGUAGE sql AS 'DELETE FROM bookings'",
		"PREPARE wipe AS DELETE FROM bookings; EXECUTE wipe", "COPY bookings TO PROGRAM 'true'",
		"SELECT lo_unlink(4242)", "SET session_replication_role = replica",
		"SELECT set_config('session_replication_role', 'replica', false)",
		"EXPLAIN ANALYZE DELETE FROM bookings", "SELECT 1; DROP TABLE bookings",
	}
	c := e.connect(t, e.prodToken, "app-prod")
	for _, sql := range forms {
		for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeExec} {
			if mode == pgx.QueryExecModeExec && strings.Contains(sql, "; ") {
				continue // the extended protocol takes one statement
			}
			_, err := c.Exec(ctx, sql, mode)
			var pe *pgconn.PgError
			if !errors.As(err, &pe) || (pe.Code != CodeHeld && pe.Code != CodeDenied) {
				t.Fatalf("%q (%v): %v", sql, mode, err)
			}
		}
	}
	if after := fingerprint(t, e, e.prodDB); after != before {
		t.Fatalf("held statements changed the data:\nbefore %s\nafter  %s", before, after)
	}
}

func TestApprovedDestructionDoesNotRunWhenTheStepBeforeItFails(t *testing.T) {
	e := setup(t)
	opened := 0
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	e.gw.Backups = &backup.Before{Recipient: id.Recipient().String(), Open: func() (backup.Store, error) {
		opened++
		return nil, errors.New("backup store unreachable")
	}}
	c := e.connect(t, e.prodToken, "app-prod")
	_, err = c.Exec(ctx, "TRUNCATE bookings")
	msg := pgErr(t, err, CodeHeld).Message
	req := msg[strings.Index(msg, "apr_"):][:20]
	e.approvals.Approve(ctx, req, "alice", "")
	_, err = c.Exec(ctx, "TRUNCATE bookings")
	if pe := pgErr(t, err, CodeHookFailed); !strings.Contains(pe.Message, "backup store unreachable") {
		t.Fatalf("snapshot failure: %+v", pe)
	}
	if opened != 1 || e.pg.Count(t, e.prodDB, "bookings") != 100 {
		t.Fatalf("store opened %d times, rows %d", opened, e.pg.Count(t, e.prodDB, "bookings"))
	}
	// The approval stays valid: once the snapshot can be taken, the
	// statement runs, after it.
	e.gw.Backups.Open = func() (backup.Store, error) { return &backup.Local{Dir: dir}, nil }
	if _, err := c.Exec(ctx, "TRUNCATE bookings"); err != nil {
		t.Fatal(err)
	}
	if n := e.pg.Count(t, e.prodDB, "bookings"); n != 0 {
		t.Fatalf("rows %d", n)
	}
	var a store.Approval
	e.approvals.Store.View(ctx, func(tx store.Tx) error { a, err = tx.ApprovalByID(req); return err })
	if a.Snapshot == "" {
		t.Fatalf("the approval names no snapshot: %+v", a)
	}
	ms, err := backup.Manifests(ctx, &backup.Local{Dir: dir}, "app-prod")
	if err != nil || len(ms) != 1 || ms[0].ID != a.Snapshot || len(ms[0].Tables) != 1 || ms[0].Tables[0].Rows != 100 {
		t.Fatalf("snapshots %+v, %v", ms, err)
	}
}

func TestApprovedDestructionWithoutARecipientIsRefused(t *testing.T) {
	e := setup(t)
	e.gw.Backups = &backup.Before{Open: func() (backup.Store, error) { return &backup.Local{Dir: t.TempDir()}, nil }}
	c := e.connect(t, e.prodToken, "app-prod")
	_, err := c.Exec(ctx, "TRUNCATE bookings")
	msg := pgErr(t, err, CodeHeld).Message
	e.approvals.Approve(ctx, msg[strings.Index(msg, "apr_"):][:20], "alice", "")
	_, err = c.Exec(ctx, "TRUNCATE bookings")
	if pe := pgErr(t, err, CodeHookFailed); !strings.Contains(pe.Message, "backup.recipient is not set") {
		t.Fatalf("no recipient: %+v", pe)
	}
	if n := e.pg.Count(t, e.prodDB, "bookings"); n != 100 {
		t.Fatalf("rows %d", n)
	}
}
