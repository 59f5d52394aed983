package sql

import (
	"slices"
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/chaperone/chaperone/internal/action"
)

type effect struct {
	id    string
	class action.Class
	msg   string
}

// serverFunctions are built-in (and well-known extension) functions whose
// call does what a statement would: each is judged wherever it appears, even
// inside a SELECT.
var serverFunctions = map[string]effect{
	"lo_unlink":                {"sql.lo-unlink", action.ClassDestructive, "lo_unlink deletes a large object"},
	"lo_truncate":              {"sql.lo-unlink", action.ClassDestructive, "lo_truncate cuts a large object's data off"},
	"lo_truncate64":            {"sql.lo-unlink", action.ClassDestructive, "lo_truncate64 cuts a large object's data off"},
	"lo_create":                {"sql.large-object", action.ClassWrite, "lo_create creates a large object"},
	"lo_creat":                 {"sql.large-object", action.ClassWrite, "lo_creat creates a large object"},
	"lo_from_bytea":            {"sql.large-object", action.ClassWrite, "lo_from_bytea creates a large object"},
	"lo_put":                   {"sql.lo-overwrite", action.ClassDestructive, "lo_put overwrites a large object's data, up to all of it"},
	"lowrite":                  {"sql.lo-overwrite", action.ClassDestructive, "lowrite overwrites a large object's data, up to all of it"},
	"pg_terminate_backend":     {"sql.terminate-backend", action.ClassDestructive, "pg_terminate_backend kills another session and rolls back its work"},
	"pg_cancel_backend":        {"sql.cancel-backend", action.ClassDestructive, "pg_cancel_backend cancels another session's query, in any database on the server"},
	"pg_drop_replication_slot": {"sql.drop", action.ClassDestructive, "pg_drop_replication_slot deletes a replication slot that a replica or backup may need"},
	"pg_replication_slot_advance": {"sql.replication-slot", action.ClassDestructive,
		"pg_replication_slot_advance throws away changes a replication slot kept for its consumer"},
	"pg_logical_slot_get_changes": {"sql.replication-slot", action.ClassDestructive,
		"pg_logical_slot_get_changes consumes changes a replication slot kept for its consumer"},
	"pg_logical_slot_get_binary_changes": {"sql.replication-slot", action.ClassDestructive,
		"pg_logical_slot_get_binary_changes consumes changes a replication slot kept for its consumer"},
	"pg_create_physical_replication_slot": {"sql.replication-slot", action.ClassDestructive, "a new replication slot keeps WAL on the server until it is consumed"},
	"pg_create_logical_replication_slot":  {"sql.replication-slot", action.ClassDestructive, "a new replication slot keeps WAL on the server until it is consumed"},
	"pg_copy_physical_replication_slot":   {"sql.replication-slot", action.ClassDestructive, "a new replication slot keeps WAL on the server until it is consumed"},
	"pg_copy_logical_replication_slot":    {"sql.replication-slot", action.ClassDestructive, "a new replication slot keeps WAL on the server until it is consumed"},
	"pg_replication_origin_drop":          {"sql.replication-slot", action.ClassDestructive, "pg_replication_origin_drop deletes a replication origin and its progress"},
	"pg_replication_origin_create":        {"sql.replication-slot", action.ClassDestructive, "changes replication origins"},
	"pg_replication_origin_advance":       {"sql.replication-slot", action.ClassDestructive, "changes replication origins"},
	"pg_replication_origin_session_setup": {"sql.replication-slot", action.ClassDestructive, "changes replication origins"},
	"pg_replication_origin_session_reset": {"sql.replication-slot", action.ClassDestructive, "changes replication origins"},
	"pg_replication_origin_xact_setup":    {"sql.replication-slot", action.ClassDestructive, "changes replication origins"},
	"pg_replication_origin_xact_reset":    {"sql.replication-slot", action.ClassDestructive, "changes replication origins"},
	"pg_reload_conf":                      {"sql.server-config", action.ClassDestructive, "pg_reload_conf applies changed configuration (ALTER SYSTEM's included) to the whole server"},
	"pg_promote":                          {"sql.server-admin", action.ClassDestructive, "pg_promote turns a standby into a primary"},
	"lo_export":                           {"sql.server-file", action.ClassDestructive, "lo_export writes a file on the database server"},
	"pg_file_write":                       {"sql.server-file", action.ClassDestructive, "pg_file_write writes a file on the database server"},
	"pg_file_unlink":                      {"sql.server-file", action.ClassDestructive, "pg_file_unlink deletes a file on the database server"},
	"pg_file_rename":                      {"sql.server-file", action.ClassDestructive, "pg_file_rename moves a file on the database server"},
	"pg_file_sync":                        {"sql.server-file", action.ClassWrite, "pg_file_sync flushes a file on the database server"},
	"pg_read_file":                        {"sql.read-server-file", action.ClassCredentialAccess, "pg_read_file reads files on the database server, where credentials live"},
	// The functions under pg_file_settings, pg_hba_file_rules and
	// pg_ident_file_mappings read the server's configuration files, and the
	// ones under pg_settings show every setting, primary_conninfo's
	// replication password included.
	"pg_show_all_file_settings":      {"sql.read-credentials", action.ClassCredentialAccess, "pg_show_all_file_settings reads the server's configuration files, connection strings with passwords included"},
	"pg_hba_file_rules":              {"sql.read-credentials", action.ClassCredentialAccess, "pg_hba_file_rules reads the server's pg_hba.conf"},
	"pg_ident_file_mappings":         {"sql.read-credentials", action.ClassCredentialAccess, "pg_ident_file_mappings reads the server's pg_ident.conf"},
	"pg_show_all_settings":           {"sql.read-credentials", action.ClassCredentialAccess, "pg_show_all_settings shows every setting, primary_conninfo's password included"},
	"pg_read_file_old":               {"sql.read-server-file", action.ClassCredentialAccess, "pg_read_file reads files on the database server, where credentials live"},
	"pg_read_binary_file":            {"sql.read-server-file", action.ClassCredentialAccess, "pg_read_binary_file reads files on the database server, where credentials live"},
	"lo_import":                      {"sql.read-server-file", action.ClassCredentialAccess, "lo_import reads a file on the database server into the database"},
	"pg_stat_file":                   {"sql.read-server-file", action.ClassCredentialAccess, "pg_stat_file looks at files on the database server"},
	"pg_ls_dir":                      {"sql.read-server-file", action.ClassCredentialAccess, "pg_ls_dir lists directories on the database server"},
	"nextval":                        {"sql.sequence", action.ClassWrite, "nextval advances a sequence"},
	"setval":                         {"sql.sequence", action.ClassWrite, "setval moves a sequence, and later inserts take its numbers"},
	"set_config":                     {}, // judged by the setting it changes
	"pg_notify":                      {"sql.notify", action.ClassWrite, "pg_notify sends a notification to other sessions"},
	"pg_switch_wal":                  {"sql.server-admin", action.ClassDestructive, "pg_switch_wal forces a new WAL segment"},
	"pg_create_restore_point":        {"sql.server-admin", action.ClassDestructive, "pg_create_restore_point writes a restore point to WAL"},
	"pg_backup_start":                {"sql.server-admin", action.ClassDestructive, "pg_backup_start changes the server's backup state"},
	"pg_backup_stop":                 {"sql.server-admin", action.ClassDestructive, "pg_backup_stop changes the server's backup state"},
	"pg_wal_replay_pause":            {"sql.server-admin", action.ClassDestructive, "pauses recovery on a standby"},
	"pg_wal_replay_resume":           {"sql.server-admin", action.ClassDestructive, "resumes recovery on a standby"},
	"pg_rotate_logfile":              {"sql.server-admin", action.ClassDestructive, "pg_rotate_logfile switches the server's log file"},
	"pg_rotate_logfile_old":          {"sql.server-admin", action.ClassDestructive, "pg_rotate_logfile switches the server's log file"},
	"pg_log_backend_memory_contexts": {"sql.server-admin", action.ClassDestructive, "writes another session's memory use to the server log"},
	"pg_import_system_collations":    {"sql.ddl", action.ClassWrite, "pg_import_system_collations creates collations"},
	"pg_extension_config_dump":       {"sql.ddl", action.ClassWrite, "pg_extension_config_dump changes an extension's catalog entry"},
	"brin_summarize_new_values":      {"sql.ddl", action.ClassWrite, "changes a BRIN index"},
	"brin_summarize_range":           {"sql.ddl", action.ClassWrite, "changes a BRIN index"},
	"brin_desummarize_range":         {"sql.ddl", action.ClassWrite, "changes a BRIN index"},
	"gin_clean_pending_list":         {"sql.ddl", action.ClassWrite, "changes a GIN index"},
	"pg_logical_emit_message":        {"sql.write", action.ClassWrite, "pg_logical_emit_message writes a message to WAL"},
}

