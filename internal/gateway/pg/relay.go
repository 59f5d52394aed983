package pg

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/gate"
	"github.com/chaperone/chaperone/internal/store"
)

// session is one admitted client and its upstream connection.
type session struct {
	g        *Gateway
	client   net.Conn
	cr       *msgReader
	cw       *msgWriter
	up       net.Conn
	params   map[string]string // the upstream's ParameterStatus values, for the client
	ur       *msgReader
	uw       *msgWriter
	tok      store.Token
	upstream Upstream
	// counted is set while the session holds its slots (limits.go).
	counted bool
	pid     uint32
	secret  []byte
	tx      byte
	// upstreamPID is the server process the session runs in.
	upstreamPID uint32
	// codeChanged: the last statement could have created code (usercode.go).
	codeChanged bool

	// Client side only: sync points forwarded (Sync and Query messages,
	// each brings one ReadyForQuery).
	syncs int

	mu      sync.Mutex
	markers []marker
	readies int // ReadyForQuery messages relayed
	// probe is a question to the session in flight (resolve.go).
	probe *probe
	// cycleN counts the client's messages forwarded since its last Sync
	// or Query; cycleExec says whether one was an Execute.
	cycleN    int
	cycleExec bool
	// guards are the statement names whose runs are decided at Bind or
	// EXECUTE; pend the definitions not yet confirmed (bind.go).
	guards map[string]*guarded
	pend   []definition
	// spends are approvals reserved for statements still running, and tag
	// the cycle's last command tag while there are any (spend.go).
	spends []spend
	tag    string
	// presnaps are snapshots taken ahead in the current transaction for
	// approved statements it may run (ahead.go).
	presnaps map[string]gate.Snapshot
	// inBlock: the current transaction was opened by BEGIN (or START
	// TRANSACTION) with nothing in flight.
	inBlock bool
	// tableSnaps are the tables snapshotted in the current transaction
	// ahead of its schema changes, under a grant (ahead.go).
	tableSnaps map[string]gate.Snapshot
	// ddlCycle is one more than the cycle of the last schema change
	// forwarded, until a ReadyForQuery outside a transaction ends it; txCols
	// are the columns whose type that transaction changed, txOther whether
	// it changed anything else in the catalog (gate.go).
	ddlCycle int
	txCols   map[string]bool
	txOther  bool

	// undurable waits for the audit entries of writes forwarded into the
	// open transaction block before they were durable; unnamedContained
	// and portalContained say whether the unnamed statement, and the
	// statement the unnamed portal was bound from, are contained
	// (durable.go).
	undurable        []func(context.Context) error
	unnamedContained bool
	portalContained  bool

	// kept is a Parse of a write whose reach is asked at its Bind, kept
	// back at the start of a cycle until the next message; keptName is the
	// statement it defines (everyrow.go).
	kept     []byte
	keptName string

	// keys is what the session learnt of unique keys (uniquekeys.go).
	keys uniqueKeys
	// owed counts the answers still owed for the Parse, Describe and
	// Close messages forwarded in cycle owedCycle; cycleRan says a Bind
	// or Execute was forwarded in it, cycleErr that the upstream failed in
	// it. Between them they say whether a question may be asked in the
	// middle of the cycle (everyrow.go). owed and cycleErr are under mu.
	owed      int
	owedCycle int
	cycleRan  bool
	cycleErr  bool
	// portals are the portals bound from writes whose reach was asked
	// about at their Bind (everyrow.go).
	portals map[string]*checkedPortal

	// wrapOpen says the question of a write in the client's current cycle
	// opened the transaction the cycle runs in; wraps are the ends of such
	// transactions still to be answered, wrapN how many (wrap.go). wraps is
	// under mu. txNames are the prepared statements that control the
	// transaction.
	wrapOpen bool
	// afterCheck is the question to ask once the cycle's write has run:
	// before Chaperone's COMMIT when wrapOpen, in the client's own block
	// otherwise.
	afterCheck string
	wraps      []*wrapEnd
	wrapN      atomic.Int32
	wrapAfter  atomic.Bool // the after-question's answers are coming
	txNames    map[string]bool

	// watch holds the upstream's reported values that must not change
	// during the session (pin.go).
	watch map[string]string

	// clientGone is set once the client has left (Terminate or EOF), so that
	// the upstream connection closing after it is not reported as a loss.
	clientGone atomic.Bool
	// ended holds why the session was ended from outside (its token was
	// revoked), for the relay to tell the client.
	ended atomic.Pointer[pgproto3.ErrorResponse]
}

