package pg

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/classify/sql"
)

// Where writes run without approval, an UPDATE or DELETE whose filter
// reaches every row of its table is destruction all the same, however its
// filter is spelt (`WHERE id > 0`, `WHERE length(name) >= 0`). Reading the
// text cannot settle that; the data can. So before such a write runs, the
// session itself is asked (sql.EveryRowProbe) whether the filter leaves any
// row of the table out, at the write's place in the stream and with the
// values it binds: the same search_path, temporary tables and uncommitted
// rows the write will meet. A write that reaches every row of a table
// holding more than one row is judged as sql.delete-all or sql.update-all;
// one that cannot be asked about is unknown. Both then wait for a human as
// the policy says.
//
// The question can be asked only between the client's cycles: inside one, a
// question would end the client's implicit transaction. A Parse of such a
// write at the start of a cycle is kept back until the next message, so
// that a Bind right after it (as most drivers send them) is still asked
// about at the cycle's start; a Bind of one later in a cycle (a pipelined
// batch) cannot be asked about, and is unknown.

// rowCheck is the question for one statement text.
type rowCheck struct {
	probe  string
	after  string       // asked after the write in the transaction the question opened
	params map[int]bool // the parameters probe uses
	tables []string
	pins   []sql.Pin
	clock  bool // the filter reads the transaction's clock
}

// rowCheckOf returns the question for text, nil when there is none to ask,
// or the error that makes it unaskable; pins are the classifier's
// (sql.Result.Pins), for a run to skip the question when they are unique
// keys by then.
func rowCheckOf(text string, pins []sql.Pin) (*rowCheck, error) {
	rp, err := sql.EveryRowProbe(text)
	if err != nil || rp.Query == "" {
		return nil, err
	}
	return &rowCheck{probe: rp.Query, after: rp.After, params: rp.Params, tables: rp.Tables, pins: pins, clock: rp.Clock}, nil
}

// checksRows says whether an action is a write whose reach must be asked
// about: one the policy lets through, and one that needs approval, since
// neither an approval nor a grant of writes covers reaching every row (the
// rows a filter reaches can change after a human saw them: a temporary
// table refilled, a setting raised).
func checksRows(act action.Action, verdict action.Verdict) bool {
	return (verdict == action.Allow || verdict == action.Approve) && act.Class == action.ClassWrite
}

// reaching marks act as reaching every row of the tables named, or (with
// err) as a write whose reach could not be asked about.
func reaching(act action.Action, tables []string, err error) action.Action {
	act.Reasons = slices.Clone(act.Reasons)
	if err != nil {
		act.Reasons = append(act.Reasons, action.Reason{ID: "sql.reach-unknown", Class: action.ClassUnknown,
			Message: "Chaperone could not ask the database whether this write reaches every row of its table: " + err.Error()})
	} else {
		act.Reasons = append(act.Reasons, action.Reason{ID: "sql.every-row", Class: action.ClassDestructive,
			Message: fmt.Sprintf("the database says this write reaches every row of %s", strings.Join(tables, ", "))})
		act.Targets = slices.Clone(act.Targets)
		for _, t := range tables {
			if !slices.Contains(act.Targets, t) {
				act.Targets = append(act.Targets, t)
			}
		}
	}
	act.Class = action.Highest(act.Reasons)
	return act
}

var errHidden = errors.New("it runs inside a DO block or from SQL in a string, where nothing can be asked before each run")

var errClock = errors.New("its filter reads the time, and it came while an earlier statement was still running, so the question could not open the transaction the write runs in: the two would read the time at their own moments; send it after the earlier statement's answer, or inside BEGIN ... COMMIT")

// clockValues: a value bound in text that the date and time input may read
// as the transaction's time ('now', 'today').
func clockValues(b *bindMessage) bool {
	for i, v := range b.values {
		if formatOf(b.formats, i) == 0 && sql.ClockWord(string(v)) {
			return true
		}
	}
	return false
}

var errMidCycle = errors.New("it was sent inside a pipeline of statements, where nothing can be asked before it runs; send it with its own Sync")