// prefixedEffect is a family of built-ins judged alike.
type prefixedEffect struct {
	prefix string
	effect
}

// prefixedEffects are the families of built-ins judged alike.
var prefixedEffects = []prefixedEffect{
	{"pg_advisory_", effect{"sql.advisory-lock", action.ClassWrite, "advisory locks are held across the server and can block other sessions"}},
	{"pg_try_advisory_", effect{"sql.advisory-lock", action.ClassWrite, "advisory locks are held across the server and can block other sessions"}},
	{"pg_ls_", effect{"sql.read-server-file", action.ClassCredentialAccess, "lists directories on the database server"}},
	{"pg_stat_reset", effect{"sql.server-admin", action.ClassDestructive, "resets the server's statistics, which monitoring and the planner rely on"}},
}

// volatileReads are built-ins that the catalog marks volatile but that only
// read: their results change from call to call, nothing else does.
var volatileReads = map[string]bool{
	"clock_timestamp": true, "timeofday": true, "random": true, "setseed": true, "gen_random_uuid": true,
	"pg_sleep": true, "pg_sleep_for": true, "pg_sleep_until": true, "currval": true, "lastval": true,
	"current_query": true, "cursor_to_xml": true, "cursor_to_xmlschema": true,
	"lo_get": true, "loread": true, "lo_open": true, "lo_close": true, "lo_lseek": true, "lo_lseek64": true,
	"lo_tell": true, "lo_tell64": true,
	"pg_database_size": true, "pg_relation_size": true, "pg_table_size": true, "pg_indexes_size": true,
	"pg_total_relation_size": true, "pg_tablespace_size": true,
	"pg_blocking_pids": true, "pg_safe_snapshot_blocking_pids": true, "pg_isolation_test_session_is_blocked": true,
	"pg_is_in_recovery": true, "pg_is_wal_replay_paused": true, "pg_get_wal_replay_pause_state": true,
	"pg_last_wal_receive_lsn": true, "pg_last_wal_replay_lsn": true, "pg_last_xact_replay_timestamp": true,
	"pg_last_committed_xact": true, "pg_current_wal_lsn": true, "pg_current_wal_flush_lsn": true,
	"pg_current_wal_insert_lsn": true, "pg_control_checkpoint": true, "pg_control_init": true,
	"pg_control_recovery": true, "pg_control_system": true, "pg_lock_status": true,
	"pg_partition_ancestors": true, "pg_partition_tree": true, "pg_prepared_xact": true, "pg_jit_available": true,
	"pg_notification_queue_usage": true, "pg_xact_commit_timestamp": true, "pg_xact_commit_timestamp_origin": true,
	"pg_xact_status": true, "txid_status": true, "pg_sequence_last_value": true,
	"pg_collation_actual_version": true, "pg_database_collation_actual_version": true,
	"pg_get_backend_memory_contexts": true, "pg_get_shmem_allocations": true, "pg_get_multixact_members": true,
	"pg_get_wal_resource_managers": true, "pg_show_replication_origin_status": true,
	"pg_replication_origin_progress": true, "pg_replication_origin_session_is_setup": true,
	"pg_replication_origin_session_progress": true, "pg_stat_clear_snapshot": true, "pg_stat_force_next_flush": true,
	"pg_stat_get_recovery_prefetch": true, "pg_stat_have_stats": true, "pg_current_logfile": true,
	"pg_export_snapshot": true, "pg_show_all_file_settings": true, "pg_hba_file_rules": true,
	"pg_ident_file_mappings": true, "pg_logical_slot_peek_changes": true, "pg_logical_slot_peek_binary_changes": true,
	"currtid2": true, "amvalidate": true,
}

