// Package keyword is a deliberately conservative word-level classifier for
// SQL and GraphQL. It never parses, so it only ever calls something read when
// it is plainly a read, and calls everything it does not recognise unknown.
package keyword

import (
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/chaperone/chaperone/internal/action"
)

func reason(id string, c action.Class, msg string) []action.Reason {
	return []action.Reason{{ID: id, Class: c, Message: msg}}
}

var unknownReason = func(kind action.Kind) []action.Reason {
	return reason("keyword."+string(kind)+"-unrecognised", action.ClassUnknown,
		"not recognised as a plain read, so it needs a human to look")
}

// Classify returns the findings for text of the given kind.
func Classify(kind action.Kind, text string) []action.Reason {
	switch kind {
	case action.KindSQL:
		return sql(text)
	case action.KindGraphQL:
		return graphql(text)
	}
	return unknownReason(kind)
}

func words(text string) []string {
	return strings.FieldsFunc(strings.ToUpper(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_'
	})
}

var (
	sqlDestructive = []string{"DROP", "TRUNCATE", "DELETE", "ALTER", "REVOKE", "DETACH", "REMOVE"}
	sqlWrite       = []string{"INSERT", "UPDATE", "CREATE", "COPY", "MERGE", "GRANT", "CALL", "DO", "EXECUTE", "SET", "LOCK", "VACUUM", "REINDEX", "CLUSTER", "COMMENT", "REFRESH", "IMPORT", "LOAD", "PREPARE"}
	sqlRead        = []string{"MATCH", "SELECT", "SHOW", "EXPLAIN", "VALUES", "TABLE", "BEGIN", "COMMIT", "ROLLBACK", "USE"}
)

// passwordCatalogs: where other engines keep their accounts' password
// hashes (MySQL, MariaDB, SQL Server, Oracle, CockroachDB, ClickHouse), and
// statements that print one.
var passwordCatalogs = regexp.MustCompile(`(?i)\bmysql` + "`?" + `\s*\.\s*` + "`?" + `(?:user|global_priv|slave_master_info|servers)\b|\bauthentication_string\b|\bsql_logins\b|\bpassword_hash\b|\bsyslogins\b|\blogin_token\b|\bdba_users\b|\buser\$|\bsystem\s*\.\s*users\b|\bhashedpassword\b|\bpg_authid\b|\bpg_shadow\b|\bsystem_auth\s*\.\s*roles\b|\bshow\s+create\s+user\b|\buse\s+` + "`?" + `mysql\b` + "`?" + `\s*;[\s\S]*\b(?:from|join|table|into|describe|desc)\s+` + "`?" + `(?:user|global_priv|slave_master_info|servers)\b`)

// lockouts: statements that change how an account logs in.
var lockouts = regexp.MustCompile(`(?i)\bSET\s+PASSWORD\b|\bRENAME\s+USER\b`)

// outages: a server told to refuse writes or connections.
var outages = regexp.MustCompile(`(?i)\bSET\s+(?:GLOBAL|PERSIST|PERSIST_ONLY|@@global\.|@@persist\.)\s*(?:(?:super_read_only|read_only|offline_mode)\s*(?:=|\bTO\b)?\s*(?:ON|1|TRUE)\b|max_connections\s*=\s*[01]\b)|\bFLUSH\s+TABLES\s+WITH\s+READ\s+LOCK\b`)

// logRetention: the server's own logs, which point-in-time recovery and
// replicas read, cut short or purged (MySQL's binary logs).
var logRetention = regexp.MustCompile(`(?i)\bSET\s+(?:GLOBAL|PERSIST|PERSIST_ONLY|@@global\.|@@persist\.)\s*\w*(?:expire|retention|purge)\w*|\bPURGE\s+(?:BINARY|MASTER)\s+LOGS\b|\bRESET\s+(?:MASTER|BINARY\s+LOGS)\b`)

