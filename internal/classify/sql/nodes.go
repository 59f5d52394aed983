package sql

import (
	"google.golang.org/protobuf/proto"
	"slices"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/chaperone/chaperone/internal/action"
)

// node judges one parse-tree message wherever it appears; it returns whether
// to walk beneath it.
func (w *walker) node(m any, depth int) bool {
	w.compares(m)
	switch s := m.(type) {
	case *pg_query.DropStmt:
		kind := objectName(s.GetRemoveType())
		names := objectNames(s.GetObjects())
		for _, n := range names {
			w.target(n)
		}
		w.add("sql.drop", action.ClassDestructive, "DROP %s %s deletes it and everything in it%s", kind, strings.Join(names, ", "), cascade(s.GetBehavior()))
	case *pg_query.TruncateStmt:
		names := relNames(s.GetRelations())
		for _, n := range names {
			w.target(n)
		}
		if s.GetBehavior() != pg_query.DropBehavior_DROP_CASCADE && len(names) > 0 && !slices.ContainsFunc(names, func(n string) bool { return !bookkeeping(n) }) {
			// golang-migrate clears schema_migrations this way on every
			// run, as others do with a DELETE: a tool's own bookkeeping.
			w.add("sql.write", action.ClassWrite, "TRUNCATE %s clears a migration tool's own bookkeeping", strings.Join(names, ", "))
			break
		}
		w.add("sql.truncate", action.ClassDestructive, "TRUNCATE %s removes every row%s", strings.Join(names, ", "), cascade(s.GetBehavior()))
	case *pg_query.ExecuteStmt:
		// Top-level, inside EXPLAIN ANALYZE or CREATE TABLE AS alike: the
		// gateway judges the statement the name holds.
		if !slices.Contains(w.res.Executed, s.GetName()) {
			w.res.Executed = append(w.res.Executed, s.GetName())
		}
	case *pg_query.InsertStmt:
		if oc := s.GetOnConflictClause(); oc != nil && oc.GetAction() == pg_query.OnConflictAction_ONCONFLICT_UPDATE {
			w.rowWrite(s.GetRelation(), nil, depth, true) // asked about as a join with what it inserts
		}
		w.catalogWrite(s.GetRelation())
		if oc := s.GetOnConflictClause(); oc != nil && oc.GetAction() == pg_query.OnConflictAction_ONCONFLICT_UPDATE &&
			w.allOwnRows(s.GetSelectStmt(), s.GetRelation()) && w.everyRow(oc.GetWhereClause(), s.GetRelation()) {
			// INSERT INTO t SELECT * FROM t ON CONFLICT DO UPDATE: every
			// row conflicts with itself and is overwritten.
			name := rangeVarName(s.GetRelation())
			w.target(name)
			w.add("sql.update-all", action.ClassDestructive, "INSERT ... ON CONFLICT DO UPDATE of %s from all of its own rows overwrites every row", name)
		}
		w.add("sql.write", action.ClassWrite, "changes rows")
	case *pg_query.MergeStmt:
		w.rowWrite(s.GetRelation(), nil, depth, true) // asked about as a join with its source
		w.catalogWrite(s.GetRelation())
		w.merge(s)
	case *pg_query.DeleteStmt:
		w.rowWrite(s.GetRelation(), s.GetWhereClause(), depth, false)
		w.catalogWrite(s.GetRelation())
		name := rangeVarName(s.GetRelation())
		if where := s.GetWhereClause(); (w.everyRow(where, s.GetRelation()) || selfJoined(s.GetUsingClause(), where, s.GetRelation())) && !bookkeeping(name) {
			w.target(name)
			w.add("sql.delete-all", action.ClassDestructive, "DELETE from %s %s removes every row", name, w.whereWords(where))
		} else {
			w.add("sql.write", action.ClassWrite, "changes rows")
		}
	case *pg_query.UpdateStmt:
		w.rowWrite(s.GetRelation(), s.GetWhereClause(), depth, false)
		if isSettingsView(s.GetRelation()) {
			w.updateSettings(s)
		} else {
			w.catalogWrite(s.GetRelation())
		}
		name := rangeVarName(s.GetRelation())
		// A FROM without WHERE joins every row to the FROM's rows: each
		// is overwritten once the FROM yields any.
		if where := s.GetWhereClause(); (w.everyRow(where, s.GetRelation()) || selfJoined(s.GetFromClause(), where, s.GetRelation())) && !bookkeeping(name) {
			w.target(name)
			w.add("sql.update-all", action.ClassDestructive, "UPDATE of %s %s overwrites every row", name, w.whereWords(where))
		} else {
			w.add("sql.write", action.ClassWrite, "changes rows")
		}
	case *pg_query.AlterTableStmt:
		w.alterTable(s, depth)
	case *pg_query.SelectStmt:
		if into := s.GetIntoClause(); into != nil && !temporary(into.GetRel()) {
			w.plainDML = false
			w.add("sql.write", action.ClassWrite, "SELECT INTO creates a table")
		}
		w.pinSettingsRow(s)
		w.settingsRead(s)
		if len(s.GetLockingClause()) > 0 {
			// SELECT ... FOR UPDATE/SHARE of a catalog locks its rows, as
			// LOCK would: every session's DDL waits on them.
			walk(s.ProtoReflect(), func(m protoreflect.Message) bool {
				if r, ok := m.Interface().(*pg_query.RangeVar); ok && catalogRel(r) {
					w.add("sql.cluster", action.ClassDestructive, "SELECT ... FOR UPDATE/SHARE of the system catalog %s blocks every session that changes it", rangeVarName(r))
					return false
				}
				return true
			})
		}
	case *pg_query.CreateSchemaStmt:
		name := s.GetSchemaname()
		if name == "" {
			name = s.GetAuthrole().GetRolename() // CREATE SCHEMA AUTHORIZATION r is schema r
		}
		if name == "" {
			name = "$user" // AUTHORIZATION CURRENT_USER and its kin
		}
		w.res.Schemas = append(w.res.Schemas, name)
	case *pg_query.RenameStmt:
		name := rangeVarName(s.GetRelation())
		if name == "" {
			name = strings.Join(objectNames([]*pg_query.Node{s.GetObject()}), "")
		}
		w.target(name)
		w.add("sql.rename", action.ClassDestructive, "renaming %s %s breaks everything that uses the old name", objectName(s.GetRenameType()), name)
	case *pg_query.AlterObjectSchemaStmt:
		// Moving an object to another schema takes it away from its name
		// as surely as renaming it.
		name := rangeVarName(s.GetRelation())
		if name == "" {
			name = strings.Join(objectNames([]*pg_query.Node{s.GetObject()}), "")
		}
		w.target(name)
		w.add("sql.rename", action.ClassDestructive, "moving %s %s to schema %s breaks everything that uses its name", objectName(s.GetObjectType()), name, s.GetNewschema())
	case *pg_query.DropdbStmt:
		w.target(s.GetDbname())
		w.add("sql.drop-database", action.ClassDestructive, "DROP DATABASE %s deletes the whole database", s.GetDbname())
	case *pg_query.DropRoleStmt:
		w.add("sql.drop-role", action.ClassDestructive, "DROP ROLE removes a role and the access that depends on it")
	case *pg_query.DropOwnedStmt:
		w.add("sql.drop", action.ClassDestructive, "DROP OWNED deletes every object the roles own")
	case *pg_query.GrantStmt:
		if !s.GetIsGrant() {
			w.add("sql.revoke", action.ClassDestructive, "REVOKE takes access away from roles that may depend on it")
		} else if serverObject(s.GetObjtype()) {
			w.add("sql.cluster", action.ClassDestructive, "GRANT ON %s changes access to an object that belongs to the whole server", objectName(s.GetObjtype()))
		}
		for _, o := range s.GetObjects() {
			w.catalogObject(o, o.GetRangeVar())
		}
	case *pg_query.VariableSetStmt:
		w.variableSet(s)
	case *pg_query.TransactionStmt:
		w.transaction(s)
	case *pg_query.CreatedbStmt, *pg_query.AlterDatabaseStmt, *pg_query.AlterDatabaseSetStmt,
		*pg_query.AlterDatabaseRefreshCollStmt, *pg_query.CreateRoleStmt, *pg_query.AlterRoleStmt,
		*pg_query.AlterRoleSetStmt, *pg_query.CreateTableSpaceStmt, *pg_query.DropTableSpaceStmt,
		*pg_query.AlterTableSpaceOptionsStmt, *pg_query.CreateSubscriptionStmt, *pg_query.AlterSubscriptionStmt,
		*pg_query.DropSubscriptionStmt, *pg_query.CheckPointStmt:
		// Databases, roles, tablespaces and subscriptions belong to the
		// server, not to the database a token is scoped to: a staging
		// token on a server shared with production must not reach them.
		w.add("sql.cluster", action.ClassDestructive, "%s acts on the whole server, every database on it included", clusterWords(s))
	case *pg_query.GrantRoleStmt:
		if s.GetIsGrant() {
			w.add("sql.cluster", action.ClassDestructive, "GRANT of a role changes a role, which belongs to the whole server")
		} else {
			w.add("sql.revoke", action.ClassDestructive, "REVOKE takes role membership away")
		}
	case *pg_query.AlterSystemStmt:
		w.add("sql.alter-system", action.ClassDestructive, "ALTER SYSTEM changes the configuration of the whole server, for every database and session")
	case *pg_query.LoadStmt:
		w.add("sql.load", action.ClassUnknown, "LOAD runs a shared library's code inside the server")
	case *pg_query.ExplainStmt:
		return w.explainAnalyze(s)
	case *pg_query.MergeSupportFunc, *pg_query.JsonScalarExpr, *pg_query.JsonSerializeExpr, *pg_query.JsonParseExpr,
		*pg_query.JsonFuncExpr, *pg_query.JsonArrayConstructor, *pg_query.JsonObjectConstructor,
		*pg_query.JsonArrayQueryConstructor, *pg_query.JsonArrayAgg, *pg_query.JsonObjectAgg, *pg_query.JsonTable:
		// Syntax to this parser (PostgreSQL 17), but a call of a function
		// with that name (merge_action(), json_scalar(x)) to an older
		// server, which runs whatever function a schema holds under it.
		w.calls = true
		w.add("sql.function", action.ClassUnknown, "%s is PostgreSQL 17 syntax; a server before 17 reads it as a call of a function of that name, which may be anyone's", newerSyntax(s))
	case *pg_query.FuncCall:
		w.calls = true
		if names := s.GetFuncname(); len(names) == 1 {
			w.note(&w.res.Functions, 'f', constString(names[0]))
		}
		w.funcCall(s, depth)
	case *pg_query.TypeName:
		// Every place a type is named can make values of it, each running
		// the type's checks and input: a cast, a PREPARE's parameters, a
		// column definition list, a table's column.
		w.note(&w.res.Types, 't', constString(lastNode(s.GetNames())))
	case *pg_query.A_Indirection:
		// (expr).name is a field of expr, or, when expr has no such field,
		// the call name(expr): PostgreSQL decides by the types.
		for _, ind := range s.GetIndirection() {
			if name := ind.GetString_().GetSval(); name != "" {
				w.attributeCall(name, s.GetArg(), depth)
			}
		}
	case *pg_query.ColumnRef:
		// a.b is a column, or the call b(a) when a has no column b; so is
		// every later name in a.b.c.
		if fields := s.GetFields(); len(fields) >= 2 {
			for _, f := range fields[1:] {
				if name := f.GetString_().GetSval(); name != "" {
					w.attributeCall(name, nil, depth)
				}
			}
		}
	case *pg_query.DoStmt:
		w.doBlock(s, depth)
		return false
	case *pg_query.CopyStmt:
		if s.GetIsProgram() {
			w.add("sql.copy-program", action.ClassDestructive, "COPY ... PROGRAM runs a shell command on the database server")
		} else {
			// COPY t TO '' and COPY t TO STDOUT parse alike (no file
			// name): whether a file is named is the literal's, so no COPY
			// result is shared with its shape's other values.
			w.res.Literals = true
			if s.GetIsFrom() && s.GetFilename() != "" {
				// COPY FROM 'file' reads any file the server can: its
				// configuration, its password files, other databases' data.
				w.add("sql.read-server-file", action.ClassCredentialAccess, "COPY FROM a file reads any file the database server can")
			}
		}
		if s.GetIsFrom() {
			w.catalogWrite(s.GetRelation())
		}
	case *pg_query.ReindexStmt:
		// Rebuilding a catalog's index locks the catalog: a shared one
		// (pg_database's, pg_authid's) stops every new connection to every
		// database while the transaction stays open.
		if s.GetKind() == pg_query.ReindexObjectType_REINDEX_OBJECT_SCHEMA {
			w.res.AllRelations = true // every index of the schema is rebuilt
		}
		if k := s.GetKind(); k == pg_query.ReindexObjectType_REINDEX_OBJECT_SYSTEM || k == pg_query.ReindexObjectType_REINDEX_OBJECT_DATABASE {
			w.add("sql.cluster", action.ClassDestructive, "REINDEX of the system or a whole database locks the catalogs every session needs")
		} else if r := s.GetRelation(); r != nil && catalogRel(r) {
			w.add("sql.cluster", action.ClassDestructive, "REINDEX of %s locks a system catalog every session needs", rangeVarName(r))
		}
	case *pg_query.VacuumStmt:
		if len(s.GetRels()) == 0 {
			// VACUUM or ANALYZE of every table: the index expressions and
			// statistics every one is built with are evaluated.
			w.res.AllRelations = true
		}
		// VACUUM FULL rewrites under an exclusive lock: of a catalog, or of
		// everything (the catalogs included) when it names nothing.
		if w.vacuumFull(s) {
			rels := s.GetRels()
			if len(rels) == 0 {
				w.add("sql.cluster", action.ClassDestructive, "VACUUM FULL of a whole database locks its system catalogs")
			}
			for _, r := range rels {
				if rv := r.GetVacuumRelation().GetRelation(); rv != nil && catalogRel(rv) {
					w.add("sql.cluster", action.ClassDestructive, "VACUUM FULL of %s locks a system catalog every session needs", rangeVarName(rv))
				}
			}
		}
	case *pg_query.ClusterStmt:
		if r := s.GetRelation(); r == nil || catalogRel(r) {
			w.add("sql.cluster", action.ClassDestructive, "CLUSTER of a system catalog, or of every clustered table, locks what every session needs")
		}
	case *pg_query.A_Expr:
		w.note(&w.res.Operators, 'o', constString(lastNode(s.GetName())))
	case *pg_query.SortBy:
		w.note(&w.res.Operators, 'o', constString(lastNode(s.GetUseOp())))
	case *pg_query.CaseExpr:
		if s.GetArg() != nil {
			w.note(&w.res.Operators, 'o', "=") // CASE x WHEN v compares with =
		}
	case *pg_query.RangeVar:
		w.note(&w.res.Relations, 'r', s.GetRelname())
		if credentialCatalog(s) {
			w.add("sql.read-credentials", action.ClassCredentialAccess, "%s holds passwords or connection secrets", rangeVarName(s))
		}
	case *pg_query.CreateExtensionStmt, *pg_query.AlterExtensionStmt, *pg_query.AlterExtensionContentsStmt,
		*pg_query.CreateFdwStmt, *pg_query.AlterFdwStmt, *pg_query.CreateForeignServerStmt, *pg_query.AlterForeignServerStmt,
		*pg_query.CreateUserMappingStmt, *pg_query.AlterUserMappingStmt, *pg_query.ImportForeignSchemaStmt,
		*pg_query.CreateForeignTableStmt:
		// An extension's install script runs with the installer's
		// rights, and a foreign server reaches any database, production
		// on the same server included: both take a token beyond the
		// database it is scoped to.
		w.add("sql.cluster", action.ClassDestructive, "%s reaches beyond the database this connection is scoped to", clusterWords(s))
	case *pg_query.DefineStmt:
		// CREATE OPERATOR/AGGREGATE name a function that later runs as
		// an operator or an aggregate step, where no call names it:
		// each is judged here as called.
		w.createdIn(s.GetDefnames())
		if s.GetKind() == pg_query.ObjectType_OBJECT_AGGREGATE {
			w.shadowsBuiltin(s.GetDefnames())
			if s.GetReplace() {
				w.add("sql.replace-definition", action.ClassDestructive, "CREATE OR REPLACE AGGREGATE %s replaces what every query using it computes", joinNames(s.GetDefnames()))
			}
		}
		w.definedFunctions(s.GetDefinition(), depth)
	case *pg_query.CreateCastStmt:
		if f := s.GetFunc(); f != nil {
			w.referencedFunction(f.GetObjname(), depth)
		}
	// Every other definition that names a function the server will call
	// by itself, where no statement names it: an operator class's support
	// function (called by CREATE INDEX and index scans under a plain
	// SELECT), a type's input and output, a range's subtype_diff, an
	// operator's estimators, a conversion, a language's handler, an
	// access method's handler, a transform, a trigger or event trigger.
	case *pg_query.CreateOpClassItem:
		if s.GetItemtype() == opclassItemFunction {
			w.referencedFunction(s.GetName().GetObjname(), depth)
		}
	case *pg_query.CreateRangeStmt:
		w.definedFunctions(s.GetParams(), depth)
	case *pg_query.AlterTypeStmt:
		w.definedFunctions(s.GetOptions(), depth)
	case *pg_query.AlterOperatorStmt:
		w.definedFunctions(s.GetOptions(), depth)
	case *pg_query.CreateConversionStmt:
		w.referencedFunction(s.GetFuncName(), depth)
	case *pg_query.CreatePLangStmt:
		for _, f := range [][]*pg_query.Node{s.GetPlhandler(), s.GetPlinline(), s.GetPlvalidator()} {
			if len(f) > 0 {
				w.referencedFunction(f, depth)
			}
		}
	case *pg_query.CreateAmStmt:
		w.referencedFunction(s.GetHandlerName(), depth)
	case *pg_query.CreateTransformStmt:
		for _, f := range []*pg_query.ObjectWithArgs{s.GetFromsql(), s.GetTosql()} {
			if f != nil {
				w.referencedFunction(f.GetObjname(), depth)
			}
		}
	case *pg_query.CreateTrigStmt:
		w.referencedFunction(s.GetFuncname(), depth)
	case *pg_query.CreateEventTrigStmt:
		w.referencedFunction(s.GetFuncname(), depth)
	case *pg_query.CreateFunctionStmt:
		w.createdIn(s.GetFuncname())
		w.shadowsBuiltin(s.GetFuncname())
		w.rowFunction(s)
		if s.GetReplace() {
			// The function's callers, triggers among them, run the new body.
			w.add("sql.replace-definition", action.ClassDestructive, "CREATE OR REPLACE FUNCTION %s replaces what its callers (triggers, defaults, views) run", joinNames(s.GetFuncname()))
		}
	case *pg_query.ViewStmt:
		w.catalogView(s.GetQuery())
		if s.GetReplace() {
			w.add("sql.replace-definition", action.ClassDestructive, "CREATE OR REPLACE VIEW %s replaces what everyone reading it sees", rangeVarName(s.GetView()))
		}
	case *pg_query.RuleStmt:
		w.catalogView(&pg_query.Node{Node: &pg_query.Node_RangeVar{RangeVar: s.GetRelation()}})
		for _, a := range s.GetActions() {
			w.catalogView(a)
		}
		if s.GetInstead() || s.GetReplace() {
			// DO INSTEAD NOTHING drops every such write without an error.
			w.add("sql.rule-instead", action.ClassDestructive, "a rule on %s that runs INSTEAD of (or replaces a rule on) what is written there: writes can vanish or go elsewhere", rangeVarName(s.GetRelation()))
		} else if slices.ContainsFunc(s.GetActions(), func(a *pg_query.Node) bool {
			return a.GetInsertStmt() != nil || a.GetUpdateStmt() != nil || a.GetDeleteStmt() != nil || a.GetNotifyStmt() == nil && a.GetSelectStmt() == nil
		}) {
			// DO ALSO: its writes run with every later write to the table,
			// judged then as that write alone (an UPDATE of one row of
			// the table can delete every row of another).
			w.add("sql.rule-instead", action.ClassDestructive, "a rule on %s that runs its own write with every %s there, where that write is not judged", rangeVarName(s.GetRelation()), strings.ToLower(strings.TrimPrefix(s.GetEvent().String(), "CMD_")))
		}
	case *pg_query.AlterSeqStmt:
		for _, o := range s.GetOptions() {
			if o.GetDefElem().GetDefname() == "owned_by" {
				// Dropping the new owner drops the sequence, and the
				// defaults that use it lose it.
				w.add("sql.alter-drop", action.ClassDestructive, "ALTER SEQUENCE %s OWNED BY ties the sequence's life to another table's column", rangeVarName(s.GetSequence()))
			}
		}
		for _, o := range s.GetOptions() {
			if n := o.GetDefElem().GetDefname(); n == "restart" || n == "start" || n == "maxvalue" || n == "increment" || n == "cycle" {
				// Restarting a sequence hands out ids already in use.
				w.add("sql.sequence-reset", action.ClassDestructive, "ALTER SEQUENCE %s %s makes it hand out values already used", rangeVarName(s.GetSequence()), strings.ToUpper(n))
				break
			}
		}
	case *pg_query.CreatePolicyStmt:
		w.add("sql.row-security", action.ClassDestructive, "CREATE POLICY on %s decides which rows sessions see and change", rangeVarName(s.GetTable()))
	case *pg_query.AlterPolicyStmt:
		w.add("sql.row-security", action.ClassDestructive, "ALTER POLICY on %s changes which rows sessions see and change", rangeVarName(s.GetTable()))
	case *pg_query.LockStmt:
		for _, r := range s.GetRelations() {
			if rv := r.GetRangeVar(); rv != nil && catalogRel(rv) && s.GetMode() != accessShareLock {
				w.add("sql.cluster", action.ClassDestructive, "locking the system catalog %s blocks every session that needs it, in every database", rangeVarName(rv))
			}
		}

	case *pg_query.ReassignOwnedStmt:
		w.add("sql.owner", action.ClassDestructive, "REASSIGN OWNED gives every object of a role, and the right to drop them, to another role")
	case *pg_query.AlterEnumStmt:
		if s.GetOldVal() != "" {
			// Every stored value reads as the new label.
			w.add("sql.rename", action.ClassDestructive, "ALTER TYPE ... RENAME VALUE %s changes what every row holding it reads", s.GetOldVal())
		}
	case *pg_query.AlterDomainStmt:
		if t := s.GetSubtype(); t == "X" || t == "N" {
			w.add("sql.alter-drop", action.ClassDestructive, "ALTER DOMAIN ... DROP CONSTRAINT / DROP NOT NULL removes a guarantee the data relies on")
		}
	case *pg_query.RefreshMatViewStmt:
		if s.GetSkipData() {
			w.target(rangeVarName(s.GetRelation()))
			w.add("sql.truncate", action.ClassDestructive, "REFRESH MATERIALIZED VIEW %s WITH NO DATA empties it", rangeVarName(s.GetRelation()))
		}
	case *pg_query.CreatePublicationStmt:
		// A table in a publication without a replica identity refuses
		// UPDATE and DELETE from then on, for every session.
		w.add("sql.replica-identity", action.ClassDestructive, "CREATE PUBLICATION %s makes UPDATE and DELETE fail on its tables that have no replica identity", s.GetPubname())
	case *pg_query.AlterPublicationStmt:
		if a := s.GetAction(); a == pg_query.AlterPublicationAction_AP_DropObjects || a == pg_query.AlterPublicationAction_AP_SetObjects {
			w.add("sql.alter-drop", action.ClassDestructive, "ALTER PUBLICATION %s DROP/SET stops replicating tables to its subscribers", s.GetPubname())
		} else if len(s.GetOptions()) > 0 || s.GetAction() == pg_query.AlterPublicationAction_AP_AddObjects {
			// SET (publish = '') publishes nothing from then on.
			w.add("sql.alter-drop", action.ClassDestructive, "ALTER PUBLICATION %s changes what its subscribers receive, or makes UPDATE and DELETE fail on a table it adds without a replica identity", s.GetPubname())
		}
	case *pg_query.AlterOwnerStmt:
		if serverObject(s.GetObjectType()) {
			w.add("sql.cluster", action.ClassDestructive, "ALTER %s ... OWNER TO changes an object that belongs to the whole server", objectName(s.GetObjectType()))
		}
		w.add("sql.owner", action.ClassDestructive, "ALTER %s ... OWNER TO gives the object, and the right to drop it, to another role", objectName(s.GetObjectType()))
		w.catalogObject(s.GetObject(), s.GetRelation())
	case *pg_query.AlterFunctionStmt:
		w.catalogObject(&pg_query.Node{Node: &pg_query.Node_ObjectWithArgs{ObjectWithArgs: s.GetFunc()}}, nil)
		for _, a := range s.GetActions() {
			d := a.GetDefElem()
			if d.GetDefname() == "security" || d.GetDefname() == "set" && strings.EqualFold(d.GetArg().GetVariableSetStmt().GetName(), "search_path") {
				// Callers of an existing function reach other tables
				// (search_path) or run it with its owner's rights.
				w.add("sql.replace-definition", action.ClassDestructive, "ALTER FUNCTION %s changes what its callers run: its search_path or whose rights it runs with", joinNames(s.GetFunc().GetObjname()))
				break
			}
		}
	case *pg_query.CommentStmt:
		if serverObject(s.GetObjtype()) {
			w.add("sql.cluster", action.ClassDestructive, "COMMENT ON %s changes an object that belongs to the whole server", objectName(s.GetObjtype()))
		}
	case *pg_query.SecLabelStmt:
		if serverObject(s.GetObjtype()) {
			w.add("sql.cluster", action.ClassDestructive, "SECURITY LABEL ON %s changes an object that belongs to the whole server", objectName(s.GetObjtype()))
		}
	}
	return true
}

