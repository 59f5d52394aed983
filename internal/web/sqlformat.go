package web

import (
	"strings"
)

// breakBefore are the clauses that start a new line when a one-line
// statement is shown; AND and OR are indented under their WHERE.
var breakBefore = map[string]string{
	"FROM": "\n", "WHERE": "\n", "GROUP": "\n", "ORDER": "\n", "HAVING": "\n", "LIMIT": "\n", "SET": "\n",
	"VALUES": "\n", "RETURNING": "\n", "JOIN": "\n", "UNION": "\n", "AND": "\n  ", "OR": "\n  ",
}

// formatSQL lays a one-line statement out over several lines for reading. It
// only ever changes whitespace outside quotes, identifiers and comments, so
// what the approver reads is exactly what will run; text it cannot be sure
// of (already multi-line, dollar quotes, comments) is shown as sent.
func formatSQL(text string) string {
	if strings.ContainsAny(text, "\n$") || strings.Contains(text, "--") || strings.Contains(text, "/*") || len(text) > 4000 {
		return text
	}
	var b strings.Builder
	prev := ""
	word := func(i int) (string, int) {
		j := i
		for j < len(text) && (text[j] == '_' || text[j] >= 'a' && text[j] <= 'z' || text[j] >= 'A' && text[j] <= 'Z' || text[j] >= '0' && text[j] <= '9') {
			j++
		}
		return text[i:j], j
	}
	for i := 0; i < len(text); {
		switch c := text[i]; {
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(text) && !(text[j] == c && (j+1 >= len(text) || text[j+1] != c)) {
				if text[j] == c {
					j++ // a doubled quote
				}
				j++
			}
			j = min(j+1, len(text))
			b.WriteString(text[i:j])
			i = j
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			w, j := word(i)
			if sep, ok := breakBefore[strings.ToUpper(w)]; ok && i > 0 && prev != "DELETE" {
				out := strings.TrimRight(b.String(), " ")
				b.Reset()
				b.WriteString(out)
				b.WriteString(sep)
			}
			b.WriteString(w)
			prev = strings.ToUpper(w)
			i = j
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}