// serverFiles: statements that read or write files on the database
// server's machine, or reach another host from it (MySQL's LOAD_FILE,
// LOAD DATA INFILE, INTO OUTFILE and DUMPFILE; ClickHouse's file(), url()
// and INSERT INTO FUNCTION; a log written over a data file).
var serverFiles = regexp.MustCompile(`(?i)\bLOAD_FILE\s*\(|\bLOAD\s+(?:DATA|XML)\s+(?:LOW_PRIORITY\s+|CONCURRENT\s+)?(?:LOCAL\s+)?INFILE\b|\bINTO\s+(?:OUTFILE|DUMPFILE)\b|\b(?:file|url|s3|hdfs|remote|remoteSecure|mysql|postgresql|executable|redis|jdbc|odbc|mongodb|sqlite|azureBlobStorage|gcs|deltaLake|iceberg|hudi)(?:Cluster)?\s*\(\s*'|\bINSERT\s+INTO\s+FUNCTION\b|\bOPEN(?:ROWSET|DATASOURCE|QUERY)\s*\(|\bxp_cmdshell\b|\bLOAD\s+CSV\b|\bapoc\.(?:load|export|import|cypher\.run\w*|systemdb)\.|\bsys_(?:exec|eval)\s*\(|\bSET\s+(?:GLOBAL|PERSIST|@@global\.)\s*\w*(?:log_file|_dir|plugin_dir|secure_file_priv)\w*`)

// sqlComments: comments the server skips between words (/**/ splits
// nothing for it) and MySQL's executable comments, whose text it runs.
var sqlComments = regexp.MustCompile(`/\*!\d*|/\*[^!][\s\S]*?\*/|/\*\*/|\*/|--[^\n]*`)

// namedForDestruction: a call of a function whose name says it destroys
// (drop_all_tables(), delete_user(id)): the database's own code, which
// the statement around it does not show.
var namedForDestruction = regexp.MustCompile(`(?i)\b[a-z_]*(?:drop|delete|truncate|wipe|purge|destroy|remove|erase)[a-z_]*\s*\(`)

// wideGrants: every privilege, or an administrator's role, given.
var wideGrants = regexp.MustCompile(`(?i)\bGRANT\s+ALL\b|\bGRANT\s+(?:ROLE\s+)?(?:admin|administrator|root|superuser|dba|sysadmin|db_owner)\b|\bWITH\s+ALL\s+PRIVILEGES\b|\bSUPERUSER\b|\bCONTROL\s+SERVER\b|\baddRoleToUser\s*\(\s*'admin'|\bdbms\.security\.(?:addRoleToUser|createUser|changeUserPassword)\b`)

// shutdowns stop the server, wherever in the text they stand.
var shutdowns = regexp.MustCompile(`(?i)(?:^|;)\s*SHUTDOWN\b`)