// merge judges MERGE as the DELETE or UPDATE its actions amount to: a
// matched action whose join and condition hold for every row reaches every
// row, and so does any action on the rows the source does not match (an
// empty source matches none).
func (w *walker) merge(s *pg_query.MergeStmt) {
	name := rangeVarName(s.GetRelation())
	for _, c := range s.GetMergeWhenClauses() {
		wc := c.GetMergeWhenClause()
		var every bool
		switch wc.GetMatchKind() {
		case pg_query.MergeMatchKind_MERGE_WHEN_MATCHED:
			every = (w.everyRow(s.GetJoinCondition(), s.GetRelation()) || selfJoin(s.GetJoinCondition(), s.GetRelation(), s.GetSourceRelation())) &&
				w.everyRow(wc.GetCondition(), s.GetRelation())
		case pg_query.MergeMatchKind_MERGE_WHEN_NOT_MATCHED_BY_SOURCE:
			every = w.everyRow(wc.GetCondition(), s.GetRelation())
		}
		if !every || bookkeeping(name) {
			continue
		}
		switch wc.GetCommandType() {
		case pg_query.CmdType_CMD_DELETE:
			w.target(name)
			w.add("sql.delete-all", action.ClassDestructive, "MERGE into %s can delete every row: an action reaches rows with no condition that tells them apart", name)
		case pg_query.CmdType_CMD_UPDATE:
			w.target(name)
			w.add("sql.update-all", action.ClassDestructive, "MERGE into %s can overwrite every row: an action reaches rows with no condition that tells them apart", name)
		}
	}
	w.add("sql.write", action.ClassWrite, "changes rows")
}

