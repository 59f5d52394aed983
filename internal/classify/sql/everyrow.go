package sql

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Whether a filter holds for every row is a question about the data as much
// as the text: `WHERE id > 0`, `WHERE length(name) >= 0` and endless other
// spellings reach every row of a table without any reading of the text
// saying so. EveryRowProbe turns the text's UPDATEs and DELETEs into one
// question the session can answer before they run: for each, is there no
// row of its table the filter leaves out, and does the table hold more than
// one row? The question evaluates only the statement's own filter (and its
// USING or FROM), stopping at the first row the filter leaves out, so a
// bounded write costs a lookup, not a scan.

// ErrNoProbe says a text holds an UPDATE or DELETE whose reach cannot be
// asked before it runs: a statement before it in the same text may change
// what it reaches (a write, a SET, a ROLLBACK TO), or its filter reads a
// data-modifying CTE.
var ErrNoProbe = errors.New("the rows it reaches cannot be checked before it runs")

// RowProbe is the question about a text's filtered UPDATEs and DELETEs.
type RowProbe struct {
	// Query answers one boolean: true when some UPDATE or DELETE of the
	// text would reach every row of a table holding more than one row.
	Query string
	// Tables are the tables they write, as written.
	Tables []string
	// Params are the numbers of the parameters Query refers to ($n): a
	// parameter of the statement it does not use gets its type from
	// nothing in it.
	Params map[int]bool
	// Clock: a filter reads the transaction's clock (now(),
	// CURRENT_TIMESTAMP, 'now'::timestamptz), which answers the same for
	// the question and the write only when both run in one transaction.
	Clock bool
	// After answers, in the write's own transaction once it has run,
	// whether it left no row of a table it wrote untouched (everyrow_after.go).
	After string

	upserts  []upsertTarget
	cascades []cascadeWrite
	version  int32 // of the parse, for deparsing parts of it
}

// Pin is a column of a table that a write's filter requires to equal one
// value.
type Pin struct {
	Schema, Table, Column string
	Only                  bool // the write names the table with ONLY
}