// queryArgument is the position of the SQL-text argument of built-ins that
// run a query given as a string.
var queryArgument = map[string]int{
	"query_to_xml": 0, "query_to_xmlschema": 0, "query_to_xml_and_xmlschema": 0, "ts_stat": 0,
}

//go:generate go run gen_catalog.go

// funcCall judges a function call by what it does. Built-ins are known from
// PostgreSQL's own catalog (catalog_gen.go): immutable and stable ones only
// read; volatile ones are judged one by one, and those Chaperone does not
// know are unknown. So is any function that is not a built-in: what it does
// is in a body Chaperone cannot see from the call.
func (w *walker) funcCall(f *pg_query.FuncCall, depth int) {
	// Names compare exactly: the parser has already folded unquoted names
	// to lower case, and a quoted "Lower" is not the built-in lower.
	names := f.GetFuncname()
	name := constString(lastNode(names))
	schema := ""
	if len(names) >= 2 {
		schema = constString(names[len(names)-2])
	}
	builtin := schema == "" || schema == "pg_catalog"
	args := f.GetArgs()
	known := false
	if fn, ok := serverFunctions[name]; ok {
		known = true
		if fn.id != "" {
			w.add(fn.id, fn.class, "%s", fn.msg)
		}
	}
	for _, p := range prefixedEffects {
		if strings.HasPrefix(name, p.prefix) {
			known = true
			w.add(p.id, p.class, "%s: %s", name, p.msg)
		}
	}
	arg := -1
	if i, ok := queryArgument[name]; ok {
		arg = i
	} else if name == "ts_rewrite" && len(args) == 2 {
		arg = 1 // ts_rewrite(query, 'SELECT target, substitute FROM ...')
	}
	if arg >= 0 {
		known = true
		w.sqlArgument(name, args, arg, depth)
	}
	switch name {
	case "table_to_xml", "table_to_xmlschema", "table_to_xml_and_xmlschema", "cursor_to_xml":
		// The table is named by a value: one of the password catalogs
		// reads as well this way as by a SELECT.
		if len(args) > 0 {
			if t, ok := w.settingConst(args[0]); !ok {
				w.add("sql.dynamic", action.ClassUnknown, "%s of a table only known at run time", name)
			} else if credentialTable(t) {
				w.add("sql.read-credentials", action.ClassCredentialAccess, "%s of %s reads passwords or connection secrets", name, t)
			} else if parts, ok := qualifiedName(t); !ok || len(parts) == 0 {
				w.add("sql.dynamic", action.ClassUnknown, "%s of %q, a name Chaperone cannot read", name, t)
			} else if _, err := strconv.ParseUint(strings.TrimSpace(t), 10, 32); err == nil {
				// An OID names a relation the gateway's lists know by name.
				w.add("sql.dynamic", action.ClassUnknown, "%s of the relation with OID %s, which Chaperone cannot name", name, t)
			} else if name != "cursor_to_xml" {
				// Reading it runs what a view, a policy or a foreign
				// table reads: the gateway looks the name up as a
				// relation of the query.
				w.note(&w.res.Relations, 'r', parts[len(parts)-1])
			}
		}
	case "schema_to_xml", "schema_to_xmlschema", "schema_to_xml_and_xmlschema":
		if len(args) > 0 {
			if t, ok := w.settingConst(args[0]); !ok || strings.EqualFold(strings.Trim(t, `"`), "pg_catalog") || strings.EqualFold(strings.Trim(t, `"`), "information_schema") {
				w.add("sql.read-credentials", action.ClassCredentialAccess, "%s of the system catalog reads passwords or connection secrets", name)
			} else {
				// Every relation of the schema is read: its views' and
				// foreign tables' code runs, whatever they are called.
				w.add("sql.dynamic", action.ClassUnknown, "%s of %s reads every table and view in it, and runs what they run", name, t)
			}
		}
	case "database_to_xml", "database_to_xmlschema", "database_to_xml_and_xmlschema":
		w.add("sql.read-credentials", action.ClassCredentialAccess, "%s reads every table it can, the password catalogs included", name)
	case "setval":
		// Setting a sequence below its last value makes it hand out
		// numbers already used (an upsert by id then overwrites rows),
		// as ALTER SEQUENCE RESTART does. Only the catch-up after a load,
		// a value computed by max() over the table, is plainly forward.
		if len(args) > 1 && !readsMax(args[1]) {
			w.add("sql.sequence-reset", action.ClassDestructive, "setval to a value Chaperone cannot compare with the sequence's last one can make it hand out values already used")
		}
	case "current_setting":
		if len(args) > 0 {
			if n, ok := w.settingConst(args[0]); !ok {
				w.add("sql.read-credentials", action.ClassCredentialAccess, "current_setting of a setting named only at run time (a parameter or an expression) can show one that holds a password (primary_conninfo); name the setting in the text")
			} else if secretSetting(n) {
				w.add("sql.read-credentials", action.ClassCredentialAccess, "current_setting of %s can show a setting that holds a password (primary_conninfo)", n)
			}
		}
	case "set_config":
		if name, ok := w.settingsRow[f]; ok && len(args) > 1 {
			w.setting(name, w.settingArg(args[1]))
			break
		}
		w.setConfig(args)
	case dblinkNames[0], dblinkNames[1], dblinkNames[2], dblinkNames[3]:
		// The remote SQL runs over a connection Chaperone does not see, perhaps
		// to another environment: never below unknown, and what it says counts.
		w.add("sql.dblink", action.ClassUnknown, "%s runs SQL over a connection Chaperone does not see", name)
		if len(args) > 0 {
			if sql := w.literal(args[len(args)-1]); sql != "" {
				w.text(sql, depth+1)
			}
		}
		return
	}
	if !builtin {
		w.add("sql.function", action.ClassUnknown, "%s.%s is not a PostgreSQL built-in, so what it does is unknown", schema, name)
		return
	}
	vol, inCatalog := catalogVolatility[name]
	switch {
	case !inCatalog:
		w.add("sql.function", action.ClassUnknown, "%s is not a PostgreSQL built-in, so what it does is unknown", name)
	case catalogMachinery[name]:
		w.add("sql.function", action.ClassUnknown,
			"%s is a type's input or support function: called by hand, it runs the checks and code of whatever type it is given", name)
	case vol == 'v' && !known && !volatileReads[name]:
		w.add("sql.function", action.ClassUnknown, "%s is volatile (it can change state) and Chaperone does not know what it does", name)
	}
}