func (w *walker) alterTable(s *pg_query.AlterTableStmt, depth int) {
	name := rangeVarName(s.GetRelation())
	for _, c := range s.GetCmds() {
		cmd := c.GetAlterTableCmd()
		switch cmd.GetSubtype() {
		case pg_query.AlterTableType_AT_DropColumn, pg_query.AlterTableType_AT_AddColumn, pg_query.AlterTableType_AT_AlterColumnType:
			col := cmd.GetName()
			if col == "" {
				col = cmd.GetDef().GetColumnDef().GetColname()
			}
			if w.touched == nil {
				w.touched = map[string]int{}
			}
			w.touched[s.GetRelation().GetRelname()+"."+col]++
		}
		switch cmd.GetSubtype() {
		case pg_query.AlterTableType_AT_DropColumn:
			w.target(name + "." + cmd.GetName())
			w.add("sql.alter-drop", action.ClassDestructive, "ALTER TABLE %s DROP COLUMN %s deletes the column's data", name, cmd.GetName())
		case pg_query.AlterTableType_AT_DropConstraint:
			w.target(name)
			w.add("sql.alter-drop", action.ClassDestructive, "ALTER TABLE %s DROP CONSTRAINT %s removes a guarantee the data relies on", name, cmd.GetName())
		case pg_query.AlterTableType_AT_AddConstraint:
			if c := cmd.GetDef().GetConstraint(); c.GetContype() == pg_query.ConstrType_CONSTR_FOREIGN && (cascades(c.GetFkDelAction()) || cascades(c.GetFkUpdAction())) {
				// The existing rows of name now go (or lose their
				// reference) with a write to one row of the other
				// table, which is judged as that write alone.
				w.target(name)
				w.add("sql.cascade", action.ClassDestructive, "a foreign key from %s to %s that cascades (or sets null or default): a delete or update of one row of %s then changes every row of %s that refers to it", name, rangeVarName(c.GetPktable()), rangeVarName(c.GetPktable()), name)
			}
		case pg_query.AlterTableType_AT_AlterColumnType:
			w.target(name + "." + cmd.GetName())
			if depth > 0 || w.stmt == "" {
				w.nestedTypeChange = true
			}
			w.add("sql.alter-type", action.ClassDestructive, "%s", w.recordTypeChange(s.GetRelation(), cmd))
		case pg_query.AlterTableType_AT_DetachPartition:
			w.target(name)
			w.add("sql.alter-drop", action.ClassDestructive, "ALTER TABLE %s DETACH PARTITION takes a partition's rows out of the table", name)
		case pg_query.AlterTableType_AT_DisableTrig, pg_query.AlterTableType_AT_DisableTrigAll, pg_query.AlterTableType_AT_DisableTrigUser,
			pg_query.AlterTableType_AT_DisableRule:
			// ALL takes the foreign keys' own triggers with it: deletes no
			// longer cascade, and rows may point at nothing, as with
			// session_replication_role = replica.
			w.target(name)
			w.add("sql.disable-trigger", action.ClassDestructive, "ALTER TABLE %s DISABLE TRIGGER/RULE turns off what guards or maintains its data (foreign keys included, for ALL)", name)
		case pg_query.AlterTableType_AT_EnableReplicaTrig, pg_query.AlterTableType_AT_EnableAlwaysTrig,
			pg_query.AlterTableType_AT_EnableReplicaRule, pg_query.AlterTableType_AT_EnableAlwaysRule:
			// A REPLICA trigger fires only in replication sessions: in every
			// other one it is off, as if disabled.
			w.target(name)
			w.add("sql.disable-trigger", action.ClassDestructive, "ALTER TABLE %s ENABLE REPLICA/ALWAYS changes when a trigger or rule fires (REPLICA: not in ordinary sessions)", name)
		case pg_query.AlterTableType_AT_SetIdentity, pg_query.AlterTableType_AT_AddIdentity:
			// As ALTER SEQUENCE: each of these can make the identity hand
			// out values already used.
			for _, o := range cmd.GetDef().GetList().GetItems() {
				if n := o.GetDefElem().GetDefname(); n == "restart" || n == "start" || n == "maxvalue" || n == "increment" || n == "cycle" {
					w.target(name)
					w.add("sql.sequence-reset", action.ClassDestructive, "ALTER TABLE %s ALTER COLUMN %s SET %s makes the identity hand out values already used", name, cmd.GetName(), strings.ToUpper(n))
					break
				}
			}
		case pg_query.AlterTableType_AT_DropExpression:
			// The column keeps its values but forgets how they are made:
			// PostgreSQL cannot make a column generated again.
			w.target(name + "." + cmd.GetName())
			w.add("sql.alter-drop", action.ClassDestructive, "ALTER TABLE %s ALTER COLUMN %s DROP EXPRESSION discards the column's generation expression for good", name, cmd.GetName())
		case pg_query.AlterTableType_AT_DropIdentity:
			w.target(name + "." + cmd.GetName())
			w.add("sql.drop", action.ClassDestructive, "ALTER TABLE %s ALTER COLUMN %s DROP IDENTITY drops the column's sequence", name, cmd.GetName())
		case pg_query.AlterTableType_AT_DropInherit:
			w.target(name)
			w.add("sql.alter-drop", action.ClassDestructive, "ALTER TABLE %s NO INHERIT takes its rows out of the parent table", name)
		case pg_query.AlterTableType_AT_ChangeOwner:
			w.target(name)
			w.add("sql.owner", action.ClassDestructive, "ALTER TABLE %s OWNER TO gives the table, and the right to drop it, to another role", name)
		case pg_query.AlterTableType_AT_ReplicaIdentity:
			// NOTHING, or DEFAULT on a table without a primary key: a
			// published table then refuses every UPDATE and DELETE, and
			// subscribers stop receiving them.
			if t := cmd.GetDef().GetReplicaIdentityStmt().GetIdentityType(); t == "n" || t == "d" {
				w.target(name)
				w.add("sql.replica-identity", action.ClassDestructive, "ALTER TABLE %s REPLICA IDENTITY NOTHING or DEFAULT can make updates and deletes of a published table fail", name)
			}
		case pg_query.AlterTableType_AT_SetUnLogged:
			w.target(name)
			w.add("sql.unlogged", action.ClassDestructive, "ALTER TABLE %s SET UNLOGGED keeps its rows out of the write-ahead log: a crash empties it and replicas lose it", name)
		case pg_query.AlterTableType_AT_DisableRowSecurity, pg_query.AlterTableType_AT_NoForceRowSecurity:
			w.target(name)
			w.add("sql.row-security", action.ClassDestructive, "ALTER TABLE %s DISABLE/NO FORCE ROW LEVEL SECURITY shows every row to sessions the policies kept them from", name)
		case pg_query.AlterTableType_AT_AttachPartition, pg_query.AlterTableType_AT_AddInherit:
			// The table becomes part of another: dropping that one (a
			// parent built on a pg_temp type goes at the session's end)
			// drops it too.
			w.target(name)
			w.add("sql.alter-drop", action.ClassDestructive, "ALTER TABLE %s ATTACH PARTITION / INHERIT ties an existing table's life to another table", name)
		case pg_query.AlterTableType_AT_AddOf:
			// A typed table goes when its type goes (a pg_temp type at the
			// session's end, with CASCADE).
			w.target(name)
			w.add("sql.alter-drop", action.ClassDestructive, "ALTER TABLE %s OF makes the table depend on a type: dropping the type drops the table", name)
		case pg_query.AlterTableType_AT_EnableRowSecurity, pg_query.AlterTableType_AT_ForceRowSecurity:
			w.target(name)
			w.add("sql.row-security", action.ClassDestructive, "ALTER TABLE %s ENABLE/FORCE ROW LEVEL SECURITY hides every row no policy lets through", name)
		}
	}
}

