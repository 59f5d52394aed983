package pg

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5/pgproto3"
	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/classify/sql"
)

// A statement held for approval is bound to the tables it names as the
// session resolves them, not only to its text: `TRUNCATE events` approved
// under one search_path must not run against another schema's events, nor
// against a temporary table or one created earlier in the path since.
// Resolution is asked of the session itself, at the statement's place in
// the stream, so that its search_path (SET LOCAL, a rolled-back SET,
// "$user" and pg_temp included) and its uncommitted objects count exactly
// as they will when the statement runs. The resolved names go into the
// approval's text (so a change is a new request) and into the targets the
// impact estimate and the snapshot use.

// relation is one relation name in a statement, as written; or, with fn,
// the name of a function called unqualified: which function runs depends
// on the search_path (and on every overload it reaches) as much as which
// table does.
type relation struct {
	schema, name string
	fn           bool
}

func (r relation) String() string {
	s := quoteIdent(r.name)
	if r.schema != "" {
		s = quoteIdent(r.schema) + "." + s
	}
	if r.fn {
		return "function " + s
	}
	return s
}

// relations returns the relation names text uses, in order, once each.
func relations(texts ...string) ([]relation, error) {
	var out []relation
	for _, text := range texts {
		tree, err := pg_query.Parse(text)
		if err != nil {
			return nil, err
		}
		out = relationsIn(tree, out)
	}
	return out, nil
}

func relationsIn(tree *pg_query.ParseResult, out []relation) []relation {
	add := func(r relation) {
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	sql.Walk(tree.ProtoReflect(), func(m protoreflect.Message) bool {
		switch x := m.Interface().(type) {
		case *pg_query.RangeVar:
			add(relation{schema: x.GetSchemaname(), name: x.GetRelname()})
		case *pg_query.FuncCall:
			if names := x.GetFuncname(); len(names) == 1 {
				add(relation{name: names[0].GetString_().GetSval(), fn: true})
			}
		case *pg_query.DropStmt:
			switch x.GetRemoveType() {
			case pg_query.ObjectType_OBJECT_TABLE, pg_query.ObjectType_OBJECT_VIEW, pg_query.ObjectType_OBJECT_MATVIEW,
				pg_query.ObjectType_OBJECT_SEQUENCE, pg_query.ObjectType_OBJECT_FOREIGN_TABLE, pg_query.ObjectType_OBJECT_INDEX:
				for _, o := range x.GetObjects() {
					var parts []string
					for _, p := range o.GetList().GetItems() {
						parts = append(parts, p.GetString_().GetSval())
					}
					switch len(parts) {
					case 1:
						add(relation{name: parts[0]})
					case 2:
						add(relation{schema: parts[0], name: parts[1]})
					}
				}
			}
		}
		return true
	})
	return out
}

// resolution is where a statement's relations resolved, at one point of
// the session.
type resolution struct {
	rels     []relation
	resolved []string // "schema"."name", or "" when nothing of that name was found
	cycle    int      // the client's cycle it was asked in
}

// line is the canonical rendering bound into the approval's text.
func (r *resolution) line() string {
	if r == nil || len(r.rels) == 0 {
		return ""
	}
	parts := make([]string, 0, len(r.rels))
	for i, rel := range r.rels {
		to := r.resolved[i]
		switch {
		case to == "" && rel.fn:
			continue // only PostgreSQL's own functions answer to the name
		case to == "":
			to = "(no such relation)"
		}
		parts = append(parts, rel.String()+" = "+to)
	}
	if len(parts) == 0 {
		return ""
	}
	return "\n" + sql.ResolvedLine + strings.Join(parts, ", ")
}

func (r *resolution) same(o *resolution) bool {
	return r != nil && o != nil && slices.Equal(r.resolved, o.resolved) && slices.Equal(r.rels, o.rels)
}

// apply binds act to r: its text says where each name resolved, and its
// targets name the resolved relations, which the impact estimate and the
// snapshot then read.
func (r *resolution) apply(act *action.Action) {
	if r == nil || len(r.rels) == 0 {
		return
	}
	act.Text += r.line()
	for i, t := range act.Targets {
		for j, rel := range r.rels {
			if r.resolved[j] == "" || rel.fn {
				continue
			}
			plain := rel.name
			if rel.schema != "" {
				plain = rel.schema + "." + rel.name
			}
			if t == plain || strings.HasPrefix(t, plain+".") {
				act.Targets[i] = r.resolved[j]
				break
			}
		}
	}
}

var errUnresolvable = errors.New("unresolvable here")

// resolveSQL is the question asked of the session: for each relation name,
// the first schema of the effective search path (pg_temp and pg_catalog
// where PostgreSQL searches them) holding a relation of that name; for each
// function name, every function of that name the path reaches outside
// pg_catalog, with its arguments, since PostgreSQL picks among overloads
// across schemas by argument types before schema order. Everything is
// qualified with pg_catalog and its operators, so that nothing in the
// session's search_path can answer in its place.
const resolveSQL = `SELECT CASE WHEN t.k OPERATOR(pg_catalog.=) 'f' THEN
 (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(n.nspname) OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(f.proname)
    OPERATOR(pg_catalog.||) '(' OPERATOR(pg_catalog.||) pg_catalog.replace(pg_catalog.pg_get_function_identity_arguments(f.oid), ', ', ',') OPERATOR(pg_catalog.||) ')', ' | ' ORDER BY p.ord, f.oid)
 FROM pg_catalog.unnest(pg_catalog.current_schemas(true)) WITH ORDINALITY AS p(nsp, ord)
 JOIN pg_catalog.pg_namespace n ON n.nspname OPERATOR(pg_catalog.=) p.nsp AND n.nspname OPERATOR(pg_catalog.<>) 'pg_catalog'
 JOIN pg_catalog.pg_proc f ON f.pronamespace OPERATOR(pg_catalog.=) n.oid AND f.proname OPERATOR(pg_catalog.=) t.r::pg_catalog.name)
 ELSE (SELECT pg_catalog.quote_ident(n.nspname) OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(c.relname)
 FROM pg_catalog.unnest(CASE WHEN t.s OPERATOR(pg_catalog.=) '' THEN pg_catalog.current_schemas(true)
   WHEN t.s OPERATOR(pg_catalog.=) 'pg_temp' THEN ARRAY(SELECT x.nspname FROM pg_catalog.pg_namespace x WHERE x.oid OPERATOR(pg_catalog.=) pg_catalog.pg_my_temp_schema())
   ELSE ARRAY[t.s::pg_catalog.name] END) WITH ORDINALITY AS p(nsp, ord)
 JOIN pg_catalog.pg_namespace n ON n.nspname OPERATOR(pg_catalog.=) p.nsp
 JOIN pg_catalog.pg_class c ON c.relnamespace OPERATOR(pg_catalog.=) n.oid AND c.relname OPERATOR(pg_catalog.=) t.r::pg_catalog.name
 ORDER BY p.ord LIMIT 1) END
FROM ROWS FROM (pg_catalog.unnest($1::pg_catalog.text[]), pg_catalog.unnest($2::pg_catalog.text[]), pg_catalog.unnest($3::pg_catalog.text[])) WITH ORDINALITY AS t(s, r, k, i) ORDER BY t.i`

// probe is a question to the session in flight: its answers come after
// everything the client sent before it, and are not relayed.
type probe struct {
	after int // the answers begin once this many ReadyForQuery have been relayed
	rows  [][]byte
	err   string
	done  chan struct{}
}

// resolve asks the session where rels resolve, at this point of its
// stream. It can ask only between the client's cycles: inside one, a
// question would change what the client's own messages do.
func (s *session) resolve(rels []relation) (*resolution, error) {
	if len(rels) == 0 {
		return &resolution{cycle: s.syncs}, nil
	}
	if s.cycleN > 0 {
		return nil, errUnresolvable
	}
	name := nonce("chaperone_resolve_")
	schemas, names, kinds := make([]string, len(rels)), make([]string, len(rels)), make([]string, len(rels))
	for i, r := range rels {
		schemas[i], names[i], kinds[i] = r.schema, r.name, "r"
		if r.fn {
			kinds[i] = "f"
		}
	}
	rows, err := s.ask("where a statement's tables are", &pgproto3.Parse{Name: name, Query: resolveSQL},
		&pgproto3.Bind{DestinationPortal: name, PreparedStatement: name, Parameters: [][]byte{textArray(schemas), textArray(names), textArray(kinds)}})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errUnresolvable, err)
	}
	if len(rows) != len(rels) {
		return nil, fmt.Errorf("%w: %d answers for %d names", errUnresolvable, len(rows), len(rels))
	}
	res := &resolution{rels: rels, cycle: s.syncs}
	for _, row := range rows {
		res.resolved = append(res.resolved, string(row))
	}
	return res, nil
}