// dblinkNames are the dblink functions that run SQL on another connection.
var dblinkNames = [...]string{"dblink", "dblink_exec", "dblink_send_query", "dblink_open"}

var dblinkCalls = map[string]bool{dblinkNames[0]: true, dblinkNames[1]: true, dblinkNames[2]: true, dblinkNames[3]: true}

// attributeCall judges name, written as a field of arg ((arg).name, or
// arg.name for a column or row), as the call name(arg) it is when arg has
// no such field. Only a built-in can be told apart from a field by its
// name: a name that is no built-in is taken for a field, and a function an
// agent created is reached this way only after its CREATE FUNCTION was
// judged. The text no longer counts as contained either way.
func (w *walker) attributeCall(name string, arg *pg_query.Node, depth int) {
	w.calls = true
	_, inCatalog := catalogVolatility[name]
	_, server := serverFunctions[name]
	_, query := queryArgument[name]
	prefixed := slices.ContainsFunc(prefixedEffects, func(p prefixedEffect) bool { return strings.HasPrefix(name, p.prefix) })
	if !inCatalog && !server && !query && !prefixed && !dblinkCalls[name] {
		// A column, or a function of the database: only its catalog says.
		w.note(&w.res.Attributes, 'a', name)
		return
	}
	f := &pg_query.FuncCall{Funcname: []*pg_query.Node{pg_query.MakeStrNode(name)}}
	if arg != nil {
		f.Args = []*pg_query.Node{arg}
	}
	w.funcCall(f, depth)
}

