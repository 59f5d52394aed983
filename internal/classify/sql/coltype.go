package sql

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/chaperone/chaperone/internal/action"
)

// TypeChange is one ALTER TABLE ... ALTER COLUMN ... TYPE. Whether it can
// lose data depends on the column's current type, which the text does not
// say: a gateway looks that up in the real catalog and hands it to Refine.
type TypeChange struct {
	// Schema is empty when the table name is unqualified (the session's
	// search_path decides, so every table of that name must agree).
	Schema, Table, Column string
	// Type is the new type as format_type() prints it ("character
	// varying(255)", "numeric(12,2)", "bigint", "text[]"), or "" when it is
	// not a built-in Chaperone can spell.
	Type string
	// Bare is set when Type came from an unqualified name that PostgreSQL's
	// grammar does not pin to pg_catalog (text, uuid, int4): a type of that
	// name in the session's pg_temp schema would be found first.
	Bare bool
	// Using is set for a USING expression other than the column cast to the
	// new type (which is what ALTER TYPE does without one), and Collate for a
	// COLLATE clause: either can change the values.
	Using, Collate bool
	// message is the alter-type finding this change made, for Refine;
	// typname the new type's name in pg_type.
	message, typname string
}

// Typname is the new type's (or its elements') name in pg_type ("int4" for
// integer), which is what an unqualified name is looked up by; "" when Type
// is.
func (c TypeChange) Typname() string { return c.typname }

// Name is the column as schema.table.column (table.column when unqualified).
func (c TypeChange) Name() string {
	if c.Schema == "" {
		return c.Table + "." + c.Column
	}
	return c.Schema + "." + c.Table + "." + c.Column
}

// recordTypeChange notes an ALTER COLUMN ... TYPE for Refine, and returns
// the finding's message.
func (w *walker) recordTypeChange(rel *pg_query.RangeVar, cmd *pg_query.AlterTableCmd) string {
	name := rangeVarName(rel)
	msg := fmt.Sprintf("ALTER TABLE %s ALTER COLUMN %s TYPE rewrites the column and can lose data", name, cmd.GetName())
	def := cmd.GetDef().GetColumnDef()
	tc := TypeChange{Schema: rel.GetSchemaname(), Table: rel.GetRelname(), Column: cmd.GetName(), message: msg}
	if rel.GetCatalogname() != "" {
		tc.Type = "" // another database's name: nothing to look up
	} else {
		tc.Type, tc.Bare = formatType(def.GetTypeName())
		if tc.Type != "" {
			tc.typname = typname(def.GetTypeName())
		}
	}
	tc.Collate = def.GetCollClause() != nil
	if using := def.GetRawDefault(); using != nil {
		tc.Using = !castOfColumn(using, cmd.GetName(), tc.Type)
	}
	// Typmods are number literals: varchar(10) and varchar(5) share a shape.
	w.res.Literals = true
	w.res.TypeChanges = append(w.res.TypeChanges, tc)
	return msg
}

// castOfColumn reports whether e is column::type (optionally in
// parentheses, which the parser drops), with type spelled as want.
func castOfColumn(e *pg_query.Node, column, want string) bool {
	tc := e.GetTypeCast()
	if tc == nil || want == "" {
		return false
	}
	ref := tc.GetArg().GetColumnRef()
	if ref == nil || len(ref.GetFields()) != 1 || constString(ref.GetFields()[0]) != column {
		return false
	}
	got, _ := formatType(tc.GetTypeName())
	return got == want
}

// typname is the last part of a type's name as parsed.
func typname(tn *pg_query.TypeName) string {
	names := tn.GetNames()
	return constString(names[len(names)-1])
}

// builtinTypes spells pg_catalog type names as format_type() does; only
// these can be judged by their name.
var builtinTypes = map[string]string{
	"varchar": "character varying", "bpchar": "character", "text": "text",
	"numeric": "numeric", "int2": "smallint", "int4": "integer", "int8": "bigint",
	"float4": "real", "float8": "double precision", "bool": "boolean",
	"date": "date", "timestamp": "timestamp without time zone", "timestamptz": "timestamp with time zone",
	"time": "time without time zone", "timetz": "time with time zone", "interval": "interval",
	"uuid": "uuid", "json": "json", "jsonb": "jsonb", "bytea": "bytea", "inet": "inet", "cidr": "cidr",
	"macaddr": "macaddr", "money": "money", "bit": "bit", "varbit": "bit varying", "xml": "xml",
}

