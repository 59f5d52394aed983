package pg

import (
	"encoding/binary"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgproto3"
)

// pg_dump reads large objects with fast-path calls (lo_open, loread,
// lo_close); through the gateway they are judged by the function they call,
// so a dump of a production database with a large object works, and
// restores, while a fast-path lo_unlink waits for a human.
func TestFastPathCallsAreJudgedByTheirFunction(t *testing.T) {
	e := setup(t)
	e.pg.Exec(t, e.prodDB, "SELECT lo_from_bytea(424242, 'the large object''s bytes')")
	out := filepath.Join(t.TempDir(), "dump")
	cmd := exec.Command("pg_dump", "-Fc", "-f", out, "-d", e.dsn(e.prodToken, "app-prod"))
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pg_dump through the gateway: %v\n%s", err, b)
	}
	restored := e.pg.CreateDB(t)
	if b, err := exec.Command("pg_restore", "-d", e.pg.DSN(restored), out).CombinedOutput(); err != nil {
		t.Fatalf("pg_restore: %v\n%s", err, b)
	}
	loCount := func(db string) int {
		c, err := pgx.Connect(ctx, e.pg.DSN(db))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(ctx)
		var n int
		if err := c.QueryRow(ctx, "SELECT count(*) FROM pg_largeobject_metadata WHERE oid = 424242").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if loCount(restored) != 1 {
		t.Fatal("the large object did not come through the dump")
	}
	// lo_unlink by fast path is destruction, held like the SQL call.
	s := e.raw(t, e.prodToken)
	arg := make([]byte, 4)
	binary.BigEndian.PutUint32(arg, 424242)
	codes, _ := s.send(&pgproto3.FunctionCall{Function: 964, ArgFormatCodes: []uint16{1}, Arguments: [][]byte{arg}, ResultFormatCode: 1})
	if len(codes) != 1 || codes[0] != CodeHeld {
		t.Fatalf("fast-path lo_unlink: %v", codes)
	}
	if loCount(e.prodDB) != 1 {
		t.Fatal("the large object is gone from production")
	}
}