// sqlArgument judges the SQL a built-in runs from a string argument: a
// literal is judged as if sent directly; anything else is unknown.
func (w *walker) sqlArgument(name string, args []*pg_query.Node, i, depth int) {
	// The query can also be passed by name (query => '...'), anywhere.
	var arg *pg_query.Node
	for _, a := range args {
		if na := a.GetNamedArgExpr(); na != nil && na.GetName() == "query" {
			arg = na.GetArg()
		}
	}
	if arg == nil && i < len(args) && args[i].GetNamedArgExpr() == nil {
		arg = args[i]
	}
	if sql, ok := w.settingConst(arg); ok {
		w.text(sql, depth+1)
		return
	}
	w.add("sql.dynamic", action.ClassUnknown, "%s runs SQL given as a value that is not a literal, so what it runs is unknown", name)
}

// setConfig judges set_config(name, value, is_local) as the SET it is.
func (w *walker) setConfig(args []*pg_query.Node) {
	if len(args) == 0 {
		return
	}
	name, ok := w.settingConst(args[0])
	if !ok {
		w.add("sql.set-config", action.ClassUnknown, "set_config with a setting name that is not a literal changes a setting Chaperone cannot name")
		return
	}
	v := settingValue{}
	if len(args) > 1 {
		v = w.settingArg(args[1])
	}
	w.setting(name, v)
}