// probed handles one upstream message if it answers the probe in flight;
// it returns false for the client's messages. Called with s.mu held.
func (s *session) probed(typ byte, body []byte) bool {
	p := s.probe
	if p == nil || s.readies != p.after {
		return false
	}
	switch typ {
	case 'D':
		var d pgproto3.DataRow
		if d.Decode(body) == nil && len(d.Values) == 1 {
			p.rows = append(p.rows, d.Values[0])
		} else {
			p.err = "unexpected row"
		}
	case 'E':
		var e pgproto3.ErrorResponse
		e.Decode(body)
		p.err = e.Code + " " + e.Message
	case 'Z':
		s.probe = nil
		close(p.done)
	case 'S', 'N', 'A':
		return false // reports and notices belong to the session
	}
	return true
}

// textArray renders strs as a PostgreSQL text array literal.
func textArray(strs []string) []byte {
	var b strings.Builder
	b.WriteByte('{')
	for i, v := range strs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		b.WriteString(strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(v))
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return []byte(b.String())
}

func quoteIdent(s string) string {
	plain := s != ""
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || i > 0 && (r >= '0' && r <= '9' || r == '$')) {
			plain = false
		}
	}
	if plain {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// bindResolution resolves what act names and binds act to it, or says why
// it cannot: then the statement is refused, since an approval of it could
// run against tables no one saw.
func (s *session) bindResolution(_ context.Context, act *action.Action, stmts []string, prepared *resolution) (*resolution, error) {
	rels, err := relations(stmts...)
	if err != nil {
		return nil, nil // unparseable: judged as unknown by its text alone
	}
	if len(rels) == 0 {
		return nil, nil
	}
	var r *resolution
	if prepared != nil && prepared.cycle == s.syncs && !s.cycleExec {
		r = prepared // nothing has run since it was asked
	} else if r, err = s.resolve(rels); err != nil {
		return nil, err
	} else if prepared != nil && !prepared.same(r) {
		return nil, errors.New("changed")
	}
	r.apply(act)
	return r, nil
}

// nonce is prefix followed by 16 random hex digits: a name no client
// chooses by chance for a statement, portal or refusal marker.
func nonce(prefix string) string {
	var b [8]byte
	rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}