// bareNames are the unqualified spellings of those types that PostgreSQL
// resolves through the search_path (the grammar's keywords, such as
// varchar, integer or decimal, it pins to pg_catalog itself).
var bareNames = map[string]string{
	"text": "text", "varchar": "varchar", "bpchar": "bpchar", "numeric": "numeric", "int2": "int2", "int4": "int4", "int8": "int8",
	"float4": "float4", "float8": "float8", "bool": "bool", "date": "date", "timestamptz": "timestamptz", "timetz": "timetz",
	"uuid": "uuid", "json": "json", "jsonb": "jsonb", "bytea": "bytea", "inet": "inet", "cidr": "cidr", "macaddr": "macaddr",
	"money": "money", "varbit": "varbit", "xml": "xml",
}

// formatType spells a parsed type name as format_type() would print it, and
// reports whether the name was unqualified. Types it cannot spell exactly
// (any other name, typmods other than a character length or a numeric
// precision and scale, %TYPE, SETOF) come out "".
func formatType(tn *pg_query.TypeName) (string, bool) {
	if tn == nil || tn.GetPctType() || tn.GetSetof() {
		return "", false
	}
	names := tn.GetNames()
	var base string
	bare := false
	switch {
	case len(names) == 2 && constString(names[0]) == "pg_catalog":
		base = builtinTypes[constString(names[1])]
	case len(names) == 1:
		if n, ok := bareNames[constString(names[0])]; ok {
			base, bare = builtinTypes[n], true
		}
	}
	if base == "" {
		return "", false
	}
	mods := make([]int, 0, 2)
	for _, m := range tn.GetTypmods() {
		c := m.GetAConst()
		if c == nil || c.GetIval() == nil && !c.GetIsnull() {
			return "", false
		}
		mods = append(mods, int(c.GetIval().GetIval()))
	}
	switch {
	case len(mods) == 0:
		if base == "character" || base == "bit" {
			mods = []int{1} // char and bit without a length are length 1
		}
	case base == "character varying" || base == "character" || base == "bit" || base == "bit varying":
		if len(mods) != 1 || mods[0] < 1 {
			return "", false
		}
	case base == "numeric":
		if len(mods) == 1 {
			mods = append(mods, 0) // numeric(p) is numeric(p,0)
		}
		if len(mods) != 2 || mods[0] < 1 || mods[1] < 0 || mods[1] > mods[0] {
			return "", false
		}
	default:
		return "", false
	}
	s := base
	if len(mods) > 0 {
		parts := make([]string, len(mods))
		for i, m := range mods {
			parts[i] = strconv.Itoa(m)
		}
		s += "(" + strings.Join(parts, ",") + ")"
	}
	return s + strings.Repeat("[]", len(tn.GetArrayBounds())), bare
}

// Widens reports whether changing a column whose type format_type() prints
// as current to change.Type keeps every value as it is: the same type
// re-declared, a longer (or no) character varying limit, varchar to text, a
// numeric with at least as many digits on each side of the point, a larger
// integer. Anything else, and anything with a USING or COLLATE clause, can
// lose or change data and is not widening.
func Widens(current string, change TypeChange) bool {
	if change.Using || change.Collate || change.Type == "" || current == "" {
		return false
	}
	from, to := current, change.Type
	for strings.HasSuffix(from, "[]") && strings.HasSuffix(to, "[]") {
		from, to = strings.TrimSuffix(from, "[]"), strings.TrimSuffix(to, "[]")
	}
	if strings.HasSuffix(from, "[]") || strings.HasSuffix(to, "[]") {
		return false
	}
	if from == to {
		return true
	}
	fb, fm := splitMods(from)
	tb, tm := splitMods(to)
	switch fb {
	case "character varying":
		switch {
		case tb == "text", tb == "character varying" && tm == nil:
			return true
		case tb == "character varying":
			return fm != nil && tm[0] >= fm[0]
		}
	case "text":
		return tb == "character varying" && tm == nil
	case "numeric":
		if tb != "numeric" {
			return false
		}
		if tm == nil {
			return true
		}
		// Unconstrained numeric holds any scale; only numeric (no typmod)
		// takes it unchanged.
		return fm != nil && tm[1] >= fm[1] && tm[0]-tm[1] >= fm[0]-fm[1]
	case "smallint":
		return tb == "integer" || tb == "bigint"
	case "integer":
		return tb == "bigint"
	}
	return false
}

// splitMods splits "numeric(12,2)" into "numeric" and [12 2]; a type
// without typmods has nil.
func splitMods(t string) (string, []int) {
	base, rest, ok := strings.Cut(t, "(")
	if !ok {
		return t, nil
	}
	var mods []int
	for _, p := range strings.Split(strings.TrimSuffix(rest, ")"), ",") {
		n, err := strconv.Atoi(p)
		if err != nil {
			return t, nil
		}
		mods = append(mods, n)
	}
	return base, mods
}