// marker is a held or denied message that was replaced, on its way to the
// upstream, by one that fails to parse. The upstream then fails at exactly
// the point the real error belongs, and leaves the transaction as a real
// error would (aborted inside a block); the relay swaps its syntax error for
// Chaperone's.
type marker struct {
	nonce string
	until int // the ReadyForQuery after which the error can no longer come
	err   *pgproto3.ErrorResponse
}

func (s *session) close() {
	s.releaseSpends()
	s.uncount()
	s.client.Close()
	if s.up != nil {
		s.up.Close()
	}
	s.g.forgetCancel(s.pid)
	s.releaseBuffers()
}

// releaseBuffers gives the session's buffers back to the pool once nothing
// reads or writes through them any more.
func (s *session) releaseBuffers() {
	for _, r := range []*msgReader{s.cr, s.ur} {
		if r != nil {
			r.release()
		}
	}
	for _, w := range []*msgWriter{s.cw, s.uw} {
		if w != nil {
			w.release()
		}
	}
}

// uncount gives back the session's slots.
func (s *session) uncount() {
	if s.counted {
		s.counted = false
		s.g.release(s.tok.ID, s.upstream.Name)
	}
}

// relay runs both directions until either side ends. A panic on either
// side ends this session only, and fromUpstream has always stopped before
// relay returns, a panic's way included: the session's buffers are given
// back after relay, and must not still be in use.
func (s *session) relay(ctx context.Context) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() {
			if r := recover(); r != nil {
				s.g.Log.Error("pg session panicked relaying the upstream's answers", "panic", r)
				s.client.Close()
			}
		}()
		s.fromUpstream()
		if why := s.ended.Load(); why != nil {
			// fromUpstream has stopped: nothing else writes to the client.
			s.lastWord(why)
		}
		if !s.clientGone.Load() {
			s.client.Close() // ends fromClient's read
		}
	}()
	stopped := false
	defer func() {
		if !stopped { // fromClient panicked
			s.clientGone.Store(true)
			s.up.Close()
			<-done
		}
	}()
	last := s.fromClient(ctx)
	s.clientGone.Store(true)
	s.up.Close()
	<-done
	stopped = true
	// Only fromUpstream writes to the client while both run; a last word
	// from the client side waits until it has stopped.
	if last != nil {
		s.lastWord(last)
	}
}

// lastWord tells the client why Chaperone ends its session, unless a
// message to it was cut off in its middle (the session ended while a
// result streamed through): the error's bytes would then be read as the
// rest of that message, a row's value. The client sees the connection
// end inside the message instead, as when the server itself goes away.
func (s *session) lastWord(e *pgproto3.ErrorResponse) {
	if !s.cw.partial {
		send(s.cw, e)
	}
	s.cw.Flush()
}

