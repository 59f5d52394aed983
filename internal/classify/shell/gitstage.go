package shell

import (
	"bytes"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/format/gitignore"
	"github.com/go-git/go-git/v5/plumbing/format/index"
)

// Git's whole-tree commands read secrets no argument names: git add -A
// stages a .env that .gitignore does not keep out, and git diff --cached,
// git show or git log -p then print it, in the same line or in a later
// one. What they reach is the repository's state, so that state is read:
// the ignore files for what a stager takes, the index for what a printer
// prints.

// maxIndex bounds the index read for one command; a larger index is taken
// to hold a secret (a repository that size is judged by a human).
const maxIndex = 64 << 20

// gitWholeTree flags git commands that store or print a credential file
// through the whole tree or a directory, not through its name.
func (w *walker) gitWholeTree(c *call) {
	if c.name != "git" || w.c.Remote {
		return
	}
	root, gitDir := w.repository(c)
	if root == "" {
		// No repository yet: git init && git add -A makes one here.
		if root = w.resolve("."); root == "" {
			return
		}
		gitDir = filepath.Join(root, ".git")
	}
	if what, dirs := gitStager(c); what != "" {
		all := c.sub("stash") && c.has("-a", "--all")
		for _, d := range dirs {
			full := d
			switch {
			case d == ":/":
				full = root
			case !filepath.IsAbs(d):
				if full = w.resolve(d); full == "" {
					continue
				}
			}
			if fi, err := os.Stat(full); err != nil || !fi.IsDir() {
				continue
			}
			for _, s := range secretsAt(full) {
				if all || !ignored(root, gitDir, s) {
					rel, _ := filepath.Rel(root, s)
					w.add("creds.read-secret-file", credential, what+" stores "+rel+", which .gitignore does not keep out and which holds credentials, in the repository, where git diff --cached and git show print it")
					w.target(s)
					return
				}
			}
		}
		return
	}
	if what, paths := gitPrinter(c, w); what != "" {
		for _, s := range indexSecrets(gitDir) {
			if len(paths) > 0 && !slices.ContainsFunc(paths, func(p string) bool { return holdsIndexPath(root, p, s) }) {
				continue
			}
			w.add("creds.read-secret-file", credential, what+" prints what the repository holds, "+s+" included, which holds credentials")
			w.target(filepath.Join(root, s))
			return
		}
	}
}

// repository finds the repository the command works in: the work tree's
// root and its git directory, or "" when there is none.
func (w *walker) repository(c *call) (root, gitDir string) {
	dir := w.resolve(".")
	if d, ok := c.flagValue("-C"); ok {
		if dir = w.resolve(d); dir == "" {
			return "", ""
		}
	}
	for d := dir; d != "" && d != "/"; d = filepath.Dir(d) {
		g := filepath.Join(d, ".git")
		fi, err := os.Stat(g)
		if err != nil {
			continue
		}
		if fi.IsDir() {
			return d, g
		}
		// A linked work tree: .git names its git directory.
		if b, err := os.ReadFile(g); err == nil {
			if p, ok := strings.CutPrefix(strings.TrimSpace(string(b)), "gitdir:"); ok {
				p = strings.TrimSpace(p)
				if !filepath.IsAbs(p) {
					p = filepath.Join(d, p)
				}
				return d, p
			}
		}
		return "", ""
	}
	return "", ""
}

// gitStager: a git command that copies the files under directories into
// the repository, and those directories; "" when c is none.
func gitStager(c *call) (string, []string) {
	switch {
	case c.sub("add") && !c.has("-f", "--force") && !c.has("-u", "--update"):
		// git add -f is forcedAdd's; -u takes tracked files only.
		dirs := pathArgs(c, "add")
		if len(dirs) == 0 && c.has("-A", "--all") {
			dirs = []string{":/"}
		}
		return "git add", dirs
	case c.sub("stash") && c.has("-u", "--include-untracked", "-a", "--all"):
		dirs := pathArgs(c, "stash", "push", "save")
		if len(dirs) == 0 {
			dirs = []string{":/"}
		}
		return "git stash", dirs
	}
	return "", nil
}

// pathArgs are c's positionals after its subcommand words, whole-tree
// pathspecs (".", "*", ":/") made directories.
func pathArgs(c *call, words ...string) []string {
	var out []string
	for _, p := range c.pos {
		if !p.afterFlag && slices.Contains(words, p.s) && len(out) == 0 {
			continue
		}
		if p.afterFlag || p.dyn {
			continue
		}
		s := p.s
		switch {
		case s == "*" || s == ":" || s == ":/*":
			s = "."
		case strings.HasPrefix(s, ":/"):
			if s = strings.TrimPrefix(s, ":/"); s == "" {
				s = ":/"
			}
		}
		out = append(out, s)
	}
	return out
}

