package pg

import (
	"cmp"
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/chaperone/chaperone/internal/audit"
)

// Outside a transaction block, the every-row question and the write would
// each run in a transaction of their own, at their own moment: the time
// they read (now(), CURRENT_DATE) would differ, and at REPEATABLE READ or
// SERIALIZABLE so would their snapshots. So where the session is idle
// outside a block, the question opens a transaction first, and the
// client's cycle (its Query, or its messages up to Sync) runs in it;
// Chaperone commits it right after the client's sync point, and the
// client sees the cycle end outside a block, as it would have.
//
// The transaction is the session's own default kind: at READ COMMITTED
// (PostgreSQL's default) each statement still reads its own snapshot, and
// another session's commit between the question and the write is seen by
// the write alone (docs/pg-gateway.md). Forcing REPEATABLE READ or
// SERIALIZABLE would close that, but turns concurrent writes to the same
// rows, which READ COMMITTED waits out, into serialization failures: under
// the gateway's load test, 4 of 200 clients failed at REPEATABLE READ and
// 108 at SERIALIZABLE.
//
// Transaction control inside such a cycle would end Chaperone's
// transaction or be committed by it, so it is refused there.

// beginWrap opens the transaction a question and its write share.
const beginWrap = "BEGIN"

// wrappable says whether a question asked now may open the transaction
// its write runs in: the session is outside a block with nothing in
// flight (so its status is current), and none is open for the cycle yet.
func (s *session) wrappable() bool {
	if s.wrapOpen {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tx == 'I' && s.readies == s.syncs && s.probe == nil
}

// wrapMessages are sent before a question that opens the transaction.
func wrapMessages() []pgproto3.FrontendMessage {
	name := nonce("chaperone_begin_")
	return []pgproto3.FrontendMessage{
		&pgproto3.Parse{Name: name, Query: beginWrap},
		&pgproto3.Bind{DestinationPortal: name, PreparedStatement: name},
		&pgproto3.Execute{Portal: name},
		&pgproto3.Close{ObjectType: 'P', Name: name},
		&pgproto3.Close{ObjectType: 'S', Name: name},
	}
}

// wrapEnd is the end of a transaction a question opened: after the
// client's ReadyForQuery (held back, at number at), the answers of the
// after-question when there is one, then of Chaperone's COMMIT or ROLLBACK.
type wrapEnd struct {
	at      int
	block   bool  // the client's own block: no COMMIT, an empty query or a failing one
	phase   int   // 0: the client's cycle; 1: the after-question; 2: COMMIT or ROLLBACK
	rows    int64 // the most rows a command of the cycle reported, -1 unknown
	after   chan afterAnswer
	answer  afterAnswer
	refused *pgproto3.ErrorResponse
}

type afterAnswer struct {
	value string // "t", "f", or "" when no row came
	err   string
}

// checksAfter says the client's current cycle holds a write asked about
// again after it runs: transaction control in the cycle would commit it
// first.
func (s *session) checksAfter() bool { return s.wrapOpen || s.afterCheck != "" }

// idleInBlock says the session is inside the client's own transaction
// block with nothing in flight, so its status is current.
func (s *session) idleInBlock() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tx == 'T' && s.readies == s.syncs && s.probe == nil
}

// errWithControl: a questioned write in a text that also controls the
// transaction commits before anything can be asked after it.
var errWithControl = errors.New("it is sent in one text with BEGIN, COMMIT or ROLLBACK, which commits it before Chaperone can check what it reached; send the transaction control as statements of their own")

// closeWrap ends the client's cycle once it has been forwarded up to its
// sync point (a Sync, a Query or a FunctionCall), where a write in it was
// asked about: it asks the after-question, and in the transaction a
// question opened commits, or rolls back a write that left no row of its
// table untouched (COMMIT of a failed transaction rolls it back); in the
// client's own block it lets the block go on, or fails it with the
// refusal, so that nothing of it commits.
func (s *session) closeWrap(ctx context.Context) error {
	if !s.checksAfter() {
		return nil
	}
	if !s.wrapOpen {
		return s.closeBlockCheck(ctx)
	}
	check := s.afterCheck
	s.wrapOpen, s.afterCheck = false, ""
	end := &wrapEnd{at: s.syncs, rows: -1}
	if check != "" {
		end.after = make(chan afterAnswer, 1)
	}
	s.mu.Lock()
	s.wraps = append(s.wraps, end)
	s.mu.Unlock()
	s.wrapN.Add(1)
	if check == "" {
		return writeRaw(s.uw, 'Q', []byte("COMMIT\x00"))
	}
	refused, err := s.askAfter(ctx, end, check)
	if err != nil {
		return err
	}
	if refused == nil {
		return writeRaw(s.uw, 'Q', []byte("COMMIT\x00"))
	}
	return writeRaw(s.uw, 'Q', []byte("ROLLBACK\x00"))
}

// closeBlockCheck ends a cycle of the client's own block that holds a
// questioned write: after the after-question, an empty query lets the
// block go on, or a statement that fails (its error replaced by the
// refusal) aborts it, so that the client's COMMIT commits nothing of it.
func (s *session) closeBlockCheck(ctx context.Context) error {
	check := s.afterCheck
	s.afterCheck = ""
	end := &wrapEnd{at: s.syncs, rows: -1, block: true, after: make(chan afterAnswer, 1)}
	s.mu.Lock()
	s.wraps = append(s.wraps, end)
	s.mu.Unlock()
	s.wrapN.Add(1)
	refused, err := s.askAfter(ctx, end, check)
	if err != nil {
		return err
	}
	if refused == nil {
		return writeRaw(s.uw, 'Q', []byte{0})
	}
	return writeRaw(s.uw, 'Q', []byte(`"`+nonce("chaperone_refused_")+`"`+"\x00"))
}

