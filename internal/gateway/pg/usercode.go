package pg

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/classify/sql"
)

// A statement can run the database's own functions without naming them:
// as t.f (the call f(t) when t has no column f), as an operator, as an
// overload of a built-in's name, through a cast, a domain check or a type's
// ordering, by reading a view or a table with a row security policy, and
// through an event trigger on a command. Which names do that only the
// catalog says, so the classifier reports the names the text uses in
// those places (sql.Result's Attributes, Operators, Functions, Types,
// Relations and Commands), and the gateway judges a statement that uses one
// the catalog lists as calling a function Chaperone does not know.

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
	attributes, operators, functions, types, relations map[string]bool
	typeOIDs                                           map[uint32]bool // the types' OIDs, for a Parse's parameters
	// builtins are the built-in types among them (a default operator
	// class of the database's for box, an implicit cast from circle): a
	// value of one can come from anywhere, so any comparison may run it.
	builtins []string
	events   bool // an event trigger is enabled
	loaded   time.Time
	gen      uint64 // changes when they were read
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
func (u *userCode) names(ctx context.Context, upstream, dsn string, cache *classCache) (*codeNames, error) {
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
	if err := loadUserCode(ctx, dsn, n, cache); err != nil {
		return nil, err
	}
	l.cur.Store(n)
	return n, nil
}

// ownCode is the database's own code: its functions and operators created
// after initdb (an OID from FirstNormalObjectId, 16384, on: whatever schema
// they were put in, pg_catalog included) that no extension installed (an
// extension is installed by a human, and its functions called by name are
// judged by name).
const ownCode = `own(classid, oid) AS (
  SELECT 'pg_catalog.pg_proc'::pg_catalog.regclass, p.oid FROM pg_catalog.pg_proc p
    WHERE p.oid OPERATOR(pg_catalog.>=) 16384 AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend e
      WHERE e.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND e.objid = p.oid AND e.deptype = 'e')
  UNION ALL
  SELECT 'pg_catalog.pg_operator'::pg_catalog.regclass, o.oid FROM pg_catalog.pg_operator o
    WHERE o.oid OPERATOR(pg_catalog.>=) 16384 AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend e
      WHERE e.classid = 'pg_catalog.pg_operator'::pg_catalog.regclass AND e.objid = o.oid AND e.deptype = 'e')
), ownproc AS (SELECT oid FROM own WHERE classid = 'pg_catalog.pg_proc'::pg_catalog.regclass)`

// viewsSQL lists the views and materialized views that are no
// extension's, with their definitions, for the classifier to judge what
// reading them runs (a materialized view runs nothing when read, but shows
// what its query read: a password catalog's rows, say).
const viewsSQL = `SELECT c.oid, pg_catalog.pg_get_viewdef(c.oid) FROM pg_catalog.pg_class c
  WHERE c.relkind IN ('v', 'm') AND c.oid OPERATOR(pg_catalog.>=) 16384
    AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend e
      WHERE e.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND e.objid = c.oid AND e.deptype = 'e')`

