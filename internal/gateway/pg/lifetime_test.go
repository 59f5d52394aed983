package pg

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/chaperone/chaperone/internal/store"
)

// A session that ends while a result streams through (its token revoked,
// a message it does not know) never writes its reason into the message
// being relayed: the client sees that message cut off and the connection
// end, never the error's bytes as the rest of a row.
func TestAnEndedSessionNeverWritesIntoAMessage(t *testing.T) {
	e := setup(t)
	for _, how := range []string{"ended from outside", "an unknown message from the client"} {
		t.Run(how, func(t *testing.T) {
			pc, err := pgconn.Connect(ctx, e.dsn(e.prodToken, "app-prod"))
			if err != nil {
				t.Fatal(err)
			}
			hj, err := pc.Hijack()
			if err != nil {
				t.Fatal(err)
			}
			defer hj.Conn.Close()
			hj.Conn.SetDeadline(time.Now().Add(30 * time.Second))
			// One row of 32 MiB, far more than the sockets between the
			// server and here hold: while the client has read only the
			// first MiB, the relay is in the row's middle.
			q, _ := (&pgproto3.Query{String: "SELECT repeat('x', 33554432)"}).Encode(nil)
			if _, err := hj.Conn.Write(q); err != nil {
				t.Fatal(err)
			}
			first := make([]byte, 1<<20)
			if _, err := io.ReadFull(hj.Conn, first); err != nil {
				t.Fatal(err)
			}
			if how == "ended from outside" {
				for _, s := range e.gw.live.list() {
					s.end(fatal("28000", "Chaperone: token is revoked; the session is closed"))
				}
			} else if _, err := hj.Conn.Write([]byte{'Y', 0, 0, 0, 4}); err != nil {
				t.Fatal(err)
			}
			rest, err := io.ReadAll(hj.Conn)
			if err != nil {
				t.Fatalf("the session did not end: %v", err)
			}
			checkCutInARow(t, append(first, rest...))
		})
	}
}

// checkCutInARow walks the server's messages in data: all whole but the
// last, a DataRow cut off whose value so far is nothing but the row's own
// bytes.
func checkCutInARow(t *testing.T, data []byte) {
	t.Helper()
	for len(data) >= 5 {
		typ, n := data[0], int(binary.BigEndian.Uint32(data[1:5]))
		if len(data) >= 1+n {
			if typ == 'D' {
				t.Fatal("the row arrived whole: the session did not end in its middle")
			}
			data = data[1+n:]
			continue
		}
		if typ != 'D' || len(data) < 11 {
			t.Fatalf("the stream ends inside a %q message of %d bytes", typ, len(data))
		}
		value := data[11:]
		if i := bytes.IndexFunc(value, func(r rune) bool { return r != 'x' }); i >= 0 {
			t.Fatalf("foreign bytes inside the row's value at %d of %d: %q", i, len(value), value[i:min(len(value), i+80)])
		}
		return
	}
	t.Fatalf("the stream ends between messages (%d bytes left)", len(data))
}

// hangUpAfterSCRAM is a client connection that resets itself as soon as it
// has sent the last SCRAM message: it never hears that its session is open.
type hangUpAfterSCRAM struct {
	net.Conn
	saslMessages int
}

func (c *hangUpAfterSCRAM) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if len(p) > 0 && p[0] == 'p' {
		if c.saslMessages++; c.saslMessages == 2 {
			c.Conn.(*net.TCPConn).SetLinger(0)
			c.Conn.Close()
		}
	}
	return n, err
}

// A session that fails after its cancel key was given out (its client gone
// before it heard the session is open) leaves no key behind, here or in
// the shared state.
func TestSessionsThatNeverOpenLeaveNoCancelKeys(t *testing.T) {
	e := setup(t)
	const n = 10
	for range n {
		cfg, err := pgconn.ParseConfig(e.dsn(e.prodToken, "app-prod"))
		if err != nil {
			t.Fatal(err)
		}
		cfg.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			return &hangUpAfterSCRAM{Conn: c}, err
		}
		if c, err := pgconn.ConnectConfig(ctx, cfg); err == nil {
			c.Close(ctx)
			t.Fatal("the session opened for a client that hung up")
		}
	}
	// Each reached its upstream: its connection is on the record, which
	// comes after its key was given out.
	connects := func() (k int) {
		e.gw.Gate.Store.View(ctx, func(tx store.Tx) error {
			es, err := tx.AuditEntries(0, 10000)
			for _, x := range es {
				if x.Type == "pg.connect" {
					k++
				}
			}
			return err
		})
		return k
	}
	for deadline := time.Now().Add(20 * time.Second); connects() < n; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d sessions reached the upstream", connects(), n)
		}
	}
	keys := func() (k int) {
		e.gw.cancels.Range(func(any, any) bool { k++; return true })
		return k
	}
	for deadline := time.Now().Add(10 * time.Second); keys() > 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d cancel keys of sessions that never opened are still held", keys())
		}
	}
}

// A panic while a session runs ends that session alone: the gateway goes
// on serving, and the session's buffers all come back, once each, after
// both of its directions have stopped.
func TestAPanicEndsItsSessionOnly(t *testing.T) {
	e := setup(t)
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	base := buffersOut.Load()
	c := e.connect(t, e.prodToken, "app-prod")
	policy := e.gw.Gate.Policy
	e.gw.Gate.Policy = nil // deciding the next statement panics
	var n int
	err := c.QueryRow(ctx, "SELECT count(*) FROM bookings WHERE id > 7").Scan(&n)
	e.gw.Gate.Policy = policy
	t.Log("the session ended:", err)
	if err == nil {
		t.Fatal("a statement ran on a session whose decision panicked")
	}
	for ctx.Err() == nil && buffersOut.Load() != base {
		time.Sleep(10 * time.Millisecond)
	}
	if out := buffersOut.Load() - base; out != 0 {
		t.Fatalf("%d buffers not given back (or given back twice) after the panic", out)
	}
	if err := e.connect(t, e.prodToken, "app-prod").QueryRow(ctx, "SELECT count(*) FROM bookings").Scan(&n); err != nil || n != 100 {
		t.Fatalf("after the panic: %d, %v", n, err)
	}
}
