package shell

import (
	"path"
	"regexp"
	"slices"
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
	// paths are the places a listing's names are at or under, when the
	// text is not known (names.go).
	paths []string
	// secret: a here-string that passes a credential's variable.
	secret bool
	// pids: the output lists processes; killing them is this kill-by-name
	// command (pids.go).
	pids []arg
}

func (w *walker) stmts(ss []*syntax.Stmt, in input, depth int) {
	for _, s := range ss {
		w.stmt(s, in, depth)
	}
}

func (w *walker) stmt(s *syntax.Stmt, in input, depth int) {
	if s.Background || s.Coprocess {
		// Run asynchronously, in a subshell.
		w.subshell(func() { w.stmtHere(s, in, depth) })
		return
	}
	w.stmtHere(s, in, depth)
}

func (w *walker) stmtHere(s *syntax.Stmt, in input, depth int) {
	w.visits++
	in = w.redirects(s.Redirs, in, depth)
	w.committedOver(s, depth)
	defer w.recordWrites(s, in, depth)
	w.emptied(s)
	if _, call := s.Cmd.(*syntax.CallExpr); !call && s.Cmd != nil {
		if _, pipe := s.Cmd.(*syntax.BinaryCmd); !pipe {
			w.namesFed("a loop or block", in) // while read f; do cat "$f"; done
		}
	}
	w.secretClause(s.Cmd)
	switch c := s.Cmd.(type) {
	case nil:
	case *syntax.CallExpr:
		w.call(c, in, depth)
	case *syntax.BinaryCmd:
		if c.Op == syntax.Pipe || c.Op == syntax.PipeAll {
			// Every stage of a pipeline runs in a subshell.
			before := len(w.res.Reasons)
			w.subshell(func() { w.stmt(c.X, in, depth) })
			if w.keepsNoSecretLine(c.X, c.Y) {
				// env | grep PATH prints PATH's line alone.
				w.dropFindings(before, "creds.env-dump", "creds.printenv")
			}
			w.subshell(func() { w.stmt(c.Y, w.output(c.X, in, depth), depth) })
			return
		}
		w.stmt(c.X, in, depth)
		w.stmt(c.Y, in, depth)
	case *syntax.Subshell:
		w.subshell(func() { w.stmts(c.Stmts, in, depth) })
	case *syntax.Block:
		w.stmts(c.Stmts, in, depth)
	case *syntax.FuncDecl:
		w.recursion(c)
		w.stmt(c.Body, input{}, depth)
	case *syntax.TimeClause:
		if c.Stmt != nil {
			w.stmt(c.Stmt, in, depth)
		}
	case *syntax.CoprocClause:
		// Its standard input is a pipe the rest of the line writes to.
		w.stmt(c.Stmt, input{present: true, from: "the coprocess's pipe"}, depth)
	case *syntax.DeclClause:
		w.decl(c, depth)
	case *syntax.WhileClause:
		w.endlessSpawning(c)
		w.scope.loops++
		w.nested(c, depth)
		w.scope.loops--
	case *syntax.ForClause:
		w.scope.loops++
		defer func() { w.scope.loops-- }()
		if wi, ok := c.Loop.(*syntax.WordIter); ok {
			for _, it := range wi.Items {
				w.fields(it, depth)
			}
			w.scope.walked[wi.Name.Value] = true
			w.stmts(c.Do, input{}, depth)
			return
		}
		w.nested(c, depth)
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
			w.subshell(func() { w.stmts(n.Stmts, input{}, depth) })
			return false
		case *syntax.ProcSubst:
			w.subshell(func() { w.stmts(n.Stmts, input{}, depth) })
			return false
		case *syntax.ArithmExp, *syntax.ArithmCmd, *syntax.LetClause, *syntax.CStyleLoop:
			w.arith(n, depth)
		case *syntax.ParamExp:
			if n.Index != nil {
				w.arith(n.Index, depth)
			}
			if n.Slice != nil {
				// ${s:n:m}: offset and length are arithmetic.
				if n.Slice.Offset != nil {
					w.arith(n.Slice.Offset, depth)
				}
				if n.Slice.Length != nil {
					w.arith(n.Slice.Length, depth)
				}
			}
			if n.Excl && n.Names == 0 && n.Index == nil && n.Param != nil {
				// ${!v}: the variable v names, whichever that is,
				// tokens included (for v in ${!AWS@}; do echo ${!v}).
				w.add("creds.env-indirect", credential, "${!"+n.Param.Value+"} reads a variable whose name is only known at run time")
			}
			w.promptExpansion(n, depth)
		case *syntax.Assign:
			if n.Index != nil {
				w.arith(n.Index, depth)
			}
		case *syntax.UnaryTest:
			if n.Op == syntax.TsVarSet || n.Op == syntax.TsRefVar {
				w.subscript(n.X, depth)
			}
		case *syntax.BinaryTest:
			if n.Op >= syntax.TsEql && n.Op <= syntax.TsGeq {
				w.arithOperand(n.X, depth)
				w.arithOperand(n.Y, depth)
			}
		}
		return true
	})
}