// EveryRowProbe returns the question about text's filtered UPDATEs and
// DELETEs. Its Query is "" when text has none to ask about (one without a
// filter is judged from the text alone); the error is ErrNoProbe when it
// has one that cannot be asked about.
func EveryRowProbe(text string) (RowProbe, error) {
	var rp RowProbe
	tree, err := pg_query.Parse(text)
	if err != nil {
		return rp, err
	}
	rp.version = tree.GetVersion()
	var probes []*pg_query.Node
	earlier := false // a statement before this one may have changed the data or the names
	for _, raw := range tree.GetStmts() {
		st := raw.GetStmt()
		writes, err := filteredWrites(st, &rp)
		if err != nil {
			return RowProbe{}, err
		}
		if len(writes) > 0 && earlier {
			return RowProbe{}, ErrNoProbe
		}
		probes = append(probes, writes...)
		if !opensBlock(st) {
			earlier = true
		}
	}
	if len(probes) == 0 {
		return RowProbe{}, nil
	}
	var expr *pg_query.Node
	if len(probes) == 1 {
		expr = probes[0]
	} else {
		expr = pg_query.MakeBoolExprNode(pg_query.BoolExprType_OR_EXPR, probes, -1)
	}
	rp.Params = map[int]bool{}
	walk(expr.ProtoReflect(), func(m protoreflect.Message) bool {
		if p, ok := m.Interface().(*pg_query.ParamRef); ok {
			rp.Params[int(p.GetNumber())] = true
		}
		rp.Clock = rp.Clock || readsClock(m.Interface())
		return true
	})
	reads := readsOf(expr)
	reads.upserts = rp.upserts
	for _, cw := range rp.cascades {
		// true, false, or NULL (unknown), beside the write's own question.
		c, err := cw.question(rp.version)
		if err != nil {
			return RowProbe{}, fmt.Errorf("%w: %v", ErrNoProbe, err)
		}
		ct, err := pg_query.Parse("SELECT " + c)
		if err != nil {
			return RowProbe{}, fmt.Errorf("%w: %v", ErrNoProbe, err)
		}
		expr = pg_query.MakeBoolExprNode(pg_query.BoolExprType_OR_EXPR, []*pg_query.Node{expr,
			ct.GetStmts()[0].GetStmt().GetSelectStmt().GetTargetList()[0].GetResTarget().GetVal()}, -1)
	}
	for _, cw := range rp.cascades {
		if cw.rel.GetInh() {
			expr = pg_query.MakeBoolExprNode(pg_query.BoolExprType_OR_EXPR, []*pg_query.Node{expr, cw.members()}, -1)
		}
	}
	if reads.session {
		changes, funcs, ops := changesState(tree)
		if changes != "" {
			return RowProbe{}, fmt.Errorf("%w: its filter reads the session's settings or role, which %s may change while it runs", ErrNoProbe, changes)
		}
		// A user's function or operator anywhere in the statement,
		// behind a builtin's name, may change them too.
		for _, f := range funcs {
			addName(&reads.funcs, f)
		}
		for _, o := range ops {
			addName(&reads.ops, o)
		}
	}
	guard, err := reads.unsteady()
	if err != nil {
		return RowProbe{}, fmt.Errorf("%w: %v", ErrNoProbe, err)
	}
	// CASE WHEN <what it reads may move> THEN NULL ELSE <the question> END:
	// no answer is taken as unknown.
	expr = &pg_query.Node{Node: &pg_query.Node_CaseExpr{CaseExpr: &pg_query.CaseExpr{
		Args: []*pg_query.Node{{Node: &pg_query.Node_CaseWhen{CaseWhen: &pg_query.CaseWhen{Expr: guard,
			Result: &pg_query.Node{Node: &pg_query.Node_AConst{AConst: &pg_query.A_Const{Isnull: true, Location: -1}}}, Location: -1}}}},
		Defresult: expr, Location: -1}}}
	sel := &pg_query.SelectStmt{TargetList: []*pg_query.Node{pg_query.MakeResTargetNodeWithVal(expr, -1)}}
	out, err := pg_query.Deparse(&pg_query.ParseResult{Version: tree.GetVersion(), Stmts: []*pg_query.RawStmt{{Stmt: &pg_query.Node{Node: &pg_query.Node_SelectStmt{SelectStmt: sel}}}}})
	if err != nil {
		return RowProbe{}, fmt.Errorf("%w: %v", ErrNoProbe, err)
	}
	rp.Query = out
	rp.After = afterQuery(rp.cascades)
	return rp, nil
}

// opensBlock says whether st only opens a transaction block: nothing a
// later statement's filter reads is changed by it.
func opensBlock(st *pg_query.Node) bool {
	t := st.GetTransactionStmt()
	return t != nil && (t.GetKind() == pg_query.TransactionStmtKind_TRANS_STMT_BEGIN || t.GetKind() == pg_query.TransactionStmtKind_TRANS_STMT_START)
}

