package shell

import (
	"strings"

	"mvdan.cc/sh/v3/syntax"

	"github.com/chaperone/chaperone/internal/action"
)

// input is what a command reads on standard input, as far as it is known.
type input struct {
	present bool   // something is fed in (pipe, heredoc, here-string)
	known   bool   // and its text is known statically
	text    string // the text, when known
	from    string // what produces it, for messages
}

func (w *walker) stmts(ss []*syntax.Stmt, in input, depth int) {
	for _, s := range ss {
		w.stmt(s, in, depth)
	}
}

func (w *walker) stmt(s *syntax.Stmt, in input, depth int) {
	w.visits++
	in = w.redirects(s.Redirs, in, depth)
	switch c := s.Cmd.(type) {
	case nil:
	case *syntax.CallExpr:
		w.call(c, in, depth)
	case *syntax.BinaryCmd:
		if c.Op == syntax.Pipe || c.Op == syntax.PipeAll {
			w.stmt(c.X, in, depth)
			w.stmt(c.Y, w.pipeOutput(c.X, depth), depth)
			return
		}
		w.stmt(c.X, in, depth)
		w.stmt(c.Y, in, depth)
	case *syntax.Subshell:
		w.stmts(c.Stmts, in, depth)
	case *syntax.Block:
		w.stmts(c.Stmts, in, depth)
	case *syntax.FuncDecl:
		w.stmt(c.Body, input{}, depth)
	case *syntax.TimeClause:
		if c.Stmt != nil {
			w.stmt(c.Stmt, in, depth)
		}
	case *syntax.CoprocClause:
		w.stmt(c.Stmt, in, depth)
	case *syntax.DeclClause:
		w.decl(c, depth)
	default:
		// if/while/for/case/arithmetic/test/let: every statement and
		// substitution inside them may run.
		w.nested(c, depth)
	}
}

// nested walks any node for the statements and substitutions it contains.
func (w *walker) nested(n syntax.Node, depth int) {
	syntax.Walk(n, func(n syntax.Node) bool {
		switch n := n.(type) {
		case *syntax.Stmt:
			w.stmt(n, input{}, depth)
			return false
		case *syntax.CmdSubst:
			w.stmts(n.Stmts, input{}, depth)
			return false
		case *syntax.ProcSubst:
			w.stmts(n.Stmts, input{}, depth)
			return false
		}
		return true
	})
}

// decl handles export/declare/local/readonly/typeset: assignments may run
// substitutions, and a bare `export` or `declare -p` prints the environment.
func (w *walker) decl(d *syntax.DeclClause, depth int) {
	named := false
	for _, a := range d.Args {
		if a.Name != nil {
			named = true
		}
		w.nested(a, depth)
	}
	if !named && (d.Variant.Value == "export" || d.Variant.Value == "declare" || d.Variant.Value == "typeset") {
		w.add("creds.env-dump", action.ClassCredentialAccess, d.Variant.Value+" without names prints every variable, tokens included")
	}
}

// redirects checks output redirections and returns the command's input, which
// a heredoc or here-string replaces.
func (w *walker) redirects(rs []*syntax.Redirect, in input, depth int) input {
	for _, r := range rs {
		switch r.Op {
		case syntax.Hdoc, syntax.DashHdoc:
			t, dyn := w.word(r.Hdoc, depth)
			in = input{present: true, known: !dyn, text: t, from: "a heredoc"}
		case syntax.WordHdoc:
			t, dyn := w.word(r.Word, depth)
			in = input{present: true, known: !dyn, text: t, from: "a here-string"}
		case syntax.RdrIn:
			t, _ := w.word(r.Word, depth)
			in = input{present: true, from: "the file " + t}
		case syntax.RdrOut, syntax.RdrClob, syntax.RdrAll, syntax.RdrAllClob:
			t, dyn := w.word(r.Word, depth)
			w.truncates(t, dyn, "redirection")
		case syntax.AppOut, syntax.AppAll, syntax.AppClob, syntax.AppAllClob:
			t, dyn := w.word(r.Word, depth)
			w.appends(t, dyn)
		default:
			w.word(r.Word, depth)
		}
	}
	return in
}

// truncates records an overwrite of path by a redirection or a writing tool.
func (w *walker) truncates(path string, dyn bool, how string) {
	switch {
	case isDevice(path) || isTemp(path):
	case dyn:
		w.add("fs.truncate-dynamic", action.ClassUnknown, "a "+how+" overwrites a file whose name is only known at run time")
	case isSecretPath(path):
		w.add("fs.truncate-secret", action.ClassDestructive, "a "+how+" overwrites a credential file: "+path)
		w.target(path)
	case !inWorkspace(path):
		w.add("fs.truncate-outside-workspace", action.ClassDestructive, "a "+how+" overwrites "+path+", outside the workspace")
		w.target(path)
	default:
		w.add("fs.write", action.ClassWrite, "writes "+path)
	}
}

