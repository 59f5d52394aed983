package pg

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgproto3"
)

// requestOf returns the approval request named in a held error's message.
func requestOf(t *testing.T, msg string) string {
	t.Helper()
	i := strings.Index(msg, "apr_")
	if i < 0 {
		t.Fatalf("no request in %q", msg)
	}
	return msg[i:][:20]
}

// approvedAfterHeld sends stmt (with args, a query mode among them), which
// must be held, approves the request and returns its id.
func approvedAfterHeld(t *testing.T, e *env, c *pgx.Conn, stmt string, args ...any) string {
	t.Helper()
	_, err := c.Exec(ctx, stmt, args...)
	id := requestOf(t, pgErr(t, err, CodeHeld).Message)
	if _, err := e.approvals.Approve(ctx, id, "alice", ""); err != nil {
		t.Fatal(err)
	}
	return id
}

// heldIn returns the request id of the first CP001 among msgs.
func heldIn(t *testing.T, got []pgproto3.BackendMessage, codes []string) string {
	t.Helper()
	for _, m := range got {
		if e, ok := m.(*pgproto3.ErrorResponse); ok && e.Code == CodeHeld {
			return requestOf(t, e.Message)
		}
	}
	t.Fatalf("not held: codes %v", codes)
	return ""
}

func (s *rawSession) sendAll(msgs ...pgproto3.FrontendMessage) ([]string, []pgproto3.BackendMessage) {
	s.t.Helper()
	var codes []string
	var got []pgproto3.BackendMessage
	for _, m := range msgs {
		s.fe.Send(m)
	}
	if err := s.fe.Flush(); err != nil {
		s.t.Fatal(err)
	}
	syncs := 0
	for _, m := range msgs {
		switch m.(type) {
		case *pgproto3.Sync, *pgproto3.Query:
			syncs++
		}
	}
	for syncs > 0 {
		m, err := s.fe.Receive()
		if err != nil {
			s.t.Fatalf("receive: %v (after %v)", err, codes)
		}
		switch x := m.(type) {
		case *pgproto3.ErrorResponse:
			codes = append(codes, x.Code)
			got = append(got, &pgproto3.ErrorResponse{Code: x.Code, Message: x.Message, Detail: x.Detail})
			continue
		case *pgproto3.ReadyForQuery:
			syncs--
		}
		got = append(got, m)
	}
	return codes, got
}

func int4(v int32) []byte {
	b := make([]byte, 4)
	binary.BigEndian.PutUint32(b, uint32(v))
	return b
}

// An approval of a parameterized statement binds the values it was asked
// with: the same statement bound with another value is another request,
// and the approver sees the values.
func TestApprovalBindsTheValuesBound(t *testing.T) {
	e := setup(t)
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeExec, pgx.QueryExecModeCacheStatement, pgx.QueryExecModeDescribeExec} {
		e.pg.Exec(t, e.prodDB, "TRUNCATE bookings; INSERT INTO bookings SELECT g, 'n' || g FROM generate_series(1, 100) g")
		c := e.connect(t, e.prodToken, "app-prod")
		const del = "DELETE FROM bookings WHERE id < $1"
		_, err := c.Exec(ctx, del, mode, 5)
		id := requestOf(t, pgErr(t, err, CodeHeld).Message)
		req, _, err := e.approvals.Get(ctx, id)
		if err != nil || !strings.HasPrefix(req.Text, del+"\n") || !strings.Contains(req.Text, `"5"`) && !strings.Contains(req.Text, `\x00000005`) {
			t.Fatalf("%v: the request does not show the value: %q %v", mode, req.Text, err)
		}
		if !strings.Contains(req.Impact, "~") {
			t.Logf("impact: %q", req.Impact)
		}
		if _, err := e.approvals.Approve(ctx, id, "alice", ""); err != nil {
			t.Fatal(err)
		}
		// The approved statement with another value is a new request.
		_, err = c.Exec(ctx, del, mode, 1000)
		if other := requestOf(t, pgErr(t, err, CodeHeld).Message); other == id {
			t.Fatalf("%v: another value matched the approval", mode)
		}
		if n := e.pg.Count(t, e.prodDB, "bookings"); n != 100 {
			t.Fatalf("%v: %d rows left after a held run", mode, n)
		}
		if _, err := c.Exec(ctx, del, mode, 5); err != nil {
			t.Fatalf("%v: the approved run: %v", mode, err)
		}
		if n := e.pg.Count(t, e.prodDB, "bookings"); n != 96 {
			t.Fatalf("%v: %d rows left after the approved run", mode, n)
		}
		_, err = c.Exec(ctx, del, mode, 5)
		pgErr(t, err, CodeHeld)
		if n := e.pg.Count(t, e.prodDB, "bookings"); n != 96 {
			t.Fatalf("%v: the approval ran twice: %d", mode, n)
		}
	}
}

