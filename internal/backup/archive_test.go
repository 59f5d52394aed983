package backup

import (
	"bytes"
	"fmt"
	"io"
	"math/rand"
	"os/exec"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/chaperone/chaperone/internal/pgtest"
)

// hashText is PostgreSQL's hashtextextended(text, 0), for every length
// around the hash's 12-byte blocks and for multibyte text.
func TestHashTextIsPostgreSQLs(t *testing.T) {
	pg := pgtest.Shared(t)
	c := pgConn(t, pg.DSN(pg.CreateDB(t)))
	alphabet := []rune("ab\"\\(), \t\nzé€𝄞\x01")
	for n := 0; n < 80; n++ {
		var b strings.Builder
		for range n {
			b.WriteRune(alphabet[rand.Intn(len(alphabet))])
		}
		var want int64
		if err := c.QueryRow(ctx, "SELECT hashtextextended($1, 0)", b.String()).Scan(&want); err != nil {
			t.Fatal(err)
		}
		if got := hashText([]byte(b.String())); got != want {
			t.Fatalf("%q: %d, PostgreSQL says %d", b.String(), got, want)
		}
	}
}

// The counts and checksums worked out from the dump's rows are the ones
// PostgreSQL computes over the same tables, for every type's output and
// every value that record_out quotes or escapes; tables the rows cannot
// speak for (generated columns, inheritance parents, partitioned tables)
// are scanned; and a drill of the snapshot passes.
func TestChecksumsFromTheDumpMatchPostgreSQLs(t *testing.T) {
	pg := pgtest.Shared(t)
	db := pg.CreateDB(t)
	pg.Exec(t, db, `SET TimeZone = 'America/New_York';
		CREATE TYPE mood AS ENUM ('ok', 'sad face');
		CREATE TYPE pair AS (a int, b text);
		CREATE TABLE kinds (
			id int, t text, v varchar(60), c char(5), n numeric, f float8, r real, b bool, by bytea,
			ts timestamp, tz timestamptz, d date, tm time, iv interval, j json, jb jsonb, u uuid,
			a int[], ta text[], p pair, m mood, ip inet, pt point, x xml, bits bit varying(8), money money);
		ALTER TABLE kinds ADD COLUMN gone int; ALTER TABLE kinds DROP COLUMN gone;
		INSERT INTO kinds VALUES
			(1, '', 'plain', 'ab', 1.50, 0.1, 1.5, true, '\x00ff5c', '2024-02-29 12:00:01.5', '2024-06-01 00:00+02', '2024-01-01',
			 '23:59:59', '1 year 2 mons 3 days 04:05:06.789', '{"a": [1, "x y"]}', '{"b": null, "a": 1}',
			 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{1,NULL,3}', '{"a b","c,d","e\"f",NULL,""}', ROW(1, 'x (y)'), 'sad face',
			 '10.0.0.1/8', '(1.5,-2)', '<a>b c</a>', B'1010', 12.34),
			(2, 'tab	there', 'new
line', NULL, 'NaN', 'Infinity', -0.0, false, '', 'infinity', '-infinity', '-infinity', '00:00', '-1 day', 'null', '[]',
			 NULL, '{}', '{}', ROW(NULL, NULL), 'ok', '::1', NULL, NULL, B'', -0.01),
			(3, 'back\slash "quoted" (paren), comma', E'\\\\ and \r and \x01 and \v\f', 'é€', 1e-20, 1e300, 3.4e38, NULL, NULL,
			 NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
			(4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
			 NULL, NULL, NULL, NULL, NULL, NULL, NULL);
		INSERT INTO kinds (id, t) SELECT g, repeat(md5(g::text) || ' ', g % 7) FROM generate_series(5, 3000) g;
		CREATE TABLE empty (id int);
		CREATE TABLE gen (a int, b int GENERATED ALWAYS AS (a * 2) STORED); INSERT INTO gen (a) VALUES (1), (2);
		CREATE TABLE parent (id int); CREATE TABLE child (extra text) INHERITS (parent);
		INSERT INTO parent VALUES (1); INSERT INTO child VALUES (2, 'x');
		CREATE TABLE part (id int) PARTITION BY RANGE (id);
		CREATE TABLE part_1 PARTITION OF part FOR VALUES FROM (0) TO (100); INSERT INTO part VALUES (1), (50);
		CREATE SCHEMA "Odd Schema"; CREATE TABLE "Odd Schema"."Mixed Case" ("a b" text); INSERT INTO "Odd Schema"."Mixed Case" VALUES ('x');
		CREATE SCHEMA "a.b"; CREATE TABLE "a.b".c (x int); INSERT INTO "a.b".c VALUES (1);
		CREATE SCHEMA a; CREATE TABLE a."b.c" (x int); INSERT INTO a."b.c" VALUES (2), (3);
		CREATE TABLE nocols (); INSERT INTO nocols DEFAULT VALUES; INSERT INTO nocols DEFAULT VALUES;
		CREATE TABLE quotes (a text, b jsonb, c text);
		INSERT INTO quotes VALUES ('say "hi"', '{"k": "v w"}', 'x'), ('"', '"no space"', '(a,b)'), ('', '[]', ' ')`)
	// A user's environment that would have pg_dump write in another
	// encoding or time zone changes nothing.
	t.Setenv("PGCLIENTENCODING", "LATIN1")
	t.Setenv("PGTZ", "Asia/Kolkata")
	t.Setenv("PGDATESTYLE", "SQL, DMY")
	id, _ := age.GenerateX25519Identity()
	st := &Local{Dir: t.TempDir()}
	m, err := Snapshot{Upstream: "u", DSN: pg.DSN(db), Recipient: id.Recipient().String(), Store: st, Retain: time.Hour}.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if m.Checksums != checksumSession || len(m.Tables) != 12 {
		t.Fatalf("manifest %+v", m)
	}
	c := pgConn(t, pg.DSN(db))
	if err := useDumpSettings(ctx, c, false); err != nil {
		t.Fatal(err)
	}
	for _, got := range m.Tables {
		want, err := TableChecksum(ctx, c, got.Name)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s: manifest %+v, PostgreSQL %+v", got.Name, got, want)
		}
	}
	d, err := Verify(ctx, st, m, id, pg.DSN(pg.CreateDB(t)))
	if err != nil || !d.OK || d.Tables != 12 {
		t.Fatalf("drill %+v %v", d, err)
	}
}

