// Package strictjson reads JSON the one way every reader agrees on, and
// refuses what readers disagree about. Go's encoding/json keeps the last of
// two equal keys and matches struct fields case-insensitively (Unicode
// folds included: "K" and the Kelvin sign, "s" and "ſ"); a JavaScript
// server keeps its own pick and matches exactly. A document with duplicate
// keys, keys that differ only in case, a byte order mark, invalid UTF-8, a
// lone surrogate escape or a "__proto__" key means different things to
// different readers, so it is refused rather than read one way and acted
// on another.
package strictjson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxDepth bounds nesting, so a deep document costs no more than its size.
const MaxDepth = 512

// Error says what in the document was refused, and where.
type Error struct {
	Offset int
	Msg    string
}

func (e *Error) Error() string { return fmt.Sprintf("JSON refused at byte %d: %s", e.Offset, e.Msg) }

// Decode reads exactly one JSON value: objects as map[string]any, arrays as
// []any, numbers as json.Number (never rounded), strings, booleans and nil.
func Decode(data []byte) (any, error) {
	p := &parser{data: data}
	if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		return nil, p.fail("the document starts with a byte order mark")
	}
	p.space()
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.space()
	if p.pos != len(p.data) {
		return nil, p.fail("data after the JSON value")
	}
	return v, nil
}

// Valid reports whether Decode accepts data.
func Valid(data []byte) bool { _, err := Decode(data); return err == nil }

// Unmarshal is json.Unmarshal for documents Decode accepts, with struct
// fields matched by their exact names: a key that matches a field only
// when case is ignored is refused rather than taken for it.
func Unmarshal(data []byte, v any) error {
	tree, err := Decode(data)
	if err != nil {
		return err
	}
	if err := exactFields(tree, reflect.TypeOf(v), ""); err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}

// FoldKey is the form under which two keys are the same to a reader that
// ignores case: every rune replaced by the smallest rune of its Unicode
// simple case-folding orbit.
func FoldKey(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		m := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if f < m {
				m = f
			}
		}
		b.WriteRune(m)
	}
	return b.String()
}

type parser struct {
	data []byte
	pos  int
}

func (p *parser) fail(format string, args ...any) error {
	return &Error{Offset: p.pos, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) space() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *parser) value(depth int) (any, error) {
	if depth > MaxDepth {
		return nil, p.fail("nested more than %d deep", MaxDepth)
	}
	if p.pos >= len(p.data) {
		return nil, p.fail("unexpected end of the document")
	}
	switch c := p.data[p.pos]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		return p.str()
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	case p.literal("true"):
		return true, nil
	case p.literal("false"):
		return false, nil
	case p.literal("null"):
		return nil, nil
	default:
		return nil, p.fail("unexpected %q", c)
	}
}

func (p *parser) literal(word string) bool {
	if bytes.HasPrefix(p.data[p.pos:], []byte(word)) {
		p.pos += len(word)
		return true
	}
	return false
}

func (p *parser) object(depth int) (any, error) {
	p.pos++ // {
	out := map[string]any{}
	folded := map[string]string{}
	p.space()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		return out, nil
	}
	for {
		p.space()
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return nil, p.fail("expected a string key")
		}
		at := p.pos
		k, err := p.str()
		if err != nil {
			return nil, err
		}
		if k == "__proto__" {
			return nil, &Error{at, `the key "__proto__" means an object's prototype to some readers`}
		}
		f := FoldKey(k)
		if prev, ok := folded[f]; ok {
			if prev == k {
				return nil, &Error{at, fmt.Sprintf("the key %q appears twice in one object", k)}
			}
			return nil, &Error{at, fmt.Sprintf("the keys %q and %q differ only in case", prev, k)}
		}
		folded[f] = k
		p.space()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return nil, p.fail("expected ':'")
		}
		p.pos++
		p.space()
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		out[k] = v
		p.space()
		if p.pos >= len(p.data) {
			return nil, p.fail("unexpected end of the document")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			return out, nil
		default:
			return nil, p.fail("expected ',' or '}'")
		}
	}
}

func (p *parser) array(depth int) (any, error) {
	p.pos++ // [
	out := []any{}
	p.space()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		return out, nil
	}
	for {
		p.space()
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		p.space()
		if p.pos >= len(p.data) {
			return nil, p.fail("unexpected end of the document")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			return out, nil
		default:
			return nil, p.fail("expected ',' or ']'")
		}
	}
}