// arith: bash evaluates a variable's value inside arithmetic as an
// expression of its own, so a value holding a[$(cmd)] runs cmd.
func (w *walker) arith(n syntax.Node, depth int) {
	syntax.Walk(n, func(n syntax.Node) bool {
		if wd, ok := n.(*syntax.Word); ok {
			w.arithOperand(wd, depth)
			return false
		}
		return true
	})
}

func (w *walker) arithOperand(n syntax.Node, depth int) {
	wd, ok := n.(*syntax.Word)
	if !ok {
		return
	}
	l, ok := literal(wd)
	if !ok {
		// [[ $x -eq 0 ]], (( $x )): the value is expanded, then
		// evaluated as an expression.
		if l, ok = soleParam(wd); !ok {
			return
		}
	}
	if isName(l) {
		e := &env{w: w}
		if v := e.Get(l); !e.dyn {
			w.document(v.Str, depth)
		} else {
			w.arithData(l)
		}
		return
	}
	w.document(l, depth)
}

// subscript: [[ -v 'a[$(cmd)]' ]] expands the subscript of the name.
func (w *walker) subscript(n syntax.Node, depth int) {
	if wd, ok := n.(*syntax.Word); ok {
		if l, ok := literal(wd); ok && strings.Contains(l, "[") {
			w.document(l[strings.Index(l, "["):], depth)
		}
	}
}

func isName(s string) bool {
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return s != ""
}

// decl handles export/declare/local/readonly/typeset: assignments may run
// substitutions, and a bare `export` or `declare -p` prints the environment.
func (w *walker) decl(d *syntax.DeclClause, depth int) {
	named, prints := false, false
	for _, a := range d.Args {
		if a.Naked && a.Name == nil && a.Value != nil && strings.HasPrefix(a.Value.Lit(), "-") && strings.Contains(a.Value.Lit(), "p") {
			prints = true
		}
	}
	nameref := false
	for _, a := range d.Args {
		if a.Naked && a.Name == nil && a.Value != nil && strings.HasPrefix(a.Value.Lit(), "-") && strings.Contains(a.Value.Lit(), "n") {
			nameref = true
		}
	}
	for _, a := range d.Args {
		if nameref && a.Name != nil && a.Value != nil {
			// declare -n r=GITHUB_TOKEN: r is the token's variable.
			if target, ok := literal(a.Value); ok && secretName(target) {
				w.holds(a.Name.Value, "", true)
			}
		}
		if prints && a.Name != nil && secretName(a.Name.Value) {
			w.add("creds.printenv", action.ClassCredentialAccess, d.Variant.Value+" -p prints "+a.Name.Value+", which holds a credential")
		}
		if a.Name != nil {
			named = true
			w.assigned(a, depth)
		} else {
			w.nested(a, depth)
		}
	}
	if !named && (d.Variant.Value == "export" || d.Variant.Value == "declare" || d.Variant.Value == "typeset") {
		w.add("creds.env-dump", action.ClassCredentialAccess, d.Variant.Value+" without names prints every variable, tokens included")
	}
}

// otherFd: an input redirection of a descriptor other than standard
// input.
func otherFd(r *syntax.Redirect) bool {
	if r.N == nil || r.N.Value == "0" {
		return false
	}
	switch r.Op {
	case syntax.Hdoc, syntax.DashHdoc, syntax.WordHdoc, syntax.RdrIn, syntax.DplIn:
		return true
	}
	return false
}