func cascade(b pg_query.DropBehavior) string {
	if b == pg_query.DropBehavior_DROP_CASCADE {
		return ", and CASCADE takes every dependent object with it"
	}
	return ""
}

func (w *walker) whereWords(where *pg_query.Node) string {
	switch {
	case where == nil:
		return "without WHERE"
	case w.alwaysTrue(where):
		return "with a WHERE that is always true"
	}
	return "with a WHERE that names none of its columns (the same for every row)"
}

// objectName turns OBJECT_MATVIEW into "MATVIEW" for messages.
func objectName(t pg_query.ObjectType) string {
	return strings.ReplaceAll(strings.TrimPrefix(t.String(), "OBJECT_"), "_", " ")
}

// objectNames renders DROP's object list: qualified names, or type names.
func objectNames(objs []*pg_query.Node) []string {
	var names []string
	for _, o := range objs {
		switch {
		case o.GetList() != nil:
			names = append(names, joinNames(o.GetList().GetItems()))
		case o.GetString_() != nil:
			names = append(names, o.GetString_().GetSval())
		case o.GetTypeName() != nil:
			names = append(names, joinNames(o.GetTypeName().GetNames()))
		case o.GetObjectWithArgs() != nil:
			names = append(names, joinNames(o.GetObjectWithArgs().GetObjname()))
		case o.GetRangeVar() != nil:
			names = append(names, rangeVarName(o.GetRangeVar()))
		}
	}
	return names
}