// An archive the reader does not know is written on as it came, with no
// sums (the snapshot then scans); a broken one is an error.
func TestArchivesTheReaderDoesNotKnowPassThrough(t *testing.T) {
	for name, in := range map[string]string{
		"not pg_dump": "PK\x03\x04 a zip file, say",
		"compressed":  "PGDMP\x01\x0e\x00\x04\x08\x01\x00\x06\x00\x00\x00 and the rest",
		"version":     "PGDMP\x01\x10\x00\x04\x08\x01\x00\x00\x00\x00\x00 and the rest",
	} {
		var out bytes.Buffer
		sums, err := rewriteArchive(strings.NewReader(in), &out)
		if err != nil || sums != nil || out.String() != in {
			t.Errorf("%s: %v %v, wrote %q", name, sums, err, out.String())
		}
	}
	for name, in := range map[string]string{
		"empty":     "",
		"truncated": "PGDMP\x01\x0e\x00\x04\x08\x01\x00\x00\x00\x00\x00\x00\x01",
	} {
		if _, err := rewriteArchive(strings.NewReader(in), io.Discard); err == nil {
			t.Errorf("%s: read without error", name)
		}
	}
}

// The rewritten archive holds the same data in fewer chunks: rewriting it
// again changes nothing and gives the same sums.
func TestRewrittenArchivesHoldTheSameRows(t *testing.T) {
	pg := pgtest.Shared(t)
	db := pg.CreateDB(t)
	pg.Exec(t, db, `CREATE TABLE a (id int, note text); INSERT INTO a SELECT g, repeat('x', g % 50) FROM generate_series(1, 20000) g;
		CREATE TABLE b (id int); SELECT lo_from_bytea(0, 'a large object')`)
	env, err := pgEnv(pg.DSN(db))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("pg_dump", "--format=custom", "--compress=0")
	cmd.Env = env
	var dump bytes.Buffer
	cmd.Stdout = &dump // a pipe, as in a snapshot: no data offsets
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	var once, twice bytes.Buffer
	sums, err := rewriteArchive(bytes.NewReader(dump.Bytes()), &once)
	if err != nil || len(sums) != 2 || sums[archiveKey("public", "a")].rows != 20000 || sums[archiveKey("public", "b")].rows != 0 {
		t.Fatalf("sums %v, %v", sums, err)
	}
	if once.Len() >= dump.Len()-20000*4 {
		t.Fatalf("rewritten: %d bytes from %d", once.Len(), dump.Len())
	}
	again, err := rewriteArchive(bytes.NewReader(once.Bytes()), &twice)
	if err != nil || !bytes.Equal(once.Bytes(), twice.Bytes()) || again[archiveKey("public", "a")].checksum() != sums[archiveKey("public", "a")].checksum() {
		t.Fatalf("rewritten twice: %v, equal %v", err, bytes.Equal(once.Bytes(), twice.Bytes()))
	}
}

// pgbench_accounts' rows, as pg_dump writes them: the bulk of a 1 GB
// pgbench database, one row per chunk.
func BenchmarkCopyRows(b *testing.B) {
	filler := strings.Repeat(" ", 84)
	rows := make([][]byte, 1000)
	size := 0
	for i := range rows {
		rows[i] = []byte(fmt.Sprintf("%d\t%d\t0\t%s\n", 100000+i, 1+i/100, filler))
		size += len(rows[i])
	}
	c := &copyRows{sum: &tableSum{}}
	b.SetBytes(int64(size))
	b.ResetTimer()
	for range b.N {
		for _, r := range rows {
			c.write(r)
		}
	}
}
