// Package sql classifies PostgreSQL statements with PostgreSQL's own parser
// (libpg_query), so what Chaperone judges is what the server will run. A
// multi-statement text is judged whole; statements hidden one level down (in
// CTEs, DO blocks, function bodies, PREPARE, rules, dblink calls) are judged
// as if sent directly; what cannot be read, such as dynamic EXECUTE, is
// unknown.
package sql

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/classify/secretname"
	"github.com/chaperone/chaperone/internal/human"
)

// Result is what the classifier found: every finding, and the objects the
// destructive ones touch.
type Result struct {
	Reasons []action.Reason
	Targets []string
	// Prepared and Executed name the statements this text PREPAREs and
	// EXECUTEs, so that a gateway can hold an EXECUTE of something it let
	// run once.
	Prepared []string
	Executed []string
	// TypeChanges lists each ALTER COLUMN ... TYPE (each also a
	// sql.alter-type finding), for Refine to judge against the catalog. It
	// is empty when the text is not only ALTER TABLEs, or changes a column
	// twice: then the catalog before the text runs is not the one every
	// change meets, and the changes stay destructive.
	TypeChanges []TypeChange
	// Literals is set when a finding depended on the value of a literal
	// (a string or number in the text) or the text did not parse. Only
	// results without it hold for every text of the same Shape.
	Literals bool
	// Contained says every statement is a plain SELECT, INSERT, UPDATE or
	// DELETE that names no function: what it changes stays inside the
	// transaction that runs it until that transaction commits. A gateway
	// may let such a write run inside an open transaction before its
	// audit entry is durable, as long as the COMMIT waits for it.
	Contained bool
	// Attributes are the names used as a.b or (x).b that are no built-in
	// function: PostgreSQL reads a.b as the call b(a) when a has no column
	// b, so each is a user function's name as far as the text goes. The
	// PostgreSQL gateway looks them up in the database's catalog.
	Attributes []string
	// Relations and Operators are the relation names (without schema) and
	// operator names the text uses. Reading a view or a table with a row
	// security policy runs what it was defined with, and an operator
	// runs its function: the gateway looks up which of these run the
	// database's own functions.
	Relations []string
	Operators []string
	// Functions are the function names called without a schema, and
	// Types the type names used (cast to, declared, defined with): a
	// function of the database can overload a built-in's name, and a
	// cast, a domain check or a type's input runs one.
	Functions []string
	Types     []string
	// Commands says a top-level statement is one an event trigger fires
	// for: anything but reading and changing rows, transaction control,
	// settings and cursors.
	Commands bool
	// Compares says the statement compares, sorts, groups or converts
	// values somewhere (compares in nodes.go): where the database has
	// changed how a built-in type does that, it runs the database's code.
	Compares bool
	// RowWrites says an UPDATE or DELETE with a filter is among the
	// statements sent (or in their CTEs, COPY, EXPLAIN or PREPARE): whether
	// it reaches every row is a question for the data (EveryRowProbe).
	// HiddenRowWrites says one runs where no question can be asked
	// before each run: in a DO block, or in SQL a function runs from a
	// string.
	RowWrites, HiddenRowWrites bool
	// Pins is set when the text is one statement (or only plain reads and
	// writes) whose filtered UPDATEs and DELETEs each require a column of their table to equal one value
	// (RowProbe.Pins): where those columns are unique keys, each reaches
	// at most one row.
	Pins []Pin
	// AllRelations says a statement works on every table it can, not the
	// ones it names (ANALYZE, VACUUM with no table, REINDEX SCHEMA): what
	// any of them runs, it runs.
	AllRelations bool
	// Schemas are the schemas the text creates. One named like a role
	// comes first in the default search_path ("$user", public) of that
	// role's sessions: its tables hide public's of the same names.
	Schemas []string
	// Transaction says a statement controls the transaction (BEGIN,
	// COMMIT, ROLLBACK, SAVEPOINT, PREPARE TRANSACTION and the like).
	Transaction bool
}

// Class is the most severe class among the findings (read when none).
func (r Result) Class() action.Class {
	return action.Highest(r.Reasons)
}

