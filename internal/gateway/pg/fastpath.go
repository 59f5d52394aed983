package pg

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chaperone/chaperone/internal/gate"
)

// A fast-path call (the protocol's FunctionCall message) names a function
// by its OID and carries its arguments as values: libpq's large-object API
// is built on it, so pg_dump reads large objects with lo_open and loread,
// and pg_restore writes them with lo_create and lowrite. The gateway learns
// which function an OID is (over its own connection, once per upstream and
// OID) and judges the call as the SQL that calls that function with those
// values; an OID it cannot name is refused.

// fastCall is a parsed FunctionCall.
type fastCall struct {
	oid  uint32
	args [][]byte // nil for a NULL
	fmts []int16
}

func parseFastCall(b []byte) (fastCall, error) {
	var c fastCall
	bad := errors.New("malformed function call")
	if len(b) < 6 {
		return c, bad
	}
	c.oid = binary.BigEndian.Uint32(b)
	b = b[4:]
	nf := int(binary.BigEndian.Uint16(b))
	b = b[2:]
	if len(b) < 2*nf+2 {
		return c, bad
	}
	for i := 0; i < nf; i++ {
		c.fmts = append(c.fmts, int16(binary.BigEndian.Uint16(b[2*i:])))
	}
	b = b[2*nf:]
	na := int(binary.BigEndian.Uint16(b))
	b = b[2:]
	for i := 0; i < na; i++ {
		if len(b) < 4 {
			return c, bad
		}
		l := int32(binary.BigEndian.Uint32(b))
		b = b[4:]
		if l < 0 {
			c.args = append(c.args, nil)
			continue
		}
		if int(l) > len(b) {
			return c, bad
		}
		c.args = append(c.args, b[:l])
		b = b[l:]
	}
	if len(b) != 2 {
		return c, bad
	}
	return c, nil
}

// text is the call as the SQL it amounts to, for the classifier, with the
// values it binds shown after it, for the approver.
func (c fastCall) text(fn string) string {
	params := make([]string, len(c.args))
	for i := range c.args {
		params[i] = fmt.Sprintf("$%d", i+1)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "SELECT %s(%s)", fn, strings.Join(params, ", "))
	if len(c.args) > 0 {
		b.WriteString("\n-- fast-path call, with values:")
		for i, a := range c.args {
			switch {
			case a == nil:
				fmt.Fprintf(&b, "\n-- $%d NULL", i+1)
			case len(a) > 64:
				fmt.Fprintf(&b, "\n-- $%d %d bytes, starting \\x%s", i+1, len(a), hex.EncodeToString(a[:8]))
			default:
				fmt.Fprintf(&b, "\n-- $%d \\x%s", i+1, hex.EncodeToString(a))
			}
		}
	}
	return b.String()
}

// functionName returns schema.name of the function with OID oid on the
// session's upstream.
func (s *session) functionName(ctx context.Context, oid uint32) (string, error) {
	key := s.upstream.Name + "\x00" + fmt.Sprint(oid)
	if v, ok := s.g.funcs.Load(key); ok {
		return v.(string), nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.upstream.DSN)
	if err != nil {
		return "", err
	}
	defer conn.Close(context.Background())
	var schema, name string
	err = conn.QueryRow(ctx, `SELECT n.nspname, p.proname FROM pg_catalog.pg_proc p
		JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace WHERE p.oid = $1`, oid).Scan(&schema, &name)
	if err != nil {
		return "", err
	}
	fn := quoteIdent(schema) + "." + quoteIdent(name)
	if schema == "pg_catalog" {
		fn = "pg_catalog." + name // the classifier knows built-ins by this spelling
	}
	s.g.funcs.Store(key, fn)
	return fn, nil
}

// fastPath gates one FunctionCall and forwards it, or refuses it in its
// place.
func (s *session) fastPath(ctx context.Context, body []byte) error {
	c, err := parseFastCall(body)
	if err != nil {
		return s.forge('Q', "", pgError(CodeDenied, "Chaperone refused a malformed function call", "", ""))
	}
	fn, err := s.functionName(ctx, c.oid)
	if err != nil {
		return s.forge('Q', "", pgError(CodeUndecidable,
			fmt.Sprintf("Chaperone cannot tell which function OID %d is, so the call did not run", c.oid), "", "call the function in SQL"))
	}
	text := c.text(fn)
	act, _ := s.g.cache.classify(text)
	act.Env, act.Upstream, act.Requester, act.Scope = s.upstream.Env, s.upstream.Name, s.tok.ID, s.tok.Scope
	o := s.g.Gate.Decide(ctx, gate.Request{Entry: gate.EntryPG, Source: "pg:" + s.upstream.Name, Action: act,
		Snapshot: s.snapshot(act), Settles: true, Key: canonicalKey(act.Text)})
	if o.Verdict != gate.Forward {
		return s.forge('Q', "", s.refusal(o))
	}
	if o.Approved {
		s.reserved(o.Request.ID)
	}
	if err := writeRaw(s.uw, 'F', body); err != nil {
		return err
	}
	s.mu.Lock()
	s.syncs++ // a function call is its own cycle, answered with ReadyForQuery
	s.mu.Unlock()
	return nil
}
