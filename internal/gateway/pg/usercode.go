package pg

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/classify/sql"
)

// A statement can run the database's own functions without naming them:
// PostgreSQL reads t.f (and (x).f) as the call f(t) when t has no column f;
// an operator runs its function, and one defined for a table's row type is
// picked over the built-ins; reading a view runs what the view calls, and
// reading a table with a row security policy runs what the policy calls.
// Which names are columns, operators of the database or such relations
// only the catalog says, so the classifier reports the names the text uses
// that way (sql.Result's Attributes, Operators and Relations) and the
// gateway judges a statement that uses one as calling a function
// Chaperone does not know.

// userCodeFresh bounds how old the lists may be when they are used; a
// statement sent that could create a function makes them old at once.
const userCodeFresh = 2 * time.Second

// userCode holds the lists per upstream.
type userCode struct {
	mu sync.Mutex
	m  map[string]*codeLists
}

// codeLists are one database's names, and when they were read.
type codeLists struct {
	mu      sync.Mutex // one load at a time
	cur     atomic.Pointer[codeNames]
	changes atomic.Uint64 // statements sent that could create a function
}

type codeNames struct {
	attributes, operators, relations map[string]bool
	loaded                           time.Time
	gen                              uint64 // changes when they were read
}

func (u *userCode) lists(upstream string) *codeLists {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.m == nil {
		u.m = map[string]*codeLists{}
	}
	l := u.m[upstream]
	if l == nil {
		l = &codeLists{}
		u.m[upstream] = l
	}
	return l
}

// changed records that a statement that could create a function was sent
// to upstream (mayCreateCode).
func (u *userCode) changed(upstream string) { u.lists(upstream).changes.Add(1) }

func (l *codeLists) fresh() *codeNames {
	if n := l.cur.Load(); n != nil && n.gen == l.changes.Load() && time.Since(n.loaded) < userCodeFresh {
		return n
	}
	return nil
}

// names returns the lists, reading them again when old.
func (u *userCode) names(ctx context.Context, upstream, dsn string) (*codeNames, error) {
	l := u.lists(upstream)
	if n := l.fresh(); n != nil {
		return n, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if n := l.fresh(); n != nil {
		return n, nil // read by another session meanwhile
	}
	n := &codeNames{gen: l.changes.Load(), loaded: time.Now()}
	if err := loadUserCode(ctx, dsn, n); err != nil {
		return nil, err
	}
	l.cur.Store(n)
	return n, nil
}

// userCodeSQL lists, in one row, the names. The database's own code is
// its functions and operators outside pg_catalog and information_schema
// that no extension installed (an extension is installed by a human, and
// its functions called by name are judged by name). A function takes a
// whole row when its first parameter is of a composite type, a domain or
// a pseudo-type (record, anyelement) and it needs no other argument. A
// relation runs such code when its view rule or a policy on it depends on
// it, or its view reads such a relation.
const userCodeSQL = `WITH RECURSIVE code(classid, oid) AS (
  SELECT 'pg_catalog.pg_proc'::pg_catalog.regclass, p.oid FROM pg_catalog.pg_proc p
    JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
  UNION ALL
  SELECT 'pg_catalog.pg_operator'::pg_catalog.regclass, o.oid FROM pg_catalog.pg_operator o
    JOIN pg_catalog.pg_namespace n ON n.oid = o.oprnamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
), own(classid, oid) AS (
  SELECT c.classid, c.oid FROM code c WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_depend e
    WHERE e.classid = c.classid AND e.objid = c.oid AND e.deptype = 'e')
), runs(relid) AS (
  SELECT r.ev_class FROM pg_catalog.pg_rewrite r
    JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND d.objid = r.oid
    JOIN own c ON c.classid = d.refclassid AND c.oid = d.refobjid
  UNION
  SELECT pol.polrelid FROM pg_catalog.pg_policy pol
    JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_policy'::pg_catalog.regclass AND d.objid = pol.oid
    JOIN own c ON c.classid = d.refclassid AND c.oid = d.refobjid
  UNION
  SELECT r.ev_class FROM pg_catalog.pg_rewrite r
    JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND d.objid = r.oid
    JOIN runs ON d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refobjid = runs.relid
)
SELECT ARRAY(SELECT DISTINCT p.proname::text FROM own JOIN pg_catalog.pg_proc p ON own.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND p.oid = own.oid
    JOIN pg_catalog.pg_type a ON a.oid = p.proargtypes[0]
    WHERE p.pronargs >= 1 AND p.pronargs - p.pronargdefaults <= 1 AND a.typtype IN ('c', 'd', 'p')),
  ARRAY(SELECT DISTINCT o.oprname::text FROM own JOIN pg_catalog.pg_operator o ON own.classid = 'pg_catalog.pg_operator'::pg_catalog.regclass AND o.oid = own.oid),
  ARRAY(SELECT DISTINCT c.relname::text FROM runs JOIN pg_catalog.pg_class c ON c.oid = runs.relid)`

func loadUserCode(ctx context.Context, dsn string, n *codeNames) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var attrs, ops, rels []string
	if err := conn.QueryRow(ctx, userCodeSQL).Scan(&attrs, &ops, &rels); err != nil {
		return err
	}
	n.attributes, n.operators, n.relations = set(attrs), set(ops), set(rels)
	return nil
}

func set(names []string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, x := range names {
		m[x] = true
	}
	return m
}

// userCodeCalls adds to act a finding when the statement uses a name that
// runs a function of the database; when the lists cannot be read, every
// name that could is taken to.
func (s *session) userCodeCalls(ctx context.Context, act *action.Action, res sql.Result) {
	if len(res.Attributes) == 0 && len(res.Operators) == 0 && len(res.Relations) == 0 {
		return
	}
	n, err := s.g.code.names(ctx, s.upstream.Name, s.upstream.DSN)
	if err != nil {
		n = nil
	}
	var found []string
	pick := func(names []string, in map[string]bool, say string) {
		for _, x := range names {
			if n == nil || in[x] {
				found = append(found, fmt.Sprintf(say, x))
			}
		}
	}
	if n == nil {
		// Only a name after a dot, and every operator, could be a
		// function; any relation could be a view.
		pick(res.Attributes, nil, "x.%s")
		pick(res.Operators, nil, "%s")
		pick(res.Relations, nil, "%s")
		if len(found) > 0 {
			act.AddReason(action.Reason{ID: "sql.function", Class: action.ClassUnknown,
				Message: "Chaperone could not read which names run the database's own functions (" + strings.Join(found, ", ") + "), so what this does is unknown"})
		}
		return
	}
	pick(res.Attributes, n.attributes, "x.%s calls the database's function %[1]s(x)")
	pick(res.Operators, n.operators, "the operator %s may be the database's own")
	pick(res.Relations, n.relations, "reading %s runs functions of the database (a view's or a row security policy's)")
	if len(found) > 0 {
		act.AddReason(action.Reason{ID: "sql.function", Class: action.ClassUnknown,
			Message: strings.Join(found, "; ") + ", so what this does is unknown"})
	}
}

// mayCreateCode says whether act could create or rename a function, an
// operator, a view or a policy: anything beyond reading and changing rows.
func mayCreateCode(act action.Action) bool {
	for _, r := range act.Reasons {
		if r.ID != "sql.write" && r.Class != action.ClassRead {
			return true
		}
	}
	return false
}
