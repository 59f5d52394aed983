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

// reached selects the rows the write reaches, by table and ctid (exact,
// whatever their types, aliases or settings), at most cascadeLimit+1.
func (cw cascadeWrite) reached(version int32) (string, error) {
	alias := cw.rel.GetRelname()
	if a := cw.rel.GetAlias(); a != nil {
		alias = a.GetAliasname()
	}
	from := []*pg_query.Node{{Node: &pg_query.Node_RangeVar{RangeVar: proto.Clone(cw.rel).(*pg_query.RangeVar)}}}
	for _, f := range cw.from {
		from = append(from, proto.Clone(f).(*pg_query.Node))
	}
	col := func(name, as string) *pg_query.Node {
		return &pg_query.Node{Node: &pg_query.Node_ResTarget{ResTarget: &pg_query.ResTarget{Name: as,
			Val: pg_query.MakeColumnRefNode([]*pg_query.Node{pg_query.MakeStrNode(alias), pg_query.MakeStrNode(name)}, -1), Location: -1}}}
	}
	sel := &pg_query.SelectStmt{TargetList: []*pg_query.Node{col("tableoid", "o"), col("ctid", "t")}, FromClause: from,
		WhereClause: proto.Clone(cw.where).(*pg_query.Node),
		LimitCount:  pg_query.MakeAConstIntNode(cascadeLimit+1, -1), LimitOption: pg_query.LimitOption_LIMIT_OPTION_COUNT}
	if len(cw.with) > 0 {
		ctes := make([]*pg_query.Node, len(cw.with))
		for i, c := range cw.with {
			ctes[i] = proto.Clone(c).(*pg_query.Node)
		}
		sel.WithClause = &pg_query.WithClause{Ctes: ctes, Recursive: cw.recursive, Location: -1}
	}
	return pg_query.Deparse(&pg_query.ParseResult{Version: version, Stmts: []*pg_query.RawStmt{{Stmt: selectNode(sel)}}})
}

// question is, in SQL, true when a cascade from the write reaches every
// row of a table holding more than one, NULL when that cannot be told,
// false otherwise. The foreign keys counted are those that reference the
// written table or a table under it (a partition, an inheritance child)
// and fire on the write; for each child table, the rows any of them
// touches are counted (ONLY the child unless it is partitioned) with the
// key's own equality operator (conpfeqop), the child's value cast to its
// type, as the foreign key's actions compare them. A child that cascades on
// (a chain, or the table itself) is unknown once the write touches it.
func (cw cascadeWrite) question(version int32) (string, error) {
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
		fires += fmt.Sprintf(" OR k.confupdtype = ANY (%s) AND EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a WHERE a.attrelid = k.confrelid AND a.attnum = ANY (k.confkey) AND a.attname = ANY (ARRAY[%s]::pg_catalog.name[]))",
			acts, literals(cw.sets))
	}
	keys := fmt.Sprintf(q(`WITH RECURSIVE under(oid) AS (SELECT %[1]s UNION SELECT i.inhrelid FROM pg_catalog.pg_inherits i JOIN under ON i.inhparent = under.oid)
		SELECT k.* FROM pg_catalog.pg_constraint k WHERE k.contype = 'f' AND k.confrelid IN (SELECT oid FROM under) AND (%[2]s)`), reg, q(fires))
	return fmt.Sprintf(q(`(SELECT CASE
		WHEN NOT EXISTS (%[1]s) THEN false
		ELSE (SELECT CASE
			WHEN pg_catalog.cardinality(r.o) > %[3]d THEN NULL
			ELSE (SELECT CASE WHEN pg_catalog.bool_or(x.chain AND x.touched > 0) THEN NULL
				ELSE COALESCE(pg_catalog.bool_or(x.touched > 0 AND x.touched = x.total AND x.total > 1), false) END
				FROM (SELECT g.chain,
					(pg_catalog.xpath('/row/t/text()', g.x))[1]::pg_catalog.text::pg_catalog.int8 AS touched,
					(pg_catalog.xpath('/row/n/text()', g.x))[1]::pg_catalog.text::pg_catalog.int8 AS total
				FROM (SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k2 WHERE k2.contype = 'f' AND k2.confrelid = ch.child
						AND (k2.confdeltype = ANY (%[4]s) OR k2.confupdtype = ANY (%[4]s))) AS chain,
					pg_catalog.query_to_xml(pg_catalog.format('SELECT pg_catalog.count(*) FILTER (WHERE %%s) AS t, pg_catalog.count(*) AS n FROM %%s%%s c',
						ch.cond, CASE WHEN (SELECT cl.relkind FROM pg_catalog.pg_class cl WHERE cl.oid = ch.child) = 'p' THEN '' ELSE 'ONLY ' END,
						ch.child::pg_catalog.regclass), false, true, '') AS x
					FROM (SELECT k.conrelid AS child, pg_catalog.string_agg(pg_catalog.format(
							'EXISTS (SELECT 1 FROM ROWS FROM (pg_catalog.unnest(%%L::pg_catalog.oid[]), pg_catalog.unnest(%%L::pg_catalog.tid[])) u(o, t) JOIN %%s p ON p.tableoid = u.o AND p.ctid = u.t WHERE %%s)',
							r.o::pg_catalog.text, r.t::pg_catalog.text, k.confrelid::pg_catalog.regclass,
							(SELECT pg_catalog.string_agg(pg_catalog.format('p.%%I OPERATOR(%%I.%%s) c.%%I::%%I.%%I', pa.attname, n.nspname, o.oprname, ca.attname,
									tn.nspname, ty.typname), ' AND ')
								FROM ROWS FROM (pg_catalog.unnest(k.confkey), pg_catalog.unnest(k.conkey), pg_catalog.unnest(k.conpfeqop)) AS z(pk, fk, op)
								JOIN pg_catalog.pg_attribute pa ON pa.attrelid = k.confrelid AND pa.attnum = z.pk
								JOIN pg_catalog.pg_attribute ca ON ca.attrelid = k.conrelid AND ca.attnum = z.fk
								JOIN pg_catalog.pg_operator o ON o.oid = z.op
								JOIN pg_catalog.pg_namespace n ON n.oid = o.oprnamespace
								JOIN pg_catalog.pg_type ty ON ty.oid = o.oprright
								JOIN pg_catalog.pg_namespace tn ON tn.oid = ty.typnamespace)), ' OR ') AS cond
						FROM (%[1]s) k GROUP BY k.conrelid) ch) g) x)
			END
			FROM (SELECT pg_catalog.array_agg(y.o) AS o, pg_catalog.array_agg(y.t) AS t FROM (%[2]s) y) r)
		END)`), keys, reached, cascadeLimit, acts), nil
}
