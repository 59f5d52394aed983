package sql

import (
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// Normalize returns text with every constant replaced by a placeholder
// ($1, $2, ...) and identifiers kept: the form pg_stat_statements shows,
// which the audit log keeps instead of the text, so that data an agent
// sends never lands in the log. Texts the Shape scan understands are
// rewritten from their shape, without a parse; others go through
// PostgreSQL's own normaliser. A text that cannot be normalised is not kept
// at all: ok is false.
func Normalize(text string) (normalized string, ok bool) {
	if shape, shaped := Shape(text); shaped && !strings.Contains(text, "$") {
		if !strings.Contains(shape, "\x00") {
			return text, true
		}
		var b strings.Builder
		b.Grow(len(shape) + 8)
		n := 0
		for i := 0; i < len(shape); i++ {
			if shape[i] == 0 && i+1 < len(shape) {
				n++
				b.WriteByte('$')
				b.WriteString(strconv.Itoa(n))
				i++ // the marker's kind byte
				continue
			}
			b.WriteByte(shape[i])
		}
		return b.String(), true
	}
	out, err := pg_query.Normalize(text)
	if err != nil {
		return "", false
	}
	return out, true
}
