package sql

import (
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// alwaysTrue recognises WHERE clauses that select every row: TRUE, 1 = 1,
// 'a' <> 'b', x = x, and OR/AND combinations of them. It is deliberately
// simple: a clause it cannot prove true is treated as a real filter.
func (w *walker) alwaysTrue(n *pg_query.Node) bool {
	switch {
	case n.GetAConst() != nil:
		w.res.Literals = true
		b := n.GetAConst().GetBoolval()
		return b != nil && b.GetBoolval()
	case n.GetTypeCast() != nil:
		tc := n.GetTypeCast()
		if s := w.literal(tc.GetArg()); s != "" && isBoolType(tc.GetTypeName()) {
			switch s {
			case "t", "true", "y", "yes", "on", "1":
				return true
			}
		}
		return w.alwaysTrue(tc.GetArg())
	case n.GetBoolExpr() != nil:
		b := n.GetBoolExpr()
		switch b.GetBoolop() {
		case pg_query.BoolExprType_OR_EXPR:
			for _, a := range b.GetArgs() {
				if w.alwaysTrue(a) {
					return true
				}
			}
			// x IS NULL OR x IS NOT NULL, p OR NOT p, x = 1 OR x <> 1:
			// one of them holds for every row.
			args := b.GetArgs()
			for _, a := range args {
				if hasConst(a) {
					// x <> 0 OR x = 1 is no pair, x <> 1 OR x = 1 is: the
					// verdict depends on the literals, not on the shape.
					w.res.Literals = true
				}
			}
			for i := range args {
				for j := i + 1; j < len(args); j++ {
					if w.complementary(args[i], args[j]) || w.complementary(args[j], args[i]) {
						return true
					}
				}
			}
		case pg_query.BoolExprType_AND_EXPR:
			for _, a := range b.GetArgs() {
				if !w.alwaysTrue(a) {
					return false
				}
			}
			return true
		case pg_query.BoolExprType_NOT_EXPR:
			return len(b.GetArgs()) == 1 && w.alwaysFalse(b.GetArgs()[0])
		}
	case n.GetAExpr() != nil:
		return w.comparisonAlwaysTrue(n.GetAExpr())
	case n.GetNullTest() != nil:
		// A test's answer is never NULL: (x IS NULL) IS NOT NULL holds,
		// and so does xmin IS NOT NULL; nullif(x, x) is NULL for every
		// row.
		t := n.GetNullTest()
		if e := t.GetArg().GetAExpr(); e != nil && e.GetKind() == pg_query.A_Expr_Kind_AEXPR_NULLIF && t.GetNulltesttype() == pg_query.NullTestType_IS_NULL {
			return w.equal(w.same(e.GetLexpr()), w.same(e.GetRexpr()))
		}
		return t.GetNulltesttype() == pg_query.NullTestType_IS_NOT_NULL && (neverNull(t.GetArg()) || systemColumn(t.GetArg()))
	case n.GetBooleanTest() != nil:
		// p IS TRUE and p IS NOT FALSE hold where p always does; x = x IS
		// NOT FALSE holds even where x is NULL; p IS NOT TRUE and p IS
		// FALSE where p never holds.
		t := n.GetBooleanTest()
		switch t.GetBooltesttype() {
		case pg_query.BoolTestType_IS_TRUE, pg_query.BoolTestType_IS_NOT_FALSE:
			return w.alwaysTrue(t.GetArg())
		case pg_query.BoolTestType_IS_NOT_TRUE, pg_query.BoolTestType_IS_FALSE:
			return w.alwaysFalse(t.GetArg())
		}
	case n.GetCaseExpr() != nil:
		// CASE ... THEN true ... ELSE true END: every branch holds.
		c := n.GetCaseExpr()
		if c.GetDefresult() == nil || !w.alwaysTrue(c.GetDefresult()) {
			return false
		}
		for _, a := range c.GetArgs() {
			if !w.alwaysTrue(a.GetCaseWhen().GetResult()) {
				return false
			}
		}
		return true
	case n.GetSubLink() != nil:
		// x IN (SELECT x), EXISTS (SELECT ... with no table of the
		// statement's): what the subquery reads says nothing of the row.
		return w.subLinkAlwaysTrue(n.GetSubLink())
	}
	return false
}

// alwaysFalse recognises conditions false for every row: FALSE, p AND NOT
// p, NOT of what always holds, an OR of such.
func (w *walker) alwaysFalse(n *pg_query.Node) bool {
	switch {
	case n.GetAConst() != nil:
		w.res.Literals = true
		b := n.GetAConst().GetBoolval()
		return b != nil && !b.GetBoolval()
	case n.GetBoolExpr() != nil:
		b := n.GetBoolExpr()
		args := b.GetArgs()
		switch b.GetBoolop() {
		case pg_query.BoolExprType_NOT_EXPR:
			return len(args) == 1 && w.alwaysTrue(args[0])
		case pg_query.BoolExprType_AND_EXPR:
			for _, a := range args {
				if hasConst(a) {
					w.res.Literals = true // as for OR in alwaysTrue
				}
			}
			for i, a := range args {
				if w.alwaysFalse(a) {
					return true
				}
				for _, c := range args[i+1:] {
					if w.complementary(a, c) || w.complementary(c, a) {
						return true
					}
				}
			}
		case pg_query.BoolExprType_OR_EXPR:
			for _, a := range args {
				if !w.alwaysFalse(a) {
					return false
				}
			}
			return len(args) > 0
		}
	case n.GetNullTest() != nil:
		t := n.GetNullTest()
		return t.GetNulltesttype() == pg_query.NullTestType_IS_NULL && (neverNull(t.GetArg()) || systemColumn(t.GetArg()))
	case n.GetAExpr() != nil && constOnly(n) && w.constFalse(n):
		return true // 1 = 2
	case n.GetAExpr() != nil:
		// x < x, x > x, x <> x: false, or NULL, for every row.
		e := n.GetAExpr()
		if hasConst(e.GetLexpr()) || hasConst(e.GetRexpr()) {
			// 0 <> 1 is no pair of equals, 1 <> 1 is: the verdict is the
			// literals', not the shape's.
			w.res.Literals = true
		}
		if e.GetKind() == pg_query.A_Expr_Kind_AEXPR_OP && w.equal(w.same(e.GetLexpr()), w.same(e.GetRexpr())) {
			switch constString(lastNode(e.GetName())) {
			case "<", ">", "<>", "!=":
				return true
			}
		}
	case n.GetBooleanTest() != nil:
		t := n.GetBooleanTest()
		switch t.GetBooltesttype() {
		case pg_query.BoolTestType_IS_FALSE:
			return w.alwaysTrue(t.GetArg())
		case pg_query.BoolTestType_IS_TRUE:
			return w.alwaysFalse(t.GetArg())
		}
	}
	return false
}

// selfJoined: DELETE ... USING or UPDATE ... FROM the same table, joined on
// one column to itself (o2.id = t.id), reaches every row.
func selfJoined(from []*pg_query.Node, where *pg_query.Node, rel *pg_query.RangeVar) bool {
	for _, f := range from {
		if r := f.GetRangeVar(); r != nil && sameTable(f, rel) && r.GetAlias().GetAliasname() != "" &&
			sameColumnJoin(where, r.GetAlias().GetAliasname(), rel) {
			return true
		}
		// USING (SELECT id FROM t) s WHERE s.id = t.id: the same rows.
		if sub := f.GetRangeSubselect(); sub != nil && sub.GetAlias().GetAliasname() != "" {
			if _, ok := wholeTargets(sub.GetSubquery(), rel); ok && sameColumnJoin(where, sub.GetAlias().GetAliasname(), rel) {
				return true
			}
		}
	}
	return false
}

// constTrue: a conjunct that holds whatever the row, as far as a plain
// reading says (TRUE, 1 = 1, 'a' = 'a').
func constTrue(n *pg_query.Node) bool {
	if b := n.GetAConst().GetBoolval(); b != nil {
		return b.GetBoolval()
	}
	e := n.GetAExpr()
	if e == nil || e.GetKind() != pg_query.A_Expr_Kind_AEXPR_OP || constString(lastNode(e.GetName())) != "=" {
		return false
	}
	l, r := e.GetLexpr().GetAConst(), e.GetRexpr().GetAConst()
	return l != nil && r != nil && proto.Equal(withoutLocation(l), withoutLocation(r))
}

func withoutLocation(c *pg_query.A_Const) *pg_query.A_Const {
	c = proto.Clone(c).(*pg_query.A_Const)
	c.Location = 0
	return c
}

// sameColumnJoin: cond is alias.c = rel.c (either way round), for one
// column c.
func sameColumnJoin(cond *pg_query.Node, alias string, rel *pg_query.RangeVar) bool {
	if b := cond.GetBoolExpr(); b != nil && b.GetBoolop() == pg_query.BoolExprType_AND_EXPR {
		// a.id = b.id AND a.v = b.v: each row still finds itself.
		joined := false
		for _, a := range b.GetArgs() {
			switch {
			case sameColumnJoin(a, alias, rel):
				joined = true
			case constTrue(a):
			default:
				return false
			}
		}
		return joined
	}
	e := cond.GetAExpr()
	if e == nil || e.GetKind() != pg_query.A_Expr_Kind_AEXPR_OP || constString(lastNode(e.GetName())) != "=" {
		return false
	}
	qual := func(n *pg_query.Node) (string, string) {
		f := n.GetColumnRef().GetFields()
		switch len(f) {
		case 1:
			return "", strings.ToLower(constString(f[0]))
		case 2:
			return strings.ToLower(constString(f[0])), strings.ToLower(constString(f[1]))
		}
		return "?", ""
	}
	relName := strings.ToLower(rel.GetRelname())
	if a := rel.GetAlias().GetAliasname(); a != "" {
		relName = strings.ToLower(a)
	}
	lt, lc := qual(e.GetLexpr())
	rt, rc := qual(e.GetRexpr())
	alias = strings.ToLower(alias)
	return lc != "" && lc == rc && (lt == alias && (rt == relName || rt == "") || rt == alias && (lt == relName || lt == ""))
}

// same reads an expression as the one it always equals: coalesce(x),
// greatest(x, x), least(x, x) as x, and (SELECT x) with no FROM as x.
func (w *walker) same(n *pg_query.Node) *pg_query.Node {
	for i := 0; i < 8; i++ {
		n = unwrap(n)
		var args []*pg_query.Node
		if c := n.GetCoalesceExpr(); c != nil {
			args = c.GetArgs()
		} else if m := n.GetMinMaxExpr(); m != nil {
			args = m.GetArgs()
		}
		if len(args) > 1 {
			all := true
			for _, a := range args[1:] {
				all = all && w.equal(unwrap(args[0]), unwrap(a))
			}
			if all {
				n = args[0]
				continue
			}
		}
		if sl := n.GetSubLink(); sl != nil && sl.GetSubLinkType() == pg_query.SubLinkType_EXPR_SUBLINK {
			if sel := sl.GetSubselect().GetSelectStmt(); sel != nil && len(sel.GetFromClause()) == 0 && sel.GetWhereClause() == nil && len(sel.GetTargetList()) == 1 {
				n = sel.GetTargetList()[0].GetResTarget().GetVal()
				continue
			}
		}
		return n
	}
	return n
}

// unwrap reads coalesce(x), greatest(x) and least(x) as x.
func unwrap(n *pg_query.Node) *pg_query.Node {
	for {
		if c := n.GetCoalesceExpr(); c != nil && len(c.GetArgs()) == 1 {
			n = c.GetArgs()[0]
			continue
		}
		if m := n.GetMinMaxExpr(); m != nil && len(m.GetArgs()) == 1 {
			n = m.GetArgs()[0]
			continue
		}
		return n
	}
}

// systemColumn: ctid, xmin, xmax, cmin, cmax and tableoid are set on every
// row.
func systemColumn(n *pg_query.Node) bool {
	f := n.GetColumnRef().GetFields()
	if len(f) == 0 {
		return false
	}
	switch strings.ToLower(constString(f[len(f)-1])) {
	case "ctid", "xmin", "xmax", "cmin", "cmax", "tableoid":
		return true
	}
	return false
}

// neverNull: a NULL test or boolean test answers true or false, never NULL.
func neverNull(n *pg_query.Node) bool { return n.GetNullTest() != nil || n.GetBooleanTest() != nil }

// subLinkAlwaysTrue: x IN (SELECT x) or x = ANY (SELECT x) with no FROM,
// and EXISTS of a subquery that reads no table of the statement's (whether
// it has rows does not depend on the row).
func (w *walker) subLinkAlwaysTrue(sl *pg_query.SubLink) bool {
	sel := sl.GetSubselect().GetSelectStmt()
	if sel == nil {
		return false
	}
	if hasConst(sl.GetTestexpr()) {
		w.res.Literals = true
	}
	switch sl.GetSubLinkType() {
	case pg_query.SubLinkType_EXISTS_SUBLINK:
		// EXISTS (SELECT id), EXISTS (VALUES (id)): one row, always.
		if len(sel.GetFromClause()) == 0 && sel.GetWhereClause() == nil && sel.GetHavingClause() == nil && sel.GetLimitCount() == nil &&
			(len(sel.GetTargetList()) > 0 || len(sel.GetValuesLists()) > 0) {
			return true
		}
		// EXISTS (SELECT FROM t o2 WHERE o2.id = t.id): every row of t
		// finds itself, as in DELETE ... USING t o2.
		from := sel.GetFromClause()
		return len(from) == 1 && w.selfRel != nil && selfJoined(from, sel.GetWhereClause(), w.selfRel)
	case pg_query.SubLinkType_ANY_SUBLINK, pg_query.SubLinkType_ALL_SUBLINK:
		if op := sl.GetOperName(); len(op) > 0 && constString(lastNode(op)) != "=" {
			return false
		}
		t := sel.GetTargetList()
		return len(sel.GetFromClause()) == 0 && sel.GetWhereClause() == nil && len(t) == 1 && sl.GetTestexpr() != nil &&
			w.equal(sl.GetTestexpr(), t[0].GetResTarget().GetVal())
	}
	return false
}

// everyRow says whether a condition on the rows of rel keeps them all, or
// none: it is absent, always true, or names none of rel's columns, so it
// comes out the same for every row (NOT false, EXISTS (SELECT 1), $1,
// u.flag for a table u joined in). A column named without a table counts as
// rel's, wherever it appears, subqueries included.
func (w *walker) everyRow(cond *pg_query.Node, rel *pg_query.RangeVar) bool {
	w.selfRel = rel
	defer func() { w.selfRel = nil }()
	if cond == nil || w.alwaysTrue(cond) {
		return true
	}
	// col IN (SELECT col FROM the same table), and its other spellings:
	// every row whose col is set.
	if selfMembership(cond, rel) {
		return true
	}
	names := map[string]bool{strings.ToLower(rel.GetRelname()): true}
	if a := rel.GetAlias().GetAliasname(); a != "" {
		names = map[string]bool{strings.ToLower(a): true} // the alias hides the name
	}
	return w.rowIndependent(cond, names) || w.someBranchRowIndependent(cond, rel, names)
}

// rowIndependent: a condition that names none of the table's columns (or
// only tableoid, the same for every row of a table) comes out the same for
// every row.
func (w *walker) rowIndependent(cond *pg_query.Node, names map[string]bool) bool {
	if !w.mentions(cond.ProtoReflect(), names, false) {
		return true
	}
	return onlyTableoid(cond)
}

// someBranchRowIndependent: an OR with a branch that is the same for every
// row (id = 5 OR NULL IS NULL, id = 5 OR $1), a CASE whose ELSE is, or an
// OR with a branch that reaches every row by itself, keeps every row
// whenever that branch holds. A branch that is always false keeps none.
func (w *walker) someBranchRowIndependent(cond *pg_query.Node, rel *pg_query.RangeVar, names map[string]bool) bool {
	if b := cond.GetBoolExpr(); b != nil && b.GetBoolop() == pg_query.BoolExprType_OR_EXPR {
		for _, a := range b.GetArgs() {
			if w.alwaysFalse(a) {
				continue
			}
			if constOnly(a) {
				// 1 = 2 keeps no row, 1 = 1 every row: the literals decide,
				// and what cannot be told false is taken as true.
				w.res.Literals = true
				if w.constFalse(a) {
					continue
				}
				return true
			}
			if w.rowIndependent(a, names) || selfMembership(a, rel) || w.someBranchRowIndependent(a, rel, names) {
				return true
			}
		}
	}
	if c := cond.GetCaseExpr(); c != nil {
		if d := c.GetDefresult(); d == nil || !w.alwaysFalse(d) && w.rowIndependent(d, names) && !isFalseConst(d) {
			return d != nil
		}
	}
	return false
}

// isFalseConst: false, 'f' or 0 written as a constant or cast from one.
func isFalseConst(n *pg_query.Node) bool {
	for n.GetTypeCast() != nil {
		n = n.GetTypeCast().GetArg()
	}
	c := n.GetAConst()
	if c == nil {
		return false
	}
	if b := c.GetBoolval(); b != nil {
		return !b.GetBoolval()
	}
	if c.GetIsnull() {
		return true // NULL keeps no row
	}
	switch strings.ToLower(c.GetSval().GetSval()) {
	case "f", "false", "n", "no", "off", "0":
		return true
	}
	return c.GetIval() != nil && c.GetIval().GetIval() == 0 && c.GetSval() == nil
}

// onlyTableoid: every column the condition names is tableoid, which is
// the same for every row of one table.
func onlyTableoid(n *pg_query.Node) bool {
	found, other := false, false
	walk(n.ProtoReflect(), func(x protoreflect.Message) bool {
		if cr, ok := x.Interface().(*pg_query.ColumnRef); ok {
			f := cr.GetFields()
			if len(f) > 0 && strings.EqualFold(constString(f[len(f)-1]), "tableoid") {
				found = true
			} else {
				other = true
			}
		}
		return true
	})
	return found && !other
}

// mentions says whether m names a column of the table called by one of
// names. A column named without a table is the table's, except inside a
// subquery with a FROM of its own, where PostgreSQL looks in that FROM
// first (WHERE (SELECT b FROM (SELECT true AS b) s) names no column of
// the table), and except a PL/pgSQL variable or parameter, which is the
// variable.
func (w *walker) mentions(m protoreflect.Message, names map[string]bool, inner bool) bool {
	found := false
	walk(m, func(x protoreflect.Message) bool {
		if found {
			return false
		}
		switch n := x.Interface().(type) {
		case *pg_query.SelectStmt:
			if len(n.GetFromClause()) > 0 && x != m {
				found = w.mentions(x, names, true)
				return false
			}
		case *pg_query.ColumnRef:
			fields := n.GetFields()
			switch {
			case len(fields) >= 2:
				found = names[strings.ToLower(fields[len(fields)-2].GetString_().GetSval())]
			case len(fields) == 1 && !inner:
				found = !w.plVars[strings.ToLower(fields[0].GetString_().GetSval())]
			}
			return false
		}
		return true
	})
	return found
}

func (w *walker) comparisonAlwaysTrue(e *pg_query.A_Expr) bool {
	l, r := e.GetLexpr(), e.GetRexpr()
	// An expression compared with itself: x IS NOT DISTINCT FROM x holds
	// for every row, x = x (coalesce(id, 0) = coalesce(id, 0)) for every
	// row where x is not null.
	// 1 = 1 has the shape of 1 = 2: equal marks the result.
	same := l != nil && r != nil && w.equal(w.same(l), w.same(r))
	if e.GetKind() == pg_query.A_Expr_Kind_AEXPR_NOT_DISTINCT {
		return same
	}
	// x BETWEEN x AND x, x IN (..., x, ...), x = ANY (ARRAY[..., x, ...]):
	// every row where x is set. 1 IN (1, 2) has the shape of 1 IN (2, 3).
	if hasConst(l) {
		w.res.Literals = true
	}
	switch e.GetKind() {
	case pg_query.A_Expr_Kind_AEXPR_BETWEEN, pg_query.A_Expr_Kind_AEXPR_BETWEEN_SYM:
		b := r.GetList().GetItems()
		return len(b) == 2 && w.equal(l, b[0]) && w.equal(l, b[1])
	case pg_query.A_Expr_Kind_AEXPR_IN:
		return constString(lastNode(e.GetName())) == "=" && w.contains(r.GetList().GetItems(), l)
	case pg_query.A_Expr_Kind_AEXPR_OP_ANY:
		return constString(lastNode(e.GetName())) == "=" && w.contains(r.GetAArrayExpr().GetElements(), l)
	case pg_query.A_Expr_Kind_AEXPR_OP_ALL:
		// x = ALL(ARRAY[x, x]): every element is x.
		els := r.GetAArrayExpr().GetElements()
		if constString(lastNode(e.GetName())) != "=" || len(els) == 0 {
			return false
		}
		for _, el := range els {
			if !w.equal(w.same(l), w.same(el)) {
				return false
			}
		}
		return true
	}
	if e.GetKind() != pg_query.A_Expr_Kind_AEXPR_OP {
		return false
	}
	op := constString(lastNode(e.GetName()))
	if same && (op == "=" || op == "<=" || op == ">=" || op == "<@" || op == "@>") {
		return true
	}
	// id = coalesce($1, id): with $1 NULL (the optional filter left
	// out) it is id = id.
	if op == "=" && (w.fallsBackTo(r, l) || w.fallsBackTo(l, r)) {
		return true
	}
	if l.GetColumnRef() != nil && r.GetColumnRef() != nil {
		return false
	}
	// A comparison with a column is never always true, whatever the
	// constant: only a constant compared with a constant is read.
	lv, lok := w.constValue(l)
	if !lok {
		return false
	}
	rv, rok := w.constValue(r)
	if !rok {
		return false
	}
	li, lerr := strconv.ParseFloat(lv, 64)
	ri, rerr := strconv.ParseFloat(rv, 64)
	if lerr == nil && rerr == nil {
		switch op {
		case "=":
			return li == ri
		case "<>", "!=":
			return li != ri
		case "<":
			return li < ri
		case ">":
			return li > ri
		case "<=":
			return li <= ri
		case ">=":
			return li >= ri
		}
		return false
	}
	switch op {
	case "=":
		return lv == rv
	case "<>", "!=":
		return lv != rv
	}
	return false
}

// constValue is a constant's text: integers, floats and strings.
func (w *walker) constValue(n *pg_query.Node) (string, bool) {
	c := n.GetAConst()
	if c != nil {
		w.res.Literals = true
	}
	switch {
	case c == nil || c.GetIsnull():
		return "", false
	case c.GetIval() != nil:
		return strconv.Itoa(int(c.GetIval().GetIval())), true
	case c.GetFval() != nil:
		return c.GetFval().GetFval(), true
	case c.GetSval() != nil:
		return c.GetSval().GetSval(), true
	}
	return "", false
}

func isBoolType(t *pg_query.TypeName) bool {
	name := constString(lastNode(t.GetNames()))
	return name == "bool" || name == "boolean"
}

// hasConst reports whether n holds a literal anywhere.
func hasConst(n *pg_query.Node) bool {
	found := false
	walk(n.ProtoReflect(), func(m protoreflect.Message) bool {
		if _, ok := m.Interface().(*pg_query.A_Const); ok {
			found = true
		}
		return !found
	})
	return found
}

// equal says whether a and b are the same expression. Where both hold a
// literal, the answer may be the literals' (1 = 1, not 1 = 2; x + 1 and
// x + 1, not x + 2), so the result is marked as resting on them; where
// only one does, they differ whatever its value. Every comparison of
// expressions goes through here, so none can carry one literal's verdict
// to a shape shared with others.
func (w *walker) equal(a, b *pg_query.Node) bool {
	if a == nil || b == nil {
		return false
	}
	if hasConst(a) && hasConst(b) {
		w.res.Literals = true
	}
	return proto.Equal(stripLocation(a), stripLocation(b))
}

func (w *walker) contains(list []*pg_query.Node, x *pg_query.Node) bool {
	for _, e := range list {
		if w.equal(e, x) {
			return true
		}
	}
	return false
}

// stripLocation copies an expression without the positions of its parts,
// so that two mentions of the same expression compare equal.
func stripLocation(n *pg_query.Node) *pg_query.Node {
	c := proto.Clone(n).(*pg_query.Node)
	walk(c.ProtoReflect(), func(m protoreflect.Message) bool {
		if fd := m.Descriptor().Fields().ByName("location"); fd != nil {
			m.Clear(fd)
		}
		return true
	})
	return c
}

// complementary says whether b is the negation of a: NOT a, the opposite
// NULL test of the same expression, or the opposite comparison (= and <>,
// < and >=, > and <=) of the same operands.
func (w *walker) complementary(a, b *pg_query.Node) bool {
	if be := b.GetBoolExpr(); be != nil && be.GetBoolop() == pg_query.BoolExprType_NOT_EXPR && len(be.GetArgs()) == 1 {
		return w.equal(a, be.GetArgs()[0])
	}
	if na, nb := a.GetNullTest(), b.GetNullTest(); na != nil && nb != nil {
		return na.GetNulltesttype() != nb.GetNulltesttype() && w.equal(na.GetArg(), nb.GetArg())
	}
	ea, eb := a.GetAExpr(), b.GetAExpr()
	if ea == nil || eb == nil || ea.GetKind() != pg_query.A_Expr_Kind_AEXPR_OP || eb.GetKind() != pg_query.A_Expr_Kind_AEXPR_OP ||
		len(ea.GetName()) != 1 || len(eb.GetName()) != 1 {
		return false
	}
	oa, ob := constString(ea.GetName()[0]), constString(eb.GetName()[0])
	if ob == "!=" {
		ob = "<>"
	}
	if opposite[oa] != ob && !(oa == "!=" && ob == "=") {
		return false
	}
	// Only for operands that are never NULL here would this be exact; a
	// NULL makes both false, so it counts the rows with a value, which a
	// destructive statement reaches all of anyway.
	return w.equal(ea.GetLexpr(), eb.GetLexpr()) && w.equal(ea.GetRexpr(), eb.GetRexpr())
}

// opposite is each comparison's negation.
var opposite = map[string]string{"=": "<>", "<>": "=", "!=": "=", "<": ">=", ">=": "<", ">": "<=", "<=": ">"}

// constOnly: an expression made of constants alone, whose value a plain
// reading can tell (no column, parameter, function, subquery or session
// value).
func constOnly(n *pg_query.Node) bool {
	only := true
	walk(n.ProtoReflect(), func(x protoreflect.Message) bool {
		switch x.Interface().(type) {
		case *pg_query.ColumnRef, *pg_query.ParamRef, *pg_query.FuncCall, *pg_query.SubLink, *pg_query.SQLValueFunction, *pg_query.CaseExpr, *pg_query.RowExpr:
			only = false
		}
		return only
	})
	return only
}

// constFalse: a condition of constants alone that a plain reading proves
// false (1 = 2, NULL IS NOT NULL, 'a' IS NULL, false).
func (w *walker) constFalse(n *pg_query.Node) bool {
	if isFalseConst(n) {
		return true
	}
	if t := n.GetNullTest(); t != nil {
		arg := t.GetArg()
		for arg.GetTypeCast() != nil {
			arg = arg.GetTypeCast().GetArg()
		}
		if c := arg.GetAConst(); c != nil {
			isNull := c.GetIsnull()
			return t.GetNulltesttype() == pg_query.NullTestType_IS_NULL && !isNull || t.GetNulltesttype() == pg_query.NullTestType_IS_NOT_NULL && isNull
		}
		return false
	}
	if b := n.GetBoolExpr(); b != nil {
		switch b.GetBoolop() {
		case pg_query.BoolExprType_AND_EXPR:
			for _, a := range b.GetArgs() {
				if w.constFalse(a) {
					return true
				}
			}
		case pg_query.BoolExprType_OR_EXPR:
			for _, a := range b.GetArgs() {
				if !w.constFalse(a) {
					return false
				}
			}
			return true
		case pg_query.BoolExprType_NOT_EXPR:
			return len(b.GetArgs()) == 1 && w.alwaysTrue(b.GetArgs()[0])
		}
		return false
	}
	e := n.GetAExpr()
	if e == nil || e.GetKind() != pg_query.A_Expr_Kind_AEXPR_OP {
		return false
	}
	if _, ok := w.constValue(e.GetLexpr()); !ok {
		return false
	}
	if _, ok := w.constValue(e.GetRexpr()); !ok {
		return false
	}
	switch constString(lastNode(e.GetName())) {
	case "=", "<>", "!=", "<", ">", "<=", ">=":
		return !w.comparisonAlwaysTrue(e) // both known: not true is false
	}
	return false
}

// fallsBackTo: n is coalesce(..., x) whose earlier arguments are
// parameters or constants, which the value bound may make NULL, so that
// it is x.
func (w *walker) fallsBackTo(n, x *pg_query.Node) bool {
	c := unwrapCasts(n).GetCoalesceExpr()
	if c == nil || len(c.GetArgs()) < 2 {
		return false
	}
	args := c.GetArgs()
	for _, a := range args[:len(args)-1] {
		a = unwrapCasts(a)
		if a.GetParamRef() == nil && a.GetAConst() == nil {
			return false
		}
	}
	return w.equal(w.same(unwrapCasts(args[len(args)-1])), w.same(x))
}

func unwrapCasts(n *pg_query.Node) *pg_query.Node {
	for n.GetTypeCast() != nil {
		n = n.GetTypeCast().GetArg()
	}
	return n
}
