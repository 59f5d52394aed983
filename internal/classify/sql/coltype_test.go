package sql

import (
	"slices"
	"testing"

	"github.com/chaperone/chaperone/internal/action"
)

func TestTypeChangesAreRecordedAsFormatTypeSpellsThem(t *testing.T) {
	cases := []struct {
		sql  string
		want TypeChange
	}{
		{`ALTER TABLE auth_permission ALTER COLUMN name TYPE varchar(255)`, TypeChange{Table: "auth_permission", Column: "name", Type: "character varying(255)"}},
		// Django's spelling: the USING is the cast ALTER TYPE makes anyway.
		{`ALTER TABLE "auth_user" ALTER COLUMN "email" TYPE varchar(254) USING "email"::varchar(254)`, TypeChange{Table: "auth_user", Column: "email", Type: "character varying(254)"}},
		// knex's.
		{`alter table "users" alter column "bio" type text using ("bio"::text)`, TypeChange{Table: "users", Column: "bio", Type: "text", Bare: true}},
		{`ALTER TABLE s.t ALTER price SET DATA TYPE numeric(12)`, TypeChange{Schema: "s", Table: "t", Column: "price", Type: "numeric(12,0)"}},
		{`ALTER TABLE t ALTER n TYPE bigint, ALTER m TYPE int`, TypeChange{Table: "t", Column: "n", Type: "bigint"}},
		{`ALTER TABLE t ALTER c TYPE character varying`, TypeChange{Table: "t", Column: "c", Type: "character varying"}},
		{`ALTER TABLE t ALTER c TYPE pg_catalog.text[]`, TypeChange{Table: "t", Column: "c", Type: "text[]"}},
		{`ALTER TABLE t ALTER c TYPE char`, TypeChange{Table: "t", Column: "c", Type: "character(1)"}},
		{`ALTER TABLE t ALTER c TYPE varchar(20) USING left(c, 20)`, TypeChange{Table: "t", Column: "c", Type: "character varying(20)", Using: true}},
		{`ALTER TABLE t ALTER c TYPE varchar(20) USING c::varchar(10)`, TypeChange{Table: "t", Column: "c", Type: "character varying(20)", Using: true}},
		{`ALTER TABLE t ALTER c TYPE text COLLATE "C"`, TypeChange{Table: "t", Column: "c", Type: "text", Bare: true, Collate: true}},
		{`ALTER TABLE t ALTER c TYPE citext`, TypeChange{Table: "t", Column: "c"}},
		{`ALTER TABLE t ALTER c TYPE public.text`, TypeChange{Table: "t", Column: "c"}},
		{`ALTER TABLE t ALTER c TYPE timestamp(3)`, TypeChange{Table: "t", Column: "c"}},
	}
	for _, c := range cases {
		r := Classify(c.sql)
		if len(r.TypeChanges) == 0 || r.Class() != action.ClassDestructive || !slices.Contains(ids(r), "sql.alter-type") || !r.Literals {
			t.Errorf("%s: %+v", c.sql, r)
			continue
		}
		got := r.TypeChanges[0]
		got.message, got.typname = "", ""
		if got != c.want {
			t.Errorf("%s:\n got %+v\nwant %+v", c.sql, got, c.want)
		}
	}
}

func TestWidens(t *testing.T) {
	change := func(sql string) TypeChange {
		r := Classify("ALTER TABLE t ALTER c TYPE " + sql)
		if len(r.TypeChanges) != 1 {
			t.Fatalf("%s: %+v", sql, r)
		}
		return r.TypeChanges[0]
	}
	widens := []struct{ from, to string }{
		{"character varying(50)", "varchar(255)"},
		{"character varying(50)", "varchar(50)"},
		{"character varying(50)", "varchar"},
		{"character varying(50)", "text"},
		{"character varying", "text"},
		{"text", "varchar"},
		{"text", "text"},
		{"numeric(10,2)", "numeric(12,2)"},
		{"numeric(10,2)", "numeric(12,4)"},
		{"numeric(10,2)", "numeric"},
		{"numeric", "numeric"},
		{"smallint", "int"},
		{"smallint", "int8"},
		{"integer", "bigint"},
		{"bigint", "bigint"},
		{"boolean", "bool"},
		{"timestamp with time zone", "timestamptz"},
		{"character varying(50)[]", "varchar(100)[]"},
		{"character(10)", "char(10)"},
		{"character varying(50)", "varchar(255) USING c::varchar(255)"},
		{"text", "text USING (c::text)"},
	}
	for _, w := range widens {
		if !Widens(w.from, change(w.to)) {
			t.Errorf("%s -> %s is widening", w.from, w.to)
		}
	}
	loses := []struct{ from, to string }{
		{"character varying(255)", "varchar(50)"},
		{"text", "varchar(255)"},
		{"character varying", "varchar(10)"},
		{"numeric(12,2)", "numeric(10,2)"},
		{"numeric(10,4)", "numeric(10,2)"},
		{"numeric(10,2)", "numeric(11,4)"}, // one integer digit fewer
		{"numeric", "numeric(30,10)"},
		{"bigint", "int"},
		{"integer", "smallint"},
		{"integer", "text"},
		{"integer", "numeric"},
		{"text", "integer"},
		{"double precision", "real"},
		{"real", "double precision"},
		{"timestamp without time zone", "timestamptz"},
		{"character(10)", "varchar(10)"}, // trailing blanks go
		{"character(10)", "char(20)"},
		{"character varying(50)", "varchar(255) USING c::varchar(20)"},
		{"character varying(50)", "varchar(255) USING upper(c)"},
		{"character varying(50)", "text COLLATE \"C\""},
		{"character varying(50)", "varchar(100)[]"},
		{"public.mytype", "text"},
		{"", "text"},
		{"citext", "citext"},
	}
	for _, l := range loses {
		if Widens(l.from, change(l.to)) {
			t.Errorf("%s -> %s can lose data, but was judged widening", l.from, l.to)
		}
	}
}

