package shell

import (
	"path"
	"regexp"
	"strings"
	"sync"
)

// posixClasses are the bracket classes bash's globs accept, as regexp
// classes.
var posixClasses = map[string]string{
	"alpha": `\p{L}`, "alnum": `\p{L}\p{N}`, "digit": `0-9`, "lower": `\p{Ll}`, "upper": `\p{Lu}`,
	"space": `\s`, "blank": ` \t`, "punct": `!-/:-@\[-` + "`" + `{-~`, "xdigit": `0-9A-Fa-f`, "word": `\w`,
	"print": `\P{C}`, "graph": `\P{C}`, "cntrl": `\p{Cc}`, "ascii": `\x00-\x7f`,
}

var globCache sync.Map // pattern -> *regexp.Regexp, or nil when it does not parse

// globMatch matches name against a bash glob (without extglob, which
// isSecretPath widens first): *, ?, and brackets with ! or ^ for negation,
// POSIX classes and ranges, as bash reads them; path.Match knows neither
// [!…] nor [[:alpha:]]. A pattern that does not parse matches nothing, as
// bash then takes it literally.
func globMatch(pattern, name string) bool {
	if v, ok := globCache.Load(pattern); ok {
		re, _ := v.(*regexp.Regexp)
		return re != nil && re.MatchString(name)
	}
	re, err := regexp.Compile(globRegexp(pattern))
	if err != nil {
		re = nil
	}
	globCache.Store(pattern, re)
	return re != nil && re.MatchString(name)
}

func globRegexp(p string) string {
	var b strings.Builder
	b.WriteString(`^`)
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case '*':
			b.WriteString(`[^/]*`)
		case '?':
			b.WriteString(`[^/]`)
		case '\\':
			if i+1 < len(p) {
				i++
				b.WriteString(regexp.QuoteMeta(p[i : i+1]))
			} else {
				b.WriteString(`\\`)
			}
		case '[':
			class, n, ok := globBracket(p[i:])
			if !ok {
				b.WriteString(`\[`)
				continue
			}
			b.WriteString(class)
			i += n - 1
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString(`$`)
	return b.String()
}

// globBracket reads the bracket expression at the start of p, returning
// the regexp class and its length in p.
func globBracket(p string) (string, int, bool) {
	var b strings.Builder
	b.WriteString(`[`)
	i := 1
	if i < len(p) && (p[i] == '!' || p[i] == '^') {
		b.WriteString(`^/`)
		i++
	}
	first := true
	for i < len(p) {
		c := p[i]
		switch {
		case c == ']' && !first:
			b.WriteString(`]`)
			return b.String(), i + 1, true
		case c == '[' && strings.HasPrefix(p[i:], "[:"):
			end := strings.Index(p[i+2:], ":]")
			if end < 0 {
				return "", 0, false
			}
			cls, ok := posixClasses[p[i+2:i+2+end]]
			if !ok {
				return "", 0, false
			}
			b.WriteString(cls)
			i += end + 4
		case c == '\\' && i+1 < len(p):
			b.WriteString(regexp.QuoteMeta(p[i+1 : i+2]))
			i += 2
		case c == '-' && !first && i+1 < len(p) && p[i+1] != ']':
			b.WriteString(`-`)
			i++
		default:
			if c == '^' || c == ']' || c == '[' || c == '\\' || c == '-' {
				b.WriteString(`\`)
			}
			b.WriteByte(c)
			i++
		}
		first = false
	}
	return "", 0, false
}

// dotglobSecret: with dotglob on, a glob's wildcards match a leading dot,
// so * or ?env names the credential files of its directory; it returns
// the first it matches, or "".
func (w *walker) dotglobSecret(p string, dyn bool) string {
	if w.scope == nil || !w.scope.dotglob || dyn || !strings.ContainsAny(p, "*?[") {
		return ""
	}
	dir, base := path.Split(p)
	if dir == "" {
		dir = "."
	}
	for _, s := range w.secretsIn(dir) {
		if globMatch(base, path.Base(s)) {
			return s
		}
	}
	return ""
}