func (p *parser) number() (any, error) {
	start := p.pos
	digits := func() int {
		n := 0
		for p.pos < len(p.data) && p.data[p.pos] >= '0' && p.data[p.pos] <= '9' {
			p.pos++
			n++
		}
		return n
	}
	if p.data[p.pos] == '-' {
		p.pos++
	}
	if p.pos < len(p.data) && p.data[p.pos] == '0' {
		p.pos++
	} else if digits() == 0 {
		return nil, p.fail("a number without digits")
	}
	if p.pos < len(p.data) && p.data[p.pos] == '.' {
		p.pos++
		if digits() == 0 {
			return nil, p.fail("a number without digits after '.'")
		}
	}
	if p.pos < len(p.data) && (p.data[p.pos] == 'e' || p.data[p.pos] == 'E') {
		p.pos++
		if p.pos < len(p.data) && (p.data[p.pos] == '+' || p.data[p.pos] == '-') {
			p.pos++
		}
		if digits() == 0 {
			return nil, p.fail("a number without exponent digits")
		}
	}
	return json.Number(p.data[start:p.pos]), nil
}

func (p *parser) str() (string, error) {
	p.pos++ // "
	// Most strings are printable ASCII without escapes: taken whole, in
	// one allocation, rather than byte by byte into a growing builder.
	start := p.pos
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		if c == '"' {
			p.pos++
			return string(p.data[start : p.pos-1]), nil
		}
		if c < 0x20 || c == '\\' || c >= utf8.RuneSelf {
			break
		}
		p.pos++
	}
	var b strings.Builder
	b.Write(p.data[start:p.pos])
	for {
		if p.pos >= len(p.data) {
			return "", p.fail("an unterminated string")
		}
		c := p.data[p.pos]
		switch {
		case c == '"':
			p.pos++
			return b.String(), nil
		case c < 0x20:
			return "", p.fail("a control character in a string")
		case c == '\\':
			r, err := p.escape()
			if err != nil {
				return "", err
			}
			b.WriteRune(r)
		case c < utf8.RuneSelf:
			b.WriteByte(c)
			p.pos++
		default:
			r, n := utf8.DecodeRune(p.data[p.pos:])
			if r == utf8.RuneError && n == 1 {
				return "", p.fail("invalid UTF-8")
			}
			b.WriteRune(r)
			p.pos += n
		}
	}
}

func (p *parser) escape() (rune, error) {
	if p.pos+1 >= len(p.data) {
		return 0, p.fail("an unterminated escape")
	}
	c := p.data[p.pos+1]
	p.pos += 2
	switch c {
	case '"', '\\', '/':
		return rune(c), nil
	case 'b':
		return '\b', nil
	case 'f':
		return '\f', nil
	case 'n':
		return '\n', nil
	case 'r':
		return '\r', nil
	case 't':
		return '\t', nil
	case 'u':
		r, err := p.hex4()
		if err != nil {
			return 0, err
		}
		if utf16.IsSurrogate(r) {
			// Only a high surrogate followed by a low one is a character;
			// anything else becomes U+FFFD to one reader and stays a lone
			// surrogate to another.
			if r >= 0xDC00 || !bytes.HasPrefix(p.data[p.pos:], []byte(`\u`)) {
				return 0, p.fail("a lone surrogate escape")
			}
			p.pos += 2
			lo, err := p.hex4()
			if err != nil {
				return 0, err
			}
			if lo < 0xDC00 || lo > 0xDFFF {
				return 0, p.fail("a lone surrogate escape")
			}
			return utf16.DecodeRune(r, lo), nil
		}
		return r, nil
	}
	return 0, p.fail("an unknown escape \\%c", c)
}

func (p *parser) hex4() (rune, error) {
	if p.pos+4 > len(p.data) {
		return 0, p.fail("a short \\u escape")
	}
	n, err := strconv.ParseUint(string(p.data[p.pos:p.pos+4]), 16, 32)
	if err != nil {
		return 0, p.fail("a \\u escape that is not hexadecimal")
	}
	p.pos += 4
	return rune(n), nil
}

var rawMessage = reflect.TypeOf(json.RawMessage(nil))

// exactFields refuses a key that encoding/json would take for a struct
// field whose name it does not spell exactly.
func exactFields(v any, t reflect.Type, path string) error {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t == rawMessage {
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return nil // a type mismatch is json.Unmarshal's to report
		}
		fields := map[string]reflect.StructField{}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			fields[name] = f
		}
		for k, e := range m {
			f, ok := fields[k]
			if !ok {
				for name := range fields {
					if FoldKey(name) == FoldKey(k) {
						return fmt.Errorf("JSON refused: the key %s%q is not %q", path, k, name)
					}
				}
				continue
			}
			if err := exactFields(e, f.Type, path+k+"."); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		if l, ok := v.([]any); ok {
			for _, e := range l {
				if err := exactFields(e, t.Elem(), path); err != nil {
					return err
				}
			}
		}
	case reflect.Map:
		if m, ok := v.(map[string]any); ok {
			for k, e := range m {
				if err := exactFields(e, t.Elem(), path+k+"."); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
