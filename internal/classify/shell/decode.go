package shell

import (
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
	"unicode/utf8"
)

// decode applies the decoders commonly piped into a shell to known text.
func decode(name string, args []arg, text string) (string, bool) {
	has := func(flags ...string) bool {
		for _, a := range args {
			for _, f := range flags {
				if a.s == f {
					return true
				}
			}
		}
		return false
	}
	switch {
	case name == "base64" && has("-d", "--decode", "-D"), name == "basenc" && has("-d", "--decode") && has("--base64"),
		name == "openssl" && has("-d") && (has("base64") || has("-base64") || has("-a")):
		clean := strings.Map(func(r rune) rune {
			if r == '\n' || r == '\r' || r == ' ' || r == '\t' {
				return -1
			}
			return r
		}, text)
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			if b, err := enc.DecodeString(clean); err == nil {
				return string(b), true
			}
		}
	case name == "xxd" && has("-r") && (has("-p") || has("-ps") || has("-plain")):
		b, err := hex.DecodeString(strings.Join(strings.Fields(text), ""))
		if err == nil {
			return string(b), true
		}
	case name == "rev" && len(args) == 0:
		lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
		for i, l := range lines {
			r := []rune(l)
			for a, b := 0, len(r)-1; a < b; a, b = a+1, b-1 {
				r[a], r[b] = r[b], r[a]
			}
			lines[i] = string(r)
		}
		return strings.Join(lines, "\n") + "\n", true
	}
	return "", false
}

// unescapeC interprets the backslash escapes echo -e and printf %b know.
func unescapeC(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch c := s[i]; c {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'a':
			b.WriteByte('\a')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'v':
			b.WriteByte('\v')
		case 'e', 'E':
			b.WriteByte(0x1b)
		case '\\':
			b.WriteByte('\\')
		case 'c':
			return b.String()
		case 'x', 'u', 'U':
			n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[c]
			j := i + 1
			for j < len(s) && j < i+1+n && strings.IndexByte("0123456789abcdefABCDEF", s[j]) >= 0 {
				j++
			}
			if j == i+1 {
				b.WriteByte('\\')
				b.WriteByte(c)
				continue
			}
			v, _ := strconv.ParseUint(s[i+1:j], 16, 32)
			if c == 'x' {
				b.WriteByte(byte(v))
			} else {
				b.WriteString(string(rune(v)))
			}
			i = j - 1
		case '0', '1', '2', '3', '4', '5', '6', '7':
			j := i
			if c == '0' {
				j++
			}
			k := j
			for k < len(s) && k < j+3 && s[k] >= '0' && s[k] <= '7' {
				k++
			}
			v, _ := strconv.ParseUint(s[j:k], 8, 8)
			if k == j {
				v = 0
			}
			b.WriteByte(byte(v))
			i = k - 1
		default:
			b.WriteByte('\\')
			b.WriteByte(c)
		}
	}
	return b.String()
}

// printf renders FORMAT ARGS... as the printf builtin does, for the
// directives that carry text (%s %b %c %d %%); others leave it unknown.
func printf(args []arg) (string, bool) {
	if len(args) == 0 {
		return "", true
	}
	format := args[0].s
	rest := args[1:]
	var b strings.Builder
	for round := 0; round < 64; round++ {
		used := false
		f := format
		for i := 0; i < len(f); i++ {
			c := f[i]
			if c == '\\' {
				j := i + 1
				for j < len(f) && j < i+5 && f[j] != '\\' && f[j] != '%' {
					j++
				}
				end := i + 2
				if end > len(f) {
					end = len(f)
				}
				if i+1 < len(f) && (f[i+1] == 'x' || f[i+1] >= '0' && f[i+1] <= '7') {
					end = j
				}
				b.WriteString(unescapeC(f[i:end]))
				i = end - 1
				continue
			}
			if c != '%' {
				b.WriteByte(c)
				continue
			}
			j := i + 1
			for j < len(f) && strings.IndexByte("-+ #0123456789.", f[j]) >= 0 {
				j++
			}
			if j >= len(f) {
				return "", false
			}
			var v string
			if f[j] != '%' && len(rest) > 0 {
				v, rest, used = rest[0].s, rest[1:], true
			}
			switch f[j] {
			case '%':
				b.WriteByte('%')
			case 's', 'q':
				b.WriteString(v)
			case 'b':
				b.WriteString(unescapeC(v))
			case 'c':
				if r, _ := utf8.DecodeRuneInString(v); v != "" {
					b.WriteRune(r)
				}
			case 'd', 'i', 'u':
				b.WriteString(v)
			default:
				return "", false
			}
			i = j
		}
		if !used || len(rest) == 0 {
			break
		}
	}
	return b.String(), true
}
