package shell

import "strings"

// Perl and Ruby quote strings with operators as well as quotes: Perl's
// q(...) and qq{...} with any delimiter, Ruby's %q(...), %Q[...] and
// %(...). What code quotes that way is a string all the same, and a
// command run from one (system qq(rm -rf /data)) must be read like one run
// from "...". quoteLike rewrites those literals as plain quoted ones before
// the code is scanned; qw, qr and qx keep their own readings.

// quoteLike returns text with lang's quote-like literals written with
// plain quotes. Text it cannot follow (an unclosed literal) is left as it
// is from there on.
func quoteLike(lang, text string) string {
	if lang != "perl" && lang != "ruby" {
		return text
	}
	var b strings.Builder
	last := 0
	for i := 0; i < len(text); i++ {
		if c := text[i]; c == '"' || c == '\'' || c == '`' {
			// A quoted string's text is not code.
			_, end, ok := delimited(text, i, c)
			if !ok {
				break
			}
			i = end - 1
			continue
		}
		start, open := quoteOpening(lang, text, i)
		if open == 0 {
			continue
		}
		body, end, ok := delimited(text, start, open)
		if !ok {
			break
		}
		b.WriteString(text[last:i])
		b.WriteString(plainQuoted(body))
		last, i = end, end-1
	}
	if last == 0 {
		return text
	}
	b.WriteString(text[last:])
	return b.String()
}

// quoteOpening says whether a quote-like literal starts at i: the index of
// its opening delimiter, and the delimiter (0 when none starts there).
func quoteOpening(lang, text string, i int) (int, byte) {
	if i > 0 && (isWordByte(text[i-1]) || strings.IndexByte("$@%&*>", text[i-1]) >= 0 ||
		lang == "ruby" && strings.IndexByte(")]}\"'", text[i-1]) >= 0) {
		return 0, 0 // inside a name, a variable (Perl's $q, %q), a method, or an operator after a value
	}
	j := i
	switch {
	case lang == "perl" && text[i] == 'q':
		j++
		if j < len(text) && text[j] == 'q' {
			j++
		}
		for j < len(text) && (text[j] == ' ' || text[j] == '\t') {
			j++ // Perl allows space before the delimiter
		}
	case lang == "ruby" && text[i] == '%':
		j++
		if j < len(text) && (text[j] == 'q' || text[j] == 'Q') {
			j++
		}
	default:
		return 0, 0
	}
	if j >= len(text) {
		return 0, 0
	}
	d := text[j]
	if isWordByte(d) || strings.IndexByte(" \t\n=,;)-", d) >= 0 {
		return 0, 0 // q => 1, qw(...), a modulo
	}
	return j, d
}

// delimited reads the literal whose opening delimiter open is at start:
// bracketing delimiters nest, a backslash escapes the next byte.
func delimited(text string, start int, open byte) (string, int, bool) {
	closer := open
	switch open {
	case '(':
		closer = ')'
	case '[':
		closer = ']'
	case '{':
		closer = '}'
	case '<':
		closer = '>'
	}
	depth := 0
	var b strings.Builder
	for k := start + 1; k < len(text); k++ {
		c := text[k]
		switch {
		case c == '\\' && k+1 < len(text):
			k++
			if text[k] != open && text[k] != closer && text[k] != '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(text[k])
			continue
		case c == closer && depth == 0:
			return b.String(), k + 1, true
		case c == closer:
			depth--
		case c == open && closer != open:
			depth++
		}
		b.WriteByte(c)
	}
	return "", 0, false
}

// plainQuoted writes s between the quotes it does not hold.
func plainQuoted(s string) string {
	switch {
	case !strings.Contains(s, `"`):
		return `"` + s + `"`
	case !strings.Contains(s, `'`):
		return `'` + s + `'`
	}
	return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"`
}

func isWordByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