// fromClient reads the client's messages, gates every statement and
// forwards the rest unchanged. It returns a FATAL error for the client when
// it ends the session itself.
func (s *session) fromClient(ctx context.Context) (last *pgproto3.ErrorResponse) {
	for {
		typ, n, err := readHeader(s.cr)
		if err != nil {
			return
		}
		if typ != 'B' && s.sendKept() != nil {
			return
		}
		switch typ {
		case 'Q', 'P':
			body, err := readBody(s.cr, n, maxTextBody)
			if err == errTooLarge {
				if _, err := io.CopyN(io.Discard, s.cr, int64(n)); err != nil {
					return
				}
				err = s.forge(typ, "", pgError(CodeDenied, "Chaperone refused a statement too large to inspect", "", ""))
			} else if err == nil {
				err = s.statement(ctx, typ, body)
			}
			if err != nil {
				return
			}
		case 'B':
			portal, stmt, named := s.bindNames(n)
			if (!named || nameKey(stmt) != s.keptName) && s.sendKept() != nil {
				return
			}
			if s.checksAfter() && (!named || s.txNames[stmt]) {
				if _, err := io.CopyN(io.Discard, s.cr, int64(n)); err != nil || s.forge('P', refusedBind, wrapRefusal()) != nil {
					return
				}
				break
			}
			guarded := s.mayGuard(stmt, named)
			// A guarded statement's Bind may be refused and never reach
			// the server: its portal never counts as contained.
			s.binds(portal, stmt, named && !guarded)
			if !guarded {
				// No guarded statement is named: nothing to decide.
				s.cycleRan = true
				delete(s.portals, portal)
				if copyRaw(s.uw, s.cr, typ, n) != nil {
					return
				}
				break
			}
			body, err := readBody(s.cr, n, maxTextBody)
			if err == errTooLarge {
				if _, err := io.CopyN(io.Discard, s.cr, int64(n)); err != nil {
					return
				}
				err = s.forge('P', refusedBind, pgError(CodeDenied, "Chaperone refused parameters too large to show an approver", "", ""))
			} else if err == nil {
				err = s.bind(ctx, body)
			}
			s.cycleRan = true
			if err != nil {
				return
			}
		case 'F':
			// Judged by the function its OID names (fastpath.go).
			if s.awaitAudit() != nil {
				return
			}
			body, err := readBody(s.cr, n, maxTextBody)
			if err == errTooLarge {
				if _, err := io.CopyN(io.Discard, s.cr, int64(n)); err != nil {
					return
				}
				err = s.forge('Q', "", pgError(CodeDenied, "Chaperone refused a function call too large to inspect", "", ""))
			} else if err == nil {
				err = s.fastPath(ctx, body)
			}
			if err != nil {
				return
			}
		case 'S':
			s.syncs++
			if copyRaw(s.uw, s.cr, typ, n) != nil {
				return
			}
		case 'X':
			copyRaw(s.uw, s.cr, typ, n)
			s.uw.Flush()
			return
		case 'E':
			name := s.peekName(n)
			s.cycleRan = true
			if e := s.staleExecute(name); e != nil {
				if _, err := io.CopyN(io.Discard, s.cr, int64(n)); err != nil || s.forge('P', refusedBind, e) != nil {
					return
				}
				break
			}
			if s.executes(name) != nil || copyRaw(s.uw, s.cr, typ, n) != nil {
				return
			}
		case 'C', 'D', 'H', 'd', 'c', 'f':
			// Close, Describe, Flush and COPY data carry no statement
			// text; COPY data streams through unbuffered.
			s.answersOwed(typ, n)
			if copyRaw(s.uw, s.cr, typ, n) != nil {
				return
			}
		default:
			return fatal("08P01", fmt.Sprintf("Chaperone: unexpected message type %q", typ))
		}
		switch typ {
		case 'S', 'Q', 'F':
			if s.closeWrap(ctx) != nil {
				return
			}
			s.cycleN, s.cycleExec = 0, false
			s.newCycle(typ)
		case 'E':
			s.cycleN, s.cycleExec = s.cycleN+1, true
		default:
			s.cycleN++
		}
		if s.cr.Buffered() == 0 {
			if s.uw.Flush() != nil {
				return
			}
		}
	}
}