func sql(text string) []action.Reason {
	ws := words(text)
	// Read as the server reads it: comments are gone, executable ones
	// are code. A string holding a comment's marks is read the same,
	// which only ever adds findings.
	bare := sqlComments.ReplaceAllString(text, " ")
	if m := serverFiles.FindString(bare); m != "" {
		return reason("keyword.sql-server-files", action.ClassUnknown, strings.TrimSpace(m)+" reads or writes files on the database server's machine, or reaches another host from it")
	}
	if m := wideGrants.FindString(bare); m != "" {
		return reason("keyword.sql-grant", action.ClassUnknown, strings.TrimSpace(m)+" gives an account every privilege, or an administrator's role")
	}
	if m := namedForDestruction.FindString(bare); m != "" {
		return reason("keyword.sql-function", action.ClassUnknown, "calls "+strings.TrimRight(m, "( ")+", a function of the database's own named for what it destroys")
	}
	if shutdowns.MatchString(text) {
		return reason("keyword.sql-outage", action.ClassDestructive, "SHUTDOWN stops the server: an outage for every application using it")
	}
	if m := passwordCatalogs.FindString(text); m != "" {
		return reason("keyword.sql-read-credentials", action.ClassCredentialAccess, strings.TrimSpace(m)+" holds the accounts' password hashes")
	}
	if m := logRetention.FindString(text); m != "" {
		return reason("keyword.sql-log-retention", action.ClassDestructive, strings.TrimSpace(m)+" deletes or shortens the server's binary logs, which recovery to a point in time and replicas need")
	}
	if m := outages.FindString(text); m != "" {
		return reason("keyword.sql-outage", action.ClassDestructive, strings.TrimSpace(m)+" makes the server refuse writes or connections: an outage for every application using it")
	}
	if m := lockouts.FindString(text); m != "" {
		return reason("keyword.sql-lockout", action.ClassDestructive, strings.ToUpper(m)+" changes how an account logs in: whatever used the old password is locked out")
	}
	for _, w := range ws {
		if slices.Contains(sqlDestructive, w) {
			return reason("keyword.sql-destructive", action.ClassDestructive, w+" can remove data or schema")
		}
	}
	for _, stmt := range strings.Split(text, ";") {
		sw := words(stmt)
		if len(sw) > 0 && sw[0] == "UPDATE" && !slices.Contains(sw, "WHERE") {
			return reason("keyword.sql-update-all", action.ClassDestructive, "UPDATE without WHERE overwrites every row")
		}
		if o := replacedWhole(sw); o != "" {
			return reason("keyword.sql-replace", action.ClassDestructive, o+" replaces what is there, rows included")
		}
		if t := replacedFromItself(sw); t != "" {
			return reason("keyword.sql-update-all", action.ClassDestructive, "REPLACE INTO "+t+" from its own rows overwrites every row")
		}
	}
	if len(ws) > 0 && ws[0] == "SELECT" && slices.Contains(ws, "INTO") {
		return reason("keyword.sql-write", action.ClassWrite, "SELECT … INTO writes what it selects into a table")
	}
	for _, w := range ws {
		if slices.Contains(sqlWrite, w) {
			return reason("keyword.sql-write", action.ClassWrite, w+" changes the database")
		}
	}
	if len(ws) > 0 && slices.Contains(sqlRead, ws[0]) {
		return nil
	}
	return unknownReason(action.KindSQL)
}

// replacedWhole: CREATE OR REPLACE TABLE/SCHEMA/DATABASE (BigQuery,
// Snowflake, Databricks, DuckDB) drops the one of that name, and INSERT
// OVERWRITE (Hive, Spark, Snowflake) empties the table first.
func replacedWhole(sw []string) string {
	if len(sw) > 1 && sw[0] == "INSERT" && sw[1] == "OVERWRITE" {
		return "INSERT OVERWRITE"
	}
	if len(sw) < 4 || sw[0] != "CREATE" || sw[1] != "OR" || sw[2] != "REPLACE" {
		return ""
	}
	for _, w := range sw[3:min(len(sw), 7)] {
		switch w {
		case "TABLE", "SCHEMA", "DATABASE", "STAGE", "DATASET":
			return "CREATE OR REPLACE " + w
		}
	}
	return ""
}

// replacedFromItself: INSERT OR REPLACE INTO t ... SELECT ... FROM t (and
// MySQL's REPLACE INTO) rewrites each of t's rows with what the SELECT
// makes of it; it returns t, or "".
func replacedFromItself(sw []string) string {
	into := slices.Index(sw, "INTO")
	if into < 1 || into+1 >= len(sw) || !(sw[0] == "REPLACE" || sw[0] == "INSERT" && slices.Contains(sw[:into], "REPLACE")) {
		return ""
	}
	t := sw[into+1]
	for i, w := range sw[into+2:] {
		if w == "FROM" && into+3+i < len(sw) && sw[into+3+i] == t {
			return t
		}
	}
	return ""
}

func graphql(text string) []action.Reason {
	t := strings.TrimSpace(text)
	lower := strings.ToLower(t)
	if strings.Contains(lower, "mutation") {
		if strings.Contains(lower, "delete") || strings.Contains(lower, "remove") || strings.Contains(lower, "destroy") {
			return reason("keyword.graphql-destructive", action.ClassDestructive, "a mutation that deletes")
		}
		return reason("keyword.graphql-write", action.ClassWrite, "a mutation changes state")
	}
	if strings.HasPrefix(lower, "query") || strings.HasPrefix(t, "{") {
		return nil
	}
	return unknownReason(action.KindGraphQL)
}