// maxDepth bounds how deep SQL nested in strings (DO bodies, function bodies,
// dblink) is followed; deeper is unknown.
const maxDepth = 4

// Classify parses and classifies text.
func Classify(text string) Result {
	var w walker
	w.text(text, 0)
	w.everyLargeObject()
	w.judgeable(w.onlyAlters)
	w.res.Contained = w.plainDML && !w.calls
	if w.unpinned || w.statements != 1 && !(w.pinnable && !w.calls) {
		// Several plain reads and writes cannot change what a later one's
		// names resolve to, or the table's keys; anything else can.
		w.res.Pins = nil
	}
	return w.res
}

// blockBoundary: BEGIN, START TRANSACTION, COMMIT or END.
func blockBoundary(st *pg_query.Node) bool {
	t := st.GetTransactionStmt()
	if t == nil {
		return false
	}
	switch t.GetKind() {
	case pg_query.TransactionStmtKind_TRANS_STMT_BEGIN, pg_query.TransactionStmtKind_TRANS_STMT_START, pg_query.TransactionStmtKind_TRANS_STMT_COMMIT:
		return true
	}
	return false
}

// Reasons is Classify for callers that need only the findings (the shell
// guard's psql -c and heredoc SQL).
func Reasons(text string) []action.Reason { return Classify(text).Reasons }

// Unasked is Reasons for a statement whose reach nobody can ask the
// database about before it runs: one a shell command sends (psql -c),
// where the gateway's every-row question is not asked. A filtered UPDATE
// or DELETE whose filter does not pin a column to one value may reach
// every row however it is spelt (WHERE id > 0), so it is unknown.
func Unasked(text string) []action.Reason {
	r := Classify(text)
	if (r.RowWrites || r.HiddenRowWrites) && len(r.Pins) == 0 {
		return append(slices.Clone(r.Reasons), action.Reason{ID: "sql.reach-unknown", Class: action.ClassUnknown,
			Message: "whether this write's filter leaves any row out is a question for the data, which a command outside Chaperone's PostgreSQL gateway cannot ask; send it through the gateway, which asks"})
	}
	return r.Reasons
}

type walker struct {
	res   Result
	seen  map[string]bool
	named map[string]bool // Result's name lists, by kind and name
	// stmt is the text of the top-level statement being walked.
	stmt string
	// touched counts the changes to each table.column (added, dropped,
	// retyped); onlyAlters is whether every top-level statement is an ALTER
	// TABLE; nestedTypeChange whether a type change hides below the top
	// level. judgeable reads them.
	// settingsRow holds the set_config calls whose setting a WHERE on
	// pg_settings names (pinSettingsRow).
	settingsRow map[*pg_query.FuncCall]string
	touched     map[string]int
	onlyAlters  bool
	// pinnable: every top-level statement is plain DML or opens or ends
	// a transaction block, so none changes a later one's keys or names.
	pinnable         bool
	nestedTypeChange bool
	// plainDML is whether every top-level statement is a SELECT (without
	// INTO), INSERT, UPDATE or DELETE; calls whether a function call
	// appears anywhere (Result.Contained).
	plainDML bool
	calls    bool
	// plVars are the variable and parameter names of the PL/pgSQL or SQL
	// function body being walked.
	plVars map[string]bool
	// defining counts the function bodies being walked: SQL that is
	// defined, not run.
	defining int
	// statements counts the top-level statements; unpinned says a
	// filtered write's filter pins no column (Result.Pins).
	statements int
	unpinned   bool
	// selfRel is the table whose WHERE everyRow is reading.
	selfRel *pg_query.RangeVar
}

// note appends name to list once (kind tells the lists apart in named).
func (w *walker) note(list *[]string, kind byte, name string) {
	key := string(kind) + name
	if name == "" || w.named[key] {
		return
	}
	if w.named == nil {
		w.named = map[string]bool{}
	}
	w.named[key] = true
	*list = append(*list, name)
}