// filteredWrites returns one scalar subquery per filtered UPDATE or DELETE in
// st, top-level or in a CTE, each answering whether it reaches every row.
func filteredWrites(st *pg_query.Node, rp *RowProbe) ([]*pg_query.Node, error) {
	var out []*pg_query.Node
	var writes func(n *pg_query.Node, with []*pg_query.Node, recursive bool, modifying map[string]bool) error
	writes = func(n *pg_query.Node, with []*pg_query.Node, recursive bool, modifying map[string]bool) error {
		var wc *pg_query.WithClause
		var rel *pg_query.RangeVar
		var where *pg_query.Node
		var from []*pg_query.Node
		switch {
		case n.GetDeleteStmt() != nil:
			d := n.GetDeleteStmt()
			wc, rel, where, from = d.GetWithClause(), d.GetRelation(), d.GetWhereClause(), d.GetUsingClause()
		case n.GetUpdateStmt() != nil:
			u := n.GetUpdateStmt()
			wc, rel, where, from = u.GetWithClause(), u.GetRelation(), u.GetWhereClause(), u.GetFromClause()
		case n.GetSelectStmt() != nil:
			wc = n.GetSelectStmt().GetWithClause()
		case n.GetInsertStmt() != nil:
			ins := n.GetInsertStmt()
			wc = ins.GetWithClause()
			if oc := ins.GetOnConflictClause(); oc != nil && oc.GetAction() == pg_query.OnConflictAction_ONCONFLICT_UPDATE {
				// Every row of the table conflicting with an inserted one
				// is overwritten: asked as a join with what is inserted.
				var ok bool
				if single(ins) && !setsKey(ins) {
					// One row proposed conflicts with at most one row (the
					// conflict target is one unique index): never every row
					// of a table holding more than one.
					break
				}
				rel = ins.GetRelation()
				if where, from, ok = upsertReach(ins); !ok {
					return ErrNoProbe
				}
				u, ok := upsertKeys(ins, rp.version)
				if !ok {
					return ErrNoProbe
				}
				rp.upserts = append(rp.upserts, u)
			}
		case n.GetMergeStmt() != nil:
			m := n.GetMergeStmt()
			wc = m.GetWithClause()
			if cond := mergeReach(m); cond != nil {
				rel, where, from = m.GetRelation(), cond, []*pg_query.Node{m.GetSourceRelation()}
			}
		case n.GetExplainStmt() != nil:
			return writes(n.GetExplainStmt().GetQuery(), with, recursive, modifying)
		case n.GetCopyStmt() != nil:
			return writes(n.GetCopyStmt().GetQuery(), with, recursive, modifying)
		case n.GetPrepareStmt() != nil:
			// Its values come with each EXECUTE, as expressions: nothing
			// can be asked with them.
			if w, err := filteredWrites(n.GetPrepareStmt().GetQuery(), rp); err != nil || len(w) > 0 {
				return ErrNoProbe
			}
			return nil
		}
		if wc != nil {
			modifying = copyNames(modifying)
			with = append([]*pg_query.Node(nil), with...)
			recursive = recursive || wc.GetRecursive()
			for _, c := range wc.GetCtes() {
				cte := c.GetCommonTableExpr()
				if cte.GetCtequery().GetSelectStmt() == nil {
					modifying[cte.GetCtename()] = true
				} else {
					with = append(with, c)
				}
			}
			for _, c := range wc.GetCtes() {
				if err := writes(c.GetCommonTableExpr().GetCtequery(), with, recursive, modifying); err != nil {
					return err
				}
			}
		}
		if rel == nil || where == nil || where.GetCurrentOfExpr() != nil || bookkeeping(rangeVarName(rel)) {
			return nil
		}
		vfrom := from
		if n.GetInsertStmt() != nil {
			vfrom = nil // what decides the conflicts was read by upsertReach
		}
		if readsAny(modifying, where, from) || callsVolatile(where, vfrom) {
			return ErrNoProbe
		}
		if shadowed(rel, with) {
			return ErrNoProbe
		}
		name := rangeVarName(rel)
		if slices.Contains(rp.Tables, name) {
			// Two writes of one table in one statement (a CTE chain) can
			// reach every row between them, which neither question sees.
			return ErrNoProbe
		}
		out = append(out, everyRowQuery(rel, where, from, with, recursive))
		cw := cascadeWrite{rel: rel, where: where, from: from, with: with, recursive: recursive}
		switch {
		case n.GetDeleteStmt() != nil:
			cw.deletes = true
		case n.GetUpdateStmt() != nil:
			cw.sets = targetNames(n.GetUpdateStmt().GetTargetList())
		case n.GetInsertStmt() != nil:
			cw.sets = targetNames(n.GetInsertStmt().GetOnConflictClause().GetTargetList())
		case n.GetMergeStmt() != nil:
			for _, c := range n.GetMergeStmt().GetMergeWhenClauses() {
				w := c.GetMergeWhenClause()
				if w.GetCommandType() == pg_query.CmdType_CMD_DELETE {
					cw.deletes = true
				}
				cw.sets = append(cw.sets, targetNames(w.GetTargetList())...)
			}
		}
		rp.cascades = append(rp.cascades, cw)
		rp.Tables = append(rp.Tables, name)
		return nil
	}
	if err := writes(st, nil, false, map[string]bool{}); err != nil {
		return nil, err
	}
	return out, nil
}

// shadowed says whether the probe's reading of rel would find a CTE instead
// of the table: a write's target is always a table, but the probe reads it
// in a SELECT under the statement's CTEs, where an unqualified name is
// looked up among them first.
func shadowed(rel *pg_query.RangeVar, with []*pg_query.Node) bool {
	if rel.GetSchemaname() != "" {
		return false
	}
	for _, c := range with {
		if c.GetCommonTableExpr().GetCtename() == rel.GetRelname() {
			return true
		}
	}
	return false
}

