package shell

import (
	"encoding/json"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// MaxScript is the largest script file read from the workspace; a larger one
// is judged by its command line alone... which would let a padded script
// through, so it is unknown instead.
const MaxScript = 256 << 10

// maxScriptBytes bounds what one classification reads from disk in all.
const maxScriptBytes = 1 << 20

// file is a file this command line writes before it may run it.
type file struct {
	text  string
	known bool
}

// workspace state of one classification: the directory commands run in
// and the files the command line writes along the way.
type workspace struct {
	dir     string // "" when not known (after cd $X)
	root    string // the directory the command line starts in
	written map[string]file
	// prefixes are file names a command of the line may have written
	// files under (split x.sh makes x.shaa): content only known at run time.
	prefixes []string
	read     int // bytes read from disk so far
	// disk remembers what was read from disk, by full path: a git
	// command reads .git/config for the programs it runs and again for
	// the credentials in its URLs, a script may be run twice.
	disk map[string]file
	gone []string // paths removed or emptied so far (iac.go)
	// rewritten are the files overwritten or edited in place so far.
	rewritten []string
}

// resolve joins p to the working directory; "" when it cannot be known.
// remoteRoot prefixes the paths of a remote machine (Classifier.Remote).
const remoteRoot = "/\x00remote"

func (w *walker) resolve(p string) string {
	if w.c.Remote {
		// On another machine: a name that stands for the file there,
		// under which what this line writes is kept, and which nothing
		// on this machine answers to.
		if p == "" || strings.HasPrefix(p, "$") {
			return ""
		}
		return path.Join(remoteRoot, strings.TrimPrefix(p, "~"))
	}
	if strings.HasPrefix(p, "~") || strings.HasPrefix(p, "$") || p == "" {
		return ""
	}
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	if w.ws.dir == "" {
		return ""
	}
	return filepath.Join(w.ws.dir, p)
}

// readState is what reading a script found.
type readState int

const (
	fileMissing readState = iota // not there: the command line alone is judged
	fileKnown
	fileUnknowable // written by this command line with content only known at run time, or too large
)

// readWorkspace returns the text of a file the command would run: one this
// command line wrote, else the file on disk now.
func (w *walker) readWorkspace(p string) (string, bool) {
	t, st := w.readScript(p)
	return t, st == fileKnown
}

func (w *walker) readScript(p string) (string, readState) {
	full := w.resolve(p)
	if full == "" {
		return "", fileMissing
	}
	if f, ok := w.ws.written[full]; ok {
		if !f.known {
			return "", fileUnknowable
		}
		return f.text, fileKnown
	}
	for _, pre := range w.ws.prefixes {
		if strings.HasPrefix(full, pre) {
			return "", fileUnknowable
		}
	}
	if w.c.Remote && w.c.ServiceFiles {
		return "", fileMissing // the service's own: the line alone is judged
	}
	if w.c.Remote {
		return "", fileUnknowable // there, not here
	}
	if f, ok := w.ws.disk[full]; ok {
		if !f.known {
			return "", fileMissing
		}
		return f.text, fileKnown
	}
	text, st := w.readDisk(full)
	if st != fileUnknowable {
		if w.ws.disk == nil {
			w.ws.disk = map[string]file{}
		}
		w.ws.disk[full] = file{text: text, known: st == fileKnown}
	}
	return text, st
}

// readDisk reads a regular file within the bounds on what one
// classification reads.
func (w *walker) readDisk(full string) (string, readState) {
	fh, err := os.Open(full)
	if err != nil {
		return "", fileMissing
	}
	defer fh.Close()
	if st, err := fh.Stat(); err != nil || !st.Mode().IsRegular() {
		return "", fileMissing
	}
	data, err := io.ReadAll(io.LimitReader(fh, MaxScript+1))
	if err != nil {
		return "", fileMissing
	}
	if len(data) > MaxScript || w.ws.read+len(data) > maxScriptBytes {
		return "", fileUnknowable
	}
	w.ws.read += len(data)
	return string(data), fileKnown
}

// wrote records what a redirection or tee writes to a file.
func (w *walker) wrote(p string, text string, known, appending bool) {
	w.guarded(p, false)
	if !appending {
		w.secretOverwritten(p, false)
	}
	full := w.resolve(p)
	if full == "" {
		return
	}
	if appending {
		prev, st := w.readScript(p)
		switch st {
		case fileKnown:
			text = prev + text
		case fileUnknowable:
			known = false
		}
	}
	w.ws.written[full] = file{text: text, known: known}
	w.autoRunContent(p, text, known, 0)
	if slash := filepath.ToSlash(full); strings.Contains(slash, "/.git/hooks/") || strings.Contains(slash, "/.husky/") ||
		strings.HasSuffix(slash, "/.git/hooks") || strings.HasSuffix(slash, "/.husky") {
		// (the directory itself: cp hk/pre-commit .git/hooks/)
		// A hook runs at the next commit, checkout or push.
		if !known {
			w.add("git.hook-unknown", unknown, "writes the git hook "+p+" with content only known at run time")
			return
		}
		w.add("git.hook-write", write, "writes the git hook "+p)
		w.script(text, 1)
	}
}

// scriptFile classifies a shell script the command runs from the workspace.
func (w *walker) scriptFile(p, how string, depth int) {
	w.runFile(p, how, "sh", depth, true)
}

// runFile classifies a program file by its language (or shebang); same
// runs a shell script in the current shell (source).
func (w *walker) runFile(p, how, lang string, depth int, same bool) {
	if strings.ContainsAny(p, "*?[") {
		// bash *.sh runs the first file the pattern matches (the others
		// are its arguments); a loop over the pattern runs each. Every
		// match is judged; a pattern that matches nothing in the
		// workspace now may match what the line writes first: unknown.
		matches, _ := filepath.Glob(w.resolve(p))
		if len(matches) == 0 || len(matches) > 16 {
			w.add("shell.script-unknown", unknown, how+" runs the files "+p+" matches, which are only known at run time")
			return
		}
		for _, m := range matches {
			w.runFile(m, how, lang, depth, same)
		}
		return
	}
	text, st := w.readScript(p)
	switch st {
	case fileMissing:
		w.add("shell.run-script", write, how+" runs "+p)
		return
	case fileUnknowable:
		w.add("shell.script-unknown", unknown, how+" runs "+p+", whose content is only known at run time or too large to inspect")
		return
	}
	if depth > maxDepth {
		w.add("shell.too-deep", unknown, "scripts nested too deeply to inspect")
		return
	}
	if l := shebangLang(text); l != "" {
		lang = l
	}
	w.add("shell.run-script", write, how+" runs "+p)
	switch lang {
	case "sh":
		if same {
			w.scriptSameSized(text, depth+1)
		} else {
			w.scriptSized(text, depth+1)
		}
	case "":
		// A binary or a language not read here: the command line alone.
	default:
		w.code(lang, arg{s: text}, depth+1)
	}
}

var shebang = regexp.MustCompile(`^#!\s*(\S+)(?:\s+(\S+))?`)

// shebangLang reads the interpreter a script names on its first line.
func shebangLang(text string) string {
	m := shebang.FindStringSubmatch(text)
	if m == nil {
		return ""
	}
	prog := filepath.Base(m[1])
	if prog == "env" && m[2] != "" {
		prog = m[2]
		if prog == "-S" {
			return ""
		}
	}
	switch {
	case isShell(prog):
		return "sh"
	case strings.HasPrefix(prog, "python") || strings.HasPrefix(prog, "pypy"):
		return "python"
	case prog == "node" || prog == "nodejs" || prog == "bun" || prog == "deno" || prog == "tsx" || prog == "ts-node":
		return "node"
	case prog == "ruby" || prog == "perl" || prog == "php" || prog == "lua":
		return prog
	}
	return "-"
}

// extLang guesses a program file's language from its extension.
func extLang(p string) string {
	switch strings.ToLower(filepath.Ext(p)) {
	case ".sh", ".bash", ".zsh", ".ksh", ".command":
		return "sh"
	case ".py":
		return "python"
	case ".js", ".mjs", ".cjs", ".ts", ".mts", ".cts", ".jsx", ".tsx":
		return "node"
	case ".rb":
		return "ruby"
	case ".pl", ".pm":
		return "perl"
	case ".php":
		return "php"
	case ".lua":
		return "lua"
	}
	return ""
}

// localProgram: ./x.sh, bin/deploy, /abs/path/tool: a program file the
// workspace may hold. Its shebang or extension says how to read it.
func (w *walker) localProgram(name string) bool {
	if !strings.Contains(name, "/") {
		return false
	}
	text, st := w.readScript(name)
	if st == fileMissing {
		return false
	}
	if st == fileUnknowable {
		// Written by this command line with content only known at run
		// time (downloaded, copied from a program): it may be anything.
		w.add("shell.script-unknown", unknown, "runs "+name+", whose content is only known at run time")
		return true
	}
	lang := extLang(name)
	if st == fileKnown {
		if l := shebangLang(text); l != "" {
			lang = l
		}
		if lang == "" && looksLikeShell(text) {
			lang = "sh"
		}
	}
	if lang == "" || lang == "-" {
		return false
	}
	w.runFile(name, name, lang, 0, false)
	return true
}

// looksLikeShell: a text file without a shebang is run by the shell.
func looksLikeShell(text string) bool {
	return !strings.ContainsRune(text[:min(len(text), 512)], 0)
}

// npmScript classifies `npm run X` / `yarn X` / `pnpm X` / `bun run X` by the
// package.json script it runs, with its pre and post scripts.
func (w *walker) npmScriptIn(pkgFile string, tool string, args []arg, depth int) bool {
	var name string
	var rest []arg
	i := 0
	for i < len(args) && strings.HasPrefix(args[i].s, "-") {
		if slices.Contains(npmValueOpts, args[i].s) {
			i++ // npm --prefix . start: the value is not the subcommand
		}
		i++
	}
	if i >= len(args) {
		// Bare yarn installs.
		if tool == "yarn" {
			return w.lifecycleIn(pkgFile, tool, "install", depth)
		}
		return false
	}
	sub := args[i].s
	viaRun := false
	if phase, ok := lifecyclePhases[sub]; ok {
		return w.lifecycleIn(pkgFile, tool, phase, depth)
	}
	switch {
	case sub == "run" || sub == "run-script" || sub == "rum" || sub == "urn":
		if i+1 >= len(args) {
			return false
		}
		name, rest = args[i+1].s, tail(args, i+2)
		viaRun = tool != "npm"
	case sub == "test" || sub == "start" || sub == "stop" || sub == "restart" || sub == "t" || sub == "tst":
		name, rest = map[string]string{"t": "test", "tst": "test"}[sub], tail(args, i+1)
		if name == "" {
			name = sub
		}
	case tool == "yarn" || tool == "pnpm" || tool == "bun":
		name, rest = sub, tail(args, i+1)
	default:
		return false
	}
	// yarn, pnpm and bun run a package's program, or (bun) any file or
	// command, by the name no script has: bun run rm -rf ~ runs rm.
	asProgram := func() bool {
		if !viaRun || args[i+1].dyn || strings.Contains(name, "/") || path.Ext(name) != "" {
			return false // a file: the interpreter reads it
		}
		w.command(append([]arg{args[i+1]}, rest...), input{}, depth+1)
		return true
	}
	text, st := w.readScript(pkgFile)
	if st == fileUnknowable {
		w.add("pkg.unreadable", unknown, pkgFile+" is written by this command line; the script "+name+" cannot be read")
		return true
	}
	if st != fileKnown {
		if pkgFile != "package.json" {
			w.add("pkg.unreadable", unknown, tool+" runs the script "+name+" of "+pkgFile+", which Chaperone cannot read")
			return true
		}
		return asProgram()
	}
	var pkg struct {
		Scripts map[string]string `json:"scripts"`
	}
	if json.Unmarshal([]byte(text), &pkg) != nil {
		w.add("pkg.unreadable", unknown, pkgFile+" does not parse; the script "+name+" cannot be read")
		return true
	}
	body, ok := pkg.Scripts[name]
	order := []string{"pre" + name, name, "post" + name}
	if !ok && name == "restart" && !viaRun {
		// npm restart with no restart script stops and starts, with
		// every pre and post script of the three.
		order = []string{"prerestart", "prestop", "stop", "poststop", "prestart", "start", "poststart", "postrestart"}
		ok = true
	}
	if !ok && name == "start" && !viaRun {
		// npm start with no start script runs node server.js, between
		// its prestart and poststart scripts.
		if _, st := w.readScript(path.Join(path.Dir(pkgFile), "server.js")); st != fileMissing {
			w.command([]arg{{s: "node"}, {s: path.Join(path.Dir(pkgFile), "server.js")}}, input{}, depth+1)
			ok = true
		}
		ok = ok || pkg.Scripts["prestart"] != "" || pkg.Scripts["poststart"] != ""
	}
	if !ok && name == "env" && viaRunOrNpm(tool, sub) {
		// npm run env, with no script of that name, prints the
		// environment npm gives scripts: every variable, tokens included.
		w.add("creds.env-dump", credential, tool+" run env prints the environment, tokens included")
		return true
	}
	if !ok {
		return asProgram()
	}
	w.add("shell.run", write, tool+" runs the package script "+name)
	for _, n := range order {
		s, ok := pkg.Scripts[n]
		if !ok {
			continue
		}
		if n == name {
			for _, a := range rest {
				if a.s == "--" {
					continue
				}
				if a.dyn {
					s += ` "$__chaperone_unknown"`
				} else if q, err := syntax.Quote(a.s, syntax.LangBash); err == nil {
					s += " " + q
				}
			}
		}
		w.script(s, depth+1)
	}
	_ = body
	return true
}

var makeVar = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_.-]*)\s*(?:[:+?!]?=|::=)\s*(.*)$`)

// makeRecipes classifies what `make TARGET...` runs: each target's recipe
// and those of its prerequisites, with simple variables substituted.
func (w *walker) makeRecipes(args []arg, in input, depth int) bool {
	file := ""
	var targets []string
	dir := ""
	overrides := map[string]string{} // VAR=value on the command line
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a.dyn {
			return false
		}
		switch {
		case a.s == "-f" || a.s == "--file" || a.s == "--makefile":
			if i+1 < len(args) {
				file = args[i+1].s
				i++
			}
		case strings.HasPrefix(a.s, "-f") && len(a.s) > 2:
			file = a.s[2:]
		case strings.HasPrefix(a.s, "--file=") || strings.HasPrefix(a.s, "--makefile="):
			_, file, _ = strings.Cut(a.s, "=")
		case a.s == "-C" || a.s == "--directory" || a.s == "--dir" || a.s == "--direc" || a.s == "--director":
			if i+1 < len(args) {
				dir = args[i+1].s
				i++
			}
		case strings.HasPrefix(a.s, "-C") && len(a.s) > 2:
			dir = a.s[2:] // -Ctools
		case strings.HasPrefix(a.s, "--") && strings.Contains(a.s, "=") && abbreviates(a.s[:strings.IndexByte(a.s, '=')], "--directory"):
			_, dir, _ = strings.Cut(a.s, "=") // --directory=tools, --dir=tools
		case !strings.HasPrefix(a.s, "--") && len(a.s) > 2 && a.s[0] == '-' && strings.ContainsRune(a.s, 'C'):
			// A cluster with C (-sCtools, -sC tools): what follows it is the
			// directory, glued or the next word.
			if j := strings.IndexByte(a.s, 'C'); j < len(a.s)-1 {
				dir = a.s[j+1:]
			} else if i+1 < len(args) {
				dir = args[i+1].s
				i++
			}
		case a.s == "-j" || a.s == "-l" || a.s == "-o" || a.s == "-W" || a.s == "-I":
			i++
		case strings.HasPrefix(a.s, "-"):
		case isMakeAssignment(a.s):
			name, value := makeAssignment(a.s)
			overrides[name] = value
		default:
			targets = append(targets, a.s)
		}
	}
	// The shell recipes run in: another program, or flags that carry a
	// command of their own (.SHELLFLAGS='-c "rm -rf ~"'), runs that
	// instead of (or before) every recipe.
	if v, ok := overrides["SHELL"]; ok && !isShell(baseName(strings.TrimSpace(v))) {
		w.add("shell.dynamic-script", unknown, "make runs every recipe through SHELL="+v)
		return true
	}
	if v, ok := overrides[".SHELLFLAGS"]; ok && !safeShellFlags.MatchString(strings.TrimSpace(v)) {
		w.add("shell.dynamic-script", unknown, "make runs every recipe with .SHELLFLAGS="+v)
		return true
	}
	if v, ok := overrides["MAKEFLAGS"]; ok && makeFlagsRun(v) {
		w.add("shell.dynamic-script", unknown, "make reads MAKEFLAGS="+v+", which adds makefiles or code of its own")
		return true
	}
	var text string
	switch {
	case file == "-" || file == "/dev/stdin" || file == "/dev/fd/0" || file == "/proc/self/fd/0":
		switch {
		case in.present && in.known:
			text = in.text
		case in.present:
			w.add("shell.pipe-to-shell", unknown, "make runs a makefile from "+in.from+", only known at run time")
			return true
		default:
			return false
		}
	case isFdPath(file) || strings.HasPrefix(file, "<("):
		w.add("shell.script-unknown", unknown, "make runs a makefile from "+file+", only known at run time")
		return true
	case file == "/dev/null":
		return false // no rules: make runs nothing of its own
	default:
		names := []string{"GNUmakefile", "makefile", "Makefile"}
		if file != "" {
			names = []string{file}
		}
		found := false
		for _, n := range names {
			if dir != "" {
				n = filepath.Join(dir, n)
			}
			t, st := w.readScript(n)
			if st == fileUnknowable {
				w.add("shell.script-unknown", unknown, "make runs "+n+", whose content is only known at run time or too large to inspect")
				return true
			}
			if st == fileKnown {
				text, found = t, true
				break
			}
		}
		if !found {
			if dir != "" || file != "" {
				// make -C ~ clean: a makefile Chaperone cannot read here.
				w.add("shell.script-unknown", unknown, "make runs a makefile Chaperone cannot read ("+filepath.Join(dir, file)+")")
				return true
			}
			return false
		}
	}
	text, ok := w.withIncludes(text, dir, 0)
	if !ok {
		return true
	}
	w.add("shell.run", write, "make runs recipes")
	mk := parseMakefile(text)
	// $(shell ...) runs wherever make expands it, and VAR != CMD as the
	// line is read: judged wherever they stand, recipes included.
	for _, sh := range makeShellCalls(text) {
		w.script(mk.subst(sh, "", &makeRule{}), depth+1)
	}
	for _, m := range makeBangAssign.FindAllStringSubmatch(text, -1) {
		w.script(mk.subst(m[1], "", &makeRule{}), depth+1)
	}
	// A variable set on the command line overrides the makefile's and
	// make's own (make build CC='rm -rf ~;' runs that as the compiler).
	for name, value := range overrides {
		mk.vars[name] = value
	}
	for _, v := range mk.vars {
		// Assignments run their $(shell ...) as make reads the file.
		for _, sh := range makeShellCalls(v) {
			w.script(mk.subst(sh, "", &makeRule{}), depth+1)
		}
	}
	if len(targets) == 0 && mk.first != "" {
		targets = []string{mk.first}
	}
	seen := map[string]bool{}
	var visit func(t string, n int)
	visit = func(t string, n int) {
		if seen[t] || n > 32 {
			return
		}
		seen[t] = true
		rule, ok := mk.rules[t]
		if !ok {
			rule, ok = mk.pattern(t)
		}
		if !ok {
			return
		}
		for _, p := range rule.prereqs {
			visit(mk.subst(p, t, rule), n+1)
		}
		for _, line := range rule.recipe {
			line = strings.TrimLeft(line, "@-+ \t")
			w.script(mk.subst(line, t, rule), depth+1)
		}
	}
	for _, t := range targets {
		visit(t, 0)
	}
	return true
}

// makeAssignment splits a make variable set on its command line
// (VAR=value, VAR:=value, VAR::=value, VAR+=value, VAR?=value) into the
// variable's name and its value.
func makeAssignment(s string) (name, value string) {
	name, value, _ = strings.Cut(s, "=")
	return strings.TrimRight(name, ":+?!"), value
}

func isMakeAssignment(s string) bool {
	// make reads every argument with an = as an assignment; a variable's
	// name may hold anything but blanks, : and # (.SHELLFLAGS, a.b).
	name, _ := makeAssignment(s)
	return strings.Contains(s, "=") && name != "" && !strings.ContainsAny(name, " \t#:")
}

// makeDefaults are make's own variables.
var makeDefaults = map[string]string{"MAKE": "make", "CC": "cc", "CXX": "g++", "RM": "rm -f", "AR": "ar", "LD": "ld", "CURDIR": ".", "SHELL": "/bin/sh", "MAKEFLAGS": "", "CP": "cp", "MV": "mv"}

type makeRule struct {
	prereqs []string
	recipe  []string
}

type makefile struct {
	vars  map[string]string
	rules map[string]*makeRule
	first string
}

func (m *makefile) pattern(t string) (*makeRule, bool) {
	keys := make([]string, 0, len(m.rules))
	for k := range m.rules {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if pre, suf, ok := strings.Cut(k, "%"); ok && strings.HasPrefix(t, pre) && strings.HasSuffix(t, suf) {
			return m.rules[k], true
		}
	}
	return nil, false
}

// subst replaces $(VAR), ${VAR}, automatic variables and $$ the way make
// does before the shell sees a recipe line. A variable make does not
// define here comes from the environment: it stays a shell variable.
func (m *makefile) subst(s, target string, r *makeRule) string {
	for n := 0; n < 8 && strings.Contains(s, "$"); n++ {
		var b strings.Builder
		changed := false
		for i := 0; i < len(s); i++ {
			if s[i] != '$' || i+1 >= len(s) {
				b.WriteByte(s[i])
				continue
			}
			c := s[i+1]
			switch {
			case c == '$':
				b.WriteString("$$")
				i++
				continue
			case c == '@':
				b.WriteString(target)
			case c == '<' && len(r.prereqs) > 0:
				b.WriteString(r.prereqs[0])
			case c == '^':
				b.WriteString(strings.Join(r.prereqs, " "))
			case c == '(' || c == '{':
				end := closing(s[i+1:], c)
				if end >= 0 {
					end++
				}
				if end < 0 {
					b.WriteString(s[i:])
					i = len(s)
					continue
				}
				name := s[i+2 : i+end]
				_, set := m.vars[name]
				if v, ok := makeDefaults[name]; ok && !set {
					b.WriteString(v)
				} else if sh, ok := strings.CutPrefix(name, "shell "); ok {
					b.WriteString("$(" + sh + ")")
				} else if v, ok := m.vars[name]; ok {
					b.WriteString(v)
				} else if isName(name) {
					b.WriteString("${" + name + "}")
				} else if v, ok := makeTextFunction(m.subst(name, target, r)); ok {
					b.WriteString(v)
				} else {
					b.WriteString("${__make_function}") // only known when make runs
				}
				i += end
				changed = true
				continue
			default:
				b.WriteByte('$')
				continue
			}
			i++
			changed = true
		}
		s = b.String()
		if !changed {
			break
		}
	}
	return strings.ReplaceAll(s, "$$", "$")
}

func parseMakefile(text string) *makefile {
	m := &makefile{vars: map[string]string{}, rules: map[string]*makeRule{}}
	text = strings.ReplaceAll(text, "\\\n", " ")
	var cur []*makeRule
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "\t") {
			for _, r := range cur {
				r.recipe = append(r.recipe, strings.TrimPrefix(line, "\t"))
			}
			continue
		}
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		t = strings.TrimPrefix(strings.TrimPrefix(t, "export "), "override ")
		if mv := makeVar.FindStringSubmatch(t); mv != nil {
			m.vars[mv[1]] = mv[2]
			cur = nil
			continue
		}
		head, body, ok := strings.Cut(t, ":")
		if !ok {
			cur = nil
			continue
		}
		body = strings.TrimPrefix(body, ":")
		pre, inline, _ := strings.Cut(body, ";")
		cur = nil
		for _, name := range strings.Fields(head) {
			r := m.rules[name]
			if r == nil {
				r = &makeRule{}
				m.rules[name] = r
			}
			r.prereqs = append(r.prereqs, strings.Fields(strings.Split(pre, "|")[0])...)
			if strings.TrimSpace(inline) != "" {
				r.recipe = append(r.recipe, inline)
			}
			cur = append(cur, r)
			if m.first == "" && !strings.HasPrefix(name, ".") && !strings.Contains(name, "%") {
				m.first = name
			}
		}
	}
	return m
}

// closing returns the index in s (which starts with open) of its matching
// bracket, or -1.
func closing(s string, open byte) int {
	close := map[byte]byte{'(': ')', '{': '}'}[open]
	n := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case open:
			n++
		case close:
			n--
			if n == 0 {
				return i
			}
		}
	}
	return -1
}

// makeShellCalls returns the commands of the $(shell ...) calls in s.
func makeShellCalls(s string) []string {
	var out []string
	for {
		loc := makeShellCall.FindStringIndex(s)
		if loc == nil {
			return out
		}
		i, open := loc[0], s[loc[0]+1]
		end := closing(s[i+1:], open)
		if end < 0 {
			return append(out, s[loc[1]:])
		}
		out = append(out, s[loc[1]:i+1+end])
		s = s[i+1+end:]
	}
}

// makeShellCall: $(shell CMD) or ${shell CMD}, with any space after shell.
var makeShellCall = regexp.MustCompile(`\$[({]shell[ \t\n]`)

// makeBangAssign: VAR != CMD runs CMD as make reads the line.
var makeBangAssign = regexp.MustCompile(`(?m)^[ \t]*(?:export[ \t]+|override[ \t]+)*[A-Za-z_][A-Za-z0-9_.-]*[ \t]*!=[ \t]*(.*)$`)

// makeInclude: include, -include and sinclude lines, and the files they name.
var makeInclude = regexp.MustCompile(`(?m)^[ \t]*(-?include|sinclude)[ \t]+(.+)$`)

// withIncludes returns a makefile's text with the files it includes put
// in, as make reads them, judging what cannot be read: it reports false
// when it has said the makefile is unknown.
func (w *walker) withIncludes(text, dir string, n int) (string, bool) {
	if n > 8 {
		w.add("shell.script-unknown", unknown, "make includes makefiles more than 8 deep")
		return "", false
	}
	var b strings.Builder
	last := 0
	for _, m := range makeInclude.FindAllStringSubmatchIndex(text, -1) {
		b.WriteString(text[last:m[0]])
		last = m[1]
		optional := text[m[2]:m[3]] != "include"
		for _, f := range strings.Fields(text[m[4]:m[5]]) {
			if strings.ContainsAny(f, "$*?[") {
				w.add("shell.script-unknown", unknown, "make includes "+f+", which names its makefiles only when make runs")
				return "", false
			}
			p := f
			if dir != "" && !filepath.IsAbs(p) {
				p = filepath.Join(dir, p)
			}
			t, st := w.readScript(p)
			switch {
			case st == fileKnown:
				inner, ok := w.withIncludes(t, dir, n+1)
				if !ok {
					return "", false
				}
				b.WriteString(inner + "\n")
			case st == fileUnknowable || !optional:
				// A makefile make must include and cannot find, it first
				// tries to make, by rules Chaperone has not judged.
				w.add("shell.script-unknown", unknown, "make includes "+f+", whose content Chaperone cannot read now")
				return "", false
			}
		}
	}
	b.WriteString(text[last:])
	return b.String(), true
}

// safeShellFlags: .SHELLFLAGS that only set options and end in -c.
var safeShellFlags = regexp.MustCompile(`^(?:(?:-[a-zA-Z]+|-o\s+\w+|\+[a-zA-Z]+)\s+)*-[a-zA-Z]*c$`)

// makeFlagsRun: MAKEFLAGS (or MFLAGS) that make read as more than
// switches: --eval code, a makefile, a directory, an assignment.
func makeFlagsRun(v string) bool {
	for _, f := range strings.Fields(v) {
		switch {
		case strings.HasPrefix(f, "--eval"), strings.HasPrefix(f, "--file"), strings.HasPrefix(f, "--makefile"), strings.HasPrefix(f, "--directory"),
			strings.HasPrefix(f, "--include-dir"), strings.Contains(f, "="):
			return true
		case strings.HasPrefix(f, "-") && !strings.HasPrefix(f, "--") && strings.ContainsAny(f, "fCEI"):
			return true
		}
	}
	return false
}

// viaRunOrNpm: npm run, or yarn/pnpm run, whose built-in env script
// prints the environment.
func viaRunOrNpm(tool, sub string) bool {
	return sub == "run" || sub == "run-script" || sub == "env" && tool == "yarn"
}

// npmValueOpts are npm's (and yarn's, pnpm's) options that take the next
// word as their value.
var npmValueOpts = []string{"--prefix", "-C", "--dir", "-w", "--workspace", "--filter", "-F", "--cache", "--registry", "--userconfig", "--cwd", "--tag", "--loglevel"}

// lifecyclePhases: the subcommands that run the package's own lifecycle
// scripts, by the phase whose scripts they run.
var lifecyclePhases = map[string]string{
	"install": "install", "i": "install", "ci": "install", "add": "install", "rebuild": "install", "link": "install", "ln": "install",
	"pack": "pack", "publish": "publish", "version": "version",
}

// lifecycleScripts are the package.json scripts each phase runs.
var lifecycleScripts = map[string][]string{
	"install": {"preinstall", "install", "postinstall", "prepublish", "preprepare", "prepare", "postprepare"},
	"pack":    {"prepack", "prepare", "postpack"},
	"publish": {"prepublishOnly", "prepack", "prepare", "postpack", "prepublish", "publish", "postpublish"},
	"version": {"preversion", "version", "postversion"},
}

// lifecycle classifies the package's own scripts that npm install, ci,
// pack, publish or version runs; it reports whether the package.json
// could be read (the dependencies' scripts are theirs: not read here).
func (w *walker) lifecycleIn(pkgFile, tool, phase string, depth int) bool {
	text, ok := w.readWorkspace(pkgFile)
	if !ok {
		return false
	}
	var pkg struct {
		Scripts map[string]string `json:"scripts"`
	}
	if json.Unmarshal([]byte(text), &pkg) != nil {
		w.add("pkg.unreadable", unknown, "package.json does not parse; its "+phase+" scripts cannot be read")
		return true
	}
	ran := false
	for _, n := range lifecycleScripts[phase] {
		if s, ok := pkg.Scripts[n]; ok {
			if !ran {
				w.add("shell.run", write, tool+" "+phase+" runs the package's "+n+" script")
				ran = true
			}
			w.script(s, depth+1)
		}
	}
	return ran
}

// mayHaveWritten marks the files a command may write without saying what
// it writes, so that running one later in the same line is judged as
// running what is only known at run time (sort -o x.sh <<< ...; sh x.sh):
// a program no rule describes, handed paths; sort -o, uniq's output,
// split's and csplit's prefixes, an editor's files.
func (w *walker) mayHaveWritten(c *call) {
	mark := func(p arg, prefix bool) {
		if prefix {
			w.edited("$?", true) // patch, split: which files is known at run time
		} else {
			w.edited(p.s, p.dyn)
		}
		if p.dyn {
			return
		}
		full := w.resolve(p.s)
		if full == "" {
			return
		}
		if prefix {
			w.ws.prefixes = append(w.ws.prefixes, full)
			return
		}
		if _, ok := w.ws.written[full]; !ok {
			w.ws.written[full] = file{}
		}
	}
	switch c.name {
	case "sort":
		for _, v := range escapeValues(c, []string{"-o", "--output"}) {
			mark(v, false)
		}
	case "uniq":
		if ops := c.operands(0); len(ops) == 2 {
			mark(ops[1].arg, false)
		}
	case "split", "csplit", "gsplit":
		for _, v := range escapeValues(c, []string{"-f", "--prefix"}) {
			mark(v, true)
		}
		if ops := c.operands(0); len(ops) >= 2 && c.name != "csplit" {
			mark(ops[len(ops)-1].arg, true)
		} else if c.name == "csplit" {
			mark(arg{s: "xx"}, true)
		} else {
			mark(arg{s: "x"}, true)
		}
	case "sed", "gsed", "perl", "ruby", "awk", "gawk", "mawk", "nawk":
		// Edited in place: what a script or recipe among them holds
		// afterwards is the edit's, not the disk's now.
		if !editsInPlace(c) {
			return
		}
		for _, p := range c.pos {
			mark(p.arg, false)
		}
	case "patch":
		// It changes the files its diff names, under the directory.
		mark(arg{s: "."}, true)
		for _, v := range escapeValues(c, []string{"-d", "--directory"}) {
			mark(v, true)
		}
	case "mktemp":
		// It creates its template's file, empty (or a directory).
		if c.has("-d", "--directory", "-u", "--dry-run") {
			return
		}
		for _, p := range c.pos {
			if full := w.resolve(p.s); !p.dyn && !p.afterFlag && full != "" {
				if _, ok := w.ws.written[full]; !ok {
					w.ws.written[full] = file{known: true}
				}
			}
		}
	case "ex", "vi", "vim", "nvim", "view", "vimdiff", "ed", "red":
		for _, p := range c.pos {
			mark(p.arg, false)
		}
		for _, v := range escapeValues(c, []string{"-c", "--cmd", "+"}) {
			for _, m := range exWrites.FindAllStringSubmatch(v.s, -1) {
				mark(arg{s: m[1], dyn: v.dyn}, false)
			}
		}
	default:
		if described[c.name] || slices.Contains(readOnly, c.name) || slices.Contains(metadataOnly, c.name) || slices.Contains(printers, c.name) {
			return
		}
		for _, a := range c.args {
			for _, s := range pathSpellings(a.s) {
				if !strings.HasPrefix(s, "-") {
					mark(arg{s: s, dyn: a.dyn}, false)
				}
			}
		}
	}
}

// exWrites are an editor command's writes to a file it names (w x.sh,
// saveas x.sh, wq x.sh).
var exWrites = regexp.MustCompile(`(?:^|[|:\s])(?:w|write|wq|x|xit|sav|saveas|up|update)!?\s+(?:>>\s*)?([^\s|]+)`)

// makeTextFunction evaluates a call of one of make's functions that only
// rework the text they are given ($(dir bin/x) is bin/), when that text is
// known; ok is false for any other call.
func makeTextFunction(call string) (string, bool) {
	fn, args, ok := strings.Cut(call, " ")
	if !ok || strings.ContainsAny(args, "$`") {
		return "", false
	}
	words := strings.Fields(args)
	each := func(f func(string) string) (string, bool) {
		out := make([]string, len(words))
		for i, w := range words {
			out[i] = f(w)
		}
		return strings.Join(out, " "), true
	}
	switch fn {
	case "dir":
		return each(func(w string) string {
			if i := strings.LastIndexByte(w, '/'); i >= 0 {
				return w[:i+1]
			}
			return "./"
		})
	case "notdir":
		return each(func(w string) string { return w[strings.LastIndexByte(w, '/')+1:] })
	case "strip":
		return strings.Join(words, " "), true
	case "firstword":
		if len(words) == 0 {
			return "", true
		}
		return words[0], true
	case "lastword":
		if len(words) == 0 {
			return "", true
		}
		return words[len(words)-1], true
	}
	return "", false
}