// statement gates one Query or Parse.
func (s *session) statement(ctx context.Context, typ byte, body []byte) error {
	var name, text string
	var oids []uint32
	var ok bool
	if typ == 'Q' {
		var rest []byte
		text, rest, ok = cstring(body)
		ok = ok && len(rest) == 0 // NULs inside the text: PostgreSQL would refuse it too
	} else {
		var rest []byte
		var ok1, ok2, ok3 bool
		name, rest, ok1 = cstring(body)
		text, rest, ok2 = cstring(rest)
		oids, ok3 = parseOIDs(rest)
		ok = ok1 && ok2 && ok3
	}
	s.atTransactionStart(ctx, text)
	if !ok {
		return s.forge(typ, name, pgError(CodeDenied, "Chaperone refused a malformed message (a NUL inside the statement text)", "", ""))
	}
	act, res := s.g.cache.classify(text)
	if typ == 'P' && name != "" {
		if res.Transaction {
			if s.txNames == nil {
				s.txNames = map[string]bool{}
			}
			s.txNames[name] = true
		} else {
			delete(s.txNames, name)
		}
	}
	if s.checksAfter() && res.Transaction {
		return s.forge(typ, name, wrapRefusal())
	}
	if !keepsKeys(text, res.Contained) {
		s.g.keyEpoch.Add(1)
	}
	switch {
	case typ == 'Q':
		// A simple Query drops the unnamed statement and portal.
		s.unnamedContained, s.portalContained = false, false
		if !res.Contained {
			if err := s.awaitAudit(); err != nil {
				return err
			}
		}
	case name == "":
		s.unnamedContained = false // until forwarded as it is
	}
	if e := s.lexerRefusal(ctx, res); e != nil {
		return s.forge(typ, name, e)
	}
	if e := nameRefusal(name, res.Prepared); e != nil {
		return s.forge(typ, name, e)
	}
	// Lists read while such a statement runs may predate it: its change is
	// counted again with the session's next statement.
	creates := mayCreateCode(act)
	if s.codeChanged || creates {
		s.g.code.changed(s.upstream.Name)
	}
	s.codeChanged = creates
	s.userCodeCalls(ctx, &act, res, oids)
	if s.inBlock && act.Class != action.ClassRead && !res.Contained && len(s.g.ahead.of(s.tok.ID, s.upstream.Name)) > 0 {
		s.snapshotAhead(ctx, text, len(res.Functions) > 0 || len(res.Attributes) > 0)
	}
	return s.gate(ctx, typ, body, name, text, oids, act, res)
}

// refusedBind names the statement forged in place of a refused Bind, so
// that the refusal leaves the client's unnamed statement alone; the forged
// text fails to parse before the name is ever looked at.
const refusedBind = "chaperone_refused_bind"

// bindNames peeks at the portal and statement names of a Bind of n bytes
// about to be read; named is false when they cannot be read from the
// buffer.
func (s *session) bindNames(n int) (portal, stmt string, named bool) {
	head, err := s.cr.Peek(min(n, 1024))
	if err != nil {
		return "", "", false
	}
	portal, rest, ok1 := cstring(head)
	stmt, _, ok2 := cstring(rest)
	return portal, stmt, ok1 && ok2
}

// peekName peeks at the name an Execute of n bytes about to be read
// starts with; one that cannot be read is given as a name no portal has.
func (s *session) peekName(n int) string {
	head, err := s.cr.Peek(min(n, 1024))
	if err != nil {
		return "\x00"
	}
	name, _, ok := cstring(head)
	if !ok {
		return "\x00"
	}
	return name
}

// mayGuard says whether a Bind of the statement stmt may name a guarded
// statement; named says whether stmt could be read.
func (s *session) mayGuard(stmt string, named bool) bool {
	s.mu.Lock()
	none := len(s.guards) == 0
	if none {
		for _, d := range s.pend {
			none = none && d.g == nil
		}
	}
	s.mu.Unlock()
	if none {
		return false
	}
	if !named {
		return true
	}
	g, err := s.guardOf(stmt)
	return g != nil || err != nil
}