func (w *walker) add(id string, class action.Class, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	key := id + "\x00" + msg
	if w.seen[key] {
		return
	}
	if w.seen == nil {
		w.seen = map[string]bool{}
	}
	w.seen[key] = true
	w.res.Reasons = append(w.res.Reasons, action.Reason{ID: id, Class: class, Message: msg})
}

func (w *walker) target(name string) {
	for _, t := range w.res.Targets {
		if t == name {
			return
		}
	}
	w.res.Targets = append(w.res.Targets, name)
}

// text parses SQL and walks every statement in it.
func (w *walker) text(sql string, depth int) {
	if depth > maxDepth {
		w.add("sql.too-deep", action.ClassUnknown, "SQL nested more than %d levels deep is not followed", maxDepth)
		return
	}
	if !utf8.ValidString(sql) {
		// The gateway holds sessions to UTF8, where PostgreSQL refuses
		// such text; in a client-only encoding it could end a multibyte
		// character with the byte of a backslash or a quote.
		w.res.Literals = true
		w.add(FindingLexer, action.ClassDestructive, "the text is not valid UTF-8: in another client_encoding PostgreSQL could read it differently from how Chaperone reads it")
		return
	}
	tree, err := pg_query.Parse(sql)
	if err != nil {
		w.res.Literals = true // the parser's message can quote the text
		w.add("sql.unparseable", action.ClassUnknown, "PostgreSQL's parser rejects this SQL (%s), so what it does is unknown", human.FirstLine(err.Error()))
		return
	}
	if depth == 0 {
		w.statements += len(tree.GetStmts())
	}
	w.tree(sql, tree, depth, true)
	if alt, ok := escapeReading(sql); ok {
		// The same text as PostgreSQL reads it with
		// standard_conforming_strings off (lexer.go): both are judged.
		w.res.Literals = true
		w.tree(sql, alt, depth, false)
	}
}

// tree walks one reading of a text; first says it is the text's first, so
// that the whole-text properties start from it.
func (w *walker) tree(sql string, tree *pg_query.ParseResult, depth int, first bool) {
	outer := w.stmt
	defer func() { w.stmt = outer }()
	if depth == 0 {
		if first {
			w.onlyAlters = len(tree.GetStmts()) > 0
			w.plainDML = w.onlyAlters
			w.pinnable = w.onlyAlters
		}
		for _, raw := range tree.GetStmts() {
			st := raw.GetStmt()
			if st.GetAlterTableStmt() == nil {
				w.onlyAlters = false
			}
			if !quietCommand(st) {
				w.res.Commands = true
			}
			if !plainDML(st) {
				w.plainDML = false
				if !blockBoundary(st) {
					w.pinnable = false
				}
			}
		}
	}
	for _, raw := range tree.GetStmts() {
		w.stmt = statementText(sql, raw)
		w.statement(raw.GetStmt(), depth)
	}
}

