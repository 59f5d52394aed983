package pg

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/chaperone/chaperone/internal/action"
)

// A statement that needs approval is decided when it runs, not when it is
// prepared. A Parse runs nothing, and the text alone does not say what a
// run does: `DELETE FROM bookings WHERE id < $1` deletes one row or all of
// them depending on the value bound. So such a Parse (or a PREPARE) is
// forwarded, its name is guarded, and every Bind (or EXECUTE) of a guarded
// name is one decision whose text is the statement followed by the values
// bound, which is what the approver sees and what the approval's hash
// covers. Another value is another request.
//
// The server's idea of which text a name holds must never be older than
// ours: a Parse skipped after an error in its pipeline, or refused because
// the name exists, leaves the old definition in place. So a guard is set as
// soon as a guarded Parse is forwarded, and lifted only once the server has
// confirmed (ParseComplete) the Parse that replaced it.

// PostgreSQL keeps prepared statements in a table keyed by the first 63
// bytes of their names (NAMEDATALEN - 1), after converting them to the
// database's encoding: "x"*64 and "x"*63 are one statement to the server.
// So every name is looked up by that key here too. A name with a byte
// outside ASCII is refused where it is defined: its length in the database's
// encoding, and so where the server cuts it, is not the one seen here. An
// ASCII name means the same bytes in every server encoding, so a lookup by
// any name that the server cuts to a guarded name finds its guard.
const maxNameBytes = 63

// nameKey is the name the server files a prepared statement under.
func nameKey(name string) string {
	if len(name) > maxNameBytes {
		return name[:maxNameBytes]
	}
	return name
}

// clippedName is the shortest name PostgreSQL's parser can leave when it
// cuts an identifier of 64 bytes or more: it cuts at 63 bytes, back to the
// start of a character of up to 4 bytes.
const clippedName = maxNameBytes - 3

// nameRefusal is the refusal of a definition under a name Chaperone cannot
// match as the server does, or nil. prepared are the names a query's
// PREPAREs define as the parser read them: one of clippedName bytes or more
// may have been cut from a longer identifier, which the server, cutting in
// the database's encoding, may have cut elsewhere.
func nameRefusal(parsed string, prepared []string) *pgproto3.ErrorResponse {
	if e := nonASCIIName(append([]string{parsed}, prepared...)...); e != nil {
		return e
	}
	for _, n := range prepared {
		if len(n) >= clippedName {
			return pgError(CodeDenied, fmt.Sprintf("Chaperone refused PREPARE %s: a name of %d bytes or more may be cut by PostgreSQL where Chaperone cannot see", n, clippedName),
				"", "use a shorter name")
		}
	}
	return nil
}

// nonASCIIName is the refusal of a definition under a name Chaperone cannot
// match as the server does, or nil when every name is plain ASCII.
func nonASCIIName(names ...string) *pgproto3.ErrorResponse {
	for _, n := range names {
		for i := 0; i < len(n); i++ {
			if n[i] >= utf8.RuneSelf {
				return pgError(CodeDenied, fmt.Sprintf("Chaperone refused the prepared statement name %q: only ASCII names are accepted", n),
					"", "PostgreSQL matches names by their first 63 bytes in the database's encoding, which Chaperone cannot see; use an ASCII name")
			}
		}
	}
	return nil
}

// guarded is a prepared statement whose runs are decided one by one.
type guarded struct {
	text string        // as prepared (for EXECUTE, with what it runs)
	act  action.Action // its classification
	oids []uint32      // parameter types declared by the Parse; 0: inferred
	// stmts are the SQL texts whose relations a run uses; res where they
	// resolved when it was prepared, when that could be asked.
	stmts []string
	res   *resolution
	// check, when set, is the question each run of a write is asked
	// before it runs (everyrow.go); act is then that write. approve: the
	// write needs approval whatever it reaches, and check only says
	// whether it reaches every row.
	check   *rowCheck
	approve bool
}

// definition is a Parse or PREPARE forwarded and not yet confirmed.
type definition struct {
	cycle int // the client's Sync cycle it was sent in
	name  string
	g     *guarded // nil: a statement allowed as prepared
	query bool     // a PREPARE in a simple query: confirmed when its cycle ends without error
}

// define records a forwarded Parse or PREPARE of name.
func (s *session) define(name string, g *guarded, query bool) {
	name = nameKey(name)
	s.mu.Lock()
	defer s.mu.Unlock()
	if g != nil && g.check == nil {
		// An approval guard is at least as strict as what it replaces:
		// set at once. A write whose rows are asked about (check) may be
		// less strict than the definition it replaces, and the server
		// keeps that one if this Parse is skipped after an error: it is
		// set only once confirmed.
		if s.guards == nil {
			s.guards = map[string]*guarded{}
		}
		s.guards[name] = g
	}
	s.pend = append(s.pend, definition{cycle: s.syncs, name: name, g: g, query: query})
}

// confirm applies a definition the server has accepted. Called with s.mu held.
func (s *session) confirm(d definition) {
	if d.g != nil && d.g.check == nil {
		return // set when it was sent
	}
	for _, later := range s.pend {
		if later.name == d.name && later.g != nil && later.g.check == nil {
			return // an approval guard sent after it stands
		}
	}
	if d.g != nil {
		if s.guards == nil {
			s.guards = map[string]*guarded{}
		}
		s.guards[d.name] = d.g
		return
	}
	delete(s.guards, d.name)
}

// parseCompleted is told of each ParseComplete the upstream sends for the
// client. Called with s.mu held.
func (s *session) parseCompleted() {
	for i, d := range s.pend {
		if !d.query && d.cycle == s.readies {
			s.pend = append(s.pend[:i:i], s.pend[i+1:]...)
			s.confirm(d)
			return
		}
	}
}

