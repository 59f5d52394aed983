package pg

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgproto3"
)

// status sends msgs and returns the error codes, the rows' first values
// and the transaction status of the ReadyForQuery that ends the exchange.
func (s *rawSession) status(msgs ...pgproto3.FrontendMessage) (codes []string, rows []string, tx byte) {
	s.t.Helper()
	codes, tx = s.exchange(func(m pgproto3.BackendMessage) {
		switch x := m.(type) {
		case *pgproto3.DataRow:
			rows = append(rows, string(x.Values[0])) // copied: the next Receive reuses it
		case *pgproto3.NoticeResponse:
			s.t.Errorf("unexpected notice %s %s", x.Code, x.Message)
		}
	}, msgs...)
	return codes, rows, tx
}

// At READ COMMITTED another session's commit between the question and the
// write is seen by the write alone: the question found rows left out, and
// the write, held back by a lock until that commit, then reached every
// row. The question's transaction asks again after the write, before it
// commits, and rolls back a write that left no row untouched.
func TestAWriteThatReachedEveryRowAfterTheQuestionIsRolledBack(t *testing.T) {
	e := setup(t)
	for _, form := range []string{"simple", "extended", "block"} {
		e.pg.Exec(t, e.stageDB, `DROP TABLE IF EXISTS rc; CREATE TABLE rc (id int, flag bool, v text);
			INSERT INTO rc SELECT g, g <= 10, 'v' FROM generate_series(1, 20) g`)
		s := e.rawTo(t, e.stageToken, "app-staging")
		if form == "block" {
			// The client's own block, at READ COMMITTED.
			if codes, _, tx := s.status(&pgproto3.Query{String: "BEGIN"}); len(codes) != 0 || tx != 'T' {
				t.Fatalf("BEGIN: %v %c", codes, tx)
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		other, err := pgx.Connect(ctx, e.pg.DSN(e.stageDB))
		if err != nil {
			t.Fatal(err)
		}
		// The other session flags the rest and holds a lock the write
		// must wait for, but the question need not.
		if _, err := other.Exec(ctx, "BEGIN; UPDATE rc SET flag = true WHERE id > 10; LOCK TABLE rc IN SHARE MODE"); err != nil {
			t.Fatal(err)
		}
		type result struct {
			codes []string
			tx    byte
		}
		done := make(chan result, 1)
		q := "UPDATE rc SET v = 'gone' WHERE flag"
		go func() {
			var r result
			if form == "simple" {
				r.codes, _, r.tx = s.status(&pgproto3.Query{String: q})
			} else {
				r.codes, _, r.tx = s.status(&pgproto3.Parse{Query: q}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{})
			}
			done <- r
		}()
		waitForLockWait(t, e, "UPDATE rc SET v = 'gone'")
		if _, err := other.Exec(ctx, "COMMIT"); err != nil {
			t.Fatal(err)
		}
		r := <-done
		want := byte('I')
		if form == "block" {
			want = 'E' // the client's block fails, and its COMMIT commits nothing
			if codes, _, tx := s.status(&pgproto3.Query{String: "COMMIT"}); len(codes) != 0 || tx != 'I' {
				t.Fatalf("COMMIT: %v %c", codes, tx)
			}
		}
		if len(r.codes) != 1 || r.codes[0] != CodeDenied || r.tx != want {
			t.Fatalf("%s: codes %v, status %c", form, r.codes, r.tx)
		}
		var gone int
		if err := other.QueryRow(ctx, "SELECT count(*) FROM rc WHERE v = 'gone'").Scan(&gone); err != nil {
			t.Fatal(err)
		}
		if gone != 0 {
			t.Fatalf("%s: %d rows written, want none: the write reached every row", form, gone)
		}
		// Sent again, it is asked about as it now reaches: held.
		if codes, _, tx := s.status(&pgproto3.Query{String: q}); len(codes) != 1 || !strings.HasPrefix(codes[0], "CP") || tx != 'I' {
			t.Fatalf("%s again: codes %v, status %c", form, codes, tx)
		}
		other.Close(ctx)
		cancel()
	}
}

// A questioned write sent in one text with transaction control commits
// before anything can check what it reached: held, with the reason.
func TestQuestionedWritesWithTransactionControlInOneText(t *testing.T) {
	e := setup(t)
	e.pg.Exec(t, e.stageDB, `CREATE TABLE tc (id int, v text); INSERT INTO tc SELECT g, 'v' FROM generate_series(1, 20) g`)
	s := e.rawTo(t, e.stageToken, "app-staging")
	for _, q := range []string{"DELETE FROM tc WHERE v <> 'keep'; COMMIT", "BEGIN; UPDATE tc SET v = 'x' WHERE id > 2; COMMIT"} {
		codes, _ := s.send(&pgproto3.Query{String: q})
		if len(codes) == 0 || !strings.HasPrefix(codes[0], "CP") {
			t.Errorf("%q: codes %v", q, codes)
		}
	}
	if n := e.pg.Count(t, e.stageDB, "tc"); n != 20 {
		t.Fatalf("tc has %d rows", n)
	}
	// Pinned to one value of a key, or sent apart, they run.
	e.pg.Exec(t, e.stageDB, `CREATE TABLE tk (id int PRIMARY KEY, v text); INSERT INTO tk SELECT g, 'v' FROM generate_series(1, 20) g`)
	ran(t, s, "BEGIN; DELETE FROM tk WHERE id = 3; COMMIT")
	for _, q := range []string{"BEGIN", "UPDATE tc SET v = 'x' WHERE id > 10", "COMMIT"} {
		ran(t, s, q)
	}
	if n := e.pg.Count(t, e.stageDB, "tk"); n != 19 {
		t.Fatalf("tk has %d rows, want 19", n)
	}
	onDB(t, e, e.stageDB, func(ctx context.Context, c *pgx.Conn) {
		var n int
		if err := c.QueryRow(ctx, "SELECT count(*) FROM tc WHERE v = 'x'").Scan(&n); err != nil || n != 10 {
			t.Fatalf("%d rows of tc updated (%v), want 10", n, err)
		}
	})
}

// waitForLockWait waits until a backend running a query that starts with
// prefix waits for a lock.
func waitForLockWait(t *testing.T, e *env, prefix string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var n int
		onDB(t, e, e.stageDB, func(ctx context.Context, c *pgx.Conn) {
			if err := c.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE $1 || '%'", prefix).Scan(&n); err != nil {
				t.Fatal(err)
			}
		})
		if n > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no backend waits for a lock running %q", prefix)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The transaction the question opens is the client's cycle's, and ends
// with it: the client sees the cycle end outside a block whether the write
// ran, failed or was refused, with its rows and the server's own errors,
// and transaction control inside such a cycle is refused, not run.
func TestAQuestionsTransactionEndsWithTheCycle(t *testing.T) {
	e := setup(t)
	e.pg.Exec(t, e.stageDB, `CREATE TABLE wt (id int, v int); INSERT INTO wt SELECT g, g FROM generate_series(1, 20) g`)
	s := e.rawTo(t, e.stageToken, "app-staging")

	codes, rows, tx := s.status(&pgproto3.Query{String: "UPDATE wt SET v = v + 100 WHERE id < 4 RETURNING id"})
	if len(codes) != 0 || strings.Join(rows, ",") != "1,2,3" || tx != 'I' {
		t.Fatalf("simple: codes %v rows %v status %c", codes, rows, tx)
	}
	codes, rows, tx = s.status(&pgproto3.Parse{Query: "DELETE FROM wt WHERE id = $1::int + 0 RETURNING id"},
		&pgproto3.Bind{Parameters: [][]byte{[]byte("5")}}, &pgproto3.Execute{}, &pgproto3.Sync{})
	if len(codes) != 0 || strings.Join(rows, ",") != "5" || tx != 'I' {
		t.Fatalf("extended: codes %v rows %v status %c", codes, rows, tx)
	}
	// The server's own error, in either protocol, and the session goes on.
	codes, _, tx = s.status(&pgproto3.Query{String: "UPDATE wt SET v = v / 0 WHERE id < 3"})
	if len(codes) != 1 || codes[0] != "22012" || tx != 'I' {
		t.Fatalf("failing write: codes %v status %c", codes, tx)
	}
	codes, _, tx = s.status(&pgproto3.Parse{Query: "UPDATE wt SET v = v / 0 WHERE id < 3"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{})
	if len(codes) != 1 || codes[0] != "22012" || tx != 'I' {
		t.Fatalf("failing write, extended: codes %v status %c", codes, tx)
	}
	// A refused write leaves the session idle too.
	codes, _, tx = s.status(&pgproto3.Query{String: "DELETE FROM wt WHERE id > 0"})
	if len(codes) != 1 || !strings.HasPrefix(codes[0], "CP") || tx != 'I' {
		t.Fatalf("every-row write: codes %v status %c", codes, tx)
	}
	// Transaction control after a wrapped write in the same cycle: the
	// cycle fails whole, and nothing of it is committed.
	codes, _, tx = s.status(&pgproto3.Parse{Query: "UPDATE wt SET v = -1 WHERE id < 3"}, &pgproto3.Bind{}, &pgproto3.Execute{},
		&pgproto3.Parse{Name: "b", Query: "BEGIN"}, &pgproto3.Bind{PreparedStatement: "b"}, &pgproto3.Execute{}, &pgproto3.Sync{})
	if len(codes) != 1 || !strings.HasPrefix(codes[0], "CP") || tx != 'I' {
		t.Fatalf("BEGIN in a wrapped cycle: codes %v status %c", codes, tx)
	}
	s.status(&pgproto3.Parse{Name: "c", Query: "COMMIT"}, &pgproto3.Sync{})
	codes, _, tx = s.status(&pgproto3.Parse{Query: "UPDATE wt SET v = -1 WHERE id < 3"}, &pgproto3.Bind{}, &pgproto3.Execute{},
		&pgproto3.Bind{PreparedStatement: "c"}, &pgproto3.Execute{}, &pgproto3.Sync{})
	if len(codes) != 1 || !strings.HasPrefix(codes[0], "CP") || tx != 'I' {
		t.Fatalf("a prepared COMMIT in a wrapped cycle: codes %v status %c", codes, tx)
	}
	// A client's own block is the client's: asked inside it, committed by it.
	for _, q := range []string{"BEGIN", "UPDATE wt SET v = 0 WHERE id = 20 OR id = 19", "SAVEPOINT a", "ROLLBACK TO a"} {
		if codes, _, tx := s.status(&pgproto3.Query{String: q}); len(codes) != 0 || tx != 'T' {
			t.Fatalf("%q: codes %v status %c", q, codes, tx)
		}
	}
	if codes, _, tx := s.status(&pgproto3.Query{String: "COMMIT"}); len(codes) != 0 || tx != 'I' {
		t.Fatalf("COMMIT: codes %v status %c", codes, tx)
	}
	onDB(t, e, e.stageDB, func(ctx context.Context, c *pgx.Conn) {
		var got string
		if err := c.QueryRow(ctx, "SELECT string_agg(id || ':' || v, ',' ORDER BY id) FROM wt WHERE id < 6 OR id > 18").Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != "1:101,2:102,3:103,4:4,19:0,20:0" {
			t.Fatalf("rows %s", got)
		}
	})
}

// A filter that reads the clock reads the same time in the question and
// the write when both run in the question's transaction: outside a block
// it is asked like any other. Where the question cannot open that
// transaction (a statement still in flight before it), it is held.
func TestFiltersThatReadTheClockShareTheQuestionsTime(t *testing.T) {
	e := setup(t)
	s := e.rawTo(t, e.stageToken, "app-staging")
	for _, q := range []string{
		"DELETE FROM bookings WHERE id <> 1 OR (id > 0 AND now() > '2000-01-01')",
		"DELETE FROM bookings WHERE id <> 1 OR (id > 0 AND 'now'::timestamptz > '2000-01-01')",
		"DELETE FROM bookings b USING (SELECT transaction_timestamp() AS t) c WHERE b.id <> 1 OR (b.id > 0 AND c.t > '2000-01-01')",
	} {
		refusedBoth(t, s, q)
	}
	codes, _ := s.send(&pgproto3.Parse{Query: "DELETE FROM bookings WHERE id <> 1 OR (id > 0 AND $1::timestamptz > '2000-01-01')"},
		&pgproto3.Bind{Parameters: [][]byte{[]byte("now")}}, &pgproto3.Execute{}, &pgproto3.Sync{})
	if len(codes) == 0 || !strings.HasPrefix(codes[0], "CP") {
		t.Errorf("bound 'now': codes %v", codes)
	}
	if n := e.pg.Count(t, e.stageDB, "bookings"); n != 100 {
		t.Fatalf("bookings has %d rows, want 100", n)
	}
	// Bounded, outside a block.
	ran(t, s, "DELETE FROM bookings WHERE id > 95 AND now() > '2000-01-01'")
	ran(t, s, "DELETE FROM bookings WHERE id > 90 OR (id > 0 AND CURRENT_DATE > '2999-01-01')")
	// Sent behind a statement still in flight, the question cannot open
	// the write's transaction.
	s.fe.Send(&pgproto3.Query{String: "SELECT pg_sleep(0.2)"})
	if codes, _, _ := s.status(&pgproto3.Query{String: "DELETE FROM bookings WHERE id > 80 AND now() > '2000-01-01'"}); len(codes) != 0 {
		t.Fatalf("pg_sleep: codes %v", codes)
	}
	if codes, _, tx := s.status(); len(codes) == 0 || !strings.HasPrefix(codes[0], "CP") || tx != 'I' {
		t.Errorf("pipelined clock filter: codes %v status %c", codes, tx)
	}
	if n := e.pg.Count(t, e.stageDB, "bookings"); n != 90 {
		t.Errorf("bookings has %d rows, want 90", n)
	}
}