// askEveryRow asks the session c's question, with the parameters a Bind
// gives when b is not nil. open says the question may open the transaction
// the client's cycle then runs in (wrap.go).
func (s *session) askEveryRow(c *rowCheck, oids []uint32, b *bindMessage, open bool) (bool, error) {
	if s.pinsUnique(c.pins) {
		return false, nil // at most one row each
	}
	wrap := open && s.wrappable()
	if s.tx != 'T' && !wrap && (c.clock || b != nil && clockValues(b)) {
		return false, errClock
	}
	// In the client's own block, with nothing in flight, the write is
	// asked about again after it runs (wrap.go).
	inBlock := open && !wrap && s.idleInBlock()
	name := nonce("chaperone_rows_")
	parse := &pgproto3.Parse{Name: name, Query: c.probe}
	bind := &pgproto3.Bind{DestinationPortal: name, PreparedStatement: name}
	if b != nil {
		for i := range b.values {
			oid := uint32(0)
			if i < len(oids) {
				oid = oids[i]
			}
			if oid == 0 && !c.params[i+1] {
				// Unused by the question, so nothing infers its type:
				// one that takes any value in its format.
				oid = 25 // text
				if formatOf(b.formats, i) == 1 {
					oid = 17 // bytea
				}
			}
			parse.ParameterOIDs = append(parse.ParameterOIDs, oid)
		}
		bind.ParameterFormatCodes, bind.Parameters = b.formats, b.values
	}
	var lead []pgproto3.FrontendMessage
	if wrap {
		lead = wrapMessages()
	}
	rows, err := s.ask("whether a write reaches every row", parse, bind, lead...)
	if wrap || inBlock {
		s.wrapOpen = s.wrapOpen || wrap
		s.afterCheck = c.after
	}
	if err != nil {
		return false, err
	}
	if len(rows) != 1 {
		return false, fmt.Errorf("%d answers", len(rows))
	}
	if rows[0] == nil {
		return false, errUnsteady
	}
	every := string(rows[0]) == "t"
	if every && (wrap || inBlock) {
		// Now destruction, it runs only as approved destruction, which
		// covers reaching every row: nothing is to be asked after it.
		s.afterCheck = ""
	}
	return every, nil
}

var errUnsteady = errors.New("its filter reads something that can change while the write runs (a sequence, a foreign table, a view over either or over a volatile function, a user's function or operator named like a builtin, or settings a trigger may change)")

func formatOf(formats []int16, i int) int16 {
	switch {
	case len(formats) == 0:
		return 0
	case len(formats) == 1:
		return formats[0]
	case i < len(formats):
		return formats[i]
	}
	return 0
}

// ask runs one statement in the session at this point of its stream and
// returns its one-column rows, without relaying anything to the client.
// what says what is asked, for the error that ends a session whose
// upstream does not answer.
// lead are messages sent before it in the same cycle, whose answers are
// not rows.
func (s *session) ask(what string, parse *pgproto3.Parse, bind *pgproto3.Bind, lead ...pgproto3.FrontendMessage) ([][]byte, error) {
	p := &probe{done: make(chan struct{})}
	s.mu.Lock()
	p.after = s.syncs
	s.probe = p
	s.mu.Unlock()
	for _, m := range lead {
		if err := send(s.uw, m); err != nil {
			return nil, err
		}
	}
	if err := send(s.uw, parse, bind, &pgproto3.Execute{Portal: bind.DestinationPortal},
		&pgproto3.Close{ObjectType: 'P', Name: bind.DestinationPortal}, &pgproto3.Close{ObjectType: 'S', Name: parse.Name},
		&pgproto3.Sync{}); err != nil {
		return nil, err
	}
	if err := s.uw.Flush(); err != nil {
		return nil, err
	}
	select {
	case <-p.done:
	case <-time.After(cmp.Or(s.g.resolveWait, 30*time.Second)):
		s.end(fatal("08006", "Chaperone ended the session: the upstream did not answer "+what))
		return nil, errUnresolvable
	}
	if p.err != "" {
		return nil, errors.New(p.err)
	}
	return p.rows, nil
}

// bindReachesEveryRow asks g's question with the values b binds, if it can
// still be asked: at the cycle's start, or right after the kept Parse of
// the statement b names.
func (s *session) bindReachesEveryRow(g *guarded, b bindMessage) (bool, error) {
	atStart := s.cycleN == 0 || s.kept != nil && s.cycleN == 1 && nameKey(b.stmt) == s.keptName
	if !atStart && !s.askableMidCycle() {
		return false, errMidCycle
	}
	return s.askEveryRow(g.check, g.oids, &b, !g.approve)
}

