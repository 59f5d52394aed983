package pg

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/classify/sql"
	"github.com/chaperone/chaperone/internal/pgtest"
)

// A type change is judged against the real catalog: widening is a write,
// anything else (or anything uncertain) stays destructive.
func TestColumnTypesJudgeTypeChangesAgainstTheCatalog(t *testing.T) {
	pg := pgtest.Shared(t)
	db := pg.CreateDB(t)
	pg.Exec(t, db, `CREATE TABLE bookings (id int, note varchar(50), price numeric(10,2), code char(4));
		CREATE SCHEMA other; CREATE TABLE other.bookings (id int, note varchar(500));
		CREATE TABLE items (label varchar(20));
		CREATE TABLE "Mixed Case" ("Col" smallint)`)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	judge := func(text string) (sql.Result, []string) {
		t.Helper()
		r := sql.Classify(text)
		cur, err := ColumnTypes(ctx, pg.DSN(db), r.TypeChanges, 0)
		if err != nil {
			t.Fatal(err)
		}
		return sql.Refine(r, cur), cur
	}
	for _, c := range []struct {
		text    string
		current []string
		class   action.Class
	}{
		{`ALTER TABLE public.bookings ALTER COLUMN note TYPE varchar(255)`, []string{"character varying(50)"}, action.ClassWrite},
		{`ALTER TABLE public.bookings ALTER note TYPE varchar(20)`, []string{"character varying(50)"}, action.ClassDestructive},
		{`ALTER TABLE public.bookings ALTER price TYPE numeric(12,2), ALTER id TYPE bigint`, []string{"numeric(10,2)", "integer"}, action.ClassWrite},
		{`ALTER TABLE public.bookings ALTER price TYPE numeric(10,1)`, []string{"numeric(10,2)"}, action.ClassDestructive},
		{`ALTER TABLE public.bookings ALTER code TYPE char(4)`, []string{"character(4)"}, action.ClassWrite},
		{`ALTER TABLE items ALTER label TYPE text`, []string{"character varying(20)"}, action.ClassWrite},
		{`ALTER TABLE items ALTER label TYPE varchar(20) USING "label"::varchar(20)`, []string{"character varying(20)"}, action.ClassWrite},
		{`ALTER TABLE "Mixed Case" ALTER "Col" TYPE integer`, []string{"smallint"}, action.ClassWrite},
		// Unqualified, and two tables could be meant: their types differ.
		{`ALTER TABLE bookings ALTER note TYPE varchar(255)`, []string{""}, action.ClassDestructive},
		// Unqualified, and only one of the two has the column.
		{`ALTER TABLE bookings ALTER price TYPE numeric(12,2)`, []string{""}, action.ClassDestructive},
		{`ALTER TABLE nowhere ALTER x TYPE bigint`, []string{""}, action.ClassDestructive},
		{`ALTER TABLE public.bookings ALTER nothing TYPE bigint`, []string{""}, action.ClassDestructive},
	} {
		got, cur := judge(c.text)
		if !slices.Equal(cur, c.current) || got.Class() != c.class {
			t.Errorf("%s: current %q, class %s; want %q, %s", c.text, cur, got.Class(), c.current, c.class)
		}
	}

	// A type named without a schema is found in the session's pg_temp
	// first: once any type of that name exists outside pg_catalog, the name
	// is uncertain.
	conn, err := pgx.Connect(ctx, pg.DSN(db))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE DOMAIN pg_temp.text AS varchar(2)`); err != nil {
		t.Fatal(err)
	}
	if got, cur := judge(`ALTER TABLE items ALTER label TYPE text`); got.Class() != action.ClassDestructive || cur[0] != "" {
		t.Errorf("a shadowed text: current %q, class %s", cur, got.Class())
	}
	if got, _ := judge(`ALTER TABLE items ALTER label TYPE pg_catalog.text`); got.Class() != action.ClassWrite {
		t.Errorf("pg_catalog.text: class %s", got.Class())
	}

	// The lookup reads the catalog only: a session holding the table's
	// strongest lock does not hold it up. Another session's lock makes the
	// answer uncertain (it may be changing the column); the session's own
	// does not.
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `LOCK TABLE public.bookings IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	quick, cancelQuick := context.WithTimeout(ctx, 5*time.Second)
	defer cancelQuick()
	r := sql.Classify(`ALTER TABLE public.bookings ALTER note TYPE varchar(80)`)
	if cur, err := ColumnTypes(quick, pg.DSN(db), r.TypeChanges, 0); err != nil || cur[0] != "" {
		t.Fatalf("lookup beside another session's lock: %q %v", cur, err)
	}
	if cur, err := ColumnTypes(quick, pg.DSN(db), r.TypeChanges, conn.PgConn().PID()); err != nil || cur[0] != "character varying(50)" {
		t.Fatalf("lookup beside the session's own lock: %q %v", cur, err)
	}
}

