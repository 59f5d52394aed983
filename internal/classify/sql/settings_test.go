package sql

import (
	"slices"
	"testing"

	"github.com/chaperone/chaperone/internal/action"
)

// sessionCases are statements that change how the session reads or what it
// may do, and functions that act from inside a SELECT, each judged by what
// it enables.
var sessionCases = []struct {
	sql   string
	class string
	id    string
}{
	// The lexer settings the gateway pins, in every spelling.
	{"SET standard_conforming_strings = off", "destructive", FindingLexer},
	{"SET standard_conforming_strings TO 0", "destructive", FindingLexer},
	{"SET LOCAL standard_conforming_strings = 'of'", "destructive", FindingLexer},
	{`SET "STANDARD_CONFORMING_STRINGS" = false`, "destructive", FindingLexer},
	{`SET U&"standard\005fconforming\005fstrings" = off`, "destructive", FindingLexer},
	{"SET SESSION standard_conforming_strings = no", "destructive", FindingLexer},
	{"SET client_encoding = 'SJIS'", "destructive", FindingLexer},
	{"SET NAMES 'big5'", "destructive", FindingLexer},
	{"set client_encoding to gbk", "destructive", FindingLexer},
	{"SET client_encoding = 'UTF8', 'SJIS'", "destructive", FindingLexer},
	{"SELECT set_config('standard_conforming_strings', 'off', false)", "destructive", FindingLexer},
	{"SELECT set_config('client_' || 'encoding', 'SJIS', true)", "destructive", FindingLexer},
	{"SELECT set_config('client_encoding'::text, 'SJIS'::text, true)", "destructive", FindingLexer},
	{"SELECT pg_catalog.set_config('standard_conforming_strings', $1, false)", "destructive", FindingLexer},
	{"SELECT set_config($1, $2, false)", "unknown", "sql.set-config"},
	{"SELECT set_config(lower('CLIENT_ENCODING'), 'sjis', false)", "unknown", "sql.set-config"},
	{"SET backslash_quote = on", "destructive", FindingLexer},
	{"ALTER ROLE app SET client_encoding = 'SJIS'", "destructive", FindingLexer},
	{"ALTER DATABASE app SET standard_conforming_strings = off", "destructive", FindingLexer},
	{"ALTER SYSTEM SET standard_conforming_strings = off", "destructive", FindingLexer},
	{"CREATE FUNCTION f() RETURNS int LANGUAGE sql SET standard_conforming_strings = off AS 'SELECT 1'", "destructive", FindingLexer},
	{"DO $$ BEGIN PERFORM set_config('standard_conforming_strings', 'off', false); END $$", "destructive", FindingLexer},
	{"DO $$ BEGIN SET client_encoding = 'SJIS'; END $$", "destructive", FindingLexer},
	{"PREPARE p AS SELECT set_config('client_encoding', 'SJIS', false)", "destructive", FindingLexer},
	{"UPDATE pg_settings SET setting = 'off' WHERE name = 'standard_conforming_strings'", "destructive", FindingLexer},
	{"UPDATE pg_catalog.pg_settings SET setting = 'SJIS' WHERE name = 'client_encoding'", "destructive", FindingLexer},
	{"UPDATE pg_settings SET setting = 'off' WHERE name LIKE 'standard%'", "destructive", FindingLexer},
	{"WITH u AS (UPDATE pg_settings SET setting = $1 WHERE name = $2 RETURNING 1) SELECT 1", "destructive", FindingLexer},
	{"UPDATE pg_settings SET setting = 'replica' WHERE name = 'session_replication_role'", "destructive", "sql.replication-role"},
	{"UPDATE pg_settings SET setting = '1s' WHERE name = 'statement_timeout'", "write", "sql.write"},
	// What pg_dump and drivers send keeps working.
	{"SET client_encoding = 'UTF8'", "read", ""},
	{"SET client_encoding = 'utf-8'", "read", ""},
	{"SET NAMES 'Unicode'", "read", ""},
	{"SET standard_conforming_strings = on", "read", ""},
	{"SET standard_conforming_strings = 'TRUE'", "read", ""},
	{"SELECT set_config('standard_conforming_strings', 'on', false)", "read", ""},
	{"RESET client_encoding; RESET standard_conforming_strings; RESET ALL; DISCARD ALL", "read", ""},
	{"SET standard_conforming_strings TO DEFAULT", "read", ""},
	{"SET escape_string_warning = off", "read", ""},
	{"SET search_path = public", "read", ""},
	{"SELECT pg_catalog.set_config('search_path', '', false)", "read", ""},
	{"SET statement_timeout = 0; SET application_name = 'x'", "read", ""},
	// Settings that lift a restriction are not reads.
	{"SET default_transaction_read_only = off", "write", "sql.read-write"},
	{"SET default_transaction_read_only TO false", "write", "sql.read-write"},
	{"SET transaction_read_only = 0", "write", "sql.read-write"},
	{"SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE", "write", "sql.read-write"},
	{"SET TRANSACTION READ WRITE", "write", "sql.read-write"},
	{"BEGIN READ WRITE", "write", "sql.read-write"},
	{"START TRANSACTION ISOLATION LEVEL SERIALIZABLE, READ WRITE", "write", "sql.read-write"},
	{"BEGIN; SET LOCAL transaction_read_only = off; COMMIT", "write", "sql.read-write"},
	{"SELECT set_config('default_transaction_read_only', 'off', false)", "write", "sql.read-write"},
	{"SELECT set_config('transaction_read_only', $1, true)", "write", "sql.read-write"},
	{"BEGIN READ ONLY; SET TRANSACTION READ ONLY; SET default_transaction_read_only = on", "read", ""},
	{"RESET default_transaction_read_only", "read", ""},
	{"SET session_replication_role = replica", "destructive", "sql.replication-role"},
	{"SET session_replication_role TO 'Local'", "destructive", "sql.replication-role"},
	{`SET "session_replication_role" = 'replica'`, "destructive", "sql.replication-role"},
	{"SELECT set_config('session_' || 'replication_role', 'replica', false)", "destructive", "sql.replication-role"},
	{"SELECT set_config('session_replication_role', $1, false)", "destructive", "sql.replication-role"},
	{"PREPARE p(text, text) AS SELECT set_config($1, $2, false)", "unknown", "sql.set-config"},
	{"SET session_replication_role = origin", "read", ""},
	{"SET ROLE postgres", "credential_access", "sql.role-switch"},
	{"SET ROLE NONE", "credential_access", "sql.role-switch"},
	{"RESET ROLE", "credential_access", "sql.role-switch"},
	{"SET SESSION AUTHORIZATION alice", "credential_access", "sql.role-switch"},
	{"SELECT set_config('role', 'postgres', false)", "credential_access", "sql.role-switch"},
	{"ALTER SYSTEM SET wal_level = minimal", "destructive", "sql.alter-system"},
	{"ALTER SYSTEM RESET ALL", "destructive", "sql.alter-system"},
	{"SELECT pg_reload_conf()", "destructive", "sql.server-config"},
	{"SET search_path = public, pg_catalog", "unknown", "sql.search-path"},
	{"SELECT set_config('search_path', 'public,pg_catalog', false)", "unknown", "sql.search-path"},
	{"PREPARE TRANSACTION 'x'", "write", "sql.two-phase"},
	{"COMMIT PREPARED 'x'", "unknown", "sql.two-phase"},
	{"ROLLBACK PREPARED 'x'", "destructive", "sql.two-phase"},
	{"LOAD 'plpgsql'", "unknown", "sql.load"},
	// Functions that run SQL from inside a SELECT.
	{"SELECT query_to_xml('DELETE FROM bookings', true, false, '')", "destructive", "sql.delete-all"},
	{"SELECT query_to_xmlschema('SELECT pg_terminate_backend(1)', true, false, '')", "destructive", "sql.terminate-backend"},
	{"SELECT query_to_xml_and_xmlschema($$SELECT lo_unlink(1)$$, true, false, '')", "destructive", "sql.lo-unlink"},
	{"SELECT * FROM ts_stat('SELECT to_tsvector(note) FROM bookings')", "read", ""},
	{"SELECT * FROM ts_stat('WITH d AS (DELETE FROM bookings RETURNING 1) SELECT to_tsvector(''a'')')", "destructive", "sql.delete-all"},
	{"SELECT ts_rewrite('a'::tsquery, 'SELECT setval(''s'', 1)')", "destructive", "sql.sequence-reset"},
	{"SELECT query_to_xml($1, true, false, '')", "unknown", "sql.dynamic"},
	{"SELECT query_to_xml('SELECT ' || 'lo_unlink(1)', true, false, '')", "destructive", "sql.lo-unlink"},
	{"SELECT query_to_xml(concat('DROP', ' TABLE x'), true, false, '')", "unknown", "sql.dynamic"},
	{"SELECT table_to_xml('bookings', true, false, '')", "read", ""},
	{"SELECT query_to_xml(nulls => true, query => 'DELETE FROM bookings', tableforest => false, targetns => '')", "destructive", "sql.delete-all"},
	{"SELECT * FROM ts_stat(query => $$TRUNCATE bookings$$)", "destructive", "sql.truncate"},
	{"SELECT query_to_xml(tableforest => false, nulls => true, targetns => '')", "unknown", "sql.dynamic"},
	// Functions that change state.
	{"SELECT nextval('s')", "write", "sql.sequence"},
	{"SELECT setval('s', 1)", "destructive", "sql.sequence-reset"},
	{"SELECT setval('s', (SELECT max(id) FROM bookings))", "write", "sql.sequence"},
	{"SELECT lo_from_bytea(0, 'x')", "write", "sql.large-object"},
	{"SELECT lo_put(1, 0, 'x')", "destructive", "sql.lo-overwrite"},
	{"SELECT lo_truncate(lo_open(1, 131072), 0)", "destructive", "sql.lo-unlink"},
	{"SELECT pg_create_logical_replication_slot('s', 'test_decoding')", "destructive", "sql.replication-slot"},
	{"SELECT pg_replication_slot_advance('s', pg_current_wal_lsn())", "destructive", "sql.replication-slot"},
	{"SELECT pg_advisory_lock(1)", "write", "sql.advisory-lock"},
	{"SELECT pg_try_advisory_xact_lock_shared(1)", "write", "sql.advisory-lock"},
	{"SELECT pg_ls_dir('.')", "credential_access", "sql.read-server-file"},
	{"SELECT * FROM pg_ls_waldir()", "credential_access", "sql.read-server-file"},
	{"SELECT pg_stat_file('postgresql.conf')", "credential_access", "sql.read-server-file"},
	{"SELECT pg_promote()", "destructive", "sql.server-admin"},
	{"SELECT pg_switch_wal()", "destructive", "sql.server-admin"},
	{"SELECT pg_stat_reset()", "destructive", "sql.server-admin"},
	{"SELECT pg_catalog.pg_nextoid('pg_class', 'oid', 'pg_class_oid_index')", "unknown", "sql.function"},
	{"SELECT my_function()", "unknown", "sql.function"},
	// PostgreSQL 17 syntax, a call of anyone's function to an older server.
	{"SELECT merge_action()", "unknown", "sql.function"},
	{"SELECT json_scalar(0)", "unknown", "sql.function"},
	{"SELECT json_serialize(0)", "unknown", "sql.function"},
	{"SELECT json('{}')", "unknown", "sql.function"},
	{"SELECT json_value('{}', '$.a')", "unknown", "sql.function"},
	{"SELECT json_arrayagg(x) FROM (VALUES (1)) v(x)", "unknown", "sql.function"},
	{"SELECT public.lower('x')", "unknown", "sql.function"},
	{`SELECT "Lower"('x')`, "unknown", "sql.function"},
	{`SELECT "NEXTVAL"('s')`, "unknown", "sql.function"},
	{`SELECT U&"\006eextval"('s')`, "write", "sql.sequence"},
	{"CALL do_things()", "unknown", "sql.function"},
	// Volatile built-ins that only read stay reads; so do locking reads.
	{"SELECT clock_timestamp(), random(), gen_random_uuid(), pg_database_size(current_database())", "read", ""},
	{"SELECT lo_get(1), currval('s'), pg_sleep(0), pg_is_in_recovery(), txid_current()", "read", ""},
	{"SELECT pg_catalog.lower(note), upper(note), now() FROM bookings", "read", ""},
	{"SELECT count(*), max(id), string_agg(note, ',') FROM bookings", "read", ""},
	{"SELECT * FROM generate_series(1, 3), LATERAL unnest(ARRAY[1])", "read", ""},
	{"SELECT * FROM bookings FOR UPDATE", "read", ""},
	{"SELECT * FROM bookings FOR SHARE SKIP LOCKED", "read", ""},
	{"SELECT extract(year FROM now()), substring('abc' FROM 2), trim(' a '), position('a' IN 'abc')", "read", ""},
}

