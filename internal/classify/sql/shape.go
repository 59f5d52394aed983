package sql

import (
	"fmt"
	"slices"
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

// maxProbed bounds the texts whose shape HoldsForShape probes: each probe
// is a parse of the whole text again.
const maxProbed = 1 << 20

// HoldsForShape is a second guard behind Literals, for a result r of a
// text of this shape that says it rests on no literal: the shape is
// classified again with its literals all empty or zero, all the same true
// value, and all different, and r holds only if each comes out with r's
// findings and without Literals. A finding that read a literal unmarked
// shows up here (COPY t TO an empty name parses as COPY t TO STDOUT does,
// COPY t TO 'x' does not), and the result is then kept to its own text,
// not shared with the shape's other values.
func HoldsForShape(shape string, r Result) bool {
	if len(shape) > maxProbed {
		return false
	}
	for _, p := range probes(shape) {
		got := Classify(p)
		if got.Literals || !sameFindings(r, got) {
			return false
		}
	}
	return true
}

// probes fills shape's literals three ways: empty or zero; all 't' and 1
// (true to a boolean cast); each different from every other.
func probes(shape string) []string {
	out := make([]string, 0, 3)
	for _, vals := range [][3]string{{"''", "0", "0.0"}, {"'t'", "1", "1.0"}} {
		out = append(out, strings.NewReplacer("\x00s", vals[0], "\x00i", vals[1], "\x00f", vals[2]).Replace(shape))
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(shape); i++ {
		if shape[i] != 0 || i+1 == len(shape) {
			b.WriteByte(shape[i])
			continue
		}
		n++
		switch i++; shape[i] {
		case 's':
			fmt.Fprintf(&b, "'probe_%d'", n)
		case 'i':
			fmt.Fprintf(&b, "%d", 100+n)
		case 'f':
			fmt.Fprintf(&b, "%d.5", 100+n)
		}
	}
	return append(out, b.String())
}

// sameFindings reports whether two results would lead to the same decision
// and the same message.
func sameFindings(a, b Result) bool {
	return slices.Equal(a.Reasons, b.Reasons) && slices.Equal(a.Targets, b.Targets) &&
		slices.Equal(a.Prepared, b.Prepared) && slices.Equal(a.Executed, b.Executed) && a.Contained == b.Contained
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
