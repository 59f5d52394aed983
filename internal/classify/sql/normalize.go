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
	shape, literals, scanned := scan(text)
	switch {
	case !scanned:
		out, err := pg_query.Normalize(text)
		if err != nil {
			return "", false
		}
		return out, true
	case literals == 0:
		return text, true
	}
	// Placeholders are numbered after the highest parameter the text
	// already has, as pg_stat_statements numbers them.
	n := highestParam(shape)
	var b strings.Builder
	b.Grow(len(shape) + 8)
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

// highestParam is the largest $n in a shape (whose only dollars are
// parameters), or 0.
func highestParam(shape string) int {
	high := 0
	for i := strings.IndexByte(shape, '$'); i >= 0; {
		j := digits(shape, i+1)
		if n, err := strconv.Atoi(shape[i+1 : j]); err == nil && n > high {
			high = n
		}
		k := strings.IndexByte(shape[j:], '$')
		if k < 0 {
			break
		}
		i = j + k
	}
	return high
}