// On the wire: binary values, declared types, named statements bound again
// in a later cycle, pipelines, and names redefined where the server skips
// the redefinition.
func TestBindValuesOnTheWire(t *testing.T) {
	e := setup(t)
	intact := func(step string, want int) {
		t.Helper()
		if n := e.pg.Count(t, e.prodDB, "bookings"); n != want {
			t.Fatalf("%s: bookings has %d rows, want %d", step, n, want)
		}
	}
	s := e.raw(t, e.prodToken)
	const del = "DELETE FROM bookings WHERE id < $1 OR id = $1 + 1000"

	// The Parse runs nothing and is forwarded; Describe works before Bind.
	codes, got := s.sendAll(&pgproto3.Parse{Name: "d", Query: del, ParameterOIDs: []uint32{23}},
		&pgproto3.Describe{ObjectType: 'S', Name: "d"}, &pgproto3.Sync{})
	if len(codes) != 0 {
		t.Fatalf("Parse: %v", codes)
	}
	if _, ok := got[1].(*pgproto3.ParameterDescription); !ok {
		t.Fatalf("Describe: %T", got[1])
	}
	// A binary 5 is asked for in a later cycle.
	bin := &pgproto3.Bind{PreparedStatement: "d", ParameterFormatCodes: []int16{1}, Parameters: [][]byte{int4(5)}}
	codes, got = s.sendAll(bin, &pgproto3.Execute{}, &pgproto3.Sync{})
	binID := heldIn(t, got, codes)
	req, _, _ := e.approvals.Get(ctx, binID)
	if !strings.Contains(req.Text, "$1 int4 binary \\x00000005") {
		t.Fatalf("binary value not shown: %q", req.Text)
	}
	// The same value in text is another request (it reads the same, but
	// the approver approved bytes in one format).
	codes, got = s.sendAll(&pgproto3.Bind{PreparedStatement: "d", Parameters: [][]byte{[]byte("5")}}, &pgproto3.Execute{}, &pgproto3.Sync{})
	if id := heldIn(t, got, codes); id == binID {
		t.Fatal("a text value matched a binary approval")
	}
	e.approvals.Approve(ctx, binID, "alice", "")
	intact("before the approved run", 100)

	// A pipeline: the approved value, then another; the second is refused
	// at its Bind, which aborts the implicit transaction both ran in.
	codes, _ = s.sendAll(bin, &pgproto3.Execute{},
		&pgproto3.Bind{PreparedStatement: "d", ParameterFormatCodes: []int16{1}, Parameters: [][]byte{int4(100000)}},
		&pgproto3.Execute{}, &pgproto3.Sync{})
	if len(codes) != 1 || codes[0] != CodeHeld && codes[0] != CodeDenied {
		t.Fatalf("pipeline: %v", codes)
	}
	intact("a pipeline with another value", 100)
	// The pipeline rolled back, so nothing was spent: the approved value
	// runs on the same approval, once, and then asks again.
	if codes, _ = s.sendAll(bin, &pgproto3.Execute{}, &pgproto3.Sync{}); len(codes) != 0 {
		t.Fatalf("approved, after a rolled-back try: %v", codes)
	}
	intact("the approved run", 96)
	if a, _, _ := e.approvals.Get(ctx, binID); a.State != "consumed" {
		t.Fatalf("the approval is %s after its committed run", a.State)
	}
	codes, got = s.sendAll(bin, &pgproto3.Execute{}, &pgproto3.Sync{})
	again := heldIn(t, got, codes)
	if again == binID {
		t.Fatal("a spent approval was offered again")
	}
	// The portal of an approved Bind does not run again.
	s.sendAll(&pgproto3.Execute{}, &pgproto3.Sync{})

	// A different declared type is a different statement.
	codes, got = s.sendAll(&pgproto3.Parse{Name: "d8", Query: del, ParameterOIDs: []uint32{20}},
		&pgproto3.Bind{PreparedStatement: "d8", ParameterFormatCodes: []int16{1}, Parameters: [][]byte{append(make([]byte, 4), int4(5)...)}},
		&pgproto3.Execute{}, &pgproto3.Sync{})
	if id := heldIn(t, got, codes); id == again {
		t.Fatal("int8 matched int4")
	}

	// A redefinition the server skips (after an error in its cycle) or
	// refuses (the name exists) leaves the destructive text in place: the
	// Bind stays guarded.
	s.sendAll(&pgproto3.Parse{Name: "x", Query: "DELETE FROM bookings WHERE id < $1"}, &pgproto3.Sync{})
	s.sendAll(&pgproto3.Parse{Name: "boom", Query: "SELECT 1/0"}, &pgproto3.Bind{PreparedStatement: "boom"}, &pgproto3.Execute{},
		&pgproto3.Close{ObjectType: 'S', Name: "x"}, &pgproto3.Parse{Name: "x", Query: "SELECT $1::int"}, &pgproto3.Sync{})
	codes, got = s.sendAll(&pgproto3.Bind{PreparedStatement: "x", Parameters: [][]byte{[]byte("1000")}}, &pgproto3.Execute{}, &pgproto3.Sync{})
	heldIn(t, got, codes)
	intact("a skipped redefinition", 96)
	s.sendAll(&pgproto3.Parse{Name: "x", Query: "SELECT $1::int"}, &pgproto3.Sync{}) // already exists
	codes, got = s.sendAll(&pgproto3.Bind{PreparedStatement: "x", Parameters: [][]byte{[]byte("1000")}}, &pgproto3.Execute{}, &pgproto3.Sync{})
	heldIn(t, got, codes)
	intact("a refused redefinition", 96)
	// Closed and redefined for real, the name runs what it now holds.
	s.sendAll(&pgproto3.Close{ObjectType: 'S', Name: "x"}, &pgproto3.Parse{Name: "x", Query: "SELECT $1::int"}, &pgproto3.Sync{})
	if codes, _ = s.sendAll(&pgproto3.Bind{PreparedStatement: "x", Parameters: [][]byte{[]byte("1000")}}, &pgproto3.Execute{}, &pgproto3.Sync{}); len(codes) != 0 {
		t.Fatalf("a real redefinition: %v", codes)
	}

	// The unnamed statement, redefined where the server skips it.
	s.sendAll(&pgproto3.Parse{Query: "DELETE FROM bookings WHERE id < $1"}, &pgproto3.Sync{})
	s.sendAll(&pgproto3.Parse{Name: "boom2", Query: "SELECT 1/0"}, &pgproto3.Bind{PreparedStatement: "boom2"}, &pgproto3.Execute{},
		&pgproto3.Parse{Query: "SELECT $1::int"}, &pgproto3.Sync{})
	codes, got = s.sendAll(&pgproto3.Bind{Parameters: [][]byte{[]byte("1000")}}, &pgproto3.Execute{}, &pgproto3.Sync{})
	heldIn(t, got, codes)
	intact("the unnamed statement", 96)
	// Redefined in the same cycle as its Bind, it runs what it holds.
	if codes, _ = s.sendAll(&pgproto3.Parse{Query: "SELECT $1::int"}, &pgproto3.Bind{Parameters: [][]byte{[]byte("1")}},
		&pgproto3.Execute{}, &pgproto3.Sync{}); len(codes) != 0 {
		t.Fatalf("same cycle: %v", codes)
	}
}

