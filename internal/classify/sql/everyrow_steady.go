package sql

import (
	"fmt"
	"slices"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// The question reads the filter's data before the write runs, and answers
// for the write only when what the filter reads holds still while the
// write runs. Tables do: a statement reads them at one snapshot, so
// nothing it writes meanwhile changes what its filter sees. Some things do
// not, and a statement can move them row by row between its filter's
// readings: a sequence (nextval() in its SET or RETURNING), a foreign
// table, a view over either or over a volatile function, a function or
// operator a user put behind a builtin's name, and the session's settings
// and role, which set_config(), a user's function or a trigger changes at
// once. A filter reading one of them is not asked about: the question
// itself checks the catalog first (unsteady) and gives no answer, which is
// unknown.

// filterReads is what a question's filters read, by name.
type filterReads struct {
	rels    []*pg_query.RangeVar
	funcs   []string
	ops     []string
	session bool // a function, value or cast that reads the session's settings or role
}

// readsOf collects what expr reads.
func readsOf(expr *pg_query.Node) filterReads {
	var r filterReads
	walk(expr.ProtoReflect(), func(m protoreflect.Message) bool {
		switch x := m.Interface().(type) {
		case *pg_query.RangeVar:
			r.rels = append(r.rels, x)
		case *pg_query.FuncCall:
			name := lastName(x.GetFuncname())
			addName(&r.funcs, name)
			if catalogVolatility[name] != 'i' && !slices.Contains(clockFunctions, name) {
				r.session = true
			}
		case *pg_query.A_Expr:
			addName(&r.ops, lastName(x.GetName()))
		case *pg_query.SQLValueFunction:
			if !readsClock(x) {
				r.session = true // CURRENT_USER, CURRENT_ROLE, CURRENT_SCHEMA…
			}
		case *pg_query.TypeCast:
			// Names are looked up on the search path; a column's
			// time is read in the time zone and date style.
			to := lastName(x.GetTypeName().GetNames())
			arg := x.GetArg()
			if strings.HasPrefix(to, "reg") || slices.Contains(dateTypes, to) && arg.GetAConst() == nil && arg.GetParamRef() == nil {
				r.session = true
			}
		}
		return true
	})
	return r
}

func lastName(names []*pg_query.Node) string {
	if len(names) == 0 {
		return ""
	}
	return strings.ToLower(names[len(names)-1].GetString_().GetSval())
}

// changesState names what in tree may change the session's settings or
// role while it runs: set_config(), or a function not in pg_catalog. It
// also returns every function and operator tree names, for the catalog to
// say whether a user's version of one (which may do the same) is there.
func changesState(tree *pg_query.ParseResult) (found string, funcs, ops []string) {
	for _, st := range tree.GetStmts() {
		walk(st.ProtoReflect(), func(m protoreflect.Message) bool {
			switch x := m.Interface().(type) {
			case *pg_query.FuncCall:
				name := lastName(x.GetFuncname())
				if _, in := catalogVolatility[name]; (name == "set_config" || !in) && found == "" {
					found = name + "()"
				}
				addName(&funcs, name)
			case *pg_query.A_Expr:
				addName(&ops, lastName(x.GetName()))
			}
			return true
		})
	}
	return found, funcs, ops
}

func addName(list *[]string, name string) {
	if name != "" && !slices.Contains(*list, name) {
		*list = append(*list, name)
	}
}

// The catalogs' own OIDs, fixed in every PostgreSQL.
const (
	pgProc     = 1255
	pgClass    = 1259
	pgOperator = 2617
	pgRewrite  = 2618
	firstUser  = 16384 // FirstNormalObjectId: the first OID not made by initdb
)

// unsteady is the condition, in SQL, that what r reads may move while the
// write runs: a relation it reads (through views, rules and inheritance)
// is a sequence or a foreign table, or a view or rule over a volatile
// function or a user's function; a function or operator it names has a
// version a user made outside an extension; or, where it reads the
// session's settings, a table it reads has a trigger.
func (r filterReads) unsteady() (*pg_query.Node, error) {
	var regs []string
	for _, rv := range r.rels {
		name := quoteIdent(rv.GetRelname())
		if rv.GetSchemaname() != "" {
			name = quoteIdent(rv.GetSchemaname()) + "." + name
		}
		addName(&regs, "pg_catalog.to_regclass("+quoteLiteral(name)+")")
	}
	user := func(class int, alias string) string {
		return fmt.Sprintf("%[2]s.oid >= %[3]d AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend x WHERE x.classid = %[1]d AND x.objid = %[2]s.oid AND x.deptype = 'e')", class, alias, firstUser)
	}
	var conds []string
	if len(regs) > 0 {
		// Each step reads the catalogs by their indexes, from the
		// relations reached so far: a plain table costs a few lookups.
		conds = append(conds, fmt.Sprintf(`EXISTS (WITH RECURSIVE chaperone_rel(oid) AS (
			SELECT c FROM pg_catalog.unnest(ARRAY[%[1]s]::pg_catalog.oid[]) c WHERE c IS NOT NULL
			UNION SELECT x.child FROM chaperone_rel r CROSS JOIN LATERAL (
				SELECT d.refobjid FROM pg_catalog.pg_rewrite w
					JOIN pg_catalog.pg_depend d ON d.classid = %[2]d AND d.objid = w.oid AND d.refclassid = %[3]d
					WHERE w.ev_class = r.oid
				UNION ALL SELECT i.inhrelid FROM pg_catalog.pg_inherits i WHERE i.inhparent = r.oid) x(child))
			SELECT 1 FROM chaperone_rel r CROSS JOIN LATERAL (
				SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = r.oid AND c.relkind IN ('S', 'f')
				UNION ALL SELECT 'v' FROM pg_catalog.pg_rewrite w
					JOIN pg_catalog.pg_depend d ON d.classid = %[2]d AND d.objid = w.oid AND d.refclassid IN (%[4]d, %[5]d)
					LEFT JOIN pg_catalog.pg_operator o ON d.refclassid = %[5]d AND o.oid = d.refobjid
					JOIN pg_catalog.pg_proc p ON p.oid = CASE WHEN d.refclassid = %[4]d THEN d.refobjid ELSE o.oprcode::pg_catalog.oid END
					WHERE w.ev_class = r.oid AND (p.provolatile = 'v' OR %[6]s)) y)`,
			strings.Join(regs, ", "), pgRewrite, pgClass, pgProc, pgOperator, user(pgProc, "p")))
		if r.session {
			conds = append(conds, fmt.Sprintf("EXISTS (SELECT 1 FROM pg_catalog.pg_trigger t WHERE t.tgrelid::pg_catalog.oid = ANY (ARRAY[%s]::pg_catalog.oid[]) AND NOT t.tgisinternal)", strings.Join(regs, ", ")))
		}
	}
	if len(r.funcs) > 0 {
		conds = append(conds, fmt.Sprintf("EXISTS (SELECT 1 FROM pg_catalog.pg_proc p WHERE p.proname IN (%s) AND %s)", literals(r.funcs), user(pgProc, "p")))
	}
	if len(r.ops) > 0 {
		// An operator made by a user is one past initdb's OIDs, and so is
		// the function it calls.
		conds = append(conds, fmt.Sprintf("EXISTS (SELECT 1 FROM pg_catalog.pg_operator o WHERE o.oprname IN (%s) AND %s)",
			literals(r.ops), user(pgOperator, "o")))
	}
	if len(conds) == 0 {
		return falseNode(), nil
	}
	tree, err := pg_query.Parse("SELECT " + strings.Join(conds, " OR "))
	if err != nil {
		return nil, err
	}
	return tree.GetStmts()[0].GetStmt().GetSelectStmt().GetTargetList()[0].GetResTarget().GetVal(), nil
}

func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// quoteLiteral writes s as an escape string, read the same whatever
// standard_conforming_strings says.
func quoteLiteral(s string) string {
	return "E'" + strings.NewReplacer(`\`, `\\`, `'`, `''`).Replace(s) + "'"
}

func literals(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = quoteLiteral(n)
	}
	return strings.Join(q, ", ")
}