// askAfter sends the after-question for end and decides from its answer:
// the refusal of a write that left no row of its table untouched, over
// more than one row, or nil.
func (s *session) askAfter(ctx context.Context, end *wrapEnd, check string) (*pgproto3.ErrorResponse, error) {
	if err := writeRaw(s.uw, 'Q', append([]byte(check), 0)); err != nil {
		return nil, err
	}
	if err := s.uw.Flush(); err != nil {
		return nil, err
	}
	var a afterAnswer
	select {
	case a = <-end.after:
	case <-time.After(cmp.Or(s.g.resolveWait, 30*time.Second)):
		s.end(fatal("08006", "Chaperone ended the session: the upstream did not answer whether a write reached every row"))
		return nil, errUnresolvable
	}
	s.mu.Lock()
	rows := end.rows
	s.mu.Unlock()
	var refused *pgproto3.ErrorResponse
	switch {
	case strings.HasPrefix(a.err, "25P02"):
		// The cycle failed: nothing of it commits.
	case a.err != "":
		refused = pgError(CodeDenied, "Chaperone refused this write: it could not ask, after the write, whether it left any row of its table untouched: "+a.err, "", "")
	case a.value == "t" && rows != 0 && rows != 1:
		refused = pgError(CodeDenied, "Chaperone refused this write [sql.every-row]: it reached every row of its table that this transaction had not already changed, though the question before it found rows left out (another session changed them in between); nothing of it is committed",
			"", "send it again: it is then asked about, and held for approval, as it reaches")
	}
	if refused == nil {
		return nil, nil
	}
	s.mu.Lock()
	end.refused = refused
	s.mu.Unlock()
	if s.g.Record != nil {
		if err := s.g.Record(ctx, audit.Event{Type: audit.PGRefusedStatement, Actor: "token:" + s.tok.ID,
			Data: map[string]string{"upstream": s.upstream.Name, "env": s.upstream.Env, "finding": "sql.every-row-after", "reason": refused.Message}}); err != nil {
			s.g.Log.Warn("recording a refused write", "err", err)
		}
	}
	return refused, nil
}

// wrapAnswer decides, in fromUpstream, what becomes of a message of type
// typ while transactions a question opened are ending: the commands'
// row counts are noted; the client's ReadyForQuery (it reports the open
// transaction) is held back; the after-question's answers go to closeWrap;
// of the COMMIT or ROLLBACK, the command tag and the notice that no
// transaction was open are dropped, its error goes to the client, and its
// ReadyForQuery ends the client's cycle, after the refusal when there is
// one. skip says the message is not relayed; last that it is that
// ReadyForQuery.
func (s *session) wrapAnswer(typ byte, body []byte) (skip, last bool, refused *pgproto3.ErrorResponse) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.wraps) == 0 || s.wraps[0].at != s.readies+1 {
		return false, false, nil
	}
	end := s.wraps[0]
	switch end.phase {
	case 0:
		switch typ {
		case 'C':
			end.rows = max(end.rows, tagRows(body))
		case 'Z':
			end.phase = 2
			if end.after != nil {
				end.phase = 1
				s.wrapAfter.Store(true)
			}
			return true, false, nil
		}
		return false, false, nil
	case 1:
		switch typ {
		case 'D':
			var d pgproto3.DataRow
			if d.Decode(body) == nil && len(d.Values) == 1 {
				end.answer.value = string(d.Values[0])
			}
		case 'E':
			var e pgproto3.ErrorResponse
			e.Decode(body)
			end.answer.err = e.Code + " " + e.Message
		case 'S', 'A':
			return false, false, nil // reports and notifications are the session's
		case 'Z':
			end.phase = 2
			s.wrapAfter.Store(false)
			end.after <- end.answer
		}
		return true, false, nil
	}
	switch typ {
	case 'C', 'I':
		return true, false, nil
	case 'E':
		// The failing statement's error, in a refused block, is the
		// refusal's place.
		return end.block && end.refused != nil, false, nil
	case 'N':
		var n pgproto3.NoticeResponse
		return n.Decode(body) == nil && n.Code == "25P01", false, nil
	case 'Z':
		s.wraps = s.wraps[1:]
		return false, true, end.refused
	}
	return false, false, nil
}

// tagRows is the row count a command tag ends with (UPDATE 20, INSERT 0 3),
// or -1.
func tagRows(body []byte) int64 {
	tag, _, _ := cstring(body)
	i := strings.LastIndexByte(tag, ' ')
	if i < 0 {
		return -1
	}
	n, err := strconv.ParseInt(tag[i+1:], 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// wrapRefusal refuses transaction control in a cycle that runs in a
// transaction a question opened.
func wrapRefusal() *pgproto3.ErrorResponse {
	return pgError(CodeDenied, "Chaperone refused transaction control here: a write earlier in this cycle runs in a transaction Chaperone opened so that its every-row question and the write read the same rows, and commits at the cycle's end",
		"", "send BEGIN, COMMIT, ROLLBACK and SAVEPOINT with a Sync of their own")
}