// cycleFailed drops the definitions of the cycle being answered: the server
// skips everything after an error until the next Sync. Called with s.mu held.
func (s *session) cycleFailed() {
	kept := s.pend[:0]
	for _, d := range s.pend {
		if d.cycle != s.readies {
			kept = append(kept, d)
		}
	}
	s.pend = kept
}

// cycleDone is called at each ReadyForQuery, before readies moves on: the
// PREPAREs of a simple query that ended without error took effect. Called
// with s.mu held.
func (s *session) cycleDone() {
	var done []definition
	kept := s.pend[:0]
	for _, d := range s.pend {
		switch {
		case d.cycle > s.readies:
			kept = append(kept, d)
		case d.cycle == s.readies && d.query:
			done = append(done, d)
		}
	}
	s.pend = kept
	for _, d := range done {
		s.confirm(d)
	}
}

var errAmbiguous = errors.New("ambiguous")

// guardOf says whether a Bind or EXECUTE of name, sent now, runs a guarded
// statement. When earlier definitions are not yet confirmed and disagree,
// which one the server holds cannot be known: errAmbiguous.
func (s *session) guardOf(name string) (*guarded, error) {
	name = nameKey(name)
	s.mu.Lock()
	defer s.mu.Unlock()
	// A definition sent in this cycle decides: if it fails, so does the
	// Bind after it.
	for i := len(s.pend) - 1; i >= 0; i-- {
		if d := s.pend[i]; d.name == name && d.cycle == s.syncs && !d.query {
			return d.g, nil
		}
	}
	g := s.guards[name]
	for _, d := range s.pend {
		if d.name == name && d.g != nil && d.g != g {
			return nil, errAmbiguous
		}
	}
	return g, nil
}

// bindMessage is a Bind read whole.
type bindMessage struct {
	portal, stmt string
	formats      []int16
	values       [][]byte // nil: NULL
}

var errMalformed = errors.New("malformed Bind")

func parseBind(body []byte) (b bindMessage, err error) {
	var ok bool
	if b.portal, body, ok = cstring(body); !ok {
		return b, errMalformed
	}
	if b.stmt, body, ok = cstring(body); !ok {
		return b, errMalformed
	}
	n16 := func() (int, bool) {
		if len(body) < 2 {
			return 0, false
		}
		v := int(int16(binary.BigEndian.Uint16(body)))
		body = body[2:]
		return v, v >= 0
	}
	nf, ok := n16()
	if !ok || len(body) < 2*nf {
		return b, errMalformed
	}
	for i := 0; i < nf; i++ {
		b.formats = append(b.formats, int16(binary.BigEndian.Uint16(body[2*i:])))
	}
	body = body[2*nf:]
	np, ok := n16()
	if !ok {
		return b, errMalformed
	}
	if nf > 1 && nf != np {
		return b, errMalformed // the server refuses it too
	}
	for i := 0; i < np; i++ {
		if len(body) < 4 {
			return b, errMalformed
		}
		l := int32(binary.BigEndian.Uint32(body))
		body = body[4:]
		if l == -1 {
			b.values = append(b.values, nil)
			continue
		}
		if l < 0 || int(l) > len(body) {
			return b, errMalformed
		}
		b.values = append(b.values, append([]byte{}, body[:l]...))
		body = body[l:]
	}
	return b, nil
}

// format is the format code of parameter i.
func (b bindMessage) format(i int) int16 {
	switch len(b.formats) {
	case 0:
		return 0
	case 1:
		return b.formats[0]
	}
	return b.formats[i]
}

// boundText is what a Bind of g runs, as the approver reads it and the
// approval's hash covers: the statement, then each parameter with its
// declared type, its format and its value. Text values are quoted as Go
// strings, so that no value can spell a line of its own; binary values are
// shown in hex.
func boundText(g *guarded, b bindMessage) string {
	var sb strings.Builder
	sb.WriteString(g.text)
	if len(b.values) == 0 {
		return sb.String()
	}
	sb.WriteString("\n-- bound parameters:")
	for i, v := range b.values {
		var oid uint32
		if i < len(g.oids) {
			oid = g.oids[i]
		}
		fmt.Fprintf(&sb, "\n-- $%d %s ", i+1, typeName(oid))
		switch f := b.format(i); {
		case v == nil:
			sb.WriteString("NULL")
		case f == 0:
			if utf8.Valid(v) {
				sb.WriteString("text " + strconv.Quote(string(v)))
			} else {
				sb.WriteString("text (not UTF-8) \\x" + fmt.Sprintf("%x", v))
			}
		case f == 1:
			sb.WriteString("binary \\x" + fmt.Sprintf("%x", v))
		default:
			fmt.Fprintf(&sb, "format %d \\x%x", f, v)
		}
	}
	return sb.String()
}

var typeNames = pgtype.NewMap()

func typeName(oid uint32) string {
	if oid == 0 {
		return "(type inferred)"
	}
	if t, ok := typeNames.TypeForOID(oid); ok {
		return t.Name
	}
	return "oid " + strconv.FormatUint(uint64(oid), 10)
}

// parseOIDs reads the parameter types at the end of a Parse body (after the
// name and the text).
func parseOIDs(rest []byte) ([]uint32, bool) {
	if len(rest) < 2 {
		return nil, false
	}
	n := int(binary.BigEndian.Uint16(rest))
	rest = rest[2:]
	if len(rest) != 4*n {
		return nil, false
	}
	oids := make([]uint32, n)
	for i := range oids {
		oids[i] = binary.BigEndian.Uint32(rest[4*i:])
	}
	return oids, true
}