func joinNames(items []*pg_query.Node) string {
	parts := make([]string, 0, len(items))
	for _, it := range items {
		parts = append(parts, constString(it))
	}
	return strings.Join(parts, ".")
}

func relNames(rels []*pg_query.Node) []string {
	var names []string
	for _, r := range rels {
		names = append(names, rangeVarName(r.GetRangeVar()))
	}
	return names
}

func rangeVarName(r *pg_query.RangeVar) string {
	if r == nil {
		return ""
	}
	name := r.GetRelname()
	if r.GetSchemaname() != "" {
		name = r.GetSchemaname() + "." + name
	}
	if r.GetCatalogname() != "" {
		name = r.GetCatalogname() + "." + name
	}
	return name
}

func clusterWords(m any) string {
	switch m.(type) {
	case *pg_query.CreatedbStmt:
		return "CREATE DATABASE"
	case *pg_query.AlterDatabaseStmt, *pg_query.AlterDatabaseSetStmt, *pg_query.AlterDatabaseRefreshCollStmt:
		return "ALTER DATABASE"
	case *pg_query.CreateRoleStmt:
		return "CREATE ROLE"
	case *pg_query.AlterRoleStmt, *pg_query.AlterRoleSetStmt:
		return "ALTER ROLE"
	case *pg_query.CreateTableSpaceStmt, *pg_query.DropTableSpaceStmt, *pg_query.AlterTableSpaceOptionsStmt:
		return "a tablespace change"
	case *pg_query.CheckPointStmt:
		return "CHECKPOINT"
	case *pg_query.CreateExtensionStmt, *pg_query.AlterExtensionStmt, *pg_query.AlterExtensionContentsStmt:
		return "an extension change"
	case *pg_query.CreateFdwStmt, *pg_query.AlterFdwStmt, *pg_query.CreateForeignServerStmt, *pg_query.AlterForeignServerStmt,
		*pg_query.CreateUserMappingStmt, *pg_query.AlterUserMappingStmt, *pg_query.ImportForeignSchemaStmt, *pg_query.CreateForeignTableStmt:
		return "a foreign-data change"
	}
	return "a subscription change"
}

