package shell

import (
	"io"
	"strings"

	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/syntax"
)

// scope is what one shell process knows of its variables and aliases. A
// variable counts as known only when the whole script assigns it exactly one
// value, so loops, branches and reassignments never let a stale value stand
// for the one that runs; anything that sets variables in ways not followed
// here (read, eval of unknown text, source, namerefs) makes them unknown.
type scope struct {
	assigned map[string]*syntax.Word // the single value a variable is given
	multi    map[string]bool         // given several values, or set in ways not followed
	walked   map[string]bool         // assignments already walked, in order
	aliases  map[string]string
	git      map[string]string // git aliases set in this command line
	// gitEnv holds GIT_CONFIG_KEY_n and GIT_CONFIG_VALUE_n seen so far,
	// by n, until both halves of a setting are known.
	gitEnv   map[string]*gitEnvSetting
	poisoned bool // no variable's value can be trusted
	lateEval bool // an eval whose text is only known during the walk
	loops    int  // loops being walked
	ifs      bool // IFS is assigned: splitting follows it
	// data are variables that may hold text read from a file or another
	// program's output (read, mapfile, x=$(<f)), which bash evaluates
	// as an expression of its own in arithmetic.
	data map[string]bool
	// dotglob: a glob's * and ? match a leading dot too (shopt -s
	// dotglob, or GLOBIGNORE set), so cat * reads .env.
	dotglob bool
}

func newScope() *scope {
	return &scope{assigned: map[string]*syntax.Word{}, multi: map[string]bool{}, walked: map[string]bool{}, aliases: map[string]string{}}
}

// assign records one assignment of name to v (nil when not literal).
func (s *scope) assign(name string, v *syntax.Word) {
	if s.multi[name] {
		return
	}
	if v == nil {
		s.multi[name] = true
		return
	}
	if old, ok := s.assigned[name]; ok && printWord(old) != printWord(v) {
		s.multi[name] = true
		return
	}
	s.assigned[name] = v
}

func printWord(w *syntax.Word) string {
	if len(w.Parts) == 0 {
		return ""
	}
	var b strings.Builder
	syntax.NewPrinter().Print(&b, w)
	return b.String()
}

// stateSetters set variables named by their arguments.
var stateSetters = map[string]bool{"read": true, "mapfile": true, "readarray": true, "getopts": true, "unset": true, "let": true}

// setBy records that the variable a word names is set to a value not known
// here; a name only known at run time could be any variable.
func (s *scope) setBy(a *syntax.Word) {
	l, ok := literal(a)
	if !ok {
		s.poisoned = true
		return
	}
	l, _, _ = strings.Cut(l, "=")
	l, _, _ = strings.Cut(l, "[")
	s.assign(l, nil)
}