func TestSessionSettingsAndFunctions(t *testing.T) {
	for _, c := range sessionCases {
		r := Classify(c.sql)
		if string(r.Class()) != c.class || (c.id != "" && !slices.Contains(ids(r), c.id)) || (c.id == "" && len(r.Reasons) > 0) {
			t.Errorf("%q: got %s %v, want %s with %q", c.sql, r.Class(), r.Reasons, c.class, c.id)
		}
	}
}

func TestEncodingAndBooleanSpellings(t *testing.T) {
	for _, s := range []string{"UTF8", "utf8", "UTF-8", "utf_8", "Unicode", "UNICODE", "u t f 8"} {
		if !IsUTF8(s) {
			t.Errorf("%q is UTF8 to PostgreSQL", s)
		}
	}
	for _, s := range []string{"SJIS", "sjis", "BIG5", "GBK", "GB18030", "JOHAB", "UHC", "LATIN1", "SQL_ASCII", "auto", "", "utf16"} {
		if IsUTF8(s) {
			t.Errorf("%q is not UTF8", s)
		}
	}
	for _, s := range []string{"on", "ON", "true", "t", "tr", "y", "yes", "1", "TRUE"} {
		if !IsOn(s) {
			t.Errorf("%q is on", s)
		}
	}
	for _, s := range []string{"off", "of", "o", "false", "f", "no", "n", "0", "", " on", "2"} {
		if IsOn(s) {
			t.Errorf("%q is not on", s)
		}
	}
}