// compares notes (Result.Compares) the places where PostgreSQL compares,
// sorts, hashes or converts values by their types' own operator classes
// and casts, without an operator or a type being written: ORDER BY, GROUP
// BY, DISTINCT, set operations, windows, joins USING or NATURAL (an
// implicit =), and any operator, function call or cast.
func (w *walker) compares(m any) {
	switch s := m.(type) {
	case *pg_query.SortBy, *pg_query.WindowDef, *pg_query.A_Expr, *pg_query.TypeCast,
		*pg_query.SubLink, *pg_query.CaseExpr, *pg_query.MinMaxExpr, *pg_query.RowCompareExpr, *pg_query.A_Indirection:
		w.res.Compares = true
	case *pg_query.FuncCall:
		// An argument may be converted by an implicit cast; count(*) has
		// none.
		if len(s.GetArgs()) > 0 || len(s.GetAggOrder()) > 0 {
			w.res.Compares = true
		}
	case *pg_query.JoinExpr:
		if len(s.GetUsingClause()) > 0 || s.GetIsNatural() {
			w.res.Compares = true
			w.note(&w.res.Operators, 'o', "=")
		}
	case *pg_query.SelectStmt:
		if len(s.GetDistinctClause()) > 0 || len(s.GetGroupClause()) > 0 || s.GetOp() != pg_query.SetOperation_SETOP_NONE {
			w.res.Compares = true
		}
	}
}

// migrationTables are the tables migration tools keep their own state in:
// which migrations ran, and the lock a run takes. A tool updates or clears
// them whole on every run (knex releases its lock with an UPDATE without
// WHERE); that is its bookkeeping, a write, not the loss of anyone's data.
var migrationTables = map[string]bool{
	"knex_migrations": true, "knex_migrations_lock": true, "django_migrations": true, "sequelizemeta": true,
	"alembic_version": true, "schema_migrations": true, "ar_internal_metadata": true, "_prisma_migrations": true,
	"flyway_schema_history": true, "goose_db_version": true, "__efmigrationshistory": true,
	"__diesel_schema_migrations": true, "atlas_schema_revisions": true, "gorp_migrations": true,
	"pgmigrations": true, "kysely_migration": true, "kysely_migration_lock": true, "__drizzle_migrations": true,
	"mikro_orm_migrations": true, "_yoyo_migration": true, "_yoyo_log": true, "_yoyo_version": true, "yoyo_lock": true,
	"migratehistory": true,
}

// bookkeeping says whether name (schema-qualified or not) is a migration
// tool's own table.
func bookkeeping(name string) bool {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		name = name[i+1:]
	}
	return migrationTables[strings.ToLower(strings.Trim(name, `"`))]
}

// catalogWrite judges a write into a system catalog: a row in pg_authid is
// a role (a superuser, if it says so), one in pg_db_role_setting a setting
// for every session of a database. The catalog belongs to the server.
func (w *walker) catalogWrite(r *pg_query.RangeVar) {
	if r == nil {
		return
	}
	if catalogRel(r) {
		w.target(rangeVarName(r))
		w.add("sql.cluster", action.ClassDestructive, "writing the system catalog %s changes the server behind PostgreSQL's own checks", rangeVarName(r))
	}
}

// vacuumFull: VACUUM FULL, or VACUUM (FULL) in any spelling but a false
// one.
func (w *walker) vacuumFull(s *pg_query.VacuumStmt) bool {
	for _, o := range s.GetOptions() {
		if d := o.GetDefElem(); d != nil && strings.EqualFold(d.GetDefname(), "full") && !w.isFalse(d.GetArg()) {
			return true
		}
	}
	return false
}

// credentialCatalog: the catalogs and views that hold password hashes and
// connection secrets.
func credentialCatalog(r *pg_query.RangeVar) bool {
	switch r.GetSchemaname() {
	case "", "pg_catalog":
		return slices.Contains(credentialRelations, r.GetRelname())
	case "information_schema":
		return slices.Contains(credentialViews, r.GetRelname())
	}
	return false
}

