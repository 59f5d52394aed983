package sql

import (
	"strings"

	"google.golang.org/protobuf/proto"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// selfMembership says whether cond keeps every row of rel by testing the
// row's own columns for membership in the set of those columns over the
// whole of rel, however the set is spelled: id IN (SELECT id FROM t),
// (id, v) IN (TABLE t), id = ANY(ARRAY(SELECT id FROM t)),
// id = ANY((SELECT array_agg(id) FROM t)::int[]), and any of them through a
// CTE that reads the whole table. (Rows whose columns are NULL are the
// exception, as with x = x.)
func selfMembership(cond *pg_query.Node, rel *pg_query.RangeVar) bool {
	if sl := cond.GetSubLink(); sl != nil && sl.GetSubLinkType() == pg_query.SubLinkType_ANY_SUBLINK {
		if op := sl.GetOperName(); len(op) > 0 && constString(lastNode(op)) != "=" {
			return false
		}
		targets, ok := wholeTargets(sl.GetSubselect(), rel)
		return ok && sameColumns(rowColumns(sl.GetTestexpr()), targets)
	}
	e := cond.GetAExpr()
	if e == nil || e.GetKind() != pg_query.A_Expr_Kind_AEXPR_OP_ANY || constString(lastNode(e.GetName())) != "=" {
		return false
	}
	col := rowColumns(e.GetLexpr())
	if len(col) != 1 {
		return false
	}
	r := e.GetRexpr()
	for r.GetTypeCast() != nil {
		r = r.GetTypeCast().GetArg()
	}
	sl := r.GetSubLink()
	if sl == nil {
		return false
	}
	targets, ok := wholeTargets(sl.GetSubselect(), rel)
	if !ok || len(targets) != 1 {
		return false
	}
	switch sl.GetSubLinkType() {
	case pg_query.SubLinkType_ARRAY_SUBLINK:
		return sameColumns(col, targets)
	case pg_query.SubLinkType_EXPR_SUBLINK:
		// (SELECT array_agg(id) FROM t): every id, in one array.
		f := targets[0].GetFuncCall()
		if f == nil || !strings.EqualFold(constString(lastNode(f.GetFuncname())), "array_agg") || len(f.GetArgs()) != 1 || f.GetAggFilter() != nil {
			return false
		}
		return sameColumns(col, f.GetArgs())
	}
	return false
}

// wholeTargets returns what a subquery selects when it reads every row of
// rel and nothing else, directly or from a CTE that does; a * stands for
// whatever the test names (the server refuses a mismatch).
func wholeTargets(n *pg_query.Node, rel *pg_query.RangeVar) ([]*pg_query.Node, bool) {
	sel := n.GetSelectStmt()
	if sel == nil {
		return nil, false
	}
	targets := func(s *pg_query.SelectStmt) []*pg_query.Node {
		var out []*pg_query.Node
		for _, t := range s.GetTargetList() {
			out = append(out, t.GetResTarget().GetVal())
		}
		return out
	}
	if wholeTable(n, rel) || len(sel.GetDistinctClause()) > 0 && wholeWithout(sel, rel, func(c *pg_query.SelectStmt) { c.DistinctClause = nil }) ||
		sel.GetWhereClause() != nil && constTrue(sel.GetWhereClause()) && wholeWithout(sel, rel, func(c *pg_query.SelectStmt) { c.WhereClause = nil }) {
		return targets(sel), true
	}
	if sel.GetOp() == pg_query.SetOperation_SETOP_UNION {
		// A union holds every row of either side: membership in it is at
		// least membership in the whole table.
		for _, side := range []*pg_query.SelectStmt{sel.GetLarg(), sel.GetRarg()} {
			if t, ok := wholeTargets(&pg_query.Node{Node: &pg_query.Node_SelectStmt{SelectStmt: side}}, rel); ok {
				return t, true
			}
		}
	}
	// WITH c AS (SELECT ... FROM t) SELECT ... FROM c
	from := sel.GetFromClause()
	if len(from) != 1 || from[0].GetRangeVar() == nil || from[0].GetRangeVar().GetSchemaname() != "" || sel.GetWhereClause() != nil ||
		sel.GetLimitCount() != nil || sel.GetHavingClause() != nil || len(sel.GetGroupClause()) != 0 {
		return nil, false
	}
	name := from[0].GetRangeVar().GetRelname()
	for _, c := range sel.GetWithClause().GetCtes() {
		cte := c.GetCommonTableExpr()
		if !strings.EqualFold(cte.GetCtename(), name) {
			continue
		}
		inner, ok := wholeTargets(cte.GetCtequery(), rel)
		if !ok {
			return nil, false
		}
		outer := targets(sel)
		if len(outer) == 1 && outer[0].GetColumnRef() != nil && isStar(outer[0]) {
			return inner, true
		}
		// The CTE passes its columns through: the outer names must be
		// among them (or the CTE selects *).
		for _, o := range outer {
			if !sameColumns([]*pg_query.Node{o}, inner) && !(len(inner) == 1 && isStar(inner[0])) {
				found := false
				for _, i := range inner {
					if sameColumns([]*pg_query.Node{o}, []*pg_query.Node{i}) {
						found = true
					}
				}
				if !found {
					return nil, false
				}
			}
		}
		return outer, true
	}
	return nil, false
}

// rowColumns: the columns a test names, one or a row of them.
func rowColumns(n *pg_query.Node) []*pg_query.Node {
	if r := n.GetRowExpr(); r != nil {
		return r.GetArgs()
	}
	if n.GetColumnRef() != nil {
		return []*pg_query.Node{n}
	}
	return nil
}

// sameColumns: the same column names in the same order, or a lone *.
func sameColumns(test, targets []*pg_query.Node) bool {
	if len(test) == 0 {
		return false
	}
	if len(targets) == 1 && isStar(targets[0]) {
		for _, t := range test {
			if t.GetColumnRef() == nil {
				return false
			}
		}
		return true
	}
	if len(test) != len(targets) {
		return false
	}
	for i := range test {
		a, b := test[i].GetColumnRef(), targets[i].GetColumnRef()
		if a == nil || b == nil || len(a.GetFields()) == 0 || len(b.GetFields()) == 0 ||
			!strings.EqualFold(constString(lastNode(a.GetFields())), constString(lastNode(b.GetFields()))) {
			return false
		}
	}
	return true
}

func isStar(n *pg_query.Node) bool {
	f := n.GetColumnRef().GetFields()
	return len(f) > 0 && f[len(f)-1].GetAStar() != nil
}

// wholeWithout: sel reads the whole of rel once strip has taken away what
// does not narrow it (DISTINCT, a WHERE that holds for every row).
func wholeWithout(sel *pg_query.SelectStmt, rel *pg_query.RangeVar, strip func(*pg_query.SelectStmt)) bool {
	c := proto.Clone(sel).(*pg_query.SelectStmt)
	strip(c)
	return wholeTable(&pg_query.Node{Node: &pg_query.Node_SelectStmt{SelectStmt: c}}, rel)
}