// prescan records every assignment in f before anything is walked.
func (s *scope) prescan(f syntax.Node, depth int) {
	syntax.Walk(f, func(n syntax.Node) bool {
		switch n := n.(type) {
		case *syntax.Assign:
			if n.Name == nil {
				return true
			}
			if n.Naked {
				return true // export NAME keeps its value
			}
			if n.Name.Value == "GLOBIGNORE" {
				s.dotglob = true
			}
			if n.Value != nil && carriesData(n.Value) {
				s.markData(n.Name.Value)
			}
			if n.Append || n.Index != nil || n.Array != nil {
				s.assign(n.Name.Value, nil)
			} else {
				v := n.Value
				if v == nil {
					v = &syntax.Word{}
				}
				s.assign(n.Name.Value, v)
			}
		case *syntax.ForClause:
			if wi, ok := n.Loop.(*syntax.WordIter); ok {
				for _, it := range wi.Items {
					if carriesData(it) {
						s.markData(wi.Name.Value)
					}
				}
				if len(wi.Items) == 1 {
					s.assign(wi.Name.Value, wi.Items[0])
				} else {
					s.assign(wi.Name.Value, nil)
				}
			}
		case *syntax.DeclClause:
			for _, a := range n.Args {
				if a.Naked && a.Value != nil && (strings.HasPrefix(a.Value.Lit(), "-") || strings.HasPrefix(a.Value.Lit(), "+")) && strings.ContainsAny(a.Value.Lit(), "niIaAluc") {
					// Namerefs, integer, array and case attributes change
					// what assignments mean (declare -l d=RM holds rm).
					s.poisoned = true
				}
			}
		case *syntax.BinaryArithm:
			if n.Op >= syntax.Assgn && n.Op <= syntax.ShrAssgn {
				if wd, ok := n.X.(*syntax.Word); ok {
					s.assign(wd.Lit(), nil)
				}
			}
		case *syntax.UnaryArithm:
			if n.Op == syntax.Inc || n.Op == syntax.Dec {
				if wd, ok := n.X.(*syntax.Word); ok {
					s.assign(wd.Lit(), nil)
				}
			}
		case *syntax.ParamExp:
			if n.Exp != nil && (n.Exp.Op == syntax.AssignUnset || n.Exp.Op == syntax.AssignUnsetOrNull) && n.Param != nil {
				s.assign(n.Param.Value, nil)
			}
		case *syntax.CallExpr:
			if len(n.Args) == 0 {
				return true
			}
			name := n.Args[0].Lit()
			switch {
			case name == "eval":
				if depth < maxDepth && allLiteral(n.Args[1:]) {
					var parts []string
					for _, a := range n.Args[1:] {
						parts = append(parts, literalOf(a))
					}
					if f, err := parse(strings.Join(parts, " ")); err == nil {
						s.prescan(f, depth+1)
						return true
					}
					s.poisoned = true
				}
				// eval "$a$b": its text is prescanned when the walk knows it;
				// inside a loop a later round could see what it sets first.
				s.lateEval = true
			case name == "source" || name == ".":
				s.poisoned = true
			case name == "printf":
				for i, a := range n.Args[1:] {
					if a.Lit() == "-v" && i+2 < len(n.Args) {
						s.setBy(n.Args[i+2])
					}
				}
			case stateSetters[name]:
				for _, a := range n.Args[1:] {
					if l := a.Lit(); !strings.HasPrefix(l, "-") {
						s.setBy(a)
						if name == "read" || name == "mapfile" || name == "readarray" {
							s.markData(l)
						}
					}
				}
			case name == "shopt":
				for _, a := range n.Args[1:] {
					if a.Lit() == "dotglob" {
						s.dotglob = true
					}
				}
			case name == "alias":
				for _, a := range n.Args[1:] {
					if k, v, ok := strings.Cut(literalOf(a), "="); ok {
						s.aliases[k] = v
					}
				}
			}
		}
		return true
	})
}

func allLiteral(ws []*syntax.Word) bool {
	for _, w := range ws {
		if _, ok := literal(w); !ok {
			return false
		}
	}
	return true
}

// literal returns a word's value when it holds no expansion at all.
func literal(w *syntax.Word) (string, bool) {
	var b strings.Builder
	for _, p := range w.Parts {
		switch p := p.(type) {
		case *syntax.Lit:
			b.WriteString(unescape(p.Value))
		case *syntax.SglQuoted:
			if p.Dollar {
				return "", false
			}
			b.WriteString(p.Value)
		case *syntax.DblQuoted:
			for _, q := range p.Parts {
				l, ok := q.(*syntax.Lit)
				if !ok {
					return "", false
				}
				b.WriteString(unescapeQuoted(l.Value))
			}
		default:
			return "", false
		}
	}
	return b.String(), true
}

func literalOf(w *syntax.Word) string { s, _ := literal(w); return s }

func parse(text string) (*syntax.File, error) {
	return syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(strings.NewReader(text), "")
}

// env is the expander's view of the scope: a variable whose value is not
// known expands to its own name ($NAME), and the expansion is marked as
// only known at run time.
type env struct {
	w     *walker
	dyn   bool
	depth int
}