// Refine judges r's ALTER COLUMN ... TYPE changes by their effect: current
// holds each change's current type as format_type() prints it ("" when it
// could not be found for certain), in the order of r.TypeChanges. A change
// that widens is a write (sql.ddl) instead of sql.alter-type, and its column
// is no longer a target unless another finding names it. r is not modified
// (a gateway caches it).
func Refine(r Result, current []string) Result {
	if len(current) != len(r.TypeChanges) {
		return r
	}
	widened := map[string]TypeChange{}
	for i, c := range r.TypeChanges {
		if Widens(current[i], c) {
			widened[c.message] = c
		}
	}
	if len(widened) == 0 {
		return r
	}
	out := r
	out.Reasons = nil
	for _, x := range r.Reasons {
		if c, ok := widened[x.Message]; ok && x.ID == "sql.alter-type" {
			out.Reasons = append(out.Reasons, action.Reason{ID: "sql.ddl", Class: action.ClassWrite,
				Message: fmt.Sprintf("ALTER TABLE %s ALTER COLUMN %s TYPE %s only widens the column", qualified(c), c.Column, c.Type)})
			continue
		}
		out.Reasons = append(out.Reasons, x)
	}
	// Only a type change names a column as table.column, and a column is
	// changed at most once in a judgeable text (judgeable).
	out.Targets = nil
	for _, t := range r.Targets {
		if !slices.ContainsFunc(r.TypeChanges, func(c TypeChange) bool {
			_, ok := widened[c.message]
			return ok && t == qualified(c)+"."+c.Column
		}) {
			out.Targets = append(out.Targets, t)
		}
	}
	return out
}

func qualified(c TypeChange) string {
	if c.Schema == "" {
		return c.Table
	}
	return c.Schema + "." + c.Table
}

// judgeable keeps the type changes only when the catalog as it stands
// before the text runs is the one each change meets: every statement is a
// top-level ALTER TABLE (nothing earlier in the text creates a type, alters
// the column or runs in a loop), and no column is changed, renamed or
// dropped twice. Otherwise the changes stay destructive, unrefined.
func (w *walker) judgeable(onlyAlters bool) {
	if len(w.res.TypeChanges) == 0 {
		return
	}
	ok := onlyAlters && !w.nestedTypeChange
	for _, n := range w.touched {
		if n > 1 {
			ok = false
		}
	}
	if !ok {
		w.res.TypeChanges = nil
	}
}

// SchemaEffect is what a statement changes in the catalog that a type
// lookup over another connection would not see before it commits: the
// columns whose type it changes ("table.column", as the text names them),
// and other, whether it changes anything else that could alter which column
// or table a name means (anything but data, session state, and ALTER
// TABLE's defaults, NOT NULL, constraints, statistics and added columns). A
// text that does not parse changes, as far as anyone can tell, anything.
func SchemaEffect(text string) (columns []string, other bool) {
	tree, err := pg_query.Parse(text)
	if err != nil {
		return nil, true
	}
	for _, raw := range tree.GetStmts() {
		switch n := raw.GetStmt().GetNode().(type) {
		case *pg_query.Node_SelectStmt:
			other = other || n.SelectStmt.GetIntoClause() != nil
		case *pg_query.Node_InsertStmt, *pg_query.Node_UpdateStmt, *pg_query.Node_DeleteStmt, *pg_query.Node_MergeStmt,
			*pg_query.Node_TransactionStmt, *pg_query.Node_VariableSetStmt, *pg_query.Node_VariableShowStmt,
			*pg_query.Node_LockStmt, *pg_query.Node_CopyStmt, *pg_query.Node_CommentStmt, *pg_query.Node_VacuumStmt:
		case *pg_query.Node_AlterTableStmt:
			table := rangeVarName(n.AlterTableStmt.GetRelation())
			for _, c := range n.AlterTableStmt.GetCmds() {
				cmd := c.GetAlterTableCmd()
				switch cmd.GetSubtype() {
				case pg_query.AlterTableType_AT_AlterColumnType:
					columns = append(columns, table+"."+cmd.GetName())
				case pg_query.AlterTableType_AT_ColumnDefault, pg_query.AlterTableType_AT_DropNotNull, pg_query.AlterTableType_AT_SetNotNull,
					pg_query.AlterTableType_AT_AddConstraint, pg_query.AlterTableType_AT_ValidateConstraint,
					pg_query.AlterTableType_AT_SetStatistics, pg_query.AlterTableType_AT_AddColumn:
				default:
					other = true
				}
			}
		default:
			other = true
		}
	}
	return columns, other
}