// PREPARE and EXECUTE in SQL: the PREPARE runs nothing; each EXECUTE is
// decided with its arguments, and so is a protocol Bind of the same name.
func TestPrepareAndExecuteBindTheirArguments(t *testing.T) {
	e := setup(t)
	s := e.raw(t, e.prodToken)
	if codes, _ := s.sendAll(&pgproto3.Query{String: "PREPARE w(int) AS DELETE FROM bookings WHERE id < $1"}); len(codes) != 0 {
		t.Fatalf("PREPARE: %v", codes)
	}
	codes, got := s.sendAll(&pgproto3.Query{String: "EXECUTE w(5)"})
	id := heldIn(t, got, codes)
	req, _, _ := e.approvals.Get(ctx, id)
	if !strings.Contains(req.Text, "EXECUTE w(5)") || !strings.Contains(req.Text, "DELETE FROM bookings WHERE id < $1") {
		t.Fatalf("request text: %q", req.Text)
	}
	e.approvals.Approve(ctx, id, "alice", "")
	for _, m := range []pgproto3.FrontendMessage{&pgproto3.Query{String: "EXECUTE w(1000)"}, &pgproto3.Query{String: "EXECUTE w (5 + 995)"}} {
		codes, got = s.sendAll(m)
		heldIn(t, got, codes)
	}
	codes, got = s.sendAll(&pgproto3.Bind{PreparedStatement: "w", Parameters: [][]byte{[]byte("1000")}}, &pgproto3.Execute{}, &pgproto3.Sync{})
	heldIn(t, got, codes)
	if n := e.pg.Count(t, e.prodDB, "bookings"); n != 100 {
		t.Fatalf("rows %d", n)
	}
	if codes, _ = s.sendAll(&pgproto3.Query{String: "EXECUTE w(5)"}); len(codes) != 0 {
		t.Fatalf("approved EXECUTE: %v", codes)
	}
	if n := e.pg.Count(t, e.prodDB, "bookings"); n != 96 {
		t.Fatalf("rows %d", n)
	}
	codes, got = s.sendAll(&pgproto3.Query{String: "EXECUTE w(5)"})
	heldIn(t, got, codes)
}