// Through the gateway a type change is judged by the column's real type: a
// widening runs in staging without a human; a narrowing waits for one; and
// a column whose type the open transaction already changed, which
// Chaperone's own view of the catalog cannot see, waits too.
func TestTypeChangesAreJudgedAgainstTheCatalog(t *testing.T) {
	e := setup(t)
	e.pg.Exec(t, e.stageDB, "ALTER TABLE bookings ADD COLUMN code varchar(10)")
	c := e.connect(t, e.stageToken, "app-staging")
	if _, err := c.Exec(ctx, "ALTER TABLE bookings ALTER COLUMN code TYPE varchar(40)"); err != nil {
		t.Fatalf("a widening: %v", err)
	}
	_, err := c.Exec(ctx, "ALTER TABLE bookings ALTER COLUMN code TYPE varchar(4)")
	pgErr(t, err, CodeHeld)
	tx, err := c.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	// Defaults, NOT NULL and added columns leave the other columns' types
	// as the catalog shows them.
	for _, q := range []string{"ALTER TABLE bookings ADD COLUMN code2 varchar(10)", "ALTER TABLE bookings ALTER COLUMN code SET DEFAULT 'x'",
		"ALTER TABLE bookings ALTER COLUMN code TYPE text"} {
		if _, err := tx.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	// code is text now, in this transaction only: varchar(100) would cut it,
	// though the committed catalog says varchar(40).
	_, err = tx.Exec(ctx, "ALTER TABLE bookings ALTER COLUMN code TYPE varchar(100)")
	pgErr(t, err, CodeHeld)
}

// Another session's ALTER, not yet committed, decides the type this change
// meets once it gets the lock: such a change waits for a human, and the
// value the other session wrote survives.
func TestTypeChangesWaitWhileAnotherSessionAltersTheTable(t *testing.T) {
	e := setup(t)
	e.pg.Exec(t, e.stageDB, "CREATE TABLE n (id int PRIMARY KEY, a numeric(12,2)); INSERT INTO n VALUES (1, 1)")
	other, err := pgx.Connect(ctx, e.pg.DSN(e.stageDB))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close(ctx)
	tx, err := other.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	for _, q := range []string{"ALTER TABLE n ALTER a TYPE numeric(20,6)", "UPDATE n SET a = 1.234567 WHERE id = 1"} {
		if _, err := tx.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	c := e.connect(t, e.stageToken, "app-staging")
	// numeric(12,2) -> numeric(14,2) widens what is committed; it would
	// round what the open transaction wrote.
	// Let through, it would wait behind the other session's lock: a bound
	// turns that into a failure here.
	bounded, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	_, err = c.Exec(bounded, "ALTER TABLE n ALTER a TYPE numeric(14,2)")
	pgErr(t, err, CodeHeld)
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	var a string
	if err := other.QueryRow(ctx, "SELECT a::text FROM n WHERE id = 1").Scan(&a); err != nil || a != "1.234567" {
		t.Fatalf("a = %q, %v", a, err)
	}
}