// pg_dump (15.8 and later) sets restrict_nonsystem_relation_kind through a
// row of pg_settings; the WHERE names the one setting it can change.
func TestSetConfigOfOnePgSettingsRow(t *testing.T) {
	for _, c := range []struct {
		sql   string
		class action.Class
	}{
		{`SELECT set_config(name, 'view, foreign-table', false) FROM pg_settings WHERE name = 'restrict_nonsystem_relation_kind'`, R},
		{`SELECT set_config(name, 'SJIS', false) FROM pg_settings WHERE name = 'client_encoding'`, D},
		{`SELECT set_config(name, 'replica', false) FROM pg_catalog.pg_settings WHERE name = 'session_replication_role'`, D},
		{`SELECT set_config(name, 'x', false) FROM pg_settings WHERE name = 'a' OR true`, U},
		{`SELECT set_config(name, 'x', false) FROM pg_settings WHERE name LIKE 'a%'`, U},
		{`SELECT set_config(name, 'x', false) FROM pg_settings`, U},
		{`SELECT set_config(name, 'x', false) FROM pg_settings s WHERE name = 'a'`, U},
		{`SELECT set_config(name, 'x', false) FROM pg_settings, other WHERE name = 'a'`, U},
		{`SELECT set_config(s.name, 'x', false) FROM pg_settings WHERE name = 'a'`, U},
		{`SELECT (SELECT set_config(name, 'SJIS', false) FROM other) FROM pg_settings WHERE name = 'a'`, U},
	} {
		if got := Classify(c.sql).Class(); got != c.class {
			t.Errorf("%s: %s, want %s", c.sql, got, c.class)
		}
	}
}