func TestRefineJudgesTypeChangesByEffect(t *testing.T) {
	r := Classify(`ALTER TABLE bookings ALTER COLUMN note TYPE varchar(255), ALTER COLUMN id TYPE bigint`)
	if r.Class() != action.ClassDestructive || len(r.TypeChanges) != 2 {
		t.Fatalf("%+v", r)
	}
	// Both widen: a write, and nothing left to snapshot.
	got := Refine(r, []string{"character varying(100)", "integer"})
	if got.Class() != action.ClassWrite || len(got.Targets) != 0 || !slices.Contains(ids(got), "sql.ddl") {
		t.Fatalf("widening: %+v", got)
	}
	// The cached result is not touched.
	if r.Class() != action.ClassDestructive || len(r.Targets) != 2 {
		t.Fatalf("Refine changed its argument: %+v", r)
	}
	// One narrows: destructive, and the narrowed column is still a target.
	got = Refine(r, []string{"character varying(300)", "integer"})
	if got.Class() != action.ClassDestructive || !slices.Equal(got.Targets, []string{"bookings.note"}) {
		t.Fatalf("narrowing: %+v", got)
	}
	// Unknown current types (the lookup found nothing, or more than one
	// table could be meant) change nothing.
	if got := Refine(r, []string{"", ""}); got.Class() != action.ClassDestructive {
		t.Fatalf("unknown: %+v", got)
	}
	if got := Refine(r, nil); got.Class() != action.ClassDestructive {
		t.Fatalf("no lookup: %+v", got)
	}
	// Another destructive finding in the text keeps it destructive.
	r = Classify(`ALTER TABLE bookings ALTER COLUMN note TYPE text, DROP COLUMN legacy`)
	got = Refine(r, []string{"character varying(10)"})
	if got.Class() != action.ClassDestructive || !slices.Equal(got.Targets, []string{"bookings.legacy"}) {
		t.Fatalf("with a DROP COLUMN: %+v", got)
	}
}

// The catalog Refine is given is the one before the text runs: a text that
// could change what a column is before its type change runs is not refined.
func TestTypeChangesNotJudgeableFromTheCatalogStayDestructive(t *testing.T) {
	for _, s := range []string{
		`ALTER TABLE t ALTER c TYPE numeric(20,4); ALTER TABLE t ALTER c TYPE numeric(10,2)`,
		`ALTER TABLE t ALTER c TYPE numeric(20,4), ALTER c TYPE numeric(10,2)`,
		`ALTER TABLE t DROP COLUMN c, ADD COLUMN c varchar(2), ALTER c TYPE varchar(5)`,
		`ALTER TABLE t ADD COLUMN c numeric(20,4); ALTER TABLE s.t ALTER c TYPE numeric(30,4)`,
		`CREATE DOMAIN pg_temp.text AS varchar(2); ALTER TABLE t ALTER c TYPE text`,
		`UPDATE t SET c = 1 WHERE id = 2; ALTER TABLE t ALTER c TYPE bigint`,
		`DO $$BEGIN ALTER TABLE t ALTER c TYPE bigint; END$$`,
		`CREATE SCHEMA s CREATE TABLE t (c int)`,
	} {
		r := Classify(s)
		if len(r.TypeChanges) != 0 {
			t.Errorf("%s: type changes %+v, want none to judge", s, r.TypeChanges)
		}
		if got := Refine(r, make([]string, len(r.TypeChanges))); got.Class() != r.Class() {
			t.Errorf("%s refined", s)
		}
	}
	// Several columns, each changed once, in several ALTER TABLEs: judgeable.
	r := Classify(`ALTER TABLE a ALTER x TYPE bigint; ALTER TABLE b ALTER x TYPE bigint, ADD COLUMN y int`)
	if len(r.TypeChanges) != 2 {
		t.Fatalf("%+v", r)
	}
	if got := Refine(r, []string{"integer", "integer"}); got.Class() != action.ClassWrite {
		t.Fatalf("%+v", got)
	}
}
