package shell

import (
	"os"
	"path"
	"slices"
	"strings"

	"mvdan.cc/sh/v3/syntax"

	"github.com/chaperone/chaperone/internal/action"
)

// A listing prints the names of files, and whatever gets those names can
// open them: `ls ~/.ssh/id_* | xargs cat` and `cat "$(ls ~/.ssh/id_*)"`
// read the keys, though cat's own arguments name nothing. The output of a
// listing carries the places it lists (input.paths); a command fed those
// names on its standard input, or given them through a substitution, is
// judged as reading them.

// listers print names of files at or under their operands.
var listers = []string{"ls", "find", "fd", "fdfind", "locate", "plocate", "mlocate", "realpath", "readlink", "compgen",
	"tree", "du", "stat", "file", "namei", "exa", "eza", "lsd"}

// nameFilters pass the names they are fed through without opening them.
var nameFilters = []string{"grep", "egrep", "fgrep", "rg", "head", "tail", "sort", "uniq", "cut", "tr", "column", "nl",
	"cat", "tee", "less", "more", "wc", "basename", "dirname", "sed", "stdbuf"}

// listed is the places a listing's output names: its operands, and for
// find the names its tests look for, under each root.
func listed(name string, rest []arg) []string {
	var roots, names []string
	for i, a := range rest {
		switch {
		case a.dyn:
		case name == "find" && (a.s == "-name" || a.s == "-iname" || a.s == "-path" || a.s == "-ipath" || a.s == "-wholename") && i+1 < len(rest):
			names = append(names, rest[i+1].s)
		case strings.HasPrefix(a.s, "-") || i > 0 && strings.HasPrefix(rest[i-1].s, "-") && name == "find":
		default:
			roots = append(roots, a.s)
		}
	}
	if len(roots) == 0 {
		roots = []string{"."}
	}
	out := slices.Clone(roots)
	for _, r := range roots {
		for _, n := range names {
			out = append(out, path.Join(r, path.Base(n)))
		}
	}
	return out
}

// secretListed is the first place in paths that holds credentials.
func secretListed(paths []string) string {
	for _, p := range paths {
		if isSecretPath(p) || isSecretDir(p) || underSecretDir(p) {
			return p
		}
	}
	return ""
}

// underSecretDir: a place inside a directory of credentials (~/.aws/x).
func underSecretDir(p string) bool {
	for d := path.Dir(strings.TrimSuffix(p, "/")); d != "." && d != "/" && d != "~" && d != ""; d = path.Dir(d) {
		if isSecretDir(d) {
			return true
		}
	}
	return false
}

// namesFed judges a command fed the names of credential files on its
// standard input.
func (w *walker) namesFed(name string, in input) {
	if p := secretListed(in.paths); p != "" && !slices.Contains(nameFilters, name) {
		w.add("creds.read-secret-file", action.ClassCredentialAccess,
			name+" is fed the names "+in.from+" lists under "+p+", which hold credentials")
		w.target(p)
	}
}

// substituted renders a substitution whose output is only known at run
// time: as the credential place it lists, if it lists one, so that what is
// given it is judged as reading it; else as $(...).
func (w *walker) substituted(cs *syntax.CmdSubst) string {
	if len(cs.Stmts) == 1 {
		if o := w.output(cs.Stmts[0], input{}, 0); !o.known {
			if p := secretListed(o.paths); p != "" {
				return p
			}
			if o.pids != nil {
				return w.pidMarker(o.pids)
			}
		}
	}
	return "$(...)"
}

// showsHidden says whether a listing names dotfiles (.env): find, and ls
// and its kin with -a or -A.
func showsHidden(name string, rest []arg) bool {
	switch name {
	case "find", "fd", "fdfind", "locate", "plocate", "mlocate", "du", "compgen":
		return name != "fd" && name != "fdfind" || slices.ContainsFunc(rest, func(a arg) bool { return a.s == "-H" || a.s == "--hidden" })
	}
	return slices.ContainsFunc(rest, func(a arg) bool {
		return a.s == "--all" || a.s == "--almost-all" || len(a.s) > 1 && a.s[0] == '-' && a.s[1] != '-' && strings.ContainsAny(a.s[1:], "aA")
	})
}

// secretsIn lists the credential files directly in a workspace directory.
func (w *walker) secretsIn(dir string) []string {
	return w.filesIn(dir, isSecretPath)
}

// filesIn lists the files directly in dir whose path keep accepts.
func (w *walker) filesIn(dir string, keep func(string) bool) []string {
	full := w.resolve(dir)
	if full == "" {
		return nil
	}
	entries, err := os.ReadDir(full)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if p := path.Join(dir, e.Name()); !e.IsDir() && keep(p) {
			out = append(out, p)
		}
	}
	return out
}

// secretsUnder lists the credential files in dir and the credential
// directories under it: what a reader of the whole tree reads.
func (w *walker) secretsUnder(dir string) []string {
	out := w.secretsIn(dir)
	for _, d := range secretDirs {
		if strings.HasPrefix(d, "/") {
			continue // a place of the machine's, not of a directory
		}
		p := path.Join(dir, d)
		if full := w.resolve(p); full != "" {
			if fi, err := os.Stat(full); err == nil && fi.IsDir() {
				out = append(out, p)
			}
		}
	}
	return out
}

// nameTests are the patterns find's -name and -iname tests keep; a name
// that matches none is not listed.
func nameTests(name string, rest []arg) []string {
	if name != "find" {
		return nil
	}
	var out []string
	for i, a := range rest {
		if (a.s == "-name" || a.s == "-iname") && i+1 < len(rest) {
			out = append(out, rest[i+1].s)
		}
	}
	return out
}
