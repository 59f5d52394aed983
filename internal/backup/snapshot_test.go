package backup

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/jackc/pgx/v5"
	"github.com/klauspost/compress/zstd"
	"github.com/minio/minio-go/v7"

	"github.com/chaperone/chaperone/internal/pgtest"
	"github.com/chaperone/chaperone/internal/s3test"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// decrypt opens a stored snapshot with the identity, as a restore will.
func decrypt(t *testing.T, st Store, o Object, id *age.X25519Identity) []byte {
	t.Helper()
	r, err := st.Get(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	plain, err := age.Decrypt(r, id)
	if err != nil {
		t.Fatalf("decrypt: %v", err)
	}
	zr, err := zstd.NewReader(plain)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSnapshotToLocalAndS3(t *testing.T) {
	pg := pgtest.Shared(t)
	db := pg.CreateDB(t)
	pg.Exec(t, db, `CREATE TABLE bookings (id int PRIMARY KEY, note text);
		INSERT INTO bookings SELECT g, 'guest ' || g FROM generate_series(1, 5000) g;
		CREATE SCHEMA billing; CREATE TABLE billing.payments (id int, amount numeric);
		INSERT INTO billing.payments SELECT g, g * 1.5 FROM generate_series(1, 300) g`)
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	srv := s3test.Start(t)
	srv.Bucket(t, "vault", true)
	stores := map[string]Store{
		"local": &Local{Dir: t.TempDir()},
		"s3":    &S3{Endpoint: srv.Endpoint, Bucket: "vault", Prefix: "chaperone", AccessKey: srv.AccessKey, SecretKey: srv.SecretKey},
	}
	for name, st := range stores {
		t.Run(name, func(t *testing.T) {
			var progressed int64
			m, err := Snapshot{Upstream: "app-prod", Env: "production", DSN: pg.DSN(db), Reason: "test", Recipient: id.Recipient().String(),
				Store: st, Retain: 24 * time.Hour, Progress: func(n, estimate int64) {
					if estimate <= 0 {
						t.Errorf("no size estimate")
					}
					progressed = n
				}}.Run(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !m.WholeDB || len(m.Tables) != 2 || m.Tables[0].Name != "billing.payments" || m.Tables[0].Rows != 300 ||
				m.Tables[1].Name != "public.bookings" || m.Tables[1].Rows != 5000 || m.Tables[1].Checksum == "" ||
				m.DumpBytes == 0 || progressed < m.DumpBytes || m.StoredBytes == 0 || len(m.SHA256) != 64 || !strings.HasPrefix(m.ServerVersion, "15") {
				t.Fatalf("manifest %+v", m)
			}
			// The dump opens with the identity and pg_restore reads it.
			dump := decrypt(t, st, m.Object, id)
			if int64(len(dump)) != m.DumpBytes || !bytes.HasPrefix(dump, []byte("PGDMP")) {
				t.Fatalf("dump of %d bytes, manifest says %d", len(dump), m.DumpBytes)
			}
			path := filepath.Join(t.TempDir(), "x.dump")
			os.WriteFile(path, dump, 0o600)
			out, err := exec.Command("pg_restore", "--list", path).CombinedOutput()
			if err != nil || !strings.Contains(string(out), "TABLE DATA public bookings") || !strings.Contains(string(out), "TABLE DATA billing payments") {
				t.Fatalf("pg_restore --list: %v\n%s", err, out)
			}
			// The manifest is stored and locked beside it, and names no secret.
			list, err := st.List(ctx, "app-prod/"+m.ID)
			if err != nil || len(list) != 2 {
				t.Fatalf("stored objects %+v %v", list, err)
			}
			for _, o := range list {
				if o.RetainUntil.Before(m.Time.Add(23 * time.Hour)) {
					t.Fatalf("%s retained only until %v", o.Name, o.RetainUntil)
				}
				if err := st.Delete(ctx, o); err == nil {
					t.Fatalf("%s deleted while retained", o.Name)
				}
			}
			body, _ := json.Marshal(m)
			if strings.Contains(string(body), pg.Password) {
				t.Fatal("the manifest holds the upstream password")
			}
		})
	}
}

func TestSnapshotOfNamedTablesAndFailures(t *testing.T) {
	pg := pgtest.Shared(t)
	db := pg.CreateDB(t)
	pg.Exec(t, db, `CREATE TABLE a (x int); INSERT INTO a VALUES (1), (2); CREATE TABLE b (y int);
		CREATE TABLE big AS SELECT g, repeat('x', 100) AS pad FROM generate_series(1, 20000) g`)
	id, _ := age.GenerateX25519Identity()
	st := &Local{Dir: t.TempDir()}
	m, err := Snapshot{Upstream: "u", DSN: pg.DSN(db), Tables: []string{"a"}, Recipient: id.Recipient().String(), Store: st, Retain: time.Hour}.Run(ctx)
	if err != nil || m.WholeDB || len(m.Tables) != 1 || m.Tables[0].Rows != 2 {
		t.Fatalf("%+v %v", m, err)
	}
	if dump := decrypt(t, st, m.Object, id); bytes.Contains(dump, []byte("CREATE TABLE public.b")) {
		t.Fatal("a table that was not asked for is in the dump")
	}
	// Failures say what failed and never the password.
	if _, err := (Snapshot{Upstream: "u", DSN: pg.DSN(db) + "x", Recipient: id.Recipient().String(), Store: st, Retain: time.Hour}).Run(ctx); err == nil ||
		strings.Contains(err.Error(), pg.Password) {
		t.Fatalf("a wrong database: %v", err)
	}
	// A store that fails mid-write fails the snapshot, and pg_dump (with
	// megabytes still to write) is stopped rather than left blocked.
	if _, err := (Snapshot{Upstream: "u", DSN: pg.DSN(db), Recipient: id.Recipient().String(), Store: failingStore{st}, Retain: time.Hour}).Run(ctx); err == nil ||
		!strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("a failing store: %v", err)
	}
	if _, err := (Snapshot{Upstream: "u", DSN: pg.DSN(db), Tables: []string{"missing"}, Recipient: id.Recipient().String(), Store: st, Retain: time.Hour}).Run(ctx); err == nil {
		t.Fatal("a snapshot of a table that does not exist succeeded")
	}
	if _, err := (Snapshot{Upstream: "u", DSN: pg.DSN(db), Recipient: "age1notakey", Store: st, Retain: time.Hour}).Run(ctx); err == nil {
		t.Fatal("a bad recipient was accepted")
	}
}

type failingStore struct{ Store }

func (f failingStore) Put(ctx context.Context, name string, r io.Reader, until time.Time) (Object, error) {
	io.CopyN(io.Discard, r, 1000)
	return Object{}, errors.New("disk on fire")
}

// Backup, attack the store, restore into a new database: every table's row
// count and checksum equal the manifest's. A tampered or wrong-key restore
// fails loudly.
func TestRestoreAndVerifyFromS3(t *testing.T) {
	pg := pgtest.Shared(t)
	src := pg.CreateDB(t)
	pg.Exec(t, src, `CREATE TABLE bookings (id int PRIMARY KEY, note text, at timestamptz DEFAULT now());
		INSERT INTO bookings (id, note) SELECT g, 'guest ' || g FROM generate_series(1, 20000) g;
		CREATE TABLE payments (id int, amount numeric); INSERT INTO payments SELECT g, g / 7.0 FROM generate_series(1, 999) g`)
	id, _ := age.GenerateX25519Identity()
	srv := s3test.Start(t)
	srv.Bucket(t, "vault", true)
	st := &S3{Endpoint: srv.Endpoint, Bucket: "vault", Prefix: "chaperone", AccessKey: srv.AccessKey, SecretKey: srv.SecretKey}
	m, err := Snapshot{Upstream: "app-prod", DSN: pg.DSN(src), Recipient: id.Recipient().String(), Store: st, Retain: time.Hour}.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The manifest read back from the store is the one returned.
	list, _ := st.List(ctx, "app-prod/"+m.ID+".manifest")
	if len(list) != 1 {
		t.Fatalf("manifest objects %+v", list)
	}
	stored, err := ReadManifest(ctx, st, list[0])
	if err != nil || stored.SHA256 != m.SHA256 || len(stored.Tables) != 2 {
		t.Fatalf("stored manifest %+v %v", stored, err)
	}
	// An agent with the store's own key tries to wipe it first.
	key := "chaperone/" + m.Object.Name
	srv.Client.RemoveObject(ctx, "vault", key, minio.RemoveObjectOptions{VersionID: m.Object.Version, GovernanceBypass: true})
	srv.Client.PutObject(ctx, "vault", key, strings.NewReader("garbage"), -1, minio.PutObjectOptions{})

	scratch := pg.CreateDB(t)
	d, err := Verify(ctx, st, stored, id, pg.DSN(scratch))
	if err != nil || !d.OK || d.Tables != 2 {
		t.Fatalf("drill %+v %v", d, err)
	}
	// And the drill can fail: change a row in the restored copy.
	pg.Exec(t, scratch, "UPDATE payments SET amount = amount + 1 WHERE id = 500")
	got, _ := TableChecksum(ctx, pgConn(t, pg.DSN(scratch)), "payments")
	if got.Checksum == stored.Tables[1].Checksum && stored.Tables[1].Name == "public.payments" {
		t.Fatal("a changed row left the checksum unchanged")
	}
	// One table, into a database that lost it.
	pg.Exec(t, src, "DROP TABLE payments")
	if err := Restore(ctx, st, stored, id, pg.DSN(src), []string{"payments"}); err != nil {
		t.Fatal(err)
	}
	if n := pg.Count(t, src, "payments"); n != 999 {
		t.Fatalf("restored payments: %d rows", n)
	}
	// The wrong identity is refused, naming the right recipient.
	other, _ := age.GenerateX25519Identity()
	if err := Restore(ctx, st, stored, other, pg.DSN(pg.CreateDB(t)), nil); err == nil || !strings.Contains(err.Error(), stored.Recipient) {
		t.Fatalf("wrong identity: %v", err)
	}
}

func pgConn(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(ctx) })
	return c
}

