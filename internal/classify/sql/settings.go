package sql

import (
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/chaperone/chaperone/internal/action"
)

// The lexer settings. PostgreSQL reads a statement's text with the
// session's client_encoding and standard_conforming_strings: with the latter
// off a backslash escapes a quote, and in client-only encodings (SJIS, BIG5,
// GBK, ...) a multibyte character can end in the byte of a backslash. Either
// makes the server read a different statement from the one Chaperone's
// parser (UTF-8, standard strings) judged. The gateway pins both; any
// statement that would change them is refused, whatever else it does.
const (
	// FindingLexer is the finding of a statement that changes how
	// PostgreSQL reads later statements; the gateway refuses it outright.
	FindingLexer = "sql.session-lexer"
	// PinnedEncoding and PinnedStandardStrings are the values the gateway
	// holds every session to.
	PinnedEncoding        = "UTF8"
	PinnedStandardStrings = "on"
)

// IsUTF8 reports whether name is a spelling PostgreSQL accepts for UTF8:
// encoding names are compared lower-cased with everything but letters and
// digits removed (clean_encoding_name), and "unicode" is an alias.
func IsUTF8(name string) bool {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if ('a' <= r && r <= 'z') || ('0' <= r && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String() == "utf8" || b.String() == "unicode"
}

// IsOn reports whether PostgreSQL reads value as boolean true (parse_bool:
// case-insensitive, any unambiguous prefix of true or yes, on, 1).
func IsOn(value string) bool {
	v := strings.ToLower(value)
	switch {
	case v == "":
		return false
	case strings.HasPrefix("true", v), strings.HasPrefix("yes", v):
		return true
	}
	return v == "on" || v == "1"
}

// settingValue is what a SET, RESET or set_config() gives a setting.
type settingValue struct {
	reset bool     // RESET, SET ... TO DEFAULT: back to the session's start value
	known bool     // vals are the literal values
	vals  []string // as PostgreSQL will read them
}

// single is the one literal value, when there is exactly one.
func (v settingValue) single() (string, bool) {
	if !v.known || len(v.vals) != 1 {
		return "", false
	}
	return v.vals[0], true
}

// setting judges giving a setting a value, by what the new value enables.
// RESET and DEFAULT return to the value the session started with, which
// the gateway sets in the startup packet for the settings it pins.
func (w *walker) setting(name string, v settingValue) {
	name = strings.ToLower(name)
	val, one := v.single()
	switch name {
	case "client_encoding":
		if !v.reset && !(one && IsUTF8(val)) {
			w.add(FindingLexer, action.ClassDestructive, "client_encoding other than UTF8 makes PostgreSQL read later statements differently from how Chaperone reads them; the gateway keeps sessions in UTF8")
		}
	case "standard_conforming_strings":
		if !v.reset && !(one && IsOn(val)) {
			w.add(FindingLexer, action.ClassDestructive, "standard_conforming_strings off makes a backslash escape quotes, so PostgreSQL would read later statements differently from how Chaperone reads them; the gateway keeps it on")
		}
	case "backslash_quote":
		if !v.reset && !(one && strings.EqualFold(val, "safe_encoding")) {
			w.add(FindingLexer, action.ClassDestructive, "backslash_quote changes how PostgreSQL reads quotes in strings; the gateway keeps its default, safe_encoding")
		}
	case "default_transaction_read_only", "transaction_read_only":
		if !v.reset && !(one && IsOn(val)) {
			w.add("sql.read-write", action.ClassWrite, "%s off lifts a read-only session's restriction, so it is a write", name)
		}
	case "transform_null_equals":
		// expr = NULL then means expr IS NULL: a condition Chaperone reads
		// as matching nothing matches every row whose value is missing.
		if !v.reset && !(one && !IsOn(val)) {
			w.add("sql.session-meaning", action.ClassDestructive, "transform_null_equals makes = NULL match rows, so later statements do other than what they say")
		}
	case "session_replication_role":
		if !v.reset && !(one && strings.EqualFold(val, "origin")) {
			w.add("sql.replication-role", action.ClassDestructive, "session_replication_role turns off triggers and foreign-key checks")
		}
	case "allow_in_place_tablespaces", "allow_system_table_mods", "backtrace_functions", "commit_delay", "compute_query_id",
		"deadlock_timeout", "debug_discard_caches", "dynamic_library_path", "extension_destdir", "ignore_checksum_failure",
		"jit_dump_bitcode", "lc_messages", "lo_compat_privileges", "log_duration", "log_error_verbosity", "log_executor_stats",
		"log_lock_waits", "log_min_duration_sample", "log_min_duration_statement", "log_min_error_statement", "log_min_messages",
		"log_parameter_max_length", "log_parser_stats", "log_planner_stats", "log_replication_commands", "log_statement",
		"log_statement_sample_rate", "log_statement_stats", "log_temp_files", "log_transaction_sample_rate", "max_stack_depth",
		"session_preload_libraries", "temp_file_limit", "track_activities", "track_counts", "track_functions", "track_io_timing",
		"track_wal_io_timing", "update_process_title", "wal_compression", "wal_consistency_checking", "wal_init_zero", "wal_recycle",
		"zero_damaged_pages", "event_triggers":
		// Superuser settings (pg_settings.context = 'superuser'): they
		// hide a session's work from the server's logs and statistics,
		// turn off safety checks or load code.
		if !v.reset {
			w.add("sql.superuser-setting", action.ClassDestructive, "%s is a superuser setting: changing it can hide this session's activity from the server's logs and statistics, or turn off the server's own safety checks", name)
		}
	case "role", "session_authorization":
		w.add("sql.role-switch", action.ClassCredentialAccess, "changing the session's role (%s) acts with another role's privileges, not the ones this connection was given", name)
	case "search_path":
		if !v.reset && (!v.known || catalogNotFirst(v.vals)) {
			w.add("sql.search-path", action.ClassUnknown, "a search_path that puts another schema before pg_catalog, or names a system schema (information_schema, pg_toast), makes unqualified names reach other functions or the server's own tables, so what later statements do is unknown")
		}
	}
}

// catalogNotFirst reports whether a search_path names pg_catalog after
// another schema (without naming it, PostgreSQL searches it first), or
// names another system schema at all: with information_schema on the
// path, DELETE FROM enabled_roles deletes roles through its view over
// pg_authid, and the unqualified name reads as a user table.
func catalogNotFirst(vals []string) bool {
	var items []string
	for _, v := range vals {
		items = append(items, strings.Split(v, ",")...)
	}
	for i, it := range items {
		it = strings.TrimSpace(it)
		if strings.HasPrefix(it, `"`) {
			it = strings.Trim(it, `"`)
		} else {
			it = strings.ToLower(it)
		}
		if it == "pg_catalog" && i > 0 || it == "information_schema" || strings.HasPrefix(it, "pg_toast") {
			return true
		}
	}
	return false
}

// variableSet judges SET, SET LOCAL, RESET, SET TRANSACTION and SET SESSION
// CHARACTERISTICS, wherever they appear (ALTER ROLE/DATABASE/SYSTEM and
// function definitions carry one too).
func (w *walker) variableSet(s *pg_query.VariableSetStmt) {
	switch s.GetKind() {
	case pg_query.VariableSetKind_VAR_RESET_ALL:
		// Back to the session's start values, which the gateway pins.
		return
	case pg_query.VariableSetKind_VAR_SET_MULTI:
		// SET TRANSACTION, SET SESSION CHARACTERISTICS AS TRANSACTION.
		w.transactionOptions(s.GetArgs())
		return
	case pg_query.VariableSetKind_VAR_SET_DEFAULT, pg_query.VariableSetKind_VAR_RESET:
		w.setting(s.GetName(), settingValue{reset: true})
		return
	}
	v := settingValue{known: true}
	for _, a := range s.GetArgs() {
		s, ok := w.settingConst(a)
		if !ok {
			v.known = false
			continue
		}
		v.vals = append(v.vals, s)
	}
	w.setting(s.GetName(), v)
}

// transactionOptions judges BEGIN/START TRANSACTION and SET TRANSACTION
// options: READ WRITE lifts a read-only session's restriction.
func (w *walker) transactionOptions(opts []*pg_query.Node) {
	for _, o := range opts {
		d := o.GetDefElem()
		if d == nil {
			continue
		}
		name := d.GetDefname()
		if name != "transaction_read_only" && name != "default_transaction_read_only" {
			continue
		}
		c := d.GetArg().GetAConst()
		if c != nil {
			w.res.Literals = true // the mode's value is a constant's
		}
		if c == nil || c.GetIval() == nil || c.GetIval().GetIval() == 0 {
			w.add("sql.read-write", action.ClassWrite, "READ WRITE lifts a read-only session's restriction, so it is a write")
		}
	}
}

// transaction judges transaction control.
func (w *walker) transaction(s *pg_query.TransactionStmt) {
	w.res.Transaction = true
	switch s.GetKind() {
	case pg_query.TransactionStmtKind_TRANS_STMT_BEGIN, pg_query.TransactionStmtKind_TRANS_STMT_START:
		w.transactionOptions(s.GetOptions())
	case pg_query.TransactionStmtKind_TRANS_STMT_PREPARE:
		w.add("sql.two-phase", action.ClassWrite, "PREPARE TRANSACTION keeps the transaction, its changes and its locks, after the session ends")
	case pg_query.TransactionStmtKind_TRANS_STMT_COMMIT_PREPARED:
		w.add("sql.two-phase", action.ClassUnknown, "COMMIT PREPARED commits work prepared elsewhere, which Chaperone has not seen")
	case pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK_PREPARED:
		w.add("sql.two-phase", action.ClassDestructive, "ROLLBACK PREPARED throws away work another session prepared to commit")
	}
}

// settingConst is a constant's value as text, as PostgreSQL would read it for
// a setting: strings, numbers and booleans, through casts and || of
// constants. ok is false for anything computed at run time (parameters,
// columns, function calls).
func (w *walker) settingConst(n *pg_query.Node) (string, bool) {
	if n == nil {
		return "", false
	}
	switch {
	case n.GetAConst() != nil:
		c := n.GetAConst()
		w.res.Literals = true
		switch {
		case c.GetIsnull():
			return "", false
		case c.GetSval() != nil:
			return c.GetSval().GetSval(), true
		case c.GetIval() != nil:
			return strconv.Itoa(int(c.GetIval().GetIval())), true
		case c.GetFval() != nil:
			return c.GetFval().GetFval(), true
		case c.GetBoolval() != nil:
			if c.GetBoolval().GetBoolval() {
				return "true", true
			}
			return "false", true
		case c.GetBsval() != nil:
			return "", false
		}
		// An integer zero has no value set at all.
		return "0", true
	case n.GetString_() != nil:
		w.res.Literals = true
		return n.GetString_().GetSval(), true
	case n.GetTypeCast() != nil:
		// Only a cast that leaves text as it is: char and bpchar drop
		// trailing blanks, varchar(n) and char(n) cut to n characters,
		// other types print their own form of the value.
		if !textPreserving(n.GetTypeCast().GetTypeName()) {
			return "", false
		}
		return w.settingConst(n.GetTypeCast().GetArg())
	case n.GetAExpr() != nil:
		e := n.GetAExpr()
		if e.GetKind() != pg_query.A_Expr_Kind_AEXPR_OP || len(e.GetName()) != 1 || constString(e.GetName()[0]) != "||" {
			return "", false
		}
		l, ok1 := w.settingConst(e.GetLexpr())
		r, ok2 := w.settingConst(e.GetRexpr())
		return l + r, ok1 && ok2
	}
	return "", false
}

// SearchPathShadowsCatalog reports whether a search_path value names
// pg_catalog after another schema, so that unqualified names of built-in
// functions can reach functions in that schema first, or names another
// system schema, whose views and tables unqualified names then reach.
func SearchPathShadowsCatalog(value string) bool { return catalogNotFirst([]string{value}) }

// isSettingsView reports whether r is pg_settings, whose UPDATE rule calls
// set_config for each row it changes.
func isSettingsView(r *pg_query.RangeVar) bool {
	return r.GetRelname() == "pg_settings" && (r.GetSchemaname() == "" || r.GetSchemaname() == "pg_catalog")
}

// updateSettings judges UPDATE pg_settings as the set_config it is: only
// UPDATE pg_settings SET setting = literal WHERE name = literal names the
// setting; any other form could change any setting, the lexer's included.
func (w *walker) updateSettings(s *pg_query.UpdateStmt) {
	var value *pg_query.Node
	for _, t := range s.GetTargetList() {
		if rt := t.GetResTarget(); rt != nil && rt.GetName() == "setting" {
			value = rt.GetVal()
		}
	}
	var name string
	if e := s.GetWhereClause().GetAExpr(); e != nil && e.GetKind() == pg_query.A_Expr_Kind_AEXPR_OP &&
		len(e.GetName()) == 1 && constString(e.GetName()[0]) == "=" {
		if c := e.GetLexpr().GetColumnRef(); c != nil && len(c.GetFields()) == 1 && constString(c.GetFields()[0]) == "name" {
			name, _ = w.settingConst(e.GetRexpr())
		}
	}
	if name == "" || value == nil || s.GetFromClause() != nil {
		w.add(FindingLexer, action.ClassDestructive, "UPDATE of pg_settings can change any setting, those that decide how PostgreSQL reads statements included")
		return
	}
	v := settingValue{}
	if val, ok := w.settingConst(value); ok {
		v.known, v.vals = true, []string{val}
	}
	w.setting(name, v)
}

// textPreserving reports whether a cast to t gives back the text it is
// given: text, or varchar without a length.
func textPreserving(t *pg_query.TypeName) bool {
	names := t.GetNames()
	if len(names) == 0 || len(t.GetTypmods()) > 0 || len(t.GetArrayBounds()) > 0 || t.GetSetof() || t.GetPctType() {
		return false
	}
	last := constString(names[len(names)-1])
	if len(names) > 2 || len(names) == 2 && constString(names[0]) != "pg_catalog" {
		return false
	}
	return last == "text" || last == "varchar"
}