// forge replaces a refused message with one the upstream will reject at the
// same point, and remembers the error to show instead.
func (s *session) forge(typ byte, name string, e *pgproto3.ErrorResponse) error {
	if err := s.sendKept(); err != nil {
		return err
	}
	id := nonce("chaperone_refused_")
	stmt := `"` + id + `"` // a lone identifier: a syntax error, at parse time
	var body []byte
	m := marker{nonce: id, err: e}
	if typ == 'Q' {
		body = append([]byte(stmt), 0)
		s.syncs++
		m.until = s.syncs
	} else {
		body = append(append(append([]byte(name), 0), stmt...), 0, 0, 0)
		m.until = s.syncs + 1
	}
	s.mu.Lock()
	s.markers = append(s.markers, m)
	s.mu.Unlock()
	if typ == 'Q' {
		return writeRaw(s.uw, 'Q', body)
	}
	return writeRaw(s.uw, 'P', body)
}

// fromUpstream relays the upstream's messages, swapping in Chaperone's errors
// where it forged a statement.
func (s *session) fromUpstream() {
	for {
		typ, n, err := readHeader(s.ur)
		if err == nil && typ != 'S' && typ != 'N' && typ != 'A' {
			s.mu.Lock()
			mine := s.probe != nil && s.readies == s.probe.after
			s.mu.Unlock()
			if mine {
				body, err := readBody(s.ur, n, 1<<20)
				if err != nil {
					return
				}
				s.mu.Lock()
				s.probed(typ, body)
				s.mu.Unlock()
				continue
			}
		}
		if err != nil {
			if !s.clientGone.Load() && s.ended.Load() == nil {
				s.lastWord(fatal("08006", fmt.Sprintf("Chaperone lost the connection to upstream %s", s.upstream.Name)))
			}
			return
		}
		if s.wrapN.Load() > 0 && (typ == 'Z' || typ == 'C' || typ == 'N' || typ == 'E' || typ == 'I') || s.wrapAfter.Load() && typ != 'S' && typ != 'A' {
			if s.wrapped(typ, n) != nil {
				return
			}
			continue
		}
		switch typ {
		case '1', '3', 't', 'T', 'n':
			s.mu.Lock()
			if s.readies == s.owedCycle && s.owed > 0 {
				s.owed--
			}
			s.mu.Unlock()
		}
		switch typ {
		case 'E':
			body, err := readBody(s.ur, n, 1<<20)
			if err != nil || s.relayError(body) != nil {
				return
			}
		case 'S':
			body, err := readBody(s.ur, n, 1<<16)
			if err != nil {
				return
			}
			if e := s.pinBroken(body); e != nil {
				// The session no longer reads statements as they were
				// judged: nothing more reaches the upstream.
				s.up.Close()
				send(s.cw, e)
				s.cw.Flush()
				s.g.Log.Warn("pg session ended: a pinned setting changed", "upstream", s.upstream.Name, "token", s.tok.ID, "msg", e.Message)
				return
			}
			if writeRaw(s.cw, typ, body) != nil {
				return
			}
		case 'Z':
			body, err := readBody(s.ur, n, 16)
			if err != nil || s.readyForQuery(body) != nil {
				return
			}
		case 'C':
			if !s.tracksTags() {
				if copyRaw(s.cw, s.ur, typ, n) != nil {
					return
				}
				break
			}
			body, err := readBody(s.ur, n, 1<<16)
			if err != nil || s.completed(body) != nil {
				return
			}
		case '1':
			s.mu.Lock()
			s.parseCompleted()
			s.mu.Unlock()
			if copyRaw(s.cw, s.ur, typ, n) != nil {
				return
			}
		default:
			if copyRaw(s.cw, s.ur, typ, n) != nil {
				return
			}
		}
		if s.ur.Buffered() == 0 {
			if s.cw.Flush() != nil {
				return
			}
		}
	}
}

// relayError relays the upstream's error: the cycle failed, and a forged
// statement's syntax error becomes Chaperone's refusal.
func (s *session) relayError(body []byte) error {
	s.mu.Lock()
	if s.readies == s.owedCycle {
		s.cycleErr = true
	}
	s.cycleFailed()
	s.spendsFailed()
	s.mu.Unlock()
	if mine := s.swap(body); mine != nil {
		return send(s.cw, mine)
	}
	return writeRaw(s.cw, 'E', body)
}