// credentialViews are information_schema's views of user mappings'
// options, passwords included.
var credentialViews = []string{"user_mapping_options", "_pg_user_mappings", "user_mappings", "foreign_server_options"}

// credentialRelations are the catalogs and views that hold password
// hashes and foreign servers' passwords, or show them: the planner's
// statistics keep sample values of every column ANALYZE has read,
// pg_authid.rolpassword's included, and the server's configuration files
// hold connection strings with passwords.
var credentialRelations = []string{"pg_authid", "pg_shadow", "pg_user_mapping", "pg_user_mappings",
	"pg_statistic", "pg_stats", "pg_statistic_ext_data", "pg_stats_ext", "pg_stats_ext_exprs",
	"pg_file_settings", "pg_hba_file_rules", "pg_ident_file_mappings"}

// serverObject: object types that belong to the server rather than to one
// database.
func serverObject(t pg_query.ObjectType) bool {
	switch t {
	case pg_query.ObjectType_OBJECT_DATABASE, pg_query.ObjectType_OBJECT_ROLE, pg_query.ObjectType_OBJECT_TABLESPACE,
		pg_query.ObjectType_OBJECT_FDW, pg_query.ObjectType_OBJECT_FOREIGN_SERVER, pg_query.ObjectType_OBJECT_SUBSCRIPTION,
		pg_query.ObjectType_OBJECT_PARAMETER_ACL:
		return true
	}
	return false
}

// definedFunction are the options of CREATE OPERATOR, AGGREGATE, TYPE,
// TEXT SEARCH PARSER and TEMPLATE, ALTER TYPE and OPERATOR and CREATE TYPE
// ... AS RANGE that name a function to run.
var definedFunction = map[string]bool{"function": true, "procedure": true, "sfunc": true, "finalfunc": true, "combinefunc": true,
	"serialfunc": true, "deserialfunc": true, "msfunc": true, "minvfunc": true, "mfinalfunc": true, "restrict": true, "join": true,
	"input": true, "output": true, "receive": true, "send": true, "typmod_in": true, "typmod_out": true, "analyze": true,
	"subscript": true, "subtype_diff": true, "canonical": true,
	"start": true, "gettoken": true, "end": true, "headline": true, "lextypes": true, "init": true, "lexize": true}

// opclassItemFunction is CreateOpClassItem's itemtype for FUNCTION n.
const opclassItemFunction = 2

// definedFunctions judges the functions a definition's options name as
// called.
func (w *walker) definedFunctions(defs []*pg_query.Node, depth int) {
	for _, d := range defs {
		if de := d.GetDefElem(); de != nil && definedFunction[strings.ToLower(de.GetDefname())] && de.GetArg() != nil {
			w.referencedFunction(w.functionName(de.GetArg()), depth)
		}
	}
}

// functionName is the qualified name a definition option gives. A bare
// String is a string literal (function = 'lo_unlink', which PostgreSQL
// takes for the name) or a reserved word: the function judged is then the
// literal's, and the result must not be shared with the shape's other
// values.
func (w *walker) functionName(n *pg_query.Node) []*pg_query.Node {
	switch {
	case n.GetTypeName() != nil:
		return n.GetTypeName().GetNames()
	case n.GetList() != nil:
		return n.GetList().GetItems()
	case n.GetString_() != nil:
		w.res.Literals = true
		return []*pg_query.Node{n}
	}
	return nil
}

// referencedFunction judges a function an object will run as a call of it
// with arguments only known then.
func (w *walker) referencedFunction(names []*pg_query.Node, depth int) {
	if len(names) == 0 {
		w.add("sql.function", action.ClassUnknown, "an operator or aggregate runs a function Chaperone cannot name")
		return
	}
	unknownArg := &pg_query.Node{Node: &pg_query.Node_ParamRef{ParamRef: &pg_query.ParamRef{Number: 1}}}
	w.funcCall(&pg_query.FuncCall{Funcname: names, Args: []*pg_query.Node{unknownArg, unknownArg, unknownArg}}, depth)
}

// createdIn: an object created in pg_catalog shadows or joins the
// built-ins that every session trusts by name.
func (w *walker) createdIn(names []*pg_query.Node) {
	if len(names) >= 2 && constString(names[len(names)-2]) == "pg_catalog" {
		w.add("sql.cluster", action.ClassDestructive, "creating an object in pg_catalog changes the built-ins every session trusts")
	}
}

// catalogObject: an ALTER, OWNER TO or GRANT of a built-in (a function,
// schema or table of pg_catalog) changes what every session trusts.
func (w *walker) catalogObject(o *pg_query.Node, r *pg_query.RangeVar) {
	if r != nil && (r.GetSchemaname() == "pg_catalog" || r.GetSchemaname() == "" && strings.HasPrefix(r.GetRelname(), "pg_")) {
		w.add("sql.cluster", action.ClassDestructive, "changing %s changes a system catalog", rangeVarName(r))
		return
	}
	if o == nil {
		return
	}
	var names []*pg_query.Node
	switch {
	case o.GetObjectWithArgs() != nil:
		names = o.GetObjectWithArgs().GetObjname()
	case o.GetList() != nil:
		names = o.GetList().GetItems()
	case o.GetString_() != nil:
		names = []*pg_query.Node{o}
	}
	if len(names) == 0 {
		return
	}
	first := constString(names[0])
	if first == "pg_catalog" || first == "information_schema" || len(names) == 1 && strings.HasPrefix(first, "pg_") {
		w.add("sql.cluster", action.ClassDestructive, "changing a built-in of %s changes what every session trusts", first)
	}
}

// sameTable reports whether a FROM item is the table rel names.
func sameTable(n *pg_query.Node, rel *pg_query.RangeVar) bool {
	r := n.GetRangeVar()
	return r != nil && strings.EqualFold(r.GetRelname(), rel.GetRelname()) &&
		(r.GetSchemaname() == rel.GetSchemaname() || r.GetSchemaname() == "" || rel.GetSchemaname() == "")
}

// wholeTable reports whether a query reads every row of rel and nothing
// else: SELECT ... FROM rel with no condition, grouping or limit.
func wholeTable(n *pg_query.Node, rel *pg_query.RangeVar) bool {
	sel := n.GetSelectStmt()
	return sel != nil && len(sel.GetFromClause()) == 1 && sameTable(sel.GetFromClause()[0], rel) && sel.GetWhereClause() == nil &&
		sel.GetLimitCount() == nil && sel.GetHavingClause() == nil && len(sel.GetGroupClause()) == 0 && len(sel.GetDistinctClause()) == 0
}

// allOwnRows: a query that reads every row of rel, with no WHERE or one
// that holds for every row (SELECT ... FROM t WHERE true).
func (w *walker) allOwnRows(n *pg_query.Node, rel *pg_query.RangeVar) bool {
	sel := n.GetSelectStmt()
	if sel == nil || sel.GetWhereClause() == nil {
		return wholeTable(n, rel)
	}
	c := proto.Clone(sel).(*pg_query.SelectStmt)
	c.WhereClause = nil
	from := c.GetFromClause()
	return wholeTable(&pg_query.Node{Node: &pg_query.Node_SelectStmt{SelectStmt: c}}, rel) && len(from) == 1 &&
		w.everyRow(sel.GetWhereClause(), from[0].GetRangeVar())
}