func copyNames(m map[string]bool) map[string]bool {
	c := make(map[string]bool, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// readsAny says whether a relation named in nodes is one of names (written
// without a schema, as a CTE is).
func readsAny(names map[string]bool, where *pg_query.Node, from []*pg_query.Node) bool {
	if len(names) == 0 {
		return false
	}
	found := false
	walkAll(func(m protoreflect.Message) bool {
		if rv, ok := m.Interface().(*pg_query.RangeVar); ok && rv.GetSchemaname() == "" && names[rv.GetRelname()] {
			found = true
		}
		return !found
	}, where, from...)
	return found
}

// everyRowQuery is
//
//	(WITH … SELECT NOT EXISTS (SELECT 1 FROM rel WHERE <rel's row left out>)
//	    AND EXISTS (SELECT 1 FROM rel OFFSET 1))
//
// where a row is left out when the filter is not true for it, or, with a
// USING or FROM list, when no combination of that list's rows makes it
// true. Only syntax is added around the statement's own nodes: no operator
// or function is looked up that the statement does not already use.
func everyRowQuery(rel *pg_query.RangeVar, where *pg_query.Node, from, with []*pg_query.Node, recursive bool) *pg_query.Node {
	target := func() *pg_query.Node {
		return &pg_query.Node{Node: &pg_query.Node_RangeVar{RangeVar: proto.Clone(rel).(*pg_query.RangeVar)}}
	}
	one := func() []*pg_query.Node {
		return []*pg_query.Node{pg_query.MakeResTargetNodeWithVal(pg_query.MakeAConstIntNode(1, -1), -1)}
	}
	leftOut := leftOutOf(where, from)
	none := pg_query.MakeBoolExprNode(pg_query.BoolExprType_NOT_EXPR, []*pg_query.Node{
		exists(selectNode(&pg_query.SelectStmt{TargetList: one(), FromClause: []*pg_query.Node{target()}, WhereClause: leftOut})),
	}, -1)
	several := exists(selectNode(&pg_query.SelectStmt{TargetList: one(), FromClause: []*pg_query.Node{target()},
		LimitOffset: pg_query.MakeAConstIntNode(1, -1), LimitOption: pg_query.LimitOption_LIMIT_OPTION_DEFAULT}))
	q := &pg_query.SelectStmt{TargetList: []*pg_query.Node{pg_query.MakeResTargetNodeWithVal(
		pg_query.MakeBoolExprNode(pg_query.BoolExprType_AND_EXPR, []*pg_query.Node{none, several}, -1), -1)}}
	if len(with) > 0 {
		ctes := make([]*pg_query.Node, len(with))
		for i, c := range with {
			ctes[i] = proto.Clone(c).(*pg_query.Node)
		}
		q.WithClause = &pg_query.WithClause{Ctes: ctes, Recursive: recursive, Location: -1}
	}
	return &pg_query.Node{Node: &pg_query.Node_SubLink{SubLink: &pg_query.SubLink{
		SubLinkType: pg_query.SubLinkType_EXPR_SUBLINK, Subselect: selectNode(q), Location: -1}}}
}

// leftOutOf is the condition under which a row of the written table is
// left out: the filter is not true for it, or, with a USING or FROM list,
// no combination of that list's rows makes it true.
func leftOutOf(where *pg_query.Node, from []*pg_query.Node) *pg_query.Node {
	one := []*pg_query.Node{pg_query.MakeResTargetNodeWithVal(pg_query.MakeAConstIntNode(1, -1), -1)}
	cond := proto.Clone(where).(*pg_query.Node)
	if len(from) == 0 {
		// NOT COALESCE(cond, false): the filter stays one argument, so no
		// precedence of the deparsed text can regroup it.
		return pg_query.MakeBoolExprNode(pg_query.BoolExprType_NOT_EXPR, []*pg_query.Node{{Node: &pg_query.Node_CoalesceExpr{
			CoalesceExpr: &pg_query.CoalesceExpr{Args: []*pg_query.Node{cond, falseNode()}, Location: -1}}}}, -1)
	}
	var list []*pg_query.Node
	for _, f := range from {
		list = append(list, proto.Clone(f).(*pg_query.Node))
	}
	matched := selectNode(&pg_query.SelectStmt{TargetList: one, FromClause: list, WhereClause: cond})
	return pg_query.MakeBoolExprNode(pg_query.BoolExprType_NOT_EXPR, []*pg_query.Node{exists(matched)}, -1)
}

func selectNode(s *pg_query.SelectStmt) *pg_query.Node {
	if s.LimitOption == pg_query.LimitOption_LIMIT_OPTION_UNDEFINED {
		s.LimitOption = pg_query.LimitOption_LIMIT_OPTION_DEFAULT
	}
	if s.Op == pg_query.SetOperation_SET_OPERATION_UNDEFINED {
		s.Op = pg_query.SetOperation_SETOP_NONE
	}
	return &pg_query.Node{Node: &pg_query.Node_SelectStmt{SelectStmt: s}}
}

func exists(sub *pg_query.Node) *pg_query.Node {
	return &pg_query.Node{Node: &pg_query.Node_SubLink{SubLink: &pg_query.SubLink{
		SubLinkType: pg_query.SubLinkType_EXISTS_SUBLINK, Subselect: sub, Location: -1}}}
}

func falseNode() *pg_query.Node {
	return &pg_query.Node{Node: &pg_query.Node_AConst{AConst: &pg_query.A_Const{
		Val: &pg_query.A_Const_Boolval{Boolval: &pg_query.Boolean{Boolval: false}}, Location: -1}}}
}

// pinnedColumn returns a column of rel that where requires, in a conjunct
// at its top, to equal a parameter or an integer or string constant, or "".
func pinnedColumn(rel *pg_query.RangeVar, where *pg_query.Node) string {
	if b := where.GetBoolExpr(); b != nil {
		if b.GetBoolop() != pg_query.BoolExprType_AND_EXPR {
			return ""
		}
		for _, a := range b.GetArgs() {
			if c := pinnedColumn(rel, a); c != "" {
				return c
			}
		}
		return ""
	}
	e := where.GetAExpr()
	if e == nil || e.GetKind() != pg_query.A_Expr_Kind_AEXPR_OP || len(e.GetName()) != 1 || e.GetName()[0].GetString_().GetSval() != "=" {
		return ""
	}
	for _, side := range [][2]*pg_query.Node{{e.GetLexpr(), e.GetRexpr()}, {e.GetRexpr(), e.GetLexpr()}} {
		if col := ownColumn(rel, side[0]); col != "" && oneValue(side[1]) {
			return col
		}
	}
	return ""
}

// ownColumn is the column n names if it is one of rel's, plainly or
// qualified by rel's name or alias.
func ownColumn(rel *pg_query.RangeVar, n *pg_query.Node) string {
	ref := n.GetColumnRef()
	if ref == nil {
		return ""
	}
	var parts []string
	for _, f := range ref.GetFields() {
		s := f.GetString_()
		if s == nil {
			return ""
		}
		parts = append(parts, s.GetSval())
	}
	switch {
	case len(parts) == 1:
		return parts[0]
	case len(parts) == 2 && (parts[0] == rel.GetAlias().GetAliasname() || rel.GetAlias() == nil && parts[0] == rel.GetRelname()):
		return parts[1]
	}
	return ""
}

// oneValue says n is a parameter or an integer or string constant: one
// value, compared without a conversion that could make two of the
// column's values equal to it.
func oneValue(n *pg_query.Node) bool {
	if n.GetParamRef() != nil {
		return true
	}
	c := n.GetAConst()
	return c != nil && !c.GetIsnull() && (c.GetIval() != nil || c.GetSval() != nil)
}

// callsVolatile says whether the filter (or USING/FROM) can answer the
// question differently from the write it is about: it calls a function
// PostgreSQL marks volatile (current_query(), random(), clock_timestamp(),
// pg_sleep() to widen a race) or one not in its catalog, or it observes the
// statement or transaction in progress, which differ between the two
// (txid_current_if_assigned(), pg_stat_activity's query, pg_locks).
// Other stable functions (now(), current_setting(), to_char()) answer the
// same within the session.
func callsVolatile(where *pg_query.Node, from []*pg_query.Node) bool {
	found := false
	walkAll(func(m protoreflect.Message) bool {
		switch x := m.Interface().(type) {
		case *pg_query.FuncCall:
			names := x.GetFuncname()
			name := ""
			if len(names) > 0 {
				name = strings.ToLower(names[len(names)-1].GetString_().GetSval())
			}
			if v, ok := catalogVolatility[name]; !ok || v == 'v' || observesStatement(name) {
				found = true
			}
		case *pg_query.RangeVar:
			found = found || observesStatement(strings.ToLower(x.GetRelname()))
		}
		return !found
	}, where, from...)
	return found
}

// readsClock says whether one node reads the transaction's start time:
// the functions and SQL keywords that give it, the date and time input
// words ('now', 'today', 'tomorrow', 'yesterday') as a literal, and a cast
// to a date or time type of anything but a literal, whose text may be one
// of those words at run time.
func readsClock(n any) bool {
	switch x := n.(type) {
	case *pg_query.SQLValueFunction:
		return x.GetOp() >= pg_query.SQLValueFunctionOp_SVFOP_CURRENT_DATE && x.GetOp() <= pg_query.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP_N
	case *pg_query.FuncCall:
		names := x.GetFuncname()
		if len(names) == 0 {
			return false
		}
		name := strings.ToLower(names[len(names)-1].GetString_().GetSval())
		return slices.Contains(clockFunctions, name) || strings.HasSuffix(name, "_in") && slices.Contains(dateTypes, strings.TrimSuffix(name, "_in"))
	case *pg_query.A_Const:
		return ClockWord(x.GetSval().GetSval())
	case *pg_query.TypeCast:
		names := x.GetTypeName().GetNames()
		if len(names) == 0 || x.GetArg().GetAConst() != nil {
			return false
		}
		return slices.Contains(dateTypes, strings.ToLower(names[len(names)-1].GetString_().GetSval()))
	}
	return false
}

// clockFunctions give the transaction's start time, or read a text as a
// date or time (date('today')); age(x) counts from today.
var clockFunctions = []string{"now", "transaction_timestamp", "localtime", "localtimestamp", "current_date", "current_time",
	"current_timestamp", "age", "date", "time", "timetz", "timestamp", "timestamptz"}

var dateTypes = []string{"date", "time", "timetz", "timestamp", "timestamptz", "abstime", "reltime", "tinterval", "smalldatetime"}

// ClockWord says whether text holds one of the words PostgreSQL's date and
// time input reads as the transaction's time.
func ClockWord(text string) bool {
	t := strings.ToLower(text)
	for _, w := range []string{"now", "today", "tomorrow", "yesterday"} {
		if strings.Contains(t, w) {
			return true
		}
	}
	return false
}

// observesStatement names the functions and views that see the statement
// or transaction in progress: its xid, its snapshot, its locks, its text,
// its start time.
func observesStatement(name string) bool {
	for _, p := range []string{"txid_", "pg_current_xact", "pg_current_snapshot", "pg_snapshot", "pg_visible_in_snapshot", "pg_stat",
		"pg_locks", "pg_lock_status", "pg_blocking_pids", "pg_safe_snapshot", "pg_trigger_depth", "pg_prepared_xacts",
		"pg_backend_memory", "pg_get_backend_memory", "statement_timestamp", "pg_xact", "pg_last_committed_xact",
		// The question is a prepared statement and a portal of the
		// session's own: these list it while it runs, not after.
		"pg_prepared_statement", "pg_cursor"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// mergeReach is the condition under which MERGE deletes or updates a row of
// its table, as a filter over its source: the join, and any of the
// conditions of its WHEN MATCHED clauses that delete or update (one
// without a condition: the join alone). nil when no such clause is there.
func mergeReach(m *pg_query.MergeStmt) *pg_query.Node {
	var conds []*pg_query.Node
	always := false
	for _, c := range m.GetMergeWhenClauses() {
		w := c.GetMergeWhenClause()
		if w.GetMatchKind() != pg_query.MergeMatchKind_MERGE_WHEN_MATCHED ||
			w.GetCommandType() != pg_query.CmdType_CMD_DELETE && w.GetCommandType() != pg_query.CmdType_CMD_UPDATE {
			continue
		}
		if w.GetCondition() == nil {
			always = true
		} else {
			conds = append(conds, w.GetCondition())
		}
	}
	switch {
	case !always && len(conds) == 0:
		return nil
	case always:
		return m.GetJoinCondition()
	case len(conds) == 1:
		return pg_query.MakeBoolExprNode(pg_query.BoolExprType_AND_EXPR, []*pg_query.Node{m.GetJoinCondition(), conds[0]}, -1)
	}
	return pg_query.MakeBoolExprNode(pg_query.BoolExprType_AND_EXPR, []*pg_query.Node{m.GetJoinCondition(),
		pg_query.MakeBoolExprNode(pg_query.BoolExprType_OR_EXPR, conds, -1)}, -1)
}

// excludedAlias names what an upsert inserts, in the question: EXCLUDED
// itself is only a name inside ON CONFLICT.
const excludedAlias = "chaperone_excluded"

// upsertReach is INSERT … ON CONFLICT (k…) DO UPDATE [WHERE …] as a filter
// over what it inserts: a row of the table is overwritten when an inserted
// row has its key (and the DO UPDATE's WHERE holds). ok is false where that
// cannot be written: no column list, a conflict named by constraint or
// with a predicate, a key by expression, a DO UPDATE WHERE naming a column
// without its table.
func upsertReach(ins *pg_query.InsertStmt) (where *pg_query.Node, from []*pg_query.Node, ok bool) {
	oc := ins.GetOnConflictClause()
	inf := oc.GetInfer()
	if inf == nil || inf.GetConname() != "" || inf.GetWhereClause() != nil || len(inf.GetIndexElems()) == 0 || ins.GetSelectStmt() == nil {
		return nil, nil, false
	}
	var cols []*pg_query.Node
	var names []string
	for _, c := range ins.GetCols() {
		r := c.GetResTarget()
		if r == nil || len(r.GetIndirection()) > 0 {
			return nil, nil, false
		}
		names = append(names, r.GetName())
		cols = append(cols, pg_query.MakeStrNode(r.GetName()))
	}
	rel := ins.GetRelation()
	self := rel.GetRelname()
	if a := rel.GetAlias(); a != nil {
		self = a.GetAliasname()
	}
	var keys []int
	var conj []*pg_query.Node
	for _, e := range inf.GetIndexElems() {
		ie := e.GetIndexElem()
		k := slices.Index(names, ie.GetName())
		if ie == nil || ie.GetExpr() != nil || k < 0 {
			return nil, nil, false
		}
		keys = append(keys, k)
		conj = append(conj, pg_query.MakeAExprNode(pg_query.A_Expr_Kind_AEXPR_OP,
			[]*pg_query.Node{pg_query.MakeStrNode("pg_catalog"), pg_query.MakeStrNode("=")},
			pg_query.MakeColumnRefNode([]*pg_query.Node{pg_query.MakeStrNode(self), pg_query.MakeStrNode(ie.GetName())}, -1),
			pg_query.MakeColumnRefNode([]*pg_query.Node{pg_query.MakeStrNode(excludedAlias), pg_query.MakeStrNode(ie.GetName())}, -1), -1))
	}
	if w := oc.GetWhereClause(); w != nil {
		w = proto.Clone(w).(*pg_query.Node)
		if !renameExcluded(w) {
			return nil, nil, false
		}
		conj = append(conj, w)
	}
	src := ins.GetSelectStmt().GetSelectStmt()
	if src == nil || src.GetOp() != pg_query.SetOperation_SETOP_NONE && src.GetOp() != pg_query.SetOperation_SET_OPERATION_UNDEFINED {
		return nil, nil, false
	}
	// Only what decides which rows conflict is read for volatility: the
	// key values and the rows there are, not the other values inserted.
	var decides []*pg_query.Node
	if lists := src.GetValuesLists(); len(lists) > 0 {
		for _, l := range lists {
			items := l.GetList().GetItems()
			for _, k := range keys {
				if k < len(items) {
					decides = append(decides, items[k])
				}
			}
		}
	} else {
		targets := src.GetTargetList()
		for _, k := range keys {
			if k >= len(targets) || targets[k].GetResTarget().GetVal().GetColumnRef().GetFields() != nil &&
				targets[k].GetResTarget().GetVal().GetColumnRef().GetFields()[len(targets[k].GetResTarget().GetVal().GetColumnRef().GetFields())-1].GetAStar() != nil {
				return nil, nil, false
			}
			decides = append(decides, targets[k])
		}
		decides = append(decides, src.GetFromClause()...)
		if src.GetWhereClause() != nil {
			decides = append(decides, src.GetWhereClause())
		}
		if src.GetHavingClause() != nil {
			decides = append(decides, src.GetHavingClause())
		}
	}
	for _, d := range decides {
		if callsVolatile(d, nil) {
			return nil, nil, false
		}
	}
	if lists := src.GetValuesLists(); len(lists) > 0 {
		// VALUES: each row's values written into the filter in place of
		// the inserted row's columns, so that a parameter's type is
		// inferred from the column it is compared with, as the INSERT
		// infers it from the column it fills.
		var rows []*pg_query.Node
		for _, l := range lists {
			items := l.GetList().GetItems()
			if len(items) != len(names) {
				return nil, nil, false
			}
			row := make([]*pg_query.Node, len(conj))
			for i, c := range conj {
				row[i] = proto.Clone(c).(*pg_query.Node)
				inline(row[i], names, items)
			}
			rows = append(rows, and(row))
		}
		if len(rows) == 1 {
			return rows[0], nil, true
		}
		return pg_query.MakeBoolExprNode(pg_query.BoolExprType_OR_EXPR, rows, -1), nil, true
	}
	where = and(conj)
	sub := &pg_query.Node{Node: &pg_query.Node_RangeSubselect{RangeSubselect: &pg_query.RangeSubselect{
		Subquery: proto.Clone(ins.GetSelectStmt()).(*pg_query.Node),
		Alias:    &pg_query.Alias{Aliasname: excludedAlias, Colnames: cols}}}}
	return where, []*pg_query.Node{sub}, true
}

// renameExcluded rewrites EXCLUDED.x as the question's name for what is
// inserted; false when a column is named without its table (inside the
// question it would be read as the inserted row's).
func renameExcluded(n *pg_query.Node) bool {
	ok := true
	walk(n.ProtoReflect(), func(m protoreflect.Message) bool {
		if ref, isRef := m.Interface().(*pg_query.ColumnRef); isRef {
			f := ref.GetFields()
			switch {
			case len(f) < 2:
				ok = false
			case strings.EqualFold(f[0].GetString_().GetSval(), "excluded"):
				f[0] = pg_query.MakeStrNode(excludedAlias)
			}
		}
		return ok
	})
	return ok
}

func and(conj []*pg_query.Node) *pg_query.Node {
	if len(conj) == 1 {
		return conj[0]
	}
	return pg_query.MakeBoolExprNode(pg_query.BoolExprType_AND_EXPR, conj, -1)
}

// inline replaces each column of what is inserted (excludedAlias.c) in n
// with the value the row gives it.
func inline(n *pg_query.Node, names []string, items []*pg_query.Node) {
	walk(n.ProtoReflect(), func(m protoreflect.Message) bool {
		if nd, ok := m.Interface().(*pg_query.Node); ok {
			if f := nd.GetColumnRef().GetFields(); len(f) == 2 && f[0].GetString_().GetSval() == excludedAlias {
				if i := slices.Index(names, f[1].GetString_().GetSval()); i >= 0 {
					nd.Node = proto.Clone(items[i]).(*pg_query.Node).Node
					return false // the value put in its place is the row's own
				}
			}
		}
		return true
	})
}

// walkAll walks each of nodes as walk does.
func walkAll(visit func(protoreflect.Message) bool, first *pg_query.Node, rest ...*pg_query.Node) {
	walk(first.ProtoReflect(), visit)
	for _, n := range rest {
		walk(n.ProtoReflect(), visit)
	}
}

// single says an INSERT proposes one row: VALUES with one row.
func single(ins *pg_query.InsertStmt) bool {
	src := ins.GetSelectStmt().GetSelectStmt()
	return src != nil && len(src.GetValuesLists()) == 1 && len(src.GetFromClause()) == 0
}

// setsKey says whether an upsert's DO UPDATE sets a column of its conflict
// target: a key a foreign key may cascade from.
func setsKey(ins *pg_query.InsertStmt) bool {
	oc := ins.GetOnConflictClause()
	sets := targetNames(oc.GetTargetList())
	for _, e := range oc.GetInfer().GetIndexElems() {
		if slices.Contains(sets, e.GetIndexElem().GetName()) {
			return true
		}
	}
	return oc.GetInfer() == nil || oc.GetInfer().GetConname() != ""
}