func (w *walker) settingArg(n *pg_query.Node) settingValue {
	if val, ok := w.settingConst(n); ok {
		return settingValue{known: true, vals: []string{val}}
	}
	return settingValue{}
}

// pinSettingsRow notes the set_config(name, ...) calls of
// SELECT set_config(name, value, local) FROM pg_settings WHERE name = 'x',
// which pg_dump sends (restrict_nonsystem_relation_kind): the WHERE names
// the one setting the call can change.
func (w *walker) pinSettingsRow(s *pg_query.SelectStmt) {
	from := s.GetFromClause()
	if len(from) != 1 || from[0].GetRangeVar() == nil || !isSettingsView(from[0].GetRangeVar()) || from[0].GetRangeVar().GetAlias() != nil {
		return
	}
	e := s.GetWhereClause().GetAExpr()
	if e == nil || e.GetKind() != pg_query.A_Expr_Kind_AEXPR_OP || len(e.GetName()) != 1 || constString(e.GetName()[0]) != "=" || !isColumn(e.GetLexpr(), "name") {
		return
	}
	name, ok := w.settingConst(e.GetRexpr())
	if !ok {
		return
	}
	for _, t := range s.GetTargetList() {
		fc := t.GetResTarget().GetVal().GetFuncCall()
		if fc == nil || len(fc.GetFuncname()) != 1 || constString(fc.GetFuncname()[0]) != "set_config" || len(fc.GetArgs()) == 0 || !isColumn(fc.GetArgs()[0], "name") {
			continue
		}
		if w.settingsRow == nil {
			w.settingsRow = map[*pg_query.FuncCall]string{}
		}
		w.settingsRow[fc] = name
	}
}