func (e *env) Get(name string) expand.Variable {
	s := e.w.scope
	str := func(v string) expand.Variable { return expand.Variable{Set: true, Kind: expand.String, Str: v} }
	if name == "IFS" && (s == nil || !s.ifs || s.poisoned || s.multi["IFS"] || e.depth > 0) {
		// Expanding a value as one string never splits it: no lookup. With
		// a scope that cannot be trusted every variable is already unknown,
		// so the default is as good as any.
		if s != nil && s.multi["IFS"] && e.depth == 0 {
			e.dyn = true
		}
		return str(" \t\n")
	}
	switch {
	case numericParams[name] && (s == nil || !s.walked[name]):
		return str("$" + name) // digits: see paths' numeric check
	case name == "PWD" && (s == nil || !s.walked[name]):
		return str(".") // where the command runs: cwd.go places it
	case name == "HOME" && (s == nil || !s.walked[name]):
		return str("~")
	case strings.HasPrefix(name, "HOME "):
		return str("~" + name[5:])
	}
	if s == nil || s.poisoned || s.multi[name] || !s.walked[name] || e.depth > 8 || s.lateEval && s.loops > 0 {
		e.dyn = true
		return str("$" + name)
	}
	wd := s.assigned[name]
	if wd == nil {
		e.dyn = true
		return str("$" + name)
	}
	if l, ok := literal(wd); ok {
		return str(l)
	}
	inner := &env{w: e.w, depth: e.depth + 1}
	v, err := expand.Document(e.w.cfg(inner), wd)
	if err == nil && inner.dyn && secretListed([]string{v}) != "" {
		// x=$(ls ~/.ssh/id_*): the value names credential files.
		e.dyn = true
		return str(v)
	}
	if err != nil || inner.dyn {
		e.dyn = true
		return str("$" + name)
	}
	return str(v)
}

func (e *env) Each(func(string, expand.Variable) bool) {}

func (w *walker) cfg(e *env) *expand.Config {
	return &expand.Config{
		Env: e,
		CmdSubst: func(out io.Writer, cs *syntax.CmdSubst) error {
			// $(echo ls) is ls: a substitution whose output is known.
			if len(cs.Stmts) == 1 && e.depth < 4 {
				if o := w.output(cs.Stmts[0], input{}, 0); o.known {
					io.WriteString(out, strings.TrimRight(o.text, "\n"))
					return nil
				}
			}
			e.dyn = true
			io.WriteString(out, w.substituted(cs))
			return nil
		},
		ProcSubst: func(*syntax.ProcSubst) (string, error) {
			e.dyn = true
			return "<(...)", nil
		},
	}
}

// hasExpansion reports whether a word needs the expander: parameters,
// arithmetic, ANSI-C quotes or braces.
func hasExpansion(wd *syntax.Word) bool {
	for _, p := range wd.Parts {
		switch p := p.(type) {
		case *syntax.Lit:
			if strings.Contains(p.Value, "{") || strings.HasPrefix(p.Value, "~") {
				return true
			}
		case *syntax.SglQuoted:
			if p.Dollar {
				return true
			}
		case *syntax.DblQuoted:
			for _, q := range p.Parts {
				if _, ok := q.(*syntax.Lit); !ok {
					return true
				}
			}
		default:
			return true
		}
	}
	return false
}

// fields expands one command word the way the shell would: braces,
// parameters with known values, word splitting, quote removal. Parts only
// known at run time keep their $NAME form and mark the field dynamic.
func (w *walker) fields(wd *syntax.Word, depth int) []arg {
	expands := hasExpansion(wd)
	if w.renderOnly == 0 && expands {
		w.nested(wd, depth) // a plain word runs nothing
	}
	s, dyn, vars := w.renderOnlyWord(wd, depth)
	if len(wd.Parts) == 1 {
		if p, ok := wd.Parts[0].(*syntax.ProcSubst); ok {
			return []arg{{s: s, dyn: true, proc: p}}
		}
	}
	if !expands {
		return []arg{{s: s, dyn: dyn, vars: vars}}
	}
	if positionalParams(wd) {
		// $*, $@, $1...: set by set --, shift, a function's caller or the
		// script's own arguments, none of which is followed here; unquoted
		// they may split into a whole command line.
		return []arg{{s: s, dyn: true, vars: vars}}
	}
	e := &env{w: w}
	fs, err := expand.Fields(w.cfg(e), wd)
	if err != nil || len(fs) > 4096 || e.dyn && len(fs) == 0 || e.dyn && hasOperator(wd) || w.operatorOnStandIn(wd) {
		// A value only known at run time that expanded to nothing here
		// (an array element, a slice) may be anything there; so may an
		// operator applied to one (${X:-../..}, ${X/a/b}), which here
		// would have been applied to the stand-in "$X".
		return []arg{{s: s, dyn: true, vars: vars}}
	}
	out := make([]arg, len(fs))
	for i, f := range fs {
		out[i] = arg{s: f, dyn: e.dyn, vars: vars}
	}
	return out
}