// redirects checks output redirections and returns the command's input, which
// a heredoc or here-string replaces.
func (w *walker) redirects(rs []*syntax.Redirect, in input, depth int) input {
	for _, r := range rs {
		if otherFd(r) {
			// 3<<<'rm -rf ~' or exec 4<script opens another descriptor:
			// standard input is unchanged, and what the descriptor holds
			// reaches a command only through <&3 or /dev/fd/3, which are
			// unknown. The file's checks still apply.
			if r.Op == syntax.RdrIn || r.Op == syntax.RdrInOut {
				t, _ := w.word(r.Word, depth)
				if isSecretPath(t) {
					w.add("creds.read-secret-file", credential, "opens "+t+", which holds credentials")
					w.target(t)
				}
			}
			continue
		}
		switch r.Op {
		case syntax.DplIn:
			// <&3: standard input is another descriptor, whose content is
			// not followed.
			if t, _ := w.word(r.Word, depth); t != "0" && t != "-" {
				in = input{present: true, from: "file descriptor " + t}
			}
		case syntax.Hdoc, syntax.DashHdoc:
			t, dyn := w.word(r.Hdoc, depth)
			in = input{present: true, known: !dyn, text: t, from: "a heredoc"}
		case syntax.WordHdoc:
			t, dyn := w.word(r.Word, depth)
			in = input{present: true, known: !dyn, text: t, from: "a here-string", secret: w.holdsSecret(r.Word)}
			if dyn {
				// <<< "$(find ~/.aws)": the names a listing prints.
				if p := secretListed(strings.Fields(t)); p != "" {
					in.paths = []string{p}
				}
			}
		case syntax.RdrIn, syntax.RdrInOut:
			if ps := procSubst(r.Word); ps != nil && r.Op == syntax.RdrIn && len(ps.Stmts) == 1 {
				// < <(find ~/.ssh): what the process prints.
				in = w.output(ps.Stmts[0], input{}, depth)
				in.from = "a process substitution"
				continue
			}
			t, dyn := w.word(r.Word, depth)
			in = input{present: true, from: "the file " + t}
			if rawConnection(t) {
				w.add("shell.raw-connection", unknown, "bash opens a raw network connection ("+t+"): what is sent on it is not read")
				continue
			}
			if r.Op == syntax.RdrInOut {
				// <> opens for writing too: what is written lands over
				// the file's bytes.
				w.truncates(t, dyn, "read-write redirection")
			}
			if isSecretPath(t) {
				w.add("creds.read-secret-file", credential, "reads "+t+" on standard input, which holds credentials")
				w.target(t)
			} else if !dyn && r.Op == syntax.RdrIn && t == "/dev/null" {
				in = input{present: true, known: true, from: "/dev/null"}
			} else if !dyn && r.Op == syntax.RdrIn {
				// A list of names read from a file this line wrote, or one
				// of the workspace's (xargs cat < list): what it holds is
				// what the command is fed.
				if text, ok := w.readWorkspace(t); ok && !strings.ContainsRune(text, 0) {
					in = input{present: true, known: true, text: text, from: "the file " + t}
				}
			}
		case syntax.DplOut:
			// >&FILE, with a word that is not a descriptor, is &>FILE:
			// both outputs overwrite the file.
			t, dyn := w.word(r.Word, depth)
			if isDigits(t) && !dyn || t == "-" {
				continue
			}
			if r.N != nil && r.N.Value != "1" && !dyn {
				continue // 2>&file is an error in bash, not a write
			}
			w.truncates(t, dyn, "redirection")
		case syntax.RdrOut, syntax.RdrClob, syntax.RdrAll, syntax.RdrAllClob:
			t, dyn := w.word(r.Word, depth)
			if rawConnection(t) {
				w.add("shell.raw-connection", unknown, "bash opens a raw network connection ("+t+"): what is sent on it is not read")
				continue
			}
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
	if to, d, changed := w.through(path, true); changed && !dyn {
		// Through a link: judged where it leads.
		to, d = rootedIn(w.ws.root, to, d)
		w.truncation(to, d, how)
	}
	if p, d := w.place(path, dyn); p != path || d != dyn {
		// Outside the workspace: judged where it lands, and as written.
		w.truncation(p, d, how)
	} else if p, d := rootedIn(w.ws.root, path, dyn); p != path || d != dyn {
		w.truncation(p, d, how)
	}
	w.truncation(path, dyn, how)
}

func (w *walker) truncation(path string, dyn bool, how string) {
	w.rewrote(path, dyn)
	if !dyn && !isDevice(path) && how != "redirection" {
		// Written by a program or code whose output is not followed: what
		// the file holds is unknown (a redirection's is recorded after).
		w.wrote(path, "", false, false)
	}
	if !dyn && gitInternal(path) {
		w.add("fs.git-internals", action.ClassDestructive, "a "+how+" overwrites "+path+", part of the repository's history or state")
	}
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
	w.guarded(path, dyn)
	// Judged where it lands and through links, besides as written.
	if p, d := w.place(path, dyn); p != path || d != dyn {
		w.append(p, d)
	} else if p, d := rootedIn(w.ws.root, path, dyn); p != path || d != dyn {
		w.append(p, d)
	}
	if to, d, changed := w.through(path, true); changed && !dyn {
		to, d = rootedIn(w.ws.root, to, d)
		w.append(to, d)
	}
	w.append(path, dyn)
}

func (w *walker) append(path string, dyn bool) {
	w.edited(path, dyn)
	if !dyn && gitInternal(path) {
		// .git/config: aliases and settings whose values git runs.
		w.add("git.config-loads", action.ClassUnknown, "appending to "+path+" changes what git does, or runs")
	}
	switch {
	case isDevice(path) || isTemp(path):
		return
	case dyn:
		w.add("fs.append-dynamic", action.ClassUnknown, "appends to a file whose name is only known at run time")
		return
	case !inWorkspace(path):
		// ~/.bashrc, authorized_keys, /etc/sudoers, crontabs: what runs,
		// or who may log in, outside the workspace.
		w.add("fs.append-outside-workspace", action.ClassDestructive, "appends to "+path+", outside the workspace")
	default:
		w.add("fs.write", action.ClassWrite, "appends to "+path)
	}
	w.target(path)
}

// pipeOutput describes what a pipeline stage writes, for the next stage. The
// stage was already walked: rendering it again must not walk its
// substitutions again, or nested pipelines would cost exponential time.
func (w *walker) pipeOutput(s *syntax.Stmt, depth int) input {
	return w.output(s, input{}, depth)
}

// output is what s writes given what it reads.
func (w *walker) output(s *syntax.Stmt, in input, depth int) input {
	// Each stage of a long pipeline is asked once, not once per later stage.
	if o, ok := w.outputs[s]; ok {
		return o
	}
	o := w.outputOf(s, in, depth)
	if w.outputs == nil {
		w.outputs = map[*syntax.Stmt]input{}
	}
	w.outputs[s] = o
	return o
}

func (w *walker) outputOf(s *syntax.Stmt, in input, depth int) input {
	w.renderOnly++
	defer func() { w.renderOnly-- }()
	if b, ok := s.Cmd.(*syntax.BinaryCmd); ok && (b.Op == syntax.Pipe || b.Op == syntax.PipeAll) {
		return w.output(b.Y, w.output(b.X, in, depth), depth)
	}
	if s.Cmd == nil && !slices.ContainsFunc(s.Redirs, func(r *syntax.Redirect) bool { return r.Op == syntax.RdrIn }) {
		// > f writes nothing; $(<f) prints f.
		return input{present: true, known: true, from: "a bare redirection"}
	}
	c, ok := s.Cmd.(*syntax.CallExpr)
	if !ok || len(c.Args) == 0 {
		return input{present: true, from: "a pipeline"}
	}
	if lit := c.Args[0].Lit(); len(c.Args) == 1 && (lit == ":" || lit == "true" || lit == "false") {
		return input{present: true, known: true, from: lit}
	}
	for _, r := range s.Redirs {
		switch r.Op {
		case syntax.Hdoc, syntax.DashHdoc, syntax.WordHdoc, syntax.RdrIn:
			in = w.redirects([]*syntax.Redirect{r}, in, depth)
			if r.Op == syntax.RdrIn {
				if t, dyn := w.word(r.Word, depth); !dyn {
					if text, ok := w.readWorkspace(t); ok {
						in = input{present: true, known: true, text: text, from: t}
					}
				}
			}
		}
	}
	var args []arg
	for _, wd := range c.Args {
		args = append(args, w.fields(wd, depth)...)
	}
	if len(args) == 0 || args[0].dyn {
		return input{present: true, from: "a command only known at run time"}
	}
	name := baseName(args[0].s)
	rest := args[1:]
	if pids := pidLister(name, rest); pids != nil {
		return input{present: true, from: name, pids: pids}
	}
	if name == "git" && len(rest) > 0 && rest[0].s == "ls-files" {
		// Others and ignored files: .env among them.
		if slices.ContainsFunc(rest, func(a arg) bool {
			return a.s == "-o" || a.s == "--others" || a.s == "-i" || a.s == "--ignored" || len(a.s) > 2 && a.s[0] == '-' && a.s[1] != '-' && strings.ContainsAny(a.s, "oi")
		}) {
			return input{present: true, from: "git", paths: append([]string{"."}, w.secretsIn(".")...)}
		}
	}
	if name == "git" && len(rest) > 0 && rest[len(rest)-1].s != "" && slices.ContainsFunc(rest, func(a arg) bool {
		return a.s == "--git-dir" || a.s == "--absolute-git-dir" || a.s == "--git-common-dir"
	}) && slices.ContainsFunc(rest, func(a arg) bool { return a.s == "rev-parse" }) {
		// Where the repository keeps its files: .git, whose config holds
		// remote URLs with their tokens.
		return input{present: true, known: true, text: ".git\n", from: "git rev-parse"}
	}
	if name == "git" && slices.ContainsFunc(rest, func(a arg) bool { return a.s == "archive" }) {
		// The committed files, as tar or zip: unpacked over the working
		// tree, they replace its uncommitted changes (equivalents.go).
		return input{present: true, from: "git archive"}
	}
	if name == "git" && slices.ContainsFunc(rest, func(a arg) bool { return a.s == "-R" || a.s == "--reverse" }) {
		// git diff -R: a patch that undoes the working tree's changes.
		return input{present: true, from: "git -R"}
	}
	for _, a := range rest {
		if a.dyn {
			return input{present: true, from: name}
		}
	}
	known := func(text string) input { return input{present: true, known: true, text: text, from: name} }
	if slices.Contains(listers, name) {
		paths := listed(name, rest)
		if name == "find" || name == "fd" || name == "fdfind" {
			// Every name under a home, its credential files among them.
			for _, p := range slices.Clone(paths) {
				if s, dyn := w.place(p, false); !dyn && holdsSecrets(s) {
					paths = append(paths, path.Join(s, ".ssh", "id_rsa"))
				}
			}
		}
		if showsHidden(name, rest) {
			// ls -a names .env beside the rest: a listing of a directory
			// that holds credentials names them.
			pats := nameTests(name, rest)
			for _, root := range slices.Clone(paths) {
				for _, s := range w.secretsIn(root) {
					if len(pats) == 0 || slices.ContainsFunc(pats, func(p string) bool { return globMatch(p, path.Base(s)) }) {
						paths = append(paths, s)
					}
				}
			}
		}
		return input{present: true, from: name, paths: paths}
	}
	switch name {
	case "grep", "egrep", "fgrep", "rg", "sort", "sed", "tr", "cut", "awk", "gawk", "mawk", "xargs":
		if in.present && (len(in.paths) > 0 || in.pids != nil) {
			return input{present: true, from: in.from, paths: in.paths, pids: in.pids}
		}
		if filtersNothing(name, rest, in) {
			return known("") // a filter of nothing prints nothing
		}
	case "echo":
		for len(rest) > 0 && len(rest[0].s) > 1 && strings.Trim(rest[0].s, "-neE") == "" && rest[0].s[0] == '-' {
			rest = rest[1:]
		}
		words := make([]string, len(rest))
		for i, a := range rest {
			words[i] = a.s
		}
		return known(unescapeC(strings.Join(words, " ")) + "\n")
	case "printf":
		if len(rest) > 0 && rest[0].s == "--" {
			rest = rest[1:]
		}
		if len(rest) > 0 && rest[0].s == "-v" {
			return input{}
		}
		if t, ok := printf(rest); ok {
			return known(t)
		}
		return input{present: true, from: "printf"}
	case "cat", "tee", "head", "tail", "stdbuf", "uniq":
		if (name == "head" || name == "tail") && zeroCount(rest) {
			return known("") // head -c0, tail -n 0: nothing, whatever it reads
		}
		var files []string
		for _, a := range rest {
			if !strings.HasPrefix(a.s, "-") {
				files = append(files, a.s)
			}
		}
		if name == "cat" && len(files) > 0 {
			var b strings.Builder
			for _, f := range files {
				if f == "/dev/null" {
					continue
				}
				t, ok := w.readWorkspace(f)
				if !ok || isFdPath(f) {
					return input{present: true, from: "cat " + f}
				}
				b.WriteString(t)
			}
			return known(b.String())
		}
		if in.present {
			out := in
			out.from = name
			return out
		}
		return input{present: true, from: name}
	case "mktemp":
		// mktemp prints a new name in the temp directory (or under -p DIR,
		// or where its template says), and creates it empty.
		dir := "/tmp"
		name := ""
		for i, a := range rest {
			switch {
			case (a.s == "-p" || a.s == "--tmpdir") && i+1 < len(rest):
				dir = rest[i+1].s
			case strings.HasPrefix(a.s, "--tmpdir="):
				dir = strings.TrimPrefix(a.s, "--tmpdir=")
			case !strings.HasPrefix(a.s, "-") && strings.Contains(a.s, "/") && (i == 0 || rest[i-1].s != "-p"):
				name = a.s
			}
		}
		if name == "" {
			name = dir + "/tmp.mktemp"
		}
		if !slices.ContainsFunc(rest, func(a arg) bool { return a.s == "-d" || a.s == "--directory" || a.s == "-u" || a.s == "--dry-run" }) {
			if full := w.resolve(name); full != "" {
				if _, ok := w.ws.written[full]; !ok {
					w.ws.written[full] = file{known: true}
				}
			}
		}
		return known(name + "\n")
	case "jq", "gojq", "jaq":
		// The filter empty prints nothing.
		if slices.ContainsFunc(rest, func(a arg) bool { return strings.TrimSpace(a.s) == "empty" }) {
			return known("")
		}
	case "sleep", "wait":
		return known("")
	case "base64", "openssl", "xxd", "basenc", "rev":
		if !in.present || !in.known {
			return input{present: true, from: name}
		}
		if t, ok := decode(name, rest, in.text); ok {
			return known(t)
		}
	}
	return input{present: true, from: name}
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
	if dyn && w.scope != nil && hasExpansion(wd) {
		if s, ok := w.expandDoc(wd); ok {
			return s, false, vars
		}
	}
	return b.String(), dyn, vars
}

func (w *walker) parts(b *strings.Builder, ps []syntax.WordPart, depth int, quoted bool, vars *[]string) bool {
	dyn := false
	for _, p := range ps {
		switch p := p.(type) {
		case *syntax.Lit:
			if quoted {
				b.WriteString(unescapeQuoted(p.Value))
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
			name := ""
			if p.Param != nil {
				name = p.Param.Value
			}
			if plainParam(p) {
				b.WriteString("$" + name)
				dyn = dyn || !numericParams[name]
			} else if defaultOnly(p) {
				// ${X:-WORD} with X unset is WORD, as written: ~ and all.
				// Whether X is set is only known at run time, so the word
				// stays dynamic; rendered as WORD, what it names (a
				// credential file, a secret's variable) is seen.
				dyn = true
				var inner strings.Builder
				w.parts(&inner, p.Exp.Word.Parts, depth, quoted, vars)
				b.WriteString(inner.String())
			} else {
				dyn = true
				// A default, a substitution, a slice or an indirection
				// is not the variable's value: rendered as $NAME it
				// would pass for it ($TMPDIR, $PWD) where it may be
				// anything (${TMPDIR:-$HOME}, ${PWD:-/}).
				b.WriteString("${" + name + "...}")
			}
			*vars = append(*vars, name)
			w.walkPart(p, depth)
		case *syntax.CmdSubst:
			dyn = true
			b.WriteString(w.substituted(p))
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

// numericParams expand to digits whatever has run before: in a path they
// can neither climb out nor name another directory (/tmp/build-$$).
// Named ones ($UID) are left out: "$UID" is also the start of "$UIDS".
var numericParams = map[string]bool{"$": true, "!": true, "#": true, "?": true}

// plainParam reports whether p is $name or ${name}: the variable's value
// and nothing else.
func plainParam(p *syntax.ParamExp) bool {
	return p.Param != nil && p.Flags == nil && !p.Excl && !p.Length && !p.Width && !p.IsSet &&
		p.Split == syntax.OptUnset && p.GlobSubst == syntax.OptUnset && p.RcExpand == syntax.OptUnset &&
		p.NestedParam == nil && p.Index == nil && len(p.Modifiers) == 0 && p.Slice == nil &&
		p.Repl == nil && p.Names == 0 && p.Exp == nil
}

// defaultOnly: ${X-WORD}, ${X:-WORD}, ${X=WORD} or ${X:=WORD} of a
// variable nothing in the line sets, and nothing else.
func defaultOnly(p *syntax.ParamExp) bool {
	if p.Param == nil || p.Exp == nil || p.Exp.Word == nil {
		return false
	}
	switch p.Exp.Op {
	case syntax.DefaultUnset, syntax.DefaultUnsetOrNull, syntax.AssignUnset, syntax.AssignUnsetOrNull:
	default:
		return false
	}
	q := *p
	q.Exp = nil
	return plainParam(&q)
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

// unescapeQuoted removes the backslashes the shell removes inside double
// quotes: before $, `, ", \ and a newline; "a[\$(rm -rf ~)]" holds
// a[$(rm -rf ~)], which runs rm wherever bash reads it as a number.
func unescapeQuoted(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("$`\"\\\n", s[i+1]) >= 0 {
			i++
			if s[i] == '\n' {
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// recordWrites notes what s writes into files, so that running one of them
// later in the same command line is judged by what it holds.
func (w *walker) recordWrites(s *syntax.Stmt, in input, depth int) {
	for _, r := range s.Redirs {
		switch r.Op {
		case syntax.RdrOut, syntax.RdrClob, syntax.RdrAll, syntax.AppOut, syntax.AppAll, syntax.RdrAllClob, syntax.AppClob, syntax.AppAllClob, syntax.RdrInOut:
		default:
			continue
		}
		w.renderOnly++
		p, dyn := w.word(r.Word, depth)
		w.renderOnly--
		if dyn {
			continue
		}
		if r.N != nil && r.N.Value != "1" || r.Op == syntax.RdrInOut {
			// Another descriptor (exec 3>s, 2>s, <>s): whatever is written
			// through it later is not followed, so the file's content is
			// only known at run time.
			w.wrote(p, "", false, false)
			continue
		}
		out := w.output(s, in, depth)
		w.wrote(p, out.text, out.known, r.Op == syntax.AppOut || r.Op == syntax.AppAll || r.Op == syntax.AppClob || r.Op == syntax.AppAllClob)
	}
}

// gitInternal: a file in .git that holds the repository's state (hooks
// are judged by their content where they run).
func gitInternal(p string) bool {
	s := strings.TrimPrefix(globbedGit(p), "./")
	i := strings.Index("/"+s, "/.git/")
	return i >= 0 && !strings.Contains(s[i:], ".git/hooks/")
}

// globbedGit reads a glob component the shell would expand to .git as
// .git: .g*, .*, .gi[t] and .?it name it as surely as the text does. Only
// patterns that start with a dot count, as the shell does not let * or ?
// match a leading dot.
func globbedGit(p string) string {
	if !strings.ContainsAny(p, "*?[") {
		return p
	}
	parts := strings.Split(p, "/")
	for i, c := range parts {
		if strings.HasPrefix(c, ".") && strings.ContainsAny(c, "*?[") {
			if ok := globMatch(c, ".git"); ok {
				parts[i] = ".git"
			}
		}
	}
	return strings.Join(parts, "/")
}

// rawConnection: bash's /dev/tcp and /dev/udp, network connections.
func rawConnection(t string) bool {
	return strings.HasPrefix(t, "/dev/tcp/") || strings.HasPrefix(t, "/dev/udp/")
}

// procSubst is the process substitution a word is made of, if it is one.
func procSubst(wd *syntax.Word) *syntax.ProcSubst {
	if wd == nil || len(wd.Parts) != 1 {
		return nil
	}
	ps, _ := wd.Parts[0].(*syntax.ProcSubst)
	return ps
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// secretLines are environment lines a filter must not let through.
var secretLines = []string{"GITHUB_TOKEN=ghp_x", "AWS_SECRET_ACCESS_KEY=x", "ANTHROPIC_API_KEY=sk-x", "OPENAI_API_KEY=sk-x",
	"DATABASE_URL=postgres://u:p@h/d", "RAILWAY_TOKEN=chp_x", "PGPASSWORD=x", "NPM_TOKEN=x", "FLY_API_TOKEN=x", "SECRET_KEY=x",
	// and the names projects give them (a grep of any part finds its line)
	"NODE_AUTH_TOKEN=x", "MYSQL_PWD=x", "DB_PASSWORD=x", "DB_URL=mysql://u:p@h/d", "REDIS_URL=redis://:p@h", "MONGODB_URI=mongodb://u:p@h",
	"SUPABASE_SERVICE_ROLE_KEY=x", "STRIPE_SECRET_KEY=sk_live_x", "SLACK_BOT_TOKEN=xoxb-x", "GH_TOKEN=x", "GITLAB_TOKEN=x",
	"AZURE_CLIENT_SECRET=x", "AZURE_STORAGE_KEY=x", "JWT_SECRET=x", "SESSION_SECRET=x", "APP_KEY=base64:x", "DJANGO_SECRET_KEY=x",
	"CELERY_BROKER_URL=amqp://u:p@h", "CLOUDINARY_URL=cloudinary://k:s@c", "TWILIO_AUTH_TOKEN=x", "SENDGRID_API_KEY=SG.x",
	"DOCKER_PASSWORD=x", "VAULT_TOKEN=hvs.x", "CONSUL_HTTP_TOKEN=x", "SENTRY_DSN=https://k@sentry.io/1", "ALGOLIA_ADMIN_KEY=x",
	"HF_TOKEN=hf_x", "CI_JOB_TOKEN=x", "ACTIONS_RUNTIME_TOKEN=x", "KUBE_TOKEN=x", "POSTGRES_PASSWORD=x", "MYSQL_ROOT_PASSWORD=x",
	// and as credential files write them (~/.aws/credentials, gh's
	// hosts.yml, docker's config.json, .netrc, .npmrc, a private key)
	"aws_secret_access_key = x", "aws_access_key_id = x", "    oauth_token: gho_x", `"auth": "x"`,
	"machine h login u password p", "//registry.npmjs.org/:_authToken=x", "-----BEGIN OPENSSH PRIVATE KEY-----", "password = x"}

// keepsNoSecretLine says whether x is env (or printenv) with no operand
// and y a grep of one literal pattern that lets no credential's line
// through: env | grep PATH prints PATH's line alone.
func (w *walker) keepsNoSecretLine(x, y *syntax.Stmt) bool {
	first := func(s *syntax.Stmt) []arg {
		ce, ok := s.Cmd.(*syntax.CallExpr)
		if !ok || len(s.Redirs) > 0 {
			return nil
		}
		var args []arg
		for _, wd := range ce.Args {
			l, ok := literal(wd)
			if !ok {
				return nil
			}
			args = append(args, arg{s: l})
		}
		return args
	}
	xs, ys := first(x), first(y)
	if len(xs) != 1 || xs[0].s != "env" && xs[0].s != "printenv" || len(ys) < 2 {
		return false
	}
	if g := ys[0].s; g != "grep" && g != "egrep" && g != "fgrep" {
		return false
	}
	fold, fixed, extended, pattern := false, ys[0].s == "fgrep", ys[0].s == "egrep", ""
	for _, a := range ys[1:] {
		switch {
		case a.s == "-i" || a.s == "--ignore-case":
			fold = true
		case a.s == "-F" || a.s == "--fixed-strings":
			fixed = true
		case a.s == "-E" || a.s == "--extended-regexp":
			extended = true
		case a.s == "-w" || a.s == "-x" || a.s == "-q" || a.s == "-c" || a.s == "--color" || a.s == "-n":
		case strings.HasPrefix(a.s, "-"):
			return false // -v, -e, -f and the rest: not one plain pattern
		case pattern != "":
			return false // a file operand
		default:
			pattern = a.s
		}
	}
	if pattern == "" {
		return false
	}
	switch {
	case fixed:
		pattern = regexp.QuoteMeta(pattern)
	case !extended:
		pattern = basicRegexp(pattern)
	}
	if fold {
		pattern = "(?i)" + pattern
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return false
	}
	for _, l := range secretLines {
		if re.MatchString(l) {
			return false
		}
	}
	return true
}

// basicRegexp rewrites a POSIX basic regular expression, as grep reads
// one without -E, into the extended syntax Go reads: GNU grep's \| \( \)
// \{ \} \+ \? are operators there, and | ( ) { } + ? plain characters.
func basicRegexp(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '\\' && i+1 < len(p) && strings.IndexByte("|(){}+?", p[i+1]) >= 0:
			b.WriteByte(p[i+1])
			i++
		case c == '\\' && i+1 < len(p):
			b.WriteByte(c)
			b.WriteByte(p[i+1])
			i++
		case strings.IndexByte("|(){}+?", c) >= 0:
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// dropFindings removes the findings with these ids added since index from.
func (w *walker) dropFindings(from int, ids ...string) {
	kept := w.res.Reasons[:from]
	for _, r := range w.res.Reasons[from:] {
		if slices.Contains(ids, r.ID) {
			delete(w.seen, r.ID+"\x00"+r.Message)
			continue
		}
		kept = append(kept, r)
	}
	w.res.Reasons = kept
}

// zeroCount: head or tail told to print nothing (-c0, -n 0, --bytes=0,
// -0).
func zeroCount(rest []arg) bool {
	for i, a := range rest {
		v, ok := "", false
		switch {
		case a.s == "-c" || a.s == "-n" || a.s == "--bytes" || a.s == "--lines":
			if i+1 < len(rest) {
				v, ok = rest[i+1].s, true
			}
		case strings.HasPrefix(a.s, "--bytes=") || strings.HasPrefix(a.s, "--lines="):
			_, v, ok = strings.Cut(a.s, "=")
		case len(a.s) > 2 && (strings.HasPrefix(a.s, "-c") || strings.HasPrefix(a.s, "-n")):
			v, ok = a.s[2:], true
		case len(a.s) > 1 && a.s[0] == '-' && strings.Trim(a.s[1:], "0") == "":
			v, ok = "0", true
		}
		if ok && strings.Trim(strings.TrimPrefix(v, "+"), "0") == "" && v != "" && !strings.HasPrefix(v, "+") {
			return true
		}
	}
	return false
}

// filtersNothing: grep, sort, cut, tr or uniq whose only input is empty
// (standard input known empty, or every file /dev/null). sed and awk can
// print of their own (BEGIN, i\), so they are not counted.
func filtersNothing(name string, rest []arg, in input) bool {
	switch name {
	case "grep", "egrep", "fgrep", "rg", "sort", "cut", "tr":
	default:
		return false
	}
	var files []string
	for i, a := range rest {
		if strings.HasPrefix(a.s, "-") || i == 0 && (name == "grep" || name == "egrep" || name == "fgrep" || name == "rg") {
			continue // the pattern
		}
		if name == "tr" || name == "cut" {
			continue // sets and lists, not files (cut's files are rare)
		}
		files = append(files, a.s)
	}
	if len(files) > 0 {
		return !slices.ContainsFunc(files, func(f string) bool { return f != "/dev/null" })
	}
	return in.present && in.known && in.text == ""
}
