package http

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// scrubbed stands where a credential was.
const scrubbed = "[credential]"

// secretForms are the spellings of a credential an upstream could echo back:
// as sent, URL-encoded (an echoed query or form), JSON-escaped (an echoed
// request body), upper- and lower-cased, and base64-encoded (an echoed
// request or header dumped as base64, in the standard and the URL
// alphabet, at each of the three places the credential can start in a
// group of three bytes). A form equal to another is listed once.
func secretForms(secret string) [][]byte { return formsFor(secret).bytes }

// credForms are a credential's forms as bytes (for bodies) and as text
// (for header values), and lower-cased (for header names).
type credForms struct {
	bytes [][]byte
	text  []string
	lower []string
}

func formsFor(secret string) *credForms {
	if secret == "" {
		return &credForms{}
	}
	if f, ok := formsOf.Load(secret); ok {
		return f.(*credForms)
	}
	out := &credForms{}
	seen := map[string]bool{}
	forms := []string{secret, url.QueryEscape(secret), url.PathEscape(secret), jsonEscape(secret), strings.ToUpper(secret), strings.ToLower(secret)}
	forms = append(forms, base64Cores(secret)...)
	forms = append(forms, wholeEscapes(secret)...)
	for _, f := range forms {
		if f != "" && !seen[f] {
			seen[f] = true
			out.bytes, out.text, out.lower = append(out.bytes, []byte(f)), append(out.text, f), append(out.lower, strings.ToLower(f))
		}
	}
	formsOf.Store(secret, out)
	return out
}

// formsOf remembers each credential's forms: a gateway has a few
// credentials and works them out for every request and answer. The forms
// are only read once made.
var formsOf sync.Map

// wholeEscapes are the credential with every character escaped: as hex,
// as %XX and as JSON's \uXXXX (each in either case), and as Go's
// encoding/json writes it by default (<, > and & escaped).
func wholeEscapes(secret string) []string {
	var pct, uni, uniUpper strings.Builder
	for i := 0; i < len(secret); i++ {
		fmt.Fprintf(&pct, "%%%02X", secret[i])
	}
	for _, r := range secret {
		fmt.Fprintf(&uni, "\\u%04x", r)
		fmt.Fprintf(&uniUpper, "\\u%04X", r)
	}
	h := hex.EncodeToString([]byte(secret))
	out := []string{h, strings.ToUpper(h), pct.String(), strings.ToLower(pct.String())}
	if !strings.ContainsFunc(secret, func(r rune) bool { return r > 0xffff }) {
		out = append(out, uni.String(), uniUpper.String())
	}
	if b, err := json.Marshal(secret); err == nil {
		out = append(out, string(b[1:len(b)-1]))
	}
	return out
}

// base64Cores are the characters of secret's base64 that do not depend on
// the bytes around it, for each alignment: after k unknown bytes, the first
// ceil(8k/6) characters carry some of theirs, and a last group that is not
// whole carries some of the bytes after. Cores shorter than 8 characters
// are left out: they would match by chance.
func base64Cores(secret string) []string {
	var out []string
	for k, skip := range []int{0, 2, 3} {
		buf := append(make([]byte, k), secret...)
		buf = buf[:len(buf)-len(buf)%3]
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
			if s := enc.EncodeToString(buf); len(s)-skip >= 8 {
				out = append(out, s[skip:])
			}
		}
	}
	return out
}

func jsonEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '"' || r == '\\' || r == '/':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte("0123456789abcdef"[r>>4])
			b.WriteByte("0123456789abcdef"[r&0xf])
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// scrubHeader replaces the credential in every header value, and drops a
// header whose name spells it: a name is canonicalised (its letters' case
// changed), so it is matched without regard to case.
func scrubHeader(h http.Header, secret string) {
	forms := formsFor(secret)
	if len(forms.text) == 0 {
		return
	}
	for k, vs := range h {
		if nameSpells(k, forms.lower) {
			delete(h, k)
			continue
		}
		for i, v := range vs {
			for _, f := range forms.text {
				v = strings.ReplaceAll(v, f, scrubbed)
			}
			vs[i] = v
		}
		h[k] = vs
	}
}

func nameSpells(name string, lowerForms []string) bool {
	lower := strings.ToLower(name)
	for _, f := range lowerForms {
		if strings.Contains(lower, f) {
			return true
		}
	}
	return false
}

// scrubber copies what is written to it on to w with every form of the
// credential replaced. It holds back only the last len(longest form)-1
// bytes between writes, the most of a match that can straddle two chunks,
// so a large answer streams through in bounded memory; Close writes the
// rest.
type scrubber struct {
	w     io.Writer
	forms [][]byte
	keep  int
	buf   []byte
}

func newScrubber(w io.Writer, secret string) *scrubber {
	s := &scrubber{w: w, forms: secretForms(secret)}
	for _, f := range s.forms {
		s.keep = max(s.keep, len(f)-1)
	}
	return s
}

func (s *scrubber) Write(p []byte) (int, error) {
	if len(s.forms) == 0 {
		return s.w.Write(p)
	}
	s.buf = append(s.buf, p...)
	if err := s.emit(false); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Close writes what was held back.
func (s *scrubber) Close() error {
	if len(s.forms) == 0 {
		return nil
	}
	return s.emit(true)
}

// emit writes out buf, credentials replaced, keeping back its tail unless
// final. A match that starts before the kept tail lies wholly inside buf,
// so it is always seen before any of its bytes are written.
func (s *scrubber) emit(final bool) error {
	var out bytes.Buffer
	i := 0
	for {
		j, n := s.next(s.buf[i:])
		if j < 0 {
			break
		}
		out.Write(s.buf[i : i+j])
		out.WriteString(scrubbed)
		i += j + n
	}
	end := len(s.buf)
	if !final {
		end = max(i, len(s.buf)-s.keep)
	}
	out.Write(s.buf[i:end])
	s.buf = append(s.buf[:0], s.buf[end:]...)
	if out.Len() == 0 {
		return nil
	}
	_, err := s.w.Write(out.Bytes())
	return err
}

// next finds the earliest form in b, the longest where several start
// together.
func (s *scrubber) next(b []byte) (at, n int) {
	at = -1
	for _, f := range s.forms {
		if j := bytes.Index(b, f); j >= 0 && (at < 0 || j < at || (j == at && len(f) > n)) {
			at, n = j, len(f)
		}
	}
	return at, n
}