// lockTable holds table exclusively, in an open transaction, until the
// test ends.
func lockTable(t *testing.T, dsn, table string) {
	t.Helper()
	tx, err := pgConn(t, dsn).Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tx.Rollback(ctx) })
	if _, err := tx.Exec(ctx, "ALTER TABLE "+table+" ADD COLUMN locked_by_test int"); err != nil { // ACCESS EXCLUSIVE until the end
		t.Fatal(err)
	}
}

// A snapshot before destruction never waits forever on a lock: when the
// transaction it protects (or anyone) holds its table exclusively, it gives
// up after its bound with an error that says why, and nothing is stored.
func TestSnapshotBeforeDestructionDoesNotWaitForeverOnALock(t *testing.T) {
	pg := pgtest.Shared(t)
	db := pg.CreateDB(t)
	pg.Exec(t, db, `CREATE TABLE held (x int); INSERT INTO held VALUES (1)`)
	lockTable(t, pg.DSN(db), "held")
	id, _ := age.GenerateX25519Identity()
	dir := t.TempDir()
	b := Before{Open: func() (Store, error) { return &Local{Dir: dir}, nil }, Recipient: id.Recipient().String(),
		Retain: time.Hour, LockWait: 500 * time.Millisecond}
	done := make(chan error, 1)
	go func() { _, _, err := b.Take(ctx, "u", "staging", pg.DSN(db), []string{"held"}, "test"); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "waited") || !strings.Contains(err.Error(), "lock") {
			t.Fatalf("snapshot under a lock: %v", err)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("the snapshot is still waiting for the lock")
	}
	if ms, _ := Manifests(ctx, &Local{Dir: dir}, "u"); len(ms) != 0 {
		t.Fatalf("a snapshot was stored: %+v", ms)
	}
}
