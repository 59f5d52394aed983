package sql

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/chaperone/chaperone/internal/action"
)

// serverFunctions are built-in functions whose call does what a statement
// would: each is judged wherever it appears, even inside a SELECT.
var serverFunctions = map[string]struct {
	id    string
	class action.Class
	msg   string
}{
	"lo_unlink":                {"sql.lo-unlink", action.ClassDestructive, "lo_unlink deletes a large object"},
	"pg_terminate_backend":     {"sql.terminate-backend", action.ClassDestructive, "pg_terminate_backend kills another session and rolls back its work"},
	"pg_cancel_backend":        {"sql.cancel-backend", action.ClassWrite, "pg_cancel_backend cancels another session's query"},
	"pg_drop_replication_slot": {"sql.drop", action.ClassDestructive, "pg_drop_replication_slot deletes a replication slot that a replica or backup may need"},
	"lo_export":                {"sql.server-file", action.ClassDestructive, "lo_export writes a file on the database server"},
	"pg_file_write":            {"sql.server-file", action.ClassDestructive, "pg_file_write writes a file on the database server"},
	"pg_file_unlink":           {"sql.server-file", action.ClassDestructive, "pg_file_unlink deletes a file on the database server"},
	"pg_read_file":             {"sql.read-server-file", action.ClassCredentialAccess, "pg_read_file reads files on the database server, where credentials live"},
	"pg_read_binary_file":      {"sql.read-server-file", action.ClassCredentialAccess, "pg_read_binary_file reads files on the database server, where credentials live"},
	"lo_import":                {"sql.read-server-file", action.ClassCredentialAccess, "lo_import reads a file on the database server into the database"},
}

func (w *walker) funcCall(f *pg_query.FuncCall, depth int) {
	name := strings.ToLower(constString(lastNode(f.GetFuncname())))
	if fn, ok := serverFunctions[name]; ok {
		w.add(fn.id, fn.class, "%s", fn.msg)
		return
	}
	args := f.GetArgs()
	switch name {
	case "set_config":
		if len(args) > 0 && strings.EqualFold(w.literal(args[0]), "session_replication_role") {
			w.add("sql.replication-role", action.ClassDestructive, "session_replication_role turns off triggers and foreign-key checks")
		}
	case "dblink", "dblink_exec", "dblink_send_query", "dblink_open":
		// The remote SQL runs over a connection Chaperone does not see, perhaps
		// to another environment: never below unknown, and what it says counts.
		w.add("sql.dblink", action.ClassUnknown, "%s runs SQL over a connection Chaperone does not see", name)
		if len(args) > 0 {
			if sql := w.literal(args[len(args)-1]); sql != "" {
				w.text(sql, depth+1)
			}
		}
	}
}

func lastNode(ns []*pg_query.Node) *pg_query.Node {
	if len(ns) == 0 {
		return nil
	}
	return ns[len(ns)-1]
}
