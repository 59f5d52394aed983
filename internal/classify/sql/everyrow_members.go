package sql

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"
)

// A write to an inheritance parent or a partitioned table reaches the rows
// of every table under it. One row the filter leaves out anywhere in the
// tree does not keep the write from emptying a child or a partition:
// DELETE FROM parent WHERE id > 0 spares the parent's row 0 and deletes
// all twenty of the child's. So where the written table has tables under
// it, the question also asks, table by table (by tableoid), whether one
// holding more than one row has none the filter leaves out.

// members is the question for cw's table and the tables under it, under
// the statement's own CTEs.
func (cw cascadeWrite) members() *pg_query.Node {
	target := func() *pg_query.Node {
		return &pg_query.Node{Node: &pg_query.Node_RangeVar{RangeVar: proto.Clone(cw.rel).(*pg_query.RangeVar)}}
	}
	q := &pg_query.SelectStmt{TargetList: []*pg_query.Node{pg_query.MakeResTargetNodeWithVal(
		everyMember(cw.rel, target, leftOutOf(cw.where, cw.from)), -1)}}
	if len(cw.with) > 0 {
		ctes := make([]*pg_query.Node, len(cw.with))
		for i, c := range cw.with {
			ctes[i] = proto.Clone(c).(*pg_query.Node)
		}
		q.WithClause = &pg_query.WithClause{Ctes: ctes, Recursive: cw.recursive, Location: -1}
	}
	return &pg_query.Node{Node: &pg_query.Node_SubLink{SubLink: &pg_query.SubLink{
		SubLinkType: pg_query.SubLinkType_EXPR_SUBLINK, Subselect: selectNode(q), Location: -1}}}
}

// everyMember is, for rel written without ONLY,
//
//	CASE WHEN EXISTS (rel has tables under it) THEN EXISTS (
//	    SELECT 1 FROM (rel and every table under it) m
//	    WHERE NOT EXISTS (SELECT 1 FROM rel WHERE rel.tableoid = m.oid AND <left out>)
//	      AND EXISTS (SELECT 1 FROM rel WHERE rel.tableoid = m.oid OFFSET 1))
//	ELSE false END
func everyMember(rel *pg_query.RangeVar, target func() *pg_query.Node, leftOut *pg_query.Node) *pg_query.Node {
	name := quoteIdent(rel.GetRelname())
	if rel.GetSchemaname() != "" {
		name = quoteIdent(rel.GetSchemaname()) + "." + name
	}
	reg := "pg_catalog.to_regclass(" + quoteLiteral(name) + ")::pg_catalog.oid"
	members := mustSelect(q(`SELECT 1 FROM (WITH RECURSIVE chaperone_under(oid) AS (SELECT ` + reg + `
		UNION SELECT i.inhrelid FROM pg_catalog.pg_inherits i JOIN chaperone_under u ON i.inhparent = u.oid)
		SELECT u.oid FROM chaperone_under u) chaperone_m`))
	guard := mustSelect(q(`SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_inherits WHERE inhparent = ` + reg + `) THEN true ELSE false END`))

	var ref []*pg_query.Node
	switch {
	case rel.GetAlias() != nil:
		ref = []*pg_query.Node{pg_query.MakeStrNode(rel.GetAlias().GetAliasname())}
	case rel.GetSchemaname() != "":
		ref = []*pg_query.Node{pg_query.MakeStrNode(rel.GetSchemaname()), pg_query.MakeStrNode(rel.GetRelname())}
	default:
		ref = []*pg_query.Node{pg_query.MakeStrNode(rel.GetRelname())}
	}
	inMember := func() *pg_query.Node {
		return &pg_query.Node{Node: &pg_query.Node_AExpr{AExpr: &pg_query.A_Expr{Kind: pg_query.A_Expr_Kind_AEXPR_OP,
			Name:     []*pg_query.Node{pg_query.MakeStrNode("pg_catalog"), pg_query.MakeStrNode("=")},
			Lexpr:    pg_query.MakeColumnRefNode(append(append([]*pg_query.Node(nil), ref...), pg_query.MakeStrNode("tableoid")), -1),
			Rexpr:    pg_query.MakeColumnRefNode([]*pg_query.Node{pg_query.MakeStrNode("chaperone_m"), pg_query.MakeStrNode("oid")}, -1),
			Location: -1}}}
	}
	one := []*pg_query.Node{pg_query.MakeResTargetNodeWithVal(pg_query.MakeAConstIntNode(1, -1), -1)}
	none := pg_query.MakeBoolExprNode(pg_query.BoolExprType_NOT_EXPR, []*pg_query.Node{exists(selectNode(&pg_query.SelectStmt{
		TargetList: one, FromClause: []*pg_query.Node{target()},
		WhereClause: pg_query.MakeBoolExprNode(pg_query.BoolExprType_AND_EXPR, []*pg_query.Node{inMember(), proto.Clone(leftOut).(*pg_query.Node)}, -1)}))}, -1)
	several := exists(selectNode(&pg_query.SelectStmt{TargetList: one, FromClause: []*pg_query.Node{target()}, WhereClause: inMember(),
		LimitOffset: pg_query.MakeAConstIntNode(1, -1), LimitOption: pg_query.LimitOption_LIMIT_OPTION_DEFAULT}))
	members.WhereClause = pg_query.MakeBoolExprNode(pg_query.BoolExprType_AND_EXPR, []*pg_query.Node{none, several}, -1)
	c := guard.GetTargetList()[0].GetResTarget().GetVal().GetCaseExpr()
	c.GetArgs()[0].GetCaseWhen().Result = exists(selectNode(members))
	return &pg_query.Node{Node: &pg_query.Node_CaseExpr{CaseExpr: c}}
}

// mustSelect parses one SELECT the package writes itself.
func mustSelect(text string) *pg_query.SelectStmt {
	tree, err := pg_query.Parse(text)
	if err != nil {
		panic("sql: " + err.Error() + ": " + text)
	}
	return tree.GetStmts()[0].GetStmt().GetSelectStmt()
}
