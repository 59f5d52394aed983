package pg

import (
	"context"
	"errors"
	"time"

	"github.com/chaperone/chaperone/internal/classify/sql"
)

// A write must be on the audit record before its effect can last. Inside
// an open transaction block its effect cannot last, or be seen by anyone
// else, until the transaction commits, so a write that changes nothing
// outside the transaction (sql.Result.Contained) is forwarded once its
// entry is queued; the session waits for every such entry before it
// forwards anything that could end the transaction or reach outside it:
// any simple Query that is not itself contained, an Execute of anything
// but the unnamed portal bound from a contained statement, and a
// function call. Parse, Bind, Describe, Close, Flush and Sync run nothing,
// and a Sync inside a block commits nothing. If the session or the machine
// stops first, the upstream connection closes and the server rolls the
// transaction back. Waiting on the way out of the block is one synced
// audit write per transaction, shared with every other session's, rather
// than one per write.

// auditWait bounds how long a session waits for its writes' entries.
const auditWait = 10 * time.Second

// errAuditLost ends a session whose transaction holds writes the audit
// log could not record: closing the upstream connection rolls them back.
var errAuditLost = errors.New("audit entries of the open transaction could not be written")

// uncommitted says whether the statement about to be gated may run before
// its audit entry is durable: a contained statement, sent first in its
// cycle, while every earlier cycle is answered and left a transaction
// block open.
func (s *session) uncommitted(res sql.Result) bool {
	if !res.Contained || s.cycleN != 0 {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tx == 'T' && s.readies == s.syncs
}

// awaitAudit waits until every write forwarded early is on the record. If
// one is not, the session ends before anything else is forwarded.
func (s *session) awaitAudit() error {
	if len(s.undurable) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), auditWait)
	defer cancel()
	for _, wait := range s.undurable {
		if err := wait(ctx); err != nil {
			s.g.Log.Error("pg session ended: its transaction's writes could not be recorded", "upstream", s.upstream.Name, "token", s.tok.ID, "err", err)
			s.ended.CompareAndSwap(nil, fatal(CodeUndecidable,
				"Chaperone cannot write its audit log right now: this session's open transaction was rolled back, since the writes in it are not on the record"))
			return errAuditLost
		}
	}
	clear(s.undurable)
	s.undurable = s.undurable[:0]
	return nil
}

// executes notes an Execute of portal and waits for the record unless it
// runs a contained statement.
func (s *session) executes(portal string) error {
	if portal == "" && s.portalContained {
		return nil
	}
	return s.awaitAudit()
}

// binds notes which statement the unnamed portal now runs; named says
// whether the names could be read at all (and the Bind is sure to be
// forwarded as it is).
func (s *session) binds(portal, stmt string, named bool) {
	if portal == "" || !named {
		s.portalContained = named && stmt == "" && s.unnamedContained
	}
}