// isColumn reports whether n is the unqualified column reference col.
func isColumn(n *pg_query.Node, col string) bool {
	c := n.GetColumnRef()
	return c != nil && len(c.GetFields()) == 1 && constString(c.GetFields()[0]) == col
}

func lastNode(ns []*pg_query.Node) *pg_query.Node {
	if len(ns) == 0 {
		return nil
	}
	return ns[len(ns)-1]
}

// credentialTable reads a table named by text or OID as credentialCatalog
// does: pg_authid (1260), pg_user_mapping (1418) and the views on them.
// The text is read as regclass's input reads it (qualifiedName): a name
// it cannot split is taken to be one.
func credentialTable(t string) bool {
	if oid, err := strconv.ParseUint(strings.TrimSpace(t), 10, 32); err == nil {
		return oid == 1260 || oid == 1418
	}
	parts, ok := qualifiedName(t)
	if !ok || len(parts) == 0 {
		return true
	}
	rel := parts[len(parts)-1]
	if len(parts) > 1 && parts[len(parts)-2] == "information_schema" {
		return slices.Contains(credentialViews, rel)
	}
	if len(parts) > 1 && parts[len(parts)-2] != "pg_catalog" {
		return false
	}
	return slices.Contains(credentialRelations, rel)
}

// qualifiedName splits a dotted name given as text, as PostgreSQL's
// stringToQualifiedNameList (SplitIdentifierString) does: blanks around
// each part, double-quoted parts kept as written (a doubled quote stands
// for one), unquoted ones folded to lower case, each cut to 63 bytes.
func qualifiedName(s string) ([]string, bool) {
	var parts []string
	i := 0
	blank := func() {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || s[i] == '\f' || s[i] == '\v') {
			i++
		}
	}
	for {
		blank()
		var part string
		if i < len(s) && s[i] == '"' {
			var b strings.Builder
			j := i + 1
			for {
				if j >= len(s) {
					return nil, false
				}
				if s[j] == '"' {
					if j+1 < len(s) && s[j+1] == '"' {
						b.WriteByte('"')
						j += 2
						continue
					}
					break
				}
				b.WriteByte(s[j])
				j++
			}
			part, i = b.String(), j+1
		} else {
			j := i
			for j < len(s) && s[j] != '.' && s[j] != ' ' && s[j] != '\t' && s[j] != '\n' && s[j] != '\r' && s[j] != '\f' && s[j] != '\v' {
				j++
			}
			if j == i {
				return nil, false
			}
			part, i = asciiLower(s[i:j]), j
		}
		if part == "" {
			return nil, false
		}
		if len(part) > 63 {
			part = part[:63]
		}
		parts = append(parts, part)
		blank()
		if i >= len(s) {
			return parts, true
		}
		if s[i] != '.' {
			return nil, false
		}
		i++
	}
}

// asciiLower folds A-Z only, as PostgreSQL folds unquoted identifiers in a
// multibyte encoding.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// readsMax says whether n computes a value with max() (setval(s,
// (SELECT max(id) FROM t)), coalesce(max(id), 1) + 1).
func readsMax(n *pg_query.Node) bool {
	found := false
	walk(n.ProtoReflect(), func(m protoreflect.Message) bool {
		if f, ok := m.Interface().(*pg_query.FuncCall); ok {
			if names := f.GetFuncname(); len(names) > 0 && constString(lastNode(names)) == "max" {
				found = true
			}
		}
		return !found
	})
	return found
}