// gitPrinter: a git command that prints files of the index or of commits
// without being given their names, and the paths it is limited to (none:
// the whole tree); "" when c is none.
func gitPrinter(c *call, w *walker) (string, []string) {
	var words []string
	switch {
	case c.sub("diff"):
		words = []string{"diff"}
	case c.sub("show"):
		words = []string{"show"}
	case c.sub("format-patch"):
		words = []string{"format-patch"}
	case c.sub("archive"):
		words = []string{"archive"}
	case c.sub("grep") && (c.has("--cached") || len(revArgs(c, "grep")) > 1):
		words = []string{"grep"}
	case c.sub("stash", "show") && c.has("-p", "--patch"):
		words = []string{"stash", "show"}
	case c.sub("log") && gitShowsContent(c):
		words = []string{"log"}
	case c.sub("whatchanged") && gitShowsContent(c):
		words = []string{"whatchanged"}
	default:
		return "", nil
	}
	if c.sub("diff") && c.has("--no-index") {
		return "", nil // two files named, judged by name
	}
	var paths []string
	seenDashes := false
	for _, a := range c.args {
		if a.s == "--" {
			seenDashes = true
		} else if seenDashes && !a.dyn {
			paths = append(paths, a.s)
		}
	}
	if !seenDashes {
		// Without --, a word that names a file here is a path; the
		// others are revisions, and REV:PATH names its path.
		for _, r := range revArgs(c, words...) {
			if _, p, ok := strings.Cut(r, ":"); ok && !strings.Contains(r, "://") && p != "" {
				paths = append(paths, p)
				continue
			}
			if full := w.resolve(r); full != "" {
				if _, err := os.Lstat(full); err == nil {
					paths = append(paths, r)
				}
			}
		}
	}
	return "git " + strings.Join(words, " "), absAll(w, paths)
}

// revArgs are c's positionals after its subcommand words, those that
// follow a flag included (git diff --cached a.txt).
func revArgs(c *call, words ...string) []string {
	var out []string
	skipped := 0
	for _, p := range c.pos {
		if !p.afterFlag && skipped < len(words) && p.s == words[skipped] {
			skipped++
			continue
		}
		if skipped == len(words) {
			out = append(out, p.s)
		}
	}
	return out
}

func absAll(w *walker, paths []string) []string {
	var out []string
	for _, p := range paths {
		if full := w.resolve(p); full != "" {
			out = append(out, full)
		}
	}
	return out
}

// holdsIndexPath: the index path s (relative to root) lies at or below full.
func holdsIndexPath(root, full, s string) bool {
	rel, err := filepath.Rel(full, filepath.Join(root, s))
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../")
}

// secretsAt lists the credential files directly in dir, by full path.
func secretsAt(dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if p := filepath.Join(dir, e.Name()); !e.IsDir() && isSecretPath(p) {
			out = append(out, p)
		}
	}
	return out
}

// ignored reports whether git add leaves the file full out: a pattern of
// .git/info/exclude or of a .gitignore from the root down to its directory
// says so. The user's global excludes are not read: a secret they alone
// keep out is judged as not kept out.
func ignored(root, gitDir, full string) bool {
	rel, err := filepath.Rel(root, full)
	if err != nil || strings.HasPrefix(rel, "..") {
		return false
	}
	parts := strings.Split(filepath.ToSlash(rel), "/")
	ps := readIgnore(filepath.Join(gitDir, "info", "exclude"), nil)
	for i := range parts {
		ps = append(ps, readIgnore(filepath.Join(append([]string{root}, append(parts[:i:i], ".gitignore")...)...), parts[:i:i])...)
	}
	return gitignore.NewMatcher(ps).Match(parts, false)
}

func readIgnore(file string, domain []string) []gitignore.Pattern {
	f, err := os.Open(file)
	if err != nil {
		return nil
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 1<<20))
	if err != nil {
		return nil
	}
	var ps []gitignore.Pattern
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		ps = append(ps, gitignore.ParsePattern(line, domain))
	}
	return ps
}

// indexSecrets lists the credential files the repository's index holds,
// relative to the work tree's root. An index that cannot be read (too
// large, or not an index) is taken to hold one.
func indexSecrets(gitDir string) []string {
	f, err := os.Open(filepath.Join(gitDir, "index"))
	if err != nil {
		return nil // no index: nothing staged or committed yet
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxIndex+1))
	if err != nil || len(b) > maxIndex {
		return []string{"(an index too large to read)"}
	}
	var idx index.Index
	if err := index.NewDecoder(bytes.NewReader(b)).Decode(&idx); err != nil {
		return []string{"(an index Chaperone cannot read)"}
	}
	var out []string
	for _, e := range idx.Entries {
		if trackedSecret(e.Name) {
			out = append(out, e.Name)
		}
	}
	return out
}

// trackedSecret: of the credential files a repository may hold, those
// whose every copy is a secret: environment files and SSH private keys.
// Others of the names (a .npmrc, a chaperone.yaml, a test's server.key)
// are committed on purpose often enough that every git diff in such a
// repository would be refused; they are still refused by name.
func trackedSecret(name string) bool {
	b := path.Base(name)
	switch {
	case strings.HasPrefix(b, ".env"):
		return isSecretPath(name)
	case b == "id_rsa" || b == "id_ed25519" || b == "id_ecdsa" || b == "id_dsa":
		return true
	}
	return false
}