// userCodeSQL lists, in one row, the names ($1: views whose definitions
// the classifier judged to do more than read).
//   - attributes: functions that take a whole row as their one argument
//     (a composite type, a domain or a pseudo-type first, nothing else
//     needed);
//   - operators and functions: every name of the own code, since an own
//     function or operator can overload a built-in's name;
//   - types whose values run own code (typed): domains whose checks call
//     it, types whose default operator class or whose range ordering
//     calls it, and what is built on those (domains over them, arrays of
//     them, ranges over them, row types with a column of them); and, for
//     casts to them, both ends of any cast created after initdb, whatever
//     function it runs (lo_import is a built-in); by name, and by OID for
//     the parameter types a Parse declares;
//   - relations that run own code when read: views and policies depending
//     on it or on a typed type, the views (and materialized views) in $1,
//     tables with a column of a typed type or of the source type of an
//     implicit or assignment cast created after initdb, foreign tables
//     (what they read runs elsewhere), tables whose index or partition key
//     uses own code or an operator class of it (a scan or a pruning calls
//     its comparisons) and such indexes themselves (REINDEX INDEX), tables
//     with a statistics object over own code (ANALYZE runs it), and the
//     views and the inheritance or partition parents reading any of those;
//   - the built-in types among the typed ones or the sources of implicit
//     casts created after initdb;
//   - events: whether an event trigger is enabled.
const userCodeSQL = `WITH RECURSIVE ` + ownCode + `,
typedbase(oid) AS (
  SELECT con.contypid FROM pg_catalog.pg_constraint con
    JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_constraint'::pg_catalog.regclass AND d.objid = con.oid
    JOIN own c ON c.classid = d.refclassid AND c.oid = d.refobjid
    WHERE con.contypid OPERATOR(pg_catalog.<>) 0
  UNION
  SELECT opc.opcintype FROM pg_catalog.pg_opclass opc JOIN pg_catalog.pg_amproc ap ON ap.amprocfamily = opc.opcfamily
    WHERE opc.opcdefault AND ap.amproc IN (SELECT oid FROM ownproc)
  UNION
  SELECT rg.rngtypid FROM pg_catalog.pg_range rg
    WHERE rg.rngcanonical IN (SELECT oid FROM ownproc) OR rg.rngsubdiff IN (SELECT oid FROM ownproc)
      OR EXISTS (SELECT FROM pg_catalog.pg_opclass opc JOIN pg_catalog.pg_amproc ap ON ap.amprocfamily = opc.opcfamily
        WHERE opc.oid = rg.rngsubopc AND ap.amproc IN (SELECT oid FROM ownproc))
), built(child, parent) AS (
  SELECT t.oid, t.typbasetype FROM pg_catalog.pg_type t WHERE t.typbasetype OPERATOR(pg_catalog.<>) 0
  UNION ALL
  SELECT t.oid, t.typelem FROM pg_catalog.pg_type t WHERE t.typelem OPERATOR(pg_catalog.<>) 0
  UNION ALL
  SELECT rg.rngtypid, rg.rngsubtype FROM pg_catalog.pg_range rg
  UNION ALL
  SELECT t.oid, a.atttypid FROM pg_catalog.pg_type t JOIN pg_catalog.pg_attribute a ON a.attrelid = t.typrelid
    WHERE t.typrelid OPERATOR(pg_catalog.<>) 0 AND a.attnum > 0 AND NOT a.attisdropped
), typed(oid) AS (
  SELECT oid FROM typedbase
  UNION
  SELECT b.child FROM built b JOIN typed x ON b.parent = x.oid
), casted(oid) AS (
  SELECT pg_catalog.unnest(ARRAY[ca.castsource, ca.casttarget]) FROM pg_catalog.pg_cast ca WHERE ca.oid OPERATOR(pg_catalog.>=) 16384
), implicit(oid) AS (
  SELECT ca.castsource FROM pg_catalog.pg_cast ca WHERE ca.oid OPERATOR(pg_catalog.>=) 16384 AND ca.castcontext IN ('i', 'a')
), ownopc(oid) AS (
  SELECT opc.oid FROM pg_catalog.pg_opclass opc WHERE opc.opcfamily IN (
    SELECT ap.amprocfamily FROM pg_catalog.pg_amproc ap WHERE ap.amproc IN (SELECT oid FROM ownproc)
    UNION
    SELECT ao.amopfamily FROM pg_catalog.pg_amop ao JOIN own ON own.classid = 'pg_catalog.pg_operator'::pg_catalog.regclass AND own.oid = ao.amopopr)
), reads(reader, read) AS (
  SELECT r.ev_class, d.refobjid FROM pg_catalog.pg_rewrite r
    JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND d.objid = r.oid
    WHERE d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
  UNION ALL
  SELECT inh.inhparent, inh.inhrelid FROM pg_catalog.pg_inherits inh
), runs(relid) AS (
  SELECT r.ev_class FROM pg_catalog.pg_rewrite r
    JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND d.objid = r.oid
    WHERE (d.refclassid, d.refobjid) IN (SELECT classid, oid FROM own)
       OR (d.refclassid = 'pg_catalog.pg_type'::pg_catalog.regclass AND d.refobjid IN (SELECT oid FROM typed))
  UNION
  SELECT pol.polrelid FROM pg_catalog.pg_policy pol
    JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_policy'::pg_catalog.regclass AND d.objid = pol.oid
    WHERE (d.refclassid, d.refobjid) IN (SELECT classid, oid FROM own)
  UNION
  SELECT a.attrelid FROM pg_catalog.pg_attribute a
    WHERE (a.atttypid IN (SELECT oid FROM typed) OR a.atttypid IN (SELECT oid FROM implicit)) AND a.attnum > 0 AND NOT a.attisdropped
  UNION
  SELECT v FROM pg_catalog.unnest($1::pg_catalog.oid[]) AS v
  UNION
  SELECT c.oid FROM pg_catalog.pg_class c WHERE c.relkind = 'f'
  UNION
  SELECT pg_catalog.unnest(ARRAY[COALESCE(i.indrelid, d.objid), d.objid]) FROM pg_catalog.pg_depend d
    LEFT JOIN pg_catalog.pg_index i ON i.indexrelid = d.objid
    WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
      AND ((d.refclassid, d.refobjid) IN (SELECT classid, oid FROM own)
        OR d.refclassid = 'pg_catalog.pg_opclass'::pg_catalog.regclass AND d.refobjid IN (SELECT oid FROM ownopc))
  UNION
  SELECT s.stxrelid FROM pg_catalog.pg_statistic_ext s
    JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_statistic_ext'::pg_catalog.regclass AND d.objid = s.oid
    WHERE (d.refclassid, d.refobjid) IN (SELECT classid, oid FROM own)
  UNION
  SELECT e.reader FROM reads e JOIN runs ON e.read = runs.relid
)
SELECT ARRAY(SELECT DISTINCT p.proname::text FROM ownproc JOIN pg_catalog.pg_proc p ON p.oid = ownproc.oid
    JOIN pg_catalog.pg_type a ON a.oid = p.proargtypes[0]
    WHERE p.pronargs >= 1 AND p.pronargs - p.pronargdefaults <= 1 AND a.typtype IN ('c', 'd', 'p')),
  ARRAY(SELECT DISTINCT o.oprname::text FROM own JOIN pg_catalog.pg_operator o ON own.classid = 'pg_catalog.pg_operator'::pg_catalog.regclass AND o.oid = own.oid),
  ARRAY(SELECT DISTINCT p.proname::text FROM ownproc JOIN pg_catalog.pg_proc p ON p.oid = ownproc.oid),
  ARRAY(SELECT DISTINCT t.typname::text FROM pg_catalog.pg_type t WHERE t.oid IN (SELECT oid FROM typed) OR t.oid IN (SELECT oid FROM casted)),
  ARRAY(SELECT DISTINCT c.relname::text FROM runs JOIN pg_catalog.pg_class c ON c.oid = runs.relid),
  ARRAY(SELECT oid FROM typed UNION SELECT oid FROM casted),
  ARRAY(SELECT t.typname::text FROM pg_catalog.pg_type t WHERE t.oid OPERATOR(pg_catalog.<) 16384
    AND (t.oid IN (SELECT oid FROM typed) OR t.oid IN (SELECT oid FROM implicit))),
  EXISTS (SELECT FROM pg_catalog.pg_event_trigger WHERE evtenabled OPERATOR(pg_catalog.<>) 'D')`