// statement classifies one top-level statement: its own kind, then
// everything nested in it.
func (w *walker) statement(n *pg_query.Node, depth int) {
	if n == nil {
		return
	}
	before, ddl := len(w.res.Reasons), false
	switch s := n.GetNode().(type) {
	case *pg_query.Node_SelectStmt:
		// SELECT INTO is judged below, wherever it appears: the first
		// branch of a UNION carries it too.
	case *pg_query.Node_CreateStmt:
		// A temporary table lives and dies with the session: nothing
		// anyone else sees changes.
		// One that inherits from a permanent table is not: the parent is
		// marked as having children for good, and its scans read the
		// child's rows.
		ddl = !temporary(s.CreateStmt.GetRelation()) || len(s.CreateStmt.GetInhRelations()) > 0
	case *pg_query.Node_CreateTableAsStmt:
		ddl = !temporary(s.CreateTableAsStmt.GetInto().GetRel())
	case *pg_query.Node_LockStmt:
		// ACCESS SHARE is the lock every SELECT takes (pg_dump takes it
		// explicitly); stronger modes block others' work.
		ddl = s.LockStmt.GetMode() != accessShareLock
	case *pg_query.Node_VacuumStmt:
		// ANALYZE too: it rewrites the planner's statistics in the
		// catalog, and every plan made after it.
		ddl = true
	case *pg_query.Node_InsertStmt, *pg_query.Node_MergeStmt, *pg_query.Node_UpdateStmt, *pg_query.Node_DeleteStmt:
		// Judged below, wherever they appear: in a CTE, a PREPARE or an
		// EXPLAIN ANALYZE they change rows as much as on their own.
	case *pg_query.Node_CreateFunctionStmt:
		// Only ever a top-level statement, whose text the PL/pgSQL parser needs.
		w.add("sql.ddl", action.ClassWrite, "CREATE FUNCTION changes the schema")
		w.functionBody(s.CreateFunctionStmt, depth)
	case *pg_query.Node_ExplainStmt:
		// Plain EXPLAIN plans the statement without running it, but
		// planning an EXECUTE evaluates its arguments, whatever they call:
		// such an EXPLAIN is judged as the EXECUTE.
		if !w.explainAnalyze(s.ExplainStmt) && !hasExecute(s.ExplainStmt.GetQuery()) {
			w.plannedCalls(s.ExplainStmt.GetQuery())
			return
		}
		w.statement(s.ExplainStmt.GetQuery(), depth)
		return
	case *pg_query.Node_CopyStmt:
		c := s.CopyStmt
		switch {
		case c.GetIsProgram():
			w.add("sql.copy-program", action.ClassDestructive, "COPY ... PROGRAM runs a shell command on the database server")
		case c.GetIsFrom():
			w.add("sql.write", action.ClassWrite, "COPY FROM loads rows")
		case c.GetFilename() != "":
			w.res.Literals = true // the message names the file
			w.add("sql.copy-file", action.ClassDestructive, "COPY TO a server file overwrites %s on the database server", c.GetFilename())
		}
	case *pg_query.Node_PrepareStmt:
		if depth == 0 {
			w.res.Prepared = append(w.res.Prepared, s.PrepareStmt.GetName())
		}
		// Judged by the statement it prepares, below.
	case *pg_query.Node_VariableShowStmt:
		if n := strings.ToLower(s.VariableShowStmt.GetName()); n == "all" || secretSetting(n) {
			w.add("sql.read-credentials", action.ClassCredentialAccess, "SHOW %s shows settings that hold a password or a command with credentials (primary_conninfo)", n)
		}
	case *pg_query.Node_TransactionStmt, *pg_query.Node_VariableSetStmt,
		*pg_query.Node_DeclareCursorStmt, *pg_query.Node_FetchStmt, *pg_query.Node_ClosePortalStmt,
		*pg_query.Node_DeallocateStmt, *pg_query.Node_DiscardStmt, *pg_query.Node_ListenStmt,
		*pg_query.Node_UnlistenStmt, *pg_query.Node_ExecuteStmt:
		// Reads or session state. EXECUTE runs a statement that its PREPARE
		// (or protocol Parse) already had judged; it is named below,
		// wherever it appears.
	default:
		ddl = true
	}
	w.nested(n, depth)
	// Statements with a finding of their own (DROP, TRUNCATE, ...) need no
	// generic one.
	if ddl && !slices.ContainsFunc(w.res.Reasons[before:], func(r action.Reason) bool { return r.Class != action.ClassRead }) {
		w.add("sql.ddl", action.ClassWrite, "%s changes the schema or server state", stmtName(n))
	}
}

// plainDML says whether n is a SELECT without INTO, an INSERT, an UPDATE or
// a DELETE.
func plainDML(n *pg_query.Node) bool {
	switch s := n.GetNode().(type) {
	case *pg_query.Node_SelectStmt:
		return s.SelectStmt.GetIntoClause() == nil
	case *pg_query.Node_InsertStmt, *pg_query.Node_UpdateStmt, *pg_query.Node_DeleteStmt:
		return true
	}
	return false
}

