package sql

import (
	"sort"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// ResolvedLine starts the line the PostgreSQL gateway adds to a held
// statement's text: the tables its names resolved to in the session, as
// "name = schema.table" pairs joined by ", ".
const ResolvedLine = "-- resolves to: "

// Resolutions returns the pairs of text's ResolvedLine (none without one).
func Resolutions(text string) []string {
	for _, line := range strings.Split(text, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), ResolvedLine); ok {
			return strings.Split(rest, ", ")
		}
	}
	return nil
}

// Canonical is what an approval of text binds to: the statement as
// PostgreSQL's parser reads it, printed back, so that whitespace, keyword
// case, identifier quoting that changes nothing and comments do not make a
// new request; and the table list of a TRUNCATE in one order, since the
// order does not change its effect (tools print it differently each run).
// Lines Chaperone appends to a held text ("-- bound parameters:", "--
// resolves to:") are kept as they are: they bind values and tables. A text
// the parser does not read is its own key.
func Canonical(text string) string {
	tree, err := pg_query.Parse(text)
	if err != nil {
		return text
	}
	for _, raw := range tree.GetStmts() {
		if t := raw.GetStmt().GetTruncateStmt(); t != nil {
			rels := t.GetRelations()
			sort.SliceStable(rels, func(i, j int) bool { return rangeVarName(rels[i].GetRangeVar()) < rangeVarName(rels[j].GetRangeVar()) })
		}
	}
	out, err := pg_query.Deparse(tree)
	if err != nil {
		return text
	}
	var b strings.Builder
	b.WriteString(out)
	for _, line := range strings.Split(text, "\n") {
		l := strings.TrimSpace(line)
		if !strings.HasPrefix(l, "-- ") || !appended(l) {
			continue
		}
		if rest, ok := strings.CutPrefix(l, ResolvedLine); ok {
			// One binding per name, whatever order the statement named them in.
			pairs := strings.Split(rest, ", ")
			sort.Strings(pairs)
			l = ResolvedLine + strings.Join(pairs, ", ")
		}
		b.WriteString("\n")
		b.WriteString(l)
	}
	return b.String()
}

// appended says whether a comment line is one the gateway adds to a held
// text to bind what the text alone does not say.
func appended(line string) bool {
	for _, p := range []string{"-- bound parameters:", "-- resolves to:", "-- $", "-- with parameter types:", "-- fast-path call", "-- \""} {
		if strings.HasPrefix(line, p) {
			return true
		}
	}
	return false
}
