package sql

import (
	"strings"
)

// The question is asked before the write, and at READ COMMITTED the write
// reads the data at its own moment: another session's commit in between
// (widened by a lock the write waits on) can make a filter the question
// found bounded reach every row. Where the gateway runs the write in a
// transaction of its own, it therefore also asks afterwards, before it
// commits: is any row of each table written left untouched by this
// transaction? A row the write deleted is gone from its view, a row it
// updated carries its transaction id; every other row was left out, or
// came from another session since. No row left answers true, and the
// transaction is rolled back instead of committed.

// afterQuery is the question asked after the writes, or "" when there is
// none to ask.
func afterQuery(writes []cascadeWrite) string {
	var parts []string
	for _, cw := range writes {
		name := quoteIdent(cw.rel.GetRelname())
		if cw.rel.GetSchemaname() != "" {
			name = quoteIdent(cw.rel.GetSchemaname()) + "." + name
		}
		only := ""
		if !cw.rel.GetInh() {
			only = "ONLY "
		}
		parts = append(parts, "NOT EXISTS (SELECT 1 FROM "+only+name+
			" WHERE xmin OPERATOR(pg_catalog.<>) pg_catalog.pg_current_xact_id()::pg_catalog.xid)")
	}
	if len(parts) == 0 {
		return ""
	}
	return "SELECT " + strings.Join(parts, " OR ")
}