// quietCommand says whether n is a statement no event trigger fires for.
func quietCommand(n *pg_query.Node) bool {
	if plainDML(n) {
		return true
	}
	switch s := n.GetNode().(type) {
	case *pg_query.Node_ExplainStmt:
		return plainDML(s.ExplainStmt.GetQuery())
	case *pg_query.Node_TransactionStmt, *pg_query.Node_VariableSetStmt, *pg_query.Node_VariableShowStmt,
		*pg_query.Node_ListenStmt, *pg_query.Node_NotifyStmt, *pg_query.Node_UnlistenStmt, *pg_query.Node_DiscardStmt,
		*pg_query.Node_FetchStmt, *pg_query.Node_ClosePortalStmt, *pg_query.Node_DeclareCursorStmt,
		*pg_query.Node_PrepareStmt, *pg_query.Node_ExecuteStmt, *pg_query.Node_DeallocateStmt,
		*pg_query.Node_CopyStmt, *pg_query.Node_LockStmt, *pg_query.Node_MergeStmt:
		return true
	}
	return false
}

// accessShareLock is PostgreSQL's lock mode number for ACCESS SHARE.
const accessShareLock = 1

// temporary reports whether rv names a temporary table: TEMP in its
// definition, or created in the session's own pg_temp schema.
func temporary(rv *pg_query.RangeVar) bool {
	if rv == nil {
		return false
	}
	schema := strings.ToLower(rv.GetSchemaname())
	return rv.GetRelpersistence() == "t" || schema == "pg_temp" || strings.HasPrefix(schema, "pg_temp_")
}

// nested walks every message under n and judges what is dangerous wherever
// it appears: a DELETE inside a CTE is as destructive as one on its own.
func (w *walker) nested(n *pg_query.Node, depth int) {
	walk(n.ProtoReflect(), func(m protoreflect.Message) bool {
		return w.node(m.Interface(), depth)
	})
}

// Walk visits m and, while visit says so, every message beneath it: the
// package's one walk of a parse tree, for its callers' own questions too.
func Walk(m protoreflect.Message, visit func(protoreflect.Message) bool) { walk(m, visit) }

// walk visits m and, while visit says so, every message beneath it.
func walk(m protoreflect.Message, visit func(protoreflect.Message) bool) {
	if !m.IsValid() || !visit(m) {
		return
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList() && fd.Message() != nil:
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				walk(l.Get(i).Message(), visit)
			}
		case fd.Message() != nil && !fd.IsMap():
			walk(v.Message(), visit)
		}
		return true
	})
}

// hasExecute reports whether n holds an EXECUTE (on its own, or as the
// query of a CREATE TABLE AS).
func hasExecute(n *pg_query.Node) bool {
	found := false
	if n != nil {
		walk(n.ProtoReflect(), func(m protoreflect.Message) bool {
			if _, ok := m.Interface().(*pg_query.ExecuteStmt); ok {
				found = true
			}
			return !found
		})
	}
	return found
}

func (w *walker) explainAnalyze(e *pg_query.ExplainStmt) bool {
	for _, o := range e.GetOptions() {
		d := o.GetDefElem()
		if d.GetDefname() == "analyze" && !w.isFalse(d.GetArg()) {
			return true
		}
	}
	return false
}

func (w *walker) isFalse(n *pg_query.Node) bool {
	if n == nil {
		return false
	}
	switch v := strings.ToLower(w.literal(n)); v {
	case "false", "off", "0", "no":
		return true
	}
	if b := n.GetBoolean(); b != nil {
		return !b.GetBoolval()
	}
	if c := n.GetAConst(); c != nil && c.GetBoolval() != nil {
		w.res.Literals = true
		return !c.GetBoolval().GetBoolval()
	}
	return false
}

// literal is the value of a string literal a finding depends on: the
// grammar turns string literals into both A_Const and String nodes, so
// reading either marks the result as depending on literals. It is the only
// reader of a literal's value, so that no finding can rest on one unmarked
// (a shape shared with other values would carry it to them).
func (w *walker) literal(n *pg_query.Node) string {
	if s := n.GetString_(); s != nil {
		w.res.Literals = true
		return s.GetSval()
	}
	if c := n.GetAConst(); c != nil {
		w.res.Literals = true
		return c.GetSval().GetSval()
	}
	return ""
}

