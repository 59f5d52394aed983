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
		cur, err := ColumnTypes(ctx, pg.DSN(db), r.TypeChanges)
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
	// strongest lock does not hold it up.
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
	if cur, err := ColumnTypes(quick, pg.DSN(db), r.TypeChanges); err != nil || cur[0] != "character varying(50)" {
		t.Fatalf("lookup beside a lock: %q %v", cur, err)
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
