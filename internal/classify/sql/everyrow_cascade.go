package sql

import (
	"fmt"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"
)

// A write reaches more than its own table where foreign keys cascade: a
// DELETE of one parent row deletes (or sets to NULL) every child row that
// references it, and an UPDATE of a referenced key updates them, and so
// may a bounded write reach every row of another table. The question
// therefore also asks, for each foreign key that cascades from the
// written table: would any row of the child be left untouched by the
// parent rows the write reaches, and does the child hold more than one
// row? The child's name and columns are the catalog's, so that part is
// asked with query_to_xml and the reached rows as JSON. What it cannot
// ask is unknown: a key of several columns, a child that cascades on
// (a chain, or a table that references itself), or more than
// cascadeLimit rows reached.

// cascadeLimit bounds the parent rows the question carries to the child.
const cascadeLimit = 10000

// cascadeWrite is a filtered write, as the question sees it: its table,
// filter and joins, and what of it can cascade.
type cascadeWrite struct {
	rel       *pg_query.RangeVar
	where     *pg_query.Node
	from      []*pg_query.Node
	with      []*pg_query.Node
	recursive bool
	deletes   bool     // deletes rows (ON DELETE actions)
	sets      []string // columns it sets (ON UPDATE actions)
}

func targetNames(list []*pg_query.Node) []string {
	var out []string
	for _, t := range list {
		if r := t.GetResTarget(); r != nil {
			out = append(out, r.GetName())
		}
	}
	return out
}

// reached is the rows the write reaches, as a JSON array of objects, at
// most cascadeLimit+1 of them.
func (cw cascadeWrite) reached(version int32) (string, error) {
	alias := cw.rel.GetRelname()
	if a := cw.rel.GetAlias(); a != nil {
		alias = a.GetAliasname()
	}
	from := []*pg_query.Node{{Node: &pg_query.Node_RangeVar{RangeVar: proto.Clone(cw.rel).(*pg_query.RangeVar)}}}
	for _, f := range cw.from {
		from = append(from, proto.Clone(f).(*pg_query.Node))
	}
	row := &pg_query.Node{Node: &pg_query.Node_ResTarget{ResTarget: &pg_query.ResTarget{Name: "r",
		Val: pg_query.MakeColumnRefNode([]*pg_query.Node{pg_query.MakeStrNode(alias)}, -1), Location: -1}}}
	inner := &pg_query.SelectStmt{TargetList: []*pg_query.Node{row}, FromClause: from, WhereClause: proto.Clone(cw.where).(*pg_query.Node),
		LimitCount: pg_query.MakeAConstIntNode(cascadeLimit+1, -1), LimitOption: pg_query.LimitOption_LIMIT_OPTION_COUNT}
	if len(cw.with) > 0 {
		ctes := make([]*pg_query.Node, len(cw.with))
		for i, c := range cw.with {
			ctes[i] = proto.Clone(c).(*pg_query.Node)
		}
		inner.WithClause = &pg_query.WithClause{Ctes: ctes, Recursive: cw.recursive, Location: -1}
	}
	agg := pg_query.MakeFuncCallNode([]*pg_query.Node{pg_query.MakeStrNode("pg_catalog"), pg_query.MakeStrNode("jsonb_agg")},
		[]*pg_query.Node{pg_query.MakeFuncCallNode([]*pg_query.Node{pg_query.MakeStrNode("pg_catalog"), pg_query.MakeStrNode("to_jsonb")},
			[]*pg_query.Node{pg_query.MakeColumnRefNode([]*pg_query.Node{pg_query.MakeStrNode("chaperone_reached"), pg_query.MakeStrNode("r")}, -1)}, -1)}, -1)
	outer := selectNode(&pg_query.SelectStmt{TargetList: []*pg_query.Node{pg_query.MakeResTargetNodeWithVal(agg, -1)},
		FromClause: []*pg_query.Node{{Node: &pg_query.Node_RangeSubselect{RangeSubselect: &pg_query.RangeSubselect{
			Subquery: selectNode(inner), Alias: &pg_query.Alias{Aliasname: "chaperone_reached"}}}}}})
	return pg_query.Deparse(&pg_query.ParseResult{Version: version, Stmts: []*pg_query.RawStmt{{Stmt: outer}}})
}

// unsteady is the condition, in SQL, that a cascade from the write may
// reach every row of a table holding more than one, or cannot be asked
// about.
func (cw cascadeWrite) unsteady(version int32) (string, error) {
	if !cw.deletes && len(cw.sets) == 0 {
		return "false", nil
	}
	reached, err := cw.reached(version)
	if err != nil {
		return "", err
	}
	name := quoteIdent(cw.rel.GetRelname())
	if cw.rel.GetSchemaname() != "" {
		name = quoteIdent(cw.rel.GetSchemaname()) + "." + name
	}
	reg := "pg_catalog.to_regclass(" + quoteLiteral(name) + ")::pg_catalog.oid"
	acts := `ARRAY['c', 'n', 'd']::pg_catalog."char"[]`
	fires := "false"
	if cw.deletes {
		fires = "k.confdeltype = ANY (" + acts + ")"
	}
	if len(cw.sets) > 0 {
		fires += fmt.Sprintf(" OR k.confupdtype = ANY (%s) AND EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a WHERE a.attrelid = %s AND a.attnum = ANY (k.confkey) AND a.attname = ANY (ARRAY[%s]::pg_catalog.name[]))",
			acts, reg, literals(cw.sets))
	}
	return fmt.Sprintf(q(`EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k CROSS JOIN LATERAL (SELECT (%[2]s) AS reached_rows) j
		WHERE k.contype = 'f' AND k.confrelid = %[1]s AND (%[3]s) AND (
			pg_catalog.array_length(k.conkey, 1) <> 1
			OR EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k2 WHERE k2.contype = 'f' AND k2.confrelid = k.conrelid
				AND (k2.confdeltype = ANY (%[4]s) OR k2.confupdtype = ANY (%[4]s)))
			OR pg_catalog.jsonb_array_length(COALESCE(j.reached_rows, '[]')) > %[5]d
			OR pg_catalog.length(pg_catalog.query_to_xml(pg_catalog.format('SELECT 1 FROM %%s OFFSET 1 LIMIT 1', k.conrelid::pg_catalog.regclass), false, true, '')::pg_catalog.text) > 0
				AND pg_catalog.length(pg_catalog.query_to_xml(pg_catalog.format(
					'SELECT 1 FROM %%s c WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.jsonb_array_elements(%%L::pg_catalog.jsonb) p WHERE c.%%I OPERATOR(pg_catalog.=) (p.value OPERATOR(pg_catalog.->>) %%L)::%%s) LIMIT 1',
					k.conrelid::pg_catalog.regclass, COALESCE(j.reached_rows, '[]'),
					(SELECT a.attname FROM pg_catalog.pg_attribute a WHERE a.attrelid = k.conrelid AND a.attnum = k.conkey[1]),
					(SELECT a.attname FROM pg_catalog.pg_attribute a WHERE a.attrelid = k.confrelid AND a.attnum = k.confkey[1]),
					(SELECT pg_catalog.format_type(a.atttypid, a.atttypmod) FROM pg_catalog.pg_attribute a WHERE a.attrelid = k.conrelid AND a.attnum = k.conkey[1])),
					false, true, '')::pg_catalog.text) = 0))`),
		reg, reached, q(fires), acts, cascadeLimit), nil
}