// readyForQuery relays a ReadyForQuery: the client's cycle is over.
func (s *session) readyForQuery(body []byte) error {
	if len(body) != 1 {
		return errBadReady
	}
	s.mu.Lock()
	s.cycleDone()
	settled := s.spendsAt(body[0], s.tag)
	if body[0] == 'I' && s.ddlCycle > 0 && s.readies+1 >= s.ddlCycle {
		s.ddlCycle, s.txCols, s.txOther = 0, nil, false
	}
	s.tag = ""
	s.readies++
	s.tx = body[0]
	for len(s.markers) > 0 && s.markers[0].until <= s.readies {
		s.markers = s.markers[1:] // skipped by the server after an earlier error
	}
	s.mu.Unlock()
	// Before the client hears the cycle is over, so that its retry
	// finds the approval already given back.
	s.settle(settled)
	return writeRaw(s.cw, 'Z', body)
}

var errBadReady = errors.New("malformed ReadyForQuery")

// completed relays a CommandComplete while approvals are being spent: its
// tag says whether their transaction committed.
func (s *session) completed(body []byte) error {
	s.mu.Lock()
	s.tag, _, _ = cstring(body)
	s.commitSeen(s.tag)
	s.mu.Unlock()
	return writeRaw(s.cw, 'C', body)
}

// wrapped relays, holds back or drops a message of type typ and n bytes
// while the answers of a wrapped cycle may be coming (wrap.go).
func (s *session) wrapped(typ byte, n int) error {
	body, err := readBody(s.ur, n, 1<<20)
	if err != nil {
		return err
	}
	skip, last, refused := s.wrapAnswer(typ, body)
	switch {
	case skip:
		return nil
	case typ == 'Z':
		if last {
			s.wrapN.Add(-1)
			if refused != nil {
				if err := send(s.cw, refused); err != nil {
					return err
				}
			}
		}
		err = s.readyForQuery(body)
	case typ == 'C' && s.tracksTags():
		err = s.completed(body)
	case typ == 'E':
		err = s.relayError(body)
	default:
		err = writeRaw(s.cw, typ, body)
	}
	if err == nil && s.ur.Buffered() == 0 {
		err = s.cw.Flush()
	}
	return err
}

// swap returns Chaperone's error when body is the syntax error of the next
// forged statement.
func (s *session) swap(body []byte) *pgproto3.ErrorResponse {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.markers) == 0 || !bytes.Contains(body, []byte(s.markers[0].nonce)) {
		return nil
	}
	var e pgproto3.ErrorResponse
	if e.Decode(body) != nil || e.Code != "42601" || !strings.Contains(e.Message, s.markers[0].nonce) {
		return nil
	}
	mine := s.markers[0].err
	s.markers = s.markers[1:]
	return mine
}

// atTransactionStart notes when the session, idle with nothing in flight,
// opens a transaction block: only there can an earlier statement of the
// same transaction hold a lock an approved statement's snapshot would need
// (a single query's statements are all decided before any runs), so only
// there are snapshots taken ahead (ahead.go).
func (s *session) atTransactionStart(ctx context.Context, text string) {
	s.mu.Lock()
	idle := s.tx == 'I' && s.cycleN == 0 && s.syncs == s.readies
	s.mu.Unlock()
	if !idle {
		return
	}
	s.tableSnaps, s.presnaps = nil, nil
	s.inBlock = beginsBlock(text)
}

// beginsBlock says whether a text starts with BEGIN or START TRANSACTION.
// A spelling it misses costs only the snapshot taken when the statement
// runs, which is bounded and refuses the statement when it cannot be taken.
func beginsBlock(text string) bool {
	t := strings.TrimLeft(text, " \t\r\n;(")
	t = strings.ToLower(t[:min(len(t), len("start transaction"))]) // only the head counts
	return strings.HasPrefix(t, "begin") || strings.HasPrefix(t, "start transaction")
}