// askableMidCycle says whether a question may be asked in the middle of the
// client's cycle: nothing of the cycle has run or holds a portal (only
// Parse, Describe, Close and Flush were sent), the upstream has answered
// all of it without error, and every earlier cycle is over. Ending the
// cycle's implicit transaction with the question's Sync then changes
// nothing the client can see; postgres.js sends Parse, Describe and Flush,
// and binds only once they are answered.
func (s *session) askableMidCycle() bool {
	if s.kept != nil || s.cycleRan {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.probe == nil && s.readies == s.syncs && s.owedCycle == s.syncs && s.owed == 0 && !s.cycleErr
}

// owe counts n answers owed for messages forwarded in the current cycle.
func (s *session) owe(n int) {
	s.mu.Lock()
	if s.owedCycle != s.syncs {
		s.owedCycle, s.owed, s.cycleErr = s.syncs, 0, false
	}
	s.owed += n
	s.mu.Unlock()
}

// answersOwed counts the answers a Describe (two for a statement: its
// parameters and its rows) or a Close of n bytes about to be read is owed;
// a Close of a portal forgets its check, and a Flush leaves every checked
// portal to be asked about again.
func (s *session) answersOwed(typ byte, n int) {
	head, err := s.cr.Peek(min(n, 1024))
	kind := byte(0)
	if err == nil && len(head) > 0 {
		kind = head[0]
	}
	switch typ {
	case 'D':
		if kind == 'S' {
			s.owe(2)
		} else {
			s.owe(1)
		}
	case 'C':
		if name, _, ok := cstring(head[min(len(head), 1):]); kind == 'P' && ok {
			delete(s.portals, name)
		}
		s.owe(1)
	case 'H':
		s.portalsStale()
	}
}

// newCycle starts the client's next cycle after a Sync, Query or
// FunctionCall: nothing is owed in it, and a portal bound before it is
// asked about again when it runs.
func (s *session) newCycle(typ byte) {
	s.cycleRan = false
	s.mu.Lock()
	s.owedCycle, s.owed, s.cycleErr = s.syncs, 0, false
	s.mu.Unlock()
	if typ == 'Q' {
		delete(s.portals, "") // a Query drops the unnamed portal
	}
	s.portalsStale()
}

// checkedPortal is a portal bound from a write whose reach was asked about
// at its Bind, with the values bound.
type checkedPortal struct {
	g     *guarded
	b     bindMessage
	fresh bool // nothing could have changed the rows since it was asked
	ran   bool // executed once: its rows are written, later runs only fetch
}

// checkedBind remembers a portal whose Bind was asked about and let run.
func (s *session) checkedBind(g *guarded, b bindMessage) {
	if s.portals == nil {
		s.portals = map[string]*checkedPortal{}
	}
	s.portals[b.portal] = &checkedPortal{g: g, b: b, fresh: true}
}

func (s *session) portalsStale() {
	for _, p := range s.portals {
		p.fresh = false
	}
}

// staleExecute decides an Execute of a checked portal: run as asked when
// nothing came between its Bind and it; asked again with its values at
// the start of a cycle (a portal bound in an earlier cycle of a
// transaction); refused when it comes after a Flush in the same cycle,
// since another session may have changed the rows meanwhile and nothing
// can be asked there.
func (s *session) staleExecute(name string) *pgproto3.ErrorResponse {
	p := s.portals[name]
	if p == nil || p.ran || p.fresh {
		if p != nil {
			p.ran = true
		}
		return nil
	}
	if s.cycleN == 0 {
		every, err := s.askEveryRow(p.g.check, p.g.oids, &p.b, false)
		if err == nil && !every {
			p.ran = true
			return nil
		}
		if err == nil {
			return pgError(CodeDenied, fmt.Sprintf("Chaperone refused to run portal %q: the database says the write it holds now reaches every row of %s", name, strings.Join(p.g.check.tables, ", ")),
				"", "bind the statement again to have it decided with its values")
		}
	}
	return pgError(CodeDenied, fmt.Sprintf("Chaperone refused to run portal %q: its write was asked about at its Bind, and a Flush or Sync since let the rows change where nothing can be asked again", name),
		"", "send Bind and Execute together, before a Flush or Sync")
}

// sendKept forwards the Parse kept back at the cycle's start, if any.
func (s *session) sendKept() error {
	if s.kept == nil {
		return nil
	}
	body := s.kept
	s.kept = nil
	s.owe(1)
	return writeRaw(s.uw, 'P', body)
}