// anyParam reports whether wd expands a parameter for which f holds. A
// command substitution's parameters are its commands' own, judged when it
// is walked: not descending into it keeps nested substitutions linear.
func anyParam(wd *syntax.Word, f func(*syntax.ParamExp) bool) bool {
	found := false
	syntax.Walk(wd, func(n syntax.Node) bool {
		switch n := n.(type) {
		case *syntax.CmdSubst, *syntax.ProcSubst:
			return false
		case *syntax.ParamExp:
			if f(n) {
				found = true
			}
		}
		return !found
	})
	return found
}

// hasOperator reports whether wd expands a parameter other than plainly
// ($X, ${X}): with a default, a substitution, a slice, an indirection.
func hasOperator(wd *syntax.Word) bool {
	return anyParam(wd, func(p *syntax.ParamExp) bool { return !plainParam(p) })
}

// operatorOnStandIn reports whether wd applies an operator to $PWD or
// $HOME where only their stand-ins ("." and "~") are known: exact as a
// whole, not once cut or replaced (${PWD%/*} is the workspace's parent).
func (w *walker) operatorOnStandIn(wd *syntax.Word) bool {
	return anyParam(wd, func(p *syntax.ParamExp) bool {
		return !plainParam(p) && p.Param != nil && (p.Param.Value == "PWD" || p.Param.Value == "HOME") &&
			(w.scope == nil || !w.scope.walked[p.Param.Value])
	})
}

// renderOnlyWord renders without walking what the word runs.
func (w *walker) renderOnlyWord(wd *syntax.Word, depth int) (string, bool, []string) {
	w.renderOnly++
	defer func() { w.renderOnly-- }()
	return w.wordVars(wd, depth)
}

// expandDoc expands a word as a single string (redirection targets, heredoc
// bodies, here-strings), following known variables.
func (w *walker) expandDoc(wd *syntax.Word) (string, bool) {
	e := &env{w: w}
	s, err := expand.Document(w.cfg(e), wd)
	if err != nil {
		return "", false
	}
	return s, !e.dyn && !w.operatorOnStandIn(wd)
}

// promptExpansion: ${x@P} expands x's value as a prompt, which runs the
// command substitutions inside it.
func (w *walker) promptExpansion(p *syntax.ParamExp, depth int) {
	if p.Exp == nil || p.Exp.Op != syntax.OtherParamOps || p.Exp.Word == nil || p.Exp.Word.Lit() != "P" || p.Param == nil {
		return
	}
	e := &env{w: w}
	v := e.Get(p.Param.Value)
	if p.Index != nil {
		e.dyn = true // an array element: its value is not followed here
	}
	if e.dyn {
		w.add("shell.dynamic-prompt", unknown, "${"+p.Param.Value+"@P} runs the substitutions in a value only known at run time")
		return
	}
	w.document(v.Str, depth)
}

// document walks the substitutions in text that the shell expands as a
// double-quoted string (prompt strings, arithmetic operands, subscripts).
func (w *walker) document(text string, depth int) {
	if !strings.Contains(text, "$") && !strings.Contains(text, "`") {
		return
	}
	if depth > maxDepth {
		w.add("shell.too-deep", unknown, "shells nested too deeply to inspect")
		return
	}
	wd, err := syntax.NewParser(syntax.Variant(syntax.LangBash)).Document(strings.NewReader(text))
	if err != nil {
		w.add("shell.parse-error", unknown, "a string the shell expands does not parse: "+err.Error())
		return
	}
	w.nested(wd, depth+1)
}

// positionalParams reports whether a word expands $*, $@, $# or a numbered
// parameter.
func positionalParams(wd *syntax.Word) bool {
	return anyParam(wd, func(p *syntax.ParamExp) bool {
		if p.Param == nil {
			return false
		}
		v := p.Param.Value
		return v == "*" || v == "@" || v == "#" || v != "" && v[0] >= '0' && v[0] <= '9'
	})
}