func (w *walker) appends(path string, dyn bool) {
	if isDevice(path) || isTemp(path) {
		return
	}
	w.add("fs.write", action.ClassWrite, "appends to "+path)
	if !dyn {
		w.target(path)
	}
}

// pipeOutput describes what a pipeline stage writes, for the next stage. The
// stage was already walked: rendering it again must not walk its
// substitutions again, or nested pipelines would cost exponential time.
func (w *walker) pipeOutput(s *syntax.Stmt, depth int) input {
	w.renderOnly++
	defer func() { w.renderOnly-- }()
	if c, ok := s.Cmd.(*syntax.CallExpr); ok && len(c.Args) > 0 && len(s.Redirs) == 0 {
		args, dyn := w.words(c.Args, depth)
		if !dyn && (args[0] == "echo" || args[0] == "printf") {
			rest := args[1:]
			for len(rest) > 0 && strings.HasPrefix(rest[0], "-") && args[0] == "echo" {
				rest = rest[1:]
			}
			return input{present: true, known: true, text: strings.Join(rest, " "), from: args[0]}
		}
		return input{present: true, from: baseName(args[0])}
	}
	if c, ok := s.Cmd.(*syntax.CallExpr); ok && len(c.Args) == 1 {
		// `cat <<EOF ... EOF | sh` feeds the heredoc through.
		if name, dyn := w.word(c.Args[0], depth); !dyn && name == "cat" {
			in := w.redirects(s.Redirs, input{}, depth)
			in.from = "cat"
			return in
		}
	}
	return input{present: true, from: "a pipeline"}
}

// word renders a word as the shell would see it, with every part that is only
// known at run time written as $NAME or $(...), and reports whether any was.
// Substitutions inside are walked: they run.
func (w *walker) word(wd *syntax.Word, depth int) (string, bool) {
	s, dyn, _ := w.wordVars(wd, depth)
	return s, dyn
}

// wordVars is word, also returning the variables the word expands directly.
func (w *walker) wordVars(wd *syntax.Word, depth int) (string, bool, []string) {
	if wd == nil {
		return "", false, nil
	}
	var b strings.Builder
	var vars []string
	dyn := w.parts(&b, wd.Parts, depth, false, &vars)
	return b.String(), dyn, vars
}

func (w *walker) parts(b *strings.Builder, ps []syntax.WordPart, depth int, quoted bool, vars *[]string) bool {
	dyn := false
	for _, p := range ps {
		switch p := p.(type) {
		case *syntax.Lit:
			if quoted {
				b.WriteString(p.Value)
			} else {
				b.WriteString(unescape(p.Value))
			}
		case *syntax.SglQuoted:
			if p.Dollar {
				// $'\x72\x6d' hides text from anything that reads literally.
				b.WriteString("$'" + p.Value + "'")
				dyn = true
			} else {
				b.WriteString(p.Value)
			}
		case *syntax.DblQuoted:
			if w.parts(b, p.Parts, depth, true, vars) {
				dyn = true
			}
		case *syntax.ParamExp:
			dyn = true
			name := ""
			if p.Param != nil {
				name = p.Param.Value
			}
			b.WriteString("$" + name)
			*vars = append(*vars, name)
			w.walkPart(p, depth)
		case *syntax.CmdSubst:
			dyn = true
			b.WriteString("$(...)")
			w.walkPart(p, depth)
		case *syntax.ProcSubst:
			dyn = true
			b.WriteString("<(...)")
			w.walkPart(p, depth)
		case *syntax.ArithmExp:
			dyn = true
			b.WriteString("$((...))")
			w.walkPart(p, depth)
		default: // extended globs, brace expansions
			dyn = true
			b.WriteString("*")
			w.walkPart(p, depth)
		}
	}
	return dyn
}

// walkPart walks what a word part runs, unless only rendering.
func (w *walker) walkPart(p syntax.Node, depth int) {
	if w.renderOnly == 0 {
		w.nested(p, depth)
	}
}

// words renders a list of words, reporting whether any part is dynamic.
func (w *walker) words(ws []*syntax.Word, depth int) ([]string, bool) {
	out := make([]string, len(ws))
	any := false
	for i, wd := range ws {
		var dyn bool
		out[i], dyn = w.word(wd, depth)
		any = any || dyn
	}
	return out, any
}

// unescape removes the backslashes the shell would remove from an unquoted
// literal, so `\rm` is rm.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
			if s[i] == '\n' {
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
