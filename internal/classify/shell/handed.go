package shell

import (
	"regexp"
	"slices"
	"strings"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/classify/keyword"
)

// Database shells come and go faster than any list of them (hive, beeline,
// spark-sql, snow sql, pscale shell, surreal sql, cbq, influx v1 shell...),
// and each runs the statement it is handed, as an argument or on standard
// input. So a program no rule describes, handed text shaped like a
// statement that destroys (DROP TABLE, DELETE FROM, TRUNCATE, an UPDATE's
// SET, REMOVE DATABASE, MATCH ... DELETE), is judged as running it.

// statementShape: the opening of a statement of a query language, as
// opposed to prose that happens to start with "drop" or "delete".
var statementShape = regexp.MustCompile(`(?is)^\s*(?:DROP\s+(?:TABLE|DATABASE|SCHEMA|INDEX|VIEW|COLLECTION|MEASUREMENT|KEYSPACE|SERIES|RETENTION|USER|ROLE|BUCKET|NAMESPACE|MATERIALIZED|TYPE|FUNCTION|STREAM|STAGE|WAREHOUSE|IF\s+EXISTS)\b|DELETE\s+(?:FROM\s|\S+\s+WHERE\b|\*)|TRUNCATE\s|UPDATE\s+\S+\s+(?:\w+\s+)?SET\s|UPSERT\s|ALTER\s+(?:TABLE|DATABASE|SCHEMA|USER|ROLE|KEYSPACE|SYSTEM)\b|REMOVE\s+(?:DATABASE|NAMESPACE|NS|DB|TABLE|FIELD|INDEX|USER|SCOPE)\b|MATCH\s.*\b(?:DELETE|REMOVE|SET)\b|INSERT\s+OVERWRITE\b|CREATE\s+OR\s+REPLACE\b|MERGE\s+INTO\b|REPLACE\s+INTO\b|FLUSH(?:ALL|DB)\b|GRANT\s|REVOKE\s)`)

// proseOption: options whose value is text for people.
var proseOption = regexp.MustCompile(`^--?(?:m|t|b|summary|title|message|msg|description|desc|body|comment|note|notes|subject|name|label|text|reason)$`)

// handedStatements judges the statements c is handed, when no rule
// describes c.
func (w *walker) handedStatements(c *call, in input) {
	if described[c.name] || dbClients[c.name] != nil || slices.Contains(printers, c.name) || slices.Contains(readOnly, c.name) ||
		echoers[c.name] || slices.Contains(metadataOnly, c.name) {
		return
	}
	var texts []string
	for i, a := range c.args {
		if a.dyn || i > 0 && proseOption.MatchString(c.args[i-1].s) || proseOption.MatchString(strings.SplitN(a.s, "=", 2)[0]) && strings.Contains(a.s, "=") {
			continue // a title or a message about a statement, not one
		}
		texts = append(texts, a.s)
	}
	if in.present && in.known {
		texts = append(texts, in.text)
	}
	for _, t := range texts {
		for _, st := range strings.Split(t, ";") {
			if !statementShape.MatchString(st) {
				continue
			}
			for _, r := range keyword.Classify(action.KindSQL, st) {
				if r.Class == destructive {
					w.add("db.client-destructive", destructive, c.name+" is handed a statement that destroys data: "+strings.TrimSpace(firstLine(st)))
					return
				}
			}
		}
	}
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return s
}
