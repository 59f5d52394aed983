package pg

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
)

// rawSession is a gateway session driven message by message, the way an
// attacker with a socket would, not the way a driver does.
type rawSession struct {
	t    *testing.T
	fe   *pgproto3.Frontend
	conn io.Closer
}

// close hangs up, as a client going away does.
func (s *rawSession) close() { s.conn.Close() }

func (e *env) raw(t *testing.T, tok string) *rawSession {
	t.Helper()
	return e.rawTo(t, tok, "app-prod")
}

// rawTo is raw on the upstream named.
func (e *env) rawTo(t *testing.T, tok, upstream string) *rawSession {
	t.Helper()
	pc, err := pgconn.Connect(ctx, e.dsn(tok, upstream))
	if err != nil {
		t.Fatal(err)
	}
	hj, err := pc.Hijack()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hj.Conn.Close() })
	hj.Conn.SetDeadline(time.Now().Add(20 * time.Second))
	return &rawSession{t, hj.Frontend, hj.Conn}
}

// send sends msgs and then Sync, and returns every message up to
// ReadyForQuery, with the error codes seen.
func (s *rawSession) send(msgs ...pgproto3.FrontendMessage) (codes []string, got []pgproto3.BackendMessage) {
	s.t.Helper()
	codes, _ = s.exchange(func(m pgproto3.BackendMessage) { got = append(got, m) }, msgs...)
	return codes, got
}

// exchange sends msgs and hands each message before the ReadyForQuery that
// ends the exchange to each (a FATAL error ends it too, unhanded); it
// returns the error codes seen and the ReadyForQuery's transaction status
// (0 after a FATAL error).
func (s *rawSession) exchange(each func(pgproto3.BackendMessage), msgs ...pgproto3.FrontendMessage) (codes []string, tx byte) {
	s.t.Helper()
	for _, m := range msgs {
		s.fe.Send(m)
	}
	if err := s.fe.Flush(); err != nil {
		s.t.Fatal(err)
	}
	for {
		m, err := s.fe.Receive()
		if err != nil {
			s.t.Fatalf("receive: %v (after %v)", err, codes)
		}
		switch x := m.(type) {
		case *pgproto3.ErrorResponse:
			codes = append(codes, x.Code)
			if x.Severity == "FATAL" {
				return codes, 0
			}
		case *pgproto3.ReadyForQuery:
			return codes, x.TxStatus
		}
		each(m)
	}
}

// The extended protocol names statements and portals; an attacker can try
// to get a benign statement approved or allowed and execute a destructive
// one under the same or another name. None of it reaches the data.
func TestSmugglingAcrossProtocolMessages(t *testing.T) {
	e := setup(t)
	intact := func(step string) {
		t.Helper()
		if n := e.pg.Count(t, e.prodDB, "bookings"); n != 100 {
			t.Fatalf("%s: bookings has %d rows", step, n)
		}
	}
	s := e.raw(t, e.prodToken)

	// Parse a benign statement and a destructive one; Bind the destructive name.
	codes, _ := s.send(
		&pgproto3.Parse{Name: "ok", Query: "SELECT 1"},
		&pgproto3.Parse{Name: "bad", Query: "DELETE FROM bookings"},
		&pgproto3.Bind{PreparedStatement: "bad"},
		&pgproto3.Execute{},
		&pgproto3.Sync{})
	if len(codes) == 0 || codes[0] != CodeHeld && codes[0] != CodeDenied {
		t.Fatalf("Parse of a destructive statement: codes %v", codes)
	}
	intact("bind to the held statement's name")

	// Bind the benign name, then redefine that name with a destructive text
	// and execute the portal again.
	codes, _ = s.send(
		&pgproto3.Bind{PreparedStatement: "ok", DestinationPortal: "p"},
		&pgproto3.Execute{Portal: "p"},
		&pgproto3.Close{ObjectType: 'S', Name: "ok"},
		&pgproto3.Parse{Name: "ok", Query: "DELETE FROM bookings"},
		&pgproto3.Bind{PreparedStatement: "ok", DestinationPortal: "p2"},
		&pgproto3.Execute{Portal: "p2"},
		&pgproto3.Sync{})
	if len(codes) == 0 || codes[0] != CodeHeld && codes[0] != CodeDenied {
		t.Fatalf("redefining a statement name: codes %v", codes)
	}
	intact("redefine a benign name")

	// The unnamed statement: Parse benign, Parse destructive (held), then
	// Bind the unnamed statement: the server still has no destructive text.
	codes, _ = s.send(
		&pgproto3.Parse{Query: "SELECT 1"},
		&pgproto3.Parse{Query: "TRUNCATE bookings"},
		&pgproto3.Bind{},
		&pgproto3.Execute{},
		&pgproto3.Sync{})
	if len(codes) == 0 || codes[0] != CodeHeld && codes[0] != CodeDenied {
		t.Fatalf("unnamed statement: codes %v", codes)
	}
	intact("unnamed statement swap")

	// A simple query with a NUL inside: whatever follows the NUL is either
	// judged or never run.
	for _, q := range []string{"SELECT 1\x00DELETE FROM bookings", "SELECT 1;\x00; DROP TABLE bookings"} {
		codes, _ = s.send(&pgproto3.Query{String: q})
		intact("NUL in a simple query")
		_ = codes
	}
	// A Parse with a NUL inside its text.
	s.send(&pgproto3.Parse{Name: "n", Query: "SELECT 1\x00DELETE FROM bookings"}, &pgproto3.Bind{PreparedStatement: "n"},
		&pgproto3.Execute{}, &pgproto3.Sync{})
	intact("NUL in a Parse")

	// An approval is bound to its text: approving one statement does not
	// approve a different one, even of the same shape.
	c := e.connect(t, e.prodToken, "app-prod")
	_, err := c.Exec(ctx, "DELETE FROM bookings WHERE id = 1")
	pe := pgErr(t, err, CodeHeld)
	id := pe.Message[strings.Index(pe.Message, "apr_"):][:20]
	if _, err := e.approvals.Approve(ctx, id, "alice", ""); err != nil {
		t.Fatal(err)
	}
	_, err = c.Exec(ctx, "DELETE FROM bookings WHERE id > 1")
	pgErr(t, err, CodeHeld)
	intact("approval of one statement used for another")
	// And it is bound to its token: another token sending the same text is held.
	c2 := e.connect(t, e.prodToken2, "app-prod")
	_, err = c2.Exec(ctx, "DELETE FROM bookings WHERE id = 1")
	pgErr(t, err, CodeHeld)
	intact("approval used with another token")
}