// selfJoin reports whether a MERGE joins rel with itself on one column:
// MERGE INTO t USING t s ON t.id = s.id matches every row of t.
func selfJoin(cond *pg_query.Node, rel *pg_query.RangeVar, src *pg_query.Node) bool {
	if !sameTable(src, rel) && !wholeTable(src.GetRangeSubselect().GetSubquery(), rel) {
		return false
	}
	e := cond.GetAExpr()
	if e == nil || e.GetKind() != pg_query.A_Expr_Kind_AEXPR_OP || constString(lastNode(e.GetName())) != "=" {
		return false
	}
	l, r := e.GetLexpr().GetColumnRef(), e.GetRexpr().GetColumnRef()
	if l == nil || r == nil || len(l.GetFields()) == 0 || len(r.GetFields()) == 0 {
		return false
	}
	return constString(lastNode(l.GetFields())) == constString(lastNode(r.GetFields()))
}

// catalogRel: a system catalog, named with its schema or without it
// (pg_catalog is searched first unless placed later, which the gateway
// does not let a session do).
func catalogRel(r *pg_query.RangeVar) bool {
	schema, name := r.GetSchemaname(), r.GetRelname()
	return schema == "pg_catalog" || schema == "information_schema" || schema == "" && strings.HasPrefix(name, "pg_")
}

// catalogView judges a view (or a rule's actions) over system catalogs: a
// simple view is updatable, and rows changed through it change the
// catalog (DELETE FROM a view over pg_database drops a database of the
// whole server).
func (w *walker) catalogView(q *pg_query.Node) {
	if q == nil {
		return
	}
	walk(q.ProtoReflect(), func(m protoreflect.Message) bool {
		if rv, ok := m.Interface().(*pg_query.RangeVar); ok && catalogRel(rv) {
			w.target(rangeVarName(rv))
			w.add("sql.cluster", action.ClassDestructive, "a view or rule over the system catalog %s lets rows of it be changed through the view", rangeVarName(rv))
			return false
		}
		return true
	})
}

// shadowsBuiltin: a function given a built-in's name (an overload of
// lower(integer)) is what calls of that name may run, while they read as
// the built-in.
func (w *walker) shadowsBuiltin(names []*pg_query.Node) {
	if len(names) == 0 {
		return
	}
	name := strings.ToLower(constString(names[len(names)-1]))
	if _, ok := catalogVolatility[name]; ok {
		w.add("sql.shadow-builtin", action.ClassDestructive, "a function named %s, like a built-in, is what calls of %s may run", name, name)
	}
}

// settingsRead: a SELECT from pg_settings reads every row it can see,
// primary_conninfo's replication password among them, unless its WHERE
// names one setting that holds none.
func (w *walker) settingsRead(s *pg_query.SelectStmt) {
	reads, joined := false, false
	for _, f := range s.GetFromClause() {
		if r := f.GetRangeVar(); r != nil && isSettingsView(r) {
			reads = true
			continue
		}
		// pg_settings inside a JOIN: one WHERE on a name pins one side
		// of it only, if any.
		walk(f.ProtoReflect(), func(m protoreflect.Message) bool {
			if r, ok := m.Interface().(*pg_query.RangeVar); ok && isSettingsView(r) {
				reads, joined = true, true
			}
			return true
		})
	}
	if joined && showsValues(s.GetTargetList()) {
		w.add("sql.read-credentials", action.ClassCredentialAccess, "pg_settings joined with another relation shows settings no WHERE pins, primary_conninfo's password included")
		return
	}
	if !reads || !showsValues(s.GetTargetList()) {
		return
	}
	if e := s.GetWhereClause().GetAExpr(); e != nil && e.GetKind() == pg_query.A_Expr_Kind_AEXPR_OP && len(e.GetName()) == 1 && constString(e.GetName()[0]) == "=" && isColumn(e.GetLexpr(), "name") {
		if n, ok := w.settingConst(e.GetRexpr()); ok && !secretSetting(n) {
			return
		}
	}
	w.add("sql.read-credentials", action.ClassCredentialAccess, "pg_settings shows every setting it is not told to leave out, primary_conninfo's password included")
}

// showsValues: a target list that shows settings' values (setting,
// reset_val, boot_val, the whole row, or anything but plain columns).
func showsValues(targets []*pg_query.Node) bool {
	shows := false
	for _, t := range targets {
		walk(t.ProtoReflect(), func(m protoreflect.Message) bool {
			c, ok := m.Interface().(*pg_query.ColumnRef)
			if !ok {
				return true
			}
			fields := c.GetFields()
			if len(fields) == 1 && constString(fields[0]) != "name" && constString(fields[0]) != "setting" && constString(fields[0]) != "reset_val" && constString(fields[0]) != "boot_val" && fields[0].GetAStar() == nil {
				// A lone name that is no column of these: the row itself
				// (s, pg_settings) or a column that shows no value.
				switch constString(fields[0]) {
				case "category", "short_desc", "extra_desc", "context", "vartype", "source", "min_val", "max_val", "enumvals", "sourcefile", "sourceline", "pending_restart", "unit":
				default:
					shows = true
				}
				return false
			}
			for _, f := range fields {
				switch {
				case f.GetAStar() != nil, constString(f) == "setting", constString(f) == "reset_val", constString(f) == "boot_val":
					shows = true
				}
			}
			return false
		})
	}
	return shows
}

// rowWrite notes an UPDATE or DELETE with a filter, or (joined) a MERGE or
// an upsert, whose reach is asked about (Result.RowWrites), and the column
// a filter pins (Result.Pins).
func (w *walker) rowWrite(rel *pg_query.RangeVar, where *pg_query.Node, depth int, joined bool) {
	switch {
	case joined && depth == 0:
		w.res.RowWrites, w.unpinned = true, true
	case joined && w.defining == 0:
		w.res.HiddenRowWrites = true
	case joined:
	case where == nil || where.GetCurrentOfExpr() != nil:
	case depth == 0:
		w.res.RowWrites = true
		if col := pinnedColumn(rel, where); col != "" {
			p := Pin{Schema: rel.GetSchemaname(), Table: rel.GetRelname(), Column: col, Only: !rel.GetInh()}
			if !slices.Contains(w.res.Pins, p) {
				w.res.Pins = append(w.res.Pins, p)
			}
		} else {
			w.unpinned = true
		}
	case w.defining == 0:
		w.res.HiddenRowWrites = true
	}
}

// cascades says a foreign key action changes the referring rows: CASCADE,
// SET NULL or SET DEFAULT.
func cascades(action string) bool { return action == "c" || action == "n" || action == "d" }

// newerSyntax names a construct newer servers parse as syntax.
func newerSyntax(n any) string {
	switch n.(type) {
	case *pg_query.MergeSupportFunc:
		return "merge_action()"
	case *pg_query.JsonScalarExpr:
		return "json_scalar()"
	case *pg_query.JsonSerializeExpr:
		return "json_serialize()"
	case *pg_query.JsonParseExpr:
		return "json()"
	case *pg_query.JsonFuncExpr:
		return "json_value(), json_query() or json_exists()"
	case *pg_query.JsonTable:
		return "json_table()"
	}
	return "json_array(), json_object() or their aggregates"
}
