package pg

import (
	"github.com/jackc/pgx/v5/pgproto3"
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

// closeWrap commits the transaction a question opened, once the client's
// cycle has been forwarded up to its sync point (a Sync, a Query or a
// FunctionCall). COMMIT of a failed transaction rolls it back.
func (s *session) closeWrap() error {
	if !s.wrapOpen {
		return nil
	}
	s.wrapOpen = false
	s.mu.Lock()
	s.wraps = append(s.wraps, s.syncs)
	s.mu.Unlock()
	s.wrapN.Add(1)
	return writeRaw(s.uw, 'Q', []byte("COMMIT\x00"))
}

// wrapAnswer decides, in fromUpstream, what becomes of a message of type
// typ while wrapped cycles are pending: the client's ReadyForQuery of a
// wrapped cycle is held back (it reports Chaperone's open transaction),
// and of the COMMIT that follows, its command tag and the notice that no
// transaction was open are dropped; its error, reports and notifications
// go to the client, and its ReadyForQuery ends the client's cycle. skip
// says the message is not relayed; last that it is that ReadyForQuery.
func (s *session) wrapAnswer(typ byte, body []byte) (skip, last bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.wraps) == 0 || s.wraps[0] != s.readies+1 {
		return false, false
	}
	if !s.wrapTail {
		if typ == 'Z' {
			s.wrapTail = true
			return true, false
		}
		return false, false
	}
	switch typ {
	case 'C':
		return true, false
	case 'N':
		var n pgproto3.NoticeResponse
		return n.Decode(body) == nil && n.Code == "25P01", false
	case 'Z':
		s.wraps, s.wrapTail = s.wraps[1:], false
		return false, true
	}
	return false, false
}

// wrapRefusal refuses transaction control in a cycle that runs in a
// transaction a question opened.
func wrapRefusal() *pgproto3.ErrorResponse {
	return pgError(CodeDenied, "Chaperone refused transaction control here: a write earlier in this cycle runs in a transaction Chaperone opened so that its every-row question and the write read the same rows, and commits at the cycle's end",
		"", "send BEGIN, COMMIT, ROLLBACK and SAVEPOINT with a Sync of their own")
}