// loadUserCode reads the lists into n; cache judges views' definitions.
func loadUserCode(ctx context.Context, dsn string, n *codeNames, cache *classCache) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	rows, err := conn.Query(ctx, viewsSQL)
	if err != nil {
		return err
	}
	var doing []uint32
	var oid uint32
	var def string
	if _, err := pgx.ForEachRow(rows, []any{&oid, &def}, func() error {
		if act, _ := cache.classify(def); act.Class != action.ClassRead {
			doing = append(doing, oid)
		}
		return nil
	}); err != nil {
		return err
	}
	var attrs, ops, fns, types, rels []string
	var typeOIDs []uint32
	if err := conn.QueryRow(ctx, userCodeSQL, doing).Scan(&attrs, &ops, &fns, &types, &rels, &typeOIDs, &n.builtins, &n.events); err != nil {
		return err
	}
	n.attributes, n.operators, n.functions, n.types, n.relations = set(attrs), set(ops), set(fns), set(types), set(rels)
	n.typeOIDs = set(typeOIDs)
	return nil
}

func set[T comparable](names []T) map[T]bool {
	m := make(map[T]bool, len(names))
	for _, x := range names {
		m[x] = true
	}
	return m
}

// userCodeCalls adds to act a finding when the statement uses a name that
// runs a function of the database; when the lists cannot be read, every
// name that could is taken to.
// oids are the parameter types a Parse declares (0: inferred).
func (s *session) userCodeCalls(ctx context.Context, act *action.Action, res sql.Result, oids []uint32) {
	declared := slices.ContainsFunc(oids, func(o uint32) bool { return o != 0 })
	if len(res.Attributes) == 0 && len(res.Operators) == 0 && len(res.Relations) == 0 &&
		len(res.Functions) == 0 && len(res.Types) == 0 && !res.Commands && !res.AllRelations && !res.Compares && !declared {
		return
	}
	n, err := s.g.code.names(ctx, s.upstream.Name, s.upstream.DSN, &s.g.cache)
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
		// Any of these could run the database's own code.
		pick(res.Attributes, nil, "x.%s")
		pick(res.Operators, nil, "%s")
		pick(res.Functions, nil, "%s()")
		pick(res.Types, nil, "::%s")
		pick(res.Relations, nil, "%s")
		if declared {
			found = append(found, "declared parameter types")
		}
		if res.AllRelations {
			found = append(found, "every table")
		}
		if res.Commands {
			found = append(found, "a command event triggers fire for")
		}
		act.AddReason(action.Reason{ID: "sql.function", Class: action.ClassUnknown,
			Message: "Chaperone could not read which names run the database's own functions (" + strings.Join(found, ", ") + "), so what this does is unknown"})
		return
	}
	pick(res.Attributes, n.attributes, "x.%s calls the database's function %[1]s(x)")
	pick(res.Operators, n.operators, "the operator %s may be the database's own")
	pick(res.Functions, n.functions, "%s() may be the database's own function")
	pick(res.Types, n.types, "a value of type %s runs the database's own functions (a cast's, a domain check's, an ordering's)")
	pick(res.Relations, n.relations, "reading %s runs functions (a view's, a policy's, or its values' own)")
	for _, o := range oids {
		if n.typeOIDs[o] {
			found = append(found, fmt.Sprintf("a parameter declared of type OID %d runs the database's own functions on its value", o))
			break
		}
	}
	if res.Compares && len(n.builtins) > 0 {
		found = append(found, fmt.Sprintf("the database changes how the built-in %s compares or converts (an operator class or an implicit cast of its own), and this statement compares or converts values", strings.Join(n.builtins, ", ")))
	}
	if res.AllRelations && len(n.relations) > 0 {
		found = append(found, "it works on every table, and some run the database's own functions (an index's, a statistics object's, a view's)")
	}
	if res.Commands && n.events {
		found = append(found, "an event trigger of the database runs on this command")
	}
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
