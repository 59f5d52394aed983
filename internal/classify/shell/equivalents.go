package shell

import (
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// equivalents classifies what a call amounts to besides itself: kill
// $(pgrep x) is pkill x; terragrunt run-all apply (and run --all --
// apply) is terragrunt apply in every module; scp's and sftp's -o and -F
// are ssh's; git apply -R of git's own diff is a checkout of the paths.
func (w *walker) equivalents(c *call, in input, depth int) {
	// A reversed patch of the working tree's own changes discards them:
	// git diff | git apply -R is git checkout -- . by another name.
	// So is git diff -R | git apply: one of the two reverses, not both.
	fromGit, reversed := in.present && (in.from == "git" || in.from == "git -R"), in.present && in.from == "git -R"
	for _, p := range c.pos {
		if p.proc != nil {
			if f := w.procOutput(p.proc, depth).from; f == "git" || f == "git -R" {
				fromGit, reversed = true, f == "git -R" // git apply -R <(git diff)
			}
		}
	}
	if (c.name == "git" && c.sub("apply") || c.name == "patch") && fromGit && c.has("-R", "--reverse") != reversed && !c.has("--check", "--stat", "--numstat", "--summary") {
		w.add("git.checkout-discard", destructive, c.name+" of git's own diff, reversed, discards uncommitted changes")
	} else if (c.name == "git" && c.sub("apply") || c.name == "patch") && c.has("-R", "--reverse") && !c.has("--check", "--stat", "--numstat", "--summary", "--dry-run") {
		// A patch file this line writes, or one not there to read, may be
		// git's own diff saved first (git diff > p; git apply -R p).
		for i, p := range c.pos {
			if c.name == "git" && i == 0 {
				continue // "apply"
			}
			if _, st := w.readScript(p.s); p.dyn || st != fileKnown {
				w.add("git.reverse-unknown-patch", unknown, c.name+" -R reverses a patch Chaperone cannot read now, which may be the working tree's own changes")
				break
			}
		}
	}
	if c.name == "tar" && tarExtracts(c) && in.present && in.from == "git archive" {
		if d, ok := c.flagValue("-C", "--directory"); !ok || path.Clean(d) == "." {
			w.add("git.checkout-discard", destructive, "tar unpacks git's committed files over the working tree, discarding uncommitted changes")
		}
	}
	switch c.name {
	case "scp", "sftp":
		// Their -o and -F are ssh's.
		for i, a := range c.args {
			if strings.HasPrefix(a.s, "-o") || strings.HasPrefix(a.s, "-F") {
				w.sshOption(c.args, i, depth)
			}
		}
	case "kill":
		for _, a := range c.args {
			n, ok := strings.CutPrefix(a.s, "$(pids")
			if !ok || !a.dyn {
				continue
			}
			if i, err := strconv.Atoi(strings.TrimSuffix(n, ")")); err == nil && i < len(w.pidLists) {
				w.command(w.pidLists[i], input{}, depth+1)
			}
		}
	case "terragrunt":
		args := c.args
		for len(args) > 0 && strings.HasPrefix(args[0].s, "-") {
			args = args[1:]
		}
		if len(args) == 0 || args[0].s != "run-all" && args[0].s != "run" {
			return
		}
		args = args[1:]
		for len(args) > 0 && (args[0].s == "--all" || args[0].s == "-a" || args[0].s == "--" || strings.HasPrefix(args[0].s, "--queue-") || args[0].s == "--non-interactive") {
			args = args[1:]
		}
		if len(args) > 0 {
			w.command(append([]arg{{s: "terragrunt"}}, args...), in, depth+1)
		}
	}
}

// shellBuiltins judges bash's builtins that run, write or print what
// their words do not show: fc re-runs history, history -w writes it over a
// file, compgen -C runs a command, set -k makes assignments after a
// command its environment, declare -p prints a variable.
func (w *walker) shellBuiltins(c *call, depth int) {
	switch c.name {
	case "fc":
		if !c.has("-l") {
			w.add("shell.history-run", unknown, "fc runs commands from the shell's history, which this line does not show")
		}
	case "history":
		if c.has("-w", "-a", "-r", "-n") {
			for _, p := range c.pos {
				if c.has("-w", "-a") {
					w.truncates(p.s, p.dyn, "history -w")
				}
			}
		}
	case "compgen", "complete":
		for _, v := range optionValues(c, "-C") {
			w.shellString(v, depth)
		}
	case "set":
		for _, a := range c.args {
			if a.s == "-k" || len(a.s) > 1 && a.s[0] == '-' && isLetters(a.s[1:]) && strings.ContainsRune(a.s, 'k') || a.s == "keyword" {
				w.add("shell.keyword-assignments", unknown, "set -k makes NAME=value words anywhere on a command line its environment, which can make programs run commands")
			}
		}
	case "declare", "typeset", "local", "export", "readonly":
		if c.has("-p") {
			for _, p := range c.pos {
				if p.dyn || secretName(p.s) {
					w.add("creds.printenv", credential, c.name+" -p prints "+p.s+", which holds a credential")
				}
			}
		}
	}
}

// searchesSecrets: a recursive search that prints lines over a directory
// holding credential files, with a pattern that matches their lines
// (grep -r ” ., grep -r = ., rg -uu ”), prints the credentials.
func (w *walker) searchesSecrets(c *call) {
	var recursive, hidden bool
	switch c.name {
	case "diff", "colordiff":
		// diff -r of a directory with .env against another (or an empty
		// one, -N) prints .env's lines.
		if c.has("-r", "--recursive") || slices.ContainsFunc(c.flags, func(f string) bool { return !strings.HasPrefix(f, "--") && strings.Contains(f, "r") }) {
			for _, p := range c.pos {
				if s := w.secretsIn(p.s); len(s) > 0 && !c.has("-q", "--brief") {
					w.add("creds.read-secret-file", credential, c.name+" -r prints "+s[0]+"'s lines")
					w.target(s[0])
					return
				}
			}
		}
		return
	case "find":
		// find -exec cat {} + over a directory with .env prints it.
		if !c.has("-exec", "-execdir", "-ok", "-okdir") {
			return
		}
		for i, a := range c.args {
			if (a.s == "-exec" || a.s == "-execdir" || a.s == "-ok" || a.s == "-okdir") && i+1 < len(c.args) && slices.Contains(inputPrinters, baseName(c.args[i+1].s)) {
				pats := nameTests("find", c.args)
				for _, p := range listed("find", c.args[:i]) {
					for _, s := range w.secretsIn(p) {
						if len(pats) == 0 || slices.ContainsFunc(pats, func(pt string) bool { return globMatch(pt, path.Base(s)) }) {
							w.add("creds.read-secret-file", credential, "find runs "+c.args[i+1].s+" on what it finds, "+s+" included")
							w.target(s)
							return
						}
					}
				}
			}
		}
		return
	case "grep", "egrep", "fgrep":
		hidden = true
		for _, f := range c.flags {
			if f == "--recursive" || f == "--dereference-recursive" || !strings.HasPrefix(f, "--") && strings.ContainsAny(f[1:], "rR") {
				recursive = true
			}
		}
	case "git":
		// git grep --no-index or --untracked reads files git does not
		// track, .env among them.
		if !c.sub("grep") || !c.has("--no-index", "--untracked") {
			return
		}
		recursive, hidden = true, true
	case "rg", "ag", "ack":
		recursive = true
		hidden = slices.ContainsFunc(c.args, func(a arg) bool {
			return a.s == "--hidden" || a.s == "-." || a.s == "--unrestricted" || a.s == "-a" || a.s == "--all-types" ||
				len(a.s) > 2 && a.s[0] == '-' && a.s[1] != '-' && strings.Count(a.s, "u") >= 2
		})
	default:
		return
	}
	if !recursive || !hidden || c.has("-l", "-L", "-c", "-q", "--files-with-matches", "--files-without-match", "--count", "--quiet") {
		return
	}
	// Excludes and globs keep the files they name out; any other stays in.
	filters := searchFilters(c)
	var pattern *arg
	var roots []string
	explicit := c.has("-e", "--regexp", "-f", "--file")
	for i := 0; i < len(c.args); i++ {
		a := c.args[i]
		switch {
		case (a.s == "-e" || a.s == "--regexp") && i+1 < len(c.args):
			i++
			pattern = &c.args[i]
		case slices.Contains(searchValueOpts, a.s):
			i++
		case strings.HasPrefix(a.s, "-") && !a.dyn:
		case c.name == "git" && a.s == "grep" && i == slices.IndexFunc(c.args, func(x arg) bool { return x.s == "grep" }):
		case pattern == nil && !explicit:
			pattern = &c.args[i]
		default:
			roots = append(roots, a.s)
		}
	}
	if pattern == nil || pattern.dyn {
		return
	}
	if len(roots) == 0 {
		roots = []string{"."}
	}
	re, err := regexp.Compile(pattern.s)
	if c.has("-F", "--fixed-strings") || c.name == "fgrep" {
		re, err = regexp.Compile(regexp.QuoteMeta(pattern.s))
	}
	if err != nil {
		return
	}
	if !slices.ContainsFunc(secretLines, re.MatchString) {
		return
	}
	for _, r := range roots {
		if to, dyn, changed := w.through(r, true); changed {
			// A link made in the line (ln -s /root r && grep -r . r/):
			// where it leads is searched.
			if dyn || holdsSecrets(to) {
				w.add("creds.read-secret-file", credential, c.name+" searches "+r+", a link to "+to+", where credentials are kept")
				w.target(to)
				return
			}
			r = to
		}
		for _, s := range w.secretsUnder(r) {
			if filters.keeps(s) {
				w.add("creds.read-secret-file", credential, c.name+" prints every line of "+r+" its pattern matches, "+s+"'s credentials included")
				w.target(s)
				return
			}
		}
	}
}

// searchFilter is what a search's excludes and globs keep.
type searchFilter struct {
	exclude, excludeDir, include []string // globs on base names
}

func searchFilters(c *call) searchFilter {
	var f searchFilter
	for i, a := range c.args {
		name, value, glued := strings.Cut(a.s, "=")
		if !glued && i+1 < len(c.args) {
			value = c.args[i+1].s
		}
		switch name {
		case "--exclude":
			f.exclude = append(f.exclude, value)
		case "--exclude-dir":
			f.excludeDir = append(f.excludeDir, value)
		case "--include":
			f.include = append(f.include, value)
		case "-g", "--glob", "--iglob":
			if v, ok := strings.CutPrefix(value, "!"); ok {
				f.exclude = append(f.exclude, v)
			} else {
				f.include = append(f.include, value)
			}
		}
	}
	return f
}

// keeps says whether the search reads file p.
func (f searchFilter) keeps(p string) bool {
	base := path.Base(p)
	for _, g := range f.exclude {
		if globMatch(g, base) || globMatch(g, p) {
			return false
		}
	}
	for d := path.Dir(p); d != "." && d != "/" && d != ""; d = path.Dir(d) {
		for _, g := range f.excludeDir {
			if globMatch(g, path.Base(d)) {
				return false
			}
		}
	}
	if len(f.include) == 0 {
		return true
	}
	for _, g := range f.include {
		if globMatch(g, base) || globMatch(g, p) {
			return true
		}
	}
	return false
}

// searchValueOpts: grep's and rg's options that take the next word.
var searchValueOpts = strings.Fields("-f --file -m --max-count -A -B -C --context --include --exclude --exclude-dir -d --directories -D --devices " +
	"-t --type -T --type-not -g --glob --iglob --max-depth --ignore-file -j --threads -M --max-columns --color --colors --label")

// committedOver: git show REV:PATH > PATH (or cat-file -p, or git
// restore's other spellings) writes the committed version over the file,
// discarding its uncommitted changes as git checkout REV -- PATH does.
func (w *walker) committedOver(s *syntax.Stmt, depth int) {
	call, ok := s.Cmd.(*syntax.CallExpr)
	if !ok || len(call.Args) < 3 || len(s.Redirs) == 0 || call.Args[0].Lit() != "git" {
		return
	}
	var words []string
	for _, a := range call.Args {
		t, dyn := w.word(a, depth)
		if dyn {
			return
		}
		words = append(words, t)
	}
	if words[0] != "git" || !slices.Contains(words, "show") && !slices.Contains(words, "cat-file") {
		return
	}
	for _, r := range s.Redirs {
		if r.Op != syntax.RdrOut && r.Op != syntax.ClbOut && r.Op != syntax.RdrAll || r.N != nil && r.N.Value != "1" {
			continue
		}
		to, dyn := w.word(r.Word, depth)
		if dyn {
			continue
		}
		for _, x := range words[1:] {
			if _, p, ok := strings.Cut(x, ":"); ok && p != "" && path.Clean(strings.TrimPrefix(p, "./")) == path.Clean(to) {
				w.add("git.checkout-discard", destructive, "git writes the committed "+p+" over the file, discarding its uncommitted changes")
				return
			}
		}
	}
}
