package pg

import (
	"context"
	"strings"
	"time"
)

// An approval is spent only by a committed effect. When an approved
// statement is forwarded its approval is reserved; the session then follows
// what became of it: an error in its sync cycle outside a transaction
// block, or its transaction rolling back, releases the approval for a retry
// (an error inside a block does not: a savepoint can keep the statement's
// effect through ROLLBACK TO, and the transaction's end decides); its cycle
// ending outside a transaction block, or its transaction committing,
// consumes it. A session
// that ends with everything answered releases what its open transaction
// held, since the server rolls back with it; one that ends with a statement
// unanswered spends every approval it held (releaseSpends). So a migration
// retried after a rollback needs no new approvals for the statements
// already approved.

// spend is an approval reserved for a statement that is running.
type spend struct {
	request   string
	cycle     int  // the sync cycle the statement ran in
	failed    bool // an error came back in that cycle
	inTx      bool // its cycle ended inside a transaction block
	committed bool // a COMMIT (or PREPARE TRANSACTION) came back after it
}

// commitSeen marks every approval reserved so far as committed when the
// server answers a COMMIT, whatever follows: COMMIT AND CHAIN leaves a new
// transaction open, an error later in the same cycle or a client hanging
// up before the cycle ends does not undo it. PREPARE TRANSACTION counts:
// its COMMIT PREPARED is another session's. Called with s.mu held.
func (s *session) commitSeen(tag string) {
	if tag != "COMMIT" && tag != "PREPARE TRANSACTION" {
		return // COMMIT of a failed transaction answers ROLLBACK
	}
	for i := range s.spends {
		s.spends[i].committed = true
	}
}

// settlement is a spend whose fate is known.
type settlement struct {
	request   string
	committed bool
}

// reserved records an approval reserved for the statement just forwarded.
func (s *session) reserved(request string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.spends = append(s.spends, spend{request: request, cycle: s.syncs})
}

// spendsFailed marks the spends of the cycle an error came back in. Called
// with s.mu held.
func (s *session) spendsFailed() {
	for i := range s.spends {
		if !s.spends[i].inTx && s.spends[i].cycle == s.readies {
			s.spends[i].failed = true
		}
	}
}

// spendsAt decides, at a ReadyForQuery with transaction status tx and the
// cycle's last command tag, which spends are settled. Called with s.mu held,
// before readies moves on.
func (s *session) spendsAt(tx byte, tag string) []settlement {
	var out []settlement
	kept := s.spends[:0]
	for _, sp := range s.spends {
		switch {
		case sp.committed:
			out = append(out, settlement{sp.request, true})
		case !sp.inTx && sp.cycle > s.readies:
			kept = append(kept, sp) // not run yet
		case !sp.inTx && sp.failed && tx == 'I':
			// The cycle failed outside a transaction block: the statement
			// (or its implicit transaction) was rolled back.
			out = append(out, settlement{sp.request, false})
		case !sp.inTx && sp.failed:
			// It failed inside a block, but a savepoint taken after the
			// statement keeps its effect through ROLLBACK TO; the
			// transaction's end decides.
			sp.inTx = true
			kept = append(kept, sp)
		case tx == 'I' && sp.inTx:
			// The transaction ended in this cycle: COMMIT of a failed
			// transaction answers ROLLBACK too.
			out = append(out, settlement{sp.request, !strings.HasPrefix(tag, "ROLLBACK")})
		case tx == 'I':
			out = append(out, settlement{sp.request, true})
		default:
			sp.inTx = true
			kept = append(kept, sp)
		}
	}
	s.spends = kept
	return out
}

// settle reports settled spends to the gate.
func (s *session) settle(done []settlement) {
	if len(done) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, d := range done {
		s.g.Gate.Settle(ctx, d.request, "token:"+s.tok.ID, d.committed)
	}
}

// releaseSpends settles every approval still reserved when the session is
// over. The server rolled back a transaction left open, so an approval
// whose statement ran in one is given back; but a statement (or a COMMIT)
// forwarded and not yet answered may have committed before the connection
// went (the client hanging up right after sending it, or the session ended
// by a pinned setting's report), and its approval is spent: an approval is
// given back only when its effect is known not to have happened.
func (s *session) releaseSpends() {
	s.mu.Lock()
	unanswered := s.syncs > s.readies
	var done []settlement
	for _, sp := range s.spends {
		done = append(done, settlement{sp.request, sp.committed || unanswered || !sp.inTx && !sp.failed})
	}
	s.spends = nil
	s.mu.Unlock()
	s.settle(done)
}

// tracksTags says whether the relay must read command tags: only while a
// transaction holds a reserved approval.
func (s *session) tracksTags() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.spends) > 0
}