// constString is the text of a name (a function's, an operator's, a
// type's, an object's). It does not read literals: values go through
// walker.literal.
func constString(n *pg_query.Node) string {
	if s := n.GetString_(); s != nil {
		return s.GetSval()
	}
	return ""
}

// stmtName is a statement's node type for messages: "CreateStmt" -> "CREATE".
func stmtName(n *pg_query.Node) string {
	name := string(n.ProtoReflect().WhichOneof(n.ProtoReflect().Descriptor().Oneofs().Get(0)).Name())
	return strings.ToUpper(strings.TrimSuffix(strings.ReplaceAll(name, "_", " "), " stmt"))
}

// statementText cuts one statement out of the text it was parsed from
// (locations are byte offsets; a length of 0 means "to the end").
func statementText(sql string, raw *pg_query.RawStmt) string {
	start := int(raw.GetStmtLocation())
	if start < 0 || start > len(sql) {
		return ""
	}
	end := len(sql)
	if n := int(raw.GetStmtLen()); n > 0 && start+n <= len(sql) {
		end = start + n
	}
	return sql[start:end]
}

// secretSettings are the settings whose value can hold a password or a
// command with credentials in it.
var secretSettings = map[string]bool{"primary_conninfo": true, "restore_command": true, "archive_command": true,
	"ssl_passphrase_command": true, "archive_cleanup_command": true, "recovery_end_command": true}

// secretSetting says whether a setting's value can hold a credential: one
// of secretSettings, or a custom setting (one with a dot: app.jwt_secret,
// set by ALTER DATABASE or ALTER ROLE for an application to read) whose
// name says so, as an environment variable's would.
func secretSetting(name string) bool {
	n := strings.ToLower(name)
	if secretSettings[n] {
		return true
	}
	if !strings.Contains(n, ".") {
		return false
	}
	if secretname.Is(strings.ReplaceAll(n, ".", "_")) {
		return true
	}
	// What settings hold that environment variables seldom do: a
	// connection string, a key's material, a hash's secret inputs.
	for _, frag := range []string{"conninfo", "connection", "pwd", "pgpass", "privkey", "private", "bearer", "hmac", "pepper", "salt"} {
		if strings.Contains(n, frag) {
			return true
		}
	}
	return false
}

// plannedCalls judges what planning a query runs: PostgreSQL evaluates an
// immutable function with constant arguments while it plans, and a stable
// one while it estimates, so a plain EXPLAIN of a call to a function that
// is no built-in runs that function's body.
func (w *walker) plannedCalls(q *pg_query.Node) {
	walk(q.ProtoReflect(), func(m protoreflect.Message) bool {
		f, ok := m.Interface().(*pg_query.FuncCall)
		if !ok {
			return true
		}
		names := f.GetFuncname()
		name, schema := "", ""
		if len(names) > 0 {
			name = strings.ToLower(constString(names[len(names)-1]))
		}
		if len(names) > 1 {
			schema = strings.ToLower(constString(names[len(names)-2]))
		}
		if _, in := catalogVolatility[name]; !in || schema != "" && schema != "pg_catalog" {
			w.add("sql.function", action.ClassUnknown, "EXPLAIN plans a call of %s, and planning can run a function that is not a PostgreSQL built-in", name)
		}
		return true
	})
}

// everyLargeObject: a large-object write applied to the rows of the
// large-object catalog (SELECT lo_put(oid, ...) FROM
// pg_largeobject_metadata) overwrites every large object there is, as an
// UPDATE without WHERE overwrites every row.
func (w *walker) everyLargeObject() {
	enumerates := slices.ContainsFunc(w.res.Relations, func(r string) bool { return r == "pg_largeobject_metadata" || r == "pg_largeobject" })
	if !enumerates {
		return
	}
	for _, r := range w.res.Reasons {
		if r.ID == "sql.large-object" || r.ID == "sql.lo-overwrite" {
			w.add("sql.update-all", action.ClassDestructive, "a large-object write over the rows of the large-object catalog overwrites every large object")
			return
		}
	}
}
