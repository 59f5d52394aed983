package sql

import (
	"strings"
	"unicode/utf8"
)

// Shape returns text with its string and number literals replaced by
// markers, so that statements that differ only in their constants (SELECT
// ... WHERE id = 41, ... id = 42) share one key. A classification whose
// Result has no Literals holds for every text of the same shape: the walker
// marks every finding that read a literal's value.
//
// The scan is deliberately narrow. Anything it does not fully understand
// (comments, dollar quotes, escape strings, prefixed literals, non-ASCII
// bytes outside strings, numbers in forms other than 123 and 1.5) returns ok false, and the
// text is then only ever matched exactly. Two texts of one shape therefore
// tokenize, in PostgreSQL's lexer, into the same tokens but for the values
// of string and number literals of the same kind.
func Shape(text string) (shape string, ok bool) {
	shape, literals, ok := scan(text)
	if !ok || literals == 0 {
		return "", false // with none, the text is its own shape
	}
	return shape, true
}

// scan is Shape's scan; it also says how many literals it replaced, so
// that a text it understands with none is told from one it does not
// understand.
func scan(text string) (shape string, literals int, ok bool) {
	var b strings.Builder
	b.Grow(len(text))
	for i := 0; i < len(text); {
		c := text[i]
		switch {
		case c >= 0x7f || c < 0x20 && c != '\t' && c != '\n' && c != '\r':
			return "", 0, false
		case identStart(c):
			j := i + 1
			for j < len(text) && identPart(text[j]) {
				j++
			}
			if j < len(text) && text[j] == '\'' {
				return "", 0, false // E'...', B'...', X'...', N'...', typename'...'
			}
			b.WriteString(text[i:j])
			i = j
		case c == '"':
			j, closed := quoted(text, i, '"')
			if !closed {
				return "", 0, false
			}
			b.WriteString(text[i:j])
			i = j
		case c == '\'':
			if i > 0 && text[i-1] == '&' {
				return "", 0, false // U&'...'
			}
			j, closed := quoted(text, i, '\'')
			if !closed || !plainString(text[i+1:j-1]) {
				return "", 0, false
			}
			b.WriteString("\x00s")
			literals++
			i = j
		case c >= '0' && c <= '9':
			if i > 0 && text[i-1] == '.' {
				return "", 0, false
			}
			j := digits(text, i)
			kind := "\x00i"
			if j-i > 9 {
				return "", 0, false // past int32 the lexer makes it a float
			}
			if j < len(text) && text[j] == '.' {
				k := digits(text, j+1)
				if k == j+1 {
					return "", 0, false // "1." and "1..2"
				}
				j, kind = k, "\x00f"
			}
			if j < len(text) && (identPart(text[j]) || text[j] == '.') {
				return "", 0, false // 1e5, 0x1F, 1_000, 1.2.3
			}
			b.WriteString(kind)
			literals++
			i = j
		case c == '$':
			j := digits(text, i+1)
			if j == i+1 {
				return "", 0, false // a dollar quote
			}
			b.WriteString(text[i:j]) // a parameter: part of the shape
			i = j
		case c == '-' && i+1 < len(text) && text[i+1] == '-',
			c == '/' && i+1 < len(text) && text[i+1] == '*':
			return "", 0, false
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), literals, true
}

// plainString is a string literal's content that means the same under every
// setting: no backslashes (they escape when standard_conforming_strings is
// off), no control characters, valid UTF-8 (whose multi-byte sequences hold
// no ASCII, so no quote).
func plainString(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '\\' || c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7f {
			return false
		}
	}
	return utf8.ValidString(s)
}

func identStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

func identPart(c byte) bool {
	return identStart(c) || c >= '0' && c <= '9' || c == '$'
}

func digits(s string, i int) int {
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

// quoted returns the index after the quote that closes the one at s[i],
// where a doubled quote stands for itself.
func quoted(s string, i int, q byte) (int, bool) {
	for j := i + 1; j < len(s); j++ {
		if s[j] != q {
			continue
		}
		if j+1 < len(s) && s[j+1] == q {
			j++
			continue
		}
		return j + 1, true
	}
	return 0, false
}
