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
	upserts []upsertTarget
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
	pgProc       = 1255
	pgClass      = 1259
	pgOperator   = 2617
	pgRewrite    = 2618
	pgConstraint = 2606
	pgAttrdef    = 2604
	firstUser    = 16384 // FirstNormalObjectId: the first OID not made by initdb
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
		return fmt.Sprintf(q("%[2]s.oid >= %[3]d AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend x WHERE x.classid = %[1]d AND x.objid = %[2]s.oid AND x.deptype = 'e')"), class, alias, firstUser)
	}
	var conds []string
	if len(regs) > 0 {
		// Each step reads the catalogs by their indexes, from the
		// relations reached so far: a plain table costs a few lookups.
		conds = append(conds, fmt.Sprintf(q(`EXISTS (WITH RECURSIVE chaperone_rel(oid) AS (
			SELECT c FROM pg_catalog.unnest(ARRAY[%[1]s]::pg_catalog.oid[]) c WHERE c IS NOT NULL
			UNION SELECT x.child FROM chaperone_rel r CROSS JOIN LATERAL (
				SELECT d.refobjid FROM pg_catalog.pg_rewrite w
					JOIN pg_catalog.pg_depend d ON d.classid = %[2]d AND d.objid = w.oid AND d.refclassid = %[3]d
					WHERE w.ev_class = r.oid
				UNION ALL SELECT i.inhrelid FROM pg_catalog.pg_inherits i WHERE i.inhparent = r.oid) x(child))
			SELECT 1 FROM chaperone_rel r CROSS JOIN LATERAL (
				SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = r.oid AND (c.relkind = 'S' OR c.relkind = 'f')
				UNION ALL SELECT 'v' FROM pg_catalog.pg_rewrite w
					CROSS JOIN LATERAL pg_catalog.regexp_matches(w.ev_action::pg_catalog.text, %[7]s, 'g') m
					JOIN pg_catalog.pg_proc p ON p.oid = m[1]::pg_catalog.oid
					WHERE w.ev_class = r.oid AND (p.provolatile <> 'i' AND p.proname <> ALL (ARRAY[%[8]s]::pg_catalog.name[]) OR %[6]s)) y)`),
			strings.Join(regs, ", "), pgRewrite, pgClass, pgProc, pgOperator, user(pgProc, "p"), quoteLiteral(funcIDs), literals(clockFunctions)))
		if r.session {
			// Row by row, a trigger, a CHECK constraint (of the table or
			// of a domain its columns have), a default or a generated
			// column may call set_config() or a user's function.
			conds = append(conds, fmt.Sprintf(q("EXISTS (SELECT 1 FROM pg_catalog.pg_trigger t WHERE t.tgrelid::pg_catalog.oid = ANY (ARRAY[%s]::pg_catalog.oid[]) AND NOT t.tgisinternal)"), strings.Join(regs, ", ")))
			conds = append(conds, fmt.Sprintf(q(`EXISTS (SELECT 1 FROM (
					SELECT c.conbin FROM pg_catalog.pg_constraint c WHERE c.conrelid = ANY (ARRAY[%[1]s]::pg_catalog.oid[])
						OR c.contypid = ANY (ARRAY(SELECT a.atttypid FROM pg_catalog.pg_attribute a WHERE a.attrelid = ANY (ARRAY[%[1]s]::pg_catalog.oid[])))
					UNION ALL SELECT ad.adbin FROM pg_catalog.pg_attrdef ad WHERE ad.adrelid = ANY (ARRAY[%[1]s]::pg_catalog.oid[])
					UNION ALL SELECT i.indexprs FROM pg_catalog.pg_index i WHERE i.indrelid = ANY (ARRAY[%[1]s]::pg_catalog.oid[])
					UNION ALL SELECT i.indpred FROM pg_catalog.pg_index i WHERE i.indrelid = ANY (ARRAY[%[1]s]::pg_catalog.oid[])) e(tree)
				CROSS JOIN LATERAL pg_catalog.regexp_matches(e.tree::pg_catalog.text, %[2]s, 'g') m
				JOIN pg_catalog.pg_proc p ON p.oid = m[1]::pg_catalog.oid
				WHERE p.proname = 'set_config' OR %[3]s)`),
				strings.Join(regs, ", "), quoteLiteral(funcIDs), user(pgProc, "p")))
		}
		for _, u := range r.upserts {
			conds = append(conds, u.unsteady())
		}
	}
	if len(r.funcs) > 0 {
		conds = append(conds, fmt.Sprintf(q("EXISTS (SELECT 1 FROM pg_catalog.pg_proc p WHERE p.proname = ANY (ARRAY[%s]::pg_catalog.name[]) AND %s)"), literals(r.funcs), user(pgProc, "p")))
	}
	if len(r.ops) > 0 {
		// An operator made by a user is one past initdb's OIDs, and so is
		// the function it calls.
		conds = append(conds, fmt.Sprintf(q("EXISTS (SELECT 1 FROM pg_catalog.pg_operator o WHERE o.oprname = ANY (ARRAY[%s]::pg_catalog.name[]) AND %s)"),
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

// funcIDs finds the functions a stored expression calls, in its node
// tree's text: the catalog records no dependency on a builtin function,
// so pg_depend cannot say that a view calls random() or a CHECK
// set_config().
const funcIDs = `:(?:funcid|opfuncid|aggfnoid|winfnoid) (\d+)`

// upsertTarget is an upsert's table and the columns that decide its
// conflicts, for the question to check that the database compares them as
// the question does.
type upsertTarget struct {
	rel  *pg_query.RangeVar
	cols []string
	// params are the parameters given as a key column's values, by
	// column; src is the query of an INSERT … SELECT, as text.
	params map[string][]int
	src    string
	names  []string // the INSERT's column list
}

func (u upsertTarget) colList() string {
	q := make([]string, len(u.names))
	for i, n := range u.names {
		q[i] = quoteIdent(n)
	}
	return strings.Join(q, ", ")
}

// upsertKeys reads an upsert's key columns and what gives them values;
// ok is false where a value may be converted on its way into the column
// in a way the question's comparison would not see (a fraction into an
// integer).
func upsertKeys(ins *pg_query.InsertStmt, version int32) (upsertTarget, bool) {
	u := upsertTarget{rel: ins.GetRelation(), params: map[string][]int{}}
	names := targetNames(ins.GetCols())
	u.names = names
	keys := map[int]string{}
	for _, e := range ins.GetOnConflictClause().GetInfer().GetIndexElems() {
		name := e.GetIndexElem().GetName()
		u.cols = append(u.cols, name)
		keys[slices.Index(names, name)] = name
	}
	src := ins.GetSelectStmt().GetSelectStmt()
	if lists := src.GetValuesLists(); len(lists) > 0 {
		for _, l := range lists {
			for i, item := range l.GetList().GetItems() {
				col, key := keys[i]
				if !key {
					continue
				}
				switch {
				case item.GetParamRef() != nil:
					u.params[col] = append(u.params[col], int(item.GetParamRef().GetNumber()))
				case item.GetAConst() != nil && (item.GetAConst().GetIval() != nil || item.GetAConst().GetSval() != nil):
					// An integer, or text the column's own input reads
					// as the comparison does.
				default:
					return u, false
				}
			}
		}
		return u, true
	}
	text, err := pg_query.Deparse(&pg_query.ParseResult{Version: version, Stmts: []*pg_query.RawStmt{{Stmt: ins.GetSelectStmt()}}})
	if err != nil {
		return u, false
	}
	u.src = text
	return u, true
}

// unsteady: the conflicts the database finds may not be the question's
// when a BEFORE INSERT trigger or an INSERT rule rewrites the rows
// proposed, when an index compares with a non-deterministic collation
// ('K1' conflicts with 'k1'), or when a key column's type modifier
// rounds or cuts what is inserted (1.4 into an integer is 1, '001   '
// into varchar(3) is '001').
func (u upsertTarget) unsteady() string {
	name := quoteIdent(u.rel.GetRelname())
	if u.rel.GetSchemaname() != "" {
		name = quoteIdent(u.rel.GetSchemaname()) + "." + name
	}
	reg := "pg_catalog.to_regclass(" + quoteLiteral(name) + ")::pg_catalog.oid"
	return fmt.Sprintf(q(`(EXISTS (SELECT 1 FROM pg_catalog.pg_trigger t WHERE t.tgrelid = %[1]s AND NOT t.tgisinternal AND (t.tgtype & 2) <> 0 AND (t.tgtype & 4) <> 0)
		OR EXISTS (SELECT 1 FROM pg_catalog.pg_rewrite w WHERE w.ev_class = %[1]s AND w.ev_type = '3')
		OR EXISTS (SELECT 1 FROM pg_catalog.pg_index i JOIN pg_catalog.pg_collation c ON c.oid = ANY (i.indcollation::pg_catalog.oid[]) WHERE i.indrelid = %[1]s AND NOT c.collisdeterministic)
		OR EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a WHERE a.attrelid = %[1]s AND a.attname = ANY (ARRAY[%[2]s]::pg_catalog.name[]) AND a.atttypmod <> -1)%[3]s)`),
		reg, literals(u.cols), u.typeChecks(reg))
}

// typeChecks: a key given a value of another type than its column's is
// converted on its way in, and may then conflict where the question's
// comparison finds no match.
func (u upsertTarget) typeChecks(reg string) string {
	colType := func(col string) string {
		return fmt.Sprintf(q("(SELECT a.atttypid FROM pg_catalog.pg_attribute a WHERE a.attrelid = %s AND a.attname = %s)"), reg, quoteLiteral(col))
	}
	var b strings.Builder
	for _, col := range u.cols {
		for _, n := range u.params[col] {
			fmt.Fprintf(&b, q("\n\t\tOR pg_catalog.pg_typeof($%d)::pg_catalog.oid <> %s"), n, colType(col))
		}
		if u.src != "" {
			fmt.Fprintf(&b, q("\n\t\tOR (SELECT pg_catalog.pg_typeof(x.%s)::pg_catalog.oid FROM (%s) x(%s) LIMIT 1) <> %s"),
				quoteIdent(col), u.src, u.colList(), colType(col))
		}
	}
	return b.String()
}

// q qualifies a question's operators with pg_catalog: the question runs
// on the client's search_path, where an operator of the same name and
// types a user made could otherwise answer in its place.
func q(tmpl string) string {
	return strings.NewReplacer(" = ", " OPERATOR(pg_catalog.=) ", " <> ", " OPERATOR(pg_catalog.<>) ",
		" >= ", " OPERATOR(pg_catalog.>=) ", " & ", " OPERATOR(pg_catalog.&) ", " > ", " OPERATOR(pg_catalog.>) ").Replace(tmpl)
}
