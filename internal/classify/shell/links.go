package shell

import (
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// A path is where its symbolic links lead: `ln -s / r && rm -rf r/home`
// deletes /home, and so does `rm -rf data/*` when data is a link to
// another disk, though "r/home" and "data/*" read as workspace files. The
// walker reads the paths of the filesystem tools, of redirections and of
// cd through the links on their way: the links this line makes (ln), and,
// where the workspace's directory is known, the links on disk. The reading
// through links is judged besides the one as written, so it can only add
// findings.

// maxHops bounds the links followed for one path, as the kernel's
// ELOOP limit does; maxLstats bounds what one classification asks of the
// disk.
const (
	maxHops   = 40
	maxLstats = 512
)

// links are the symbolic and hard links this line makes: each link's
// place (as logical gives it) and where it leads, as written in the ln
// (a relative target is read from the link's directory). An empty target
// is one only known at run time.
type links struct {
	made map[string]string
	// mounts are the places of bind mounts among made: unlike a symbolic
	// link, rm -rf of the place itself goes into what it shows.
	mounts map[string]bool
	lstats int
	seen   map[string]diskEntry
	// realRoot is the workspace's directory with its own links resolved,
	// so that a path inside it read from disk is still inside.
	realRoot string
}

// logical is p's place: workspace-relative while inside the workspace
// (from its root, not from where commands run), else absolute or ~-rooted;
// "" when it cannot be known.
func (w *walker) logical(p string) string {
	switch {
	case p == "" || strings.HasPrefix(p, "$"):
		return ""
	case strings.HasPrefix(p, "/") || strings.HasPrefix(p, "~"):
		return w.fromRoot(p)
	}
	h := w.cwd.here
	switch {
	case h == "":
		return ""
	case strings.HasPrefix(h, "/") || strings.HasPrefix(h, "~"):
		return w.fromRoot(path.Join(h, p))
	}
	l := path.Join(h, p)
	if l == ".." || strings.HasPrefix(l, "../") {
		if w.ws.root == "" {
			return ""
		}
		return w.fromRoot(path.Join(w.ws.root, l))
	}
	return l
}

// onDisk is the absolute path of a logical place, for asking the disk;
// "" when the workspace's directory is not known.
func (w *walker) onDisk(l string) string {
	switch {
	case strings.HasPrefix(l, "/"):
		return l
	case strings.HasPrefix(l, "~"):
		home := os.Getenv("HOME")
		if !strings.HasPrefix(home, "/") || l != "~" && !strings.HasPrefix(l, "~/") {
			return ""
		}
		return path.Join(home, strings.TrimPrefix(l, "~"))
	case w.ws.root == "" || !strings.HasPrefix(w.ws.root, "/"):
		return ""
	}
	return path.Join(w.ws.root, l)
}

// diskLink is where the link at the logical place l leads, if it is one.
func (w *walker) diskLink(l string) (string, bool) {
	full := w.onDisk(l)
	if full == "" {
		return "", false
	}
	if r, ok := w.links.seen[full]; ok {
		return r.target, r.link
	}
	if w.links.lstats >= maxLstats {
		return "", false
	}
	w.links.lstats++
	r := diskEntry{}
	if fi, err := os.Lstat(full); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		r.link = true
		r.target, _ = os.Readlink(full) // a link that cannot be read leads anywhere ("")
	}
	if w.links.seen == nil {
		w.links.seen = map[string]diskEntry{}
	}
	w.links.seen[full] = r
	return r.target, r.link
}

// diskEntry is what the disk said of one path, asked once per
// classification.
type diskEntry struct {
	target string
	link   bool
}

// linkTarget is the logical place the link at l leads to, if it is one:
// made by this line, else on disk. known is false for a target only known
// at run time.
func (w *walker) linkTarget(l string) (target string, link, known bool) {
	if t, ok := w.links.made[l]; ok {
		return t, true, t != ""
	}
	t, ok := w.diskLink(l)
	if t != "" && !strings.HasPrefix(t, "/") {
		t = joinLogical(w, path.Dir(l), t) // read from the link's directory
	}
	return w.fromRoot(t), ok, t != ""
}

// through reads p through the links on its way. final says whether the
// last element is followed too (a write into a link writes its target; rm
// removes the link itself, unless the path ends in "/"). It returns the
// place the path leads to (as logical gives it) and whether that differs
// from p's own; dyn when a link on the way leads somewhere only known at
// run time.
func (w *walker) through(p string, final bool) (to string, dyn, changed bool) {
	l := w.logical(p)
	if l == "" {
		return p, false, false
	}
	if strings.Contains(p, "..") {
		// up/.. is the parent of where up leads, not the directory up
		// is in: read each element in order, without cleaning first.
		if raw := w.unclean(p); raw != "" {
			l = raw
		}
	}
	return w.throughLogical(l, final || strings.HasSuffix(p, "/") || strings.HasSuffix(p, "/."))
}

// unclean is p's place like logical, with its .. elements kept for
// through to read in order.
func (w *walker) unclean(p string) string {
	h := w.cwd.here
	switch {
	case strings.HasPrefix(p, "/"):
		return p
	case strings.HasPrefix(p, "~") || strings.HasPrefix(p, "$") || h == "":
		return ""
	case h == ".":
		return p
	}
	return h + "/" + p
}

// throughLogical is through for a place as logical gives it.
func (w *walker) throughLogical(l string, final bool) (to string, dyn, changed bool) {
	if w.links.made == nil && w.ws.root == "" {
		return l, false, false
	}
	done, rest := "", strings.Split(l, "/")
	if strings.HasPrefix(l, "/") {
		done, rest = "/", rest[1:]
	}
	for hops := 0; len(rest) > 0; {
		elem := rest[0]
		rest = rest[1:]
		if elem == "" || elem == "." {
			continue
		}
		next := path.Join(done, elem)
		if len(rest) == 0 && !final && !w.links.mounts[next] || strings.ContainsAny(elem, "*?[") || elem == ".." {
			done = w.fromRoot(joinLogical(w, done, elem))
			continue
		}
		t, link, known := w.linkTarget(next)
		if !link {
			done = next
			continue
		}
		if hops++; hops > maxHops || !known {
			return l, true, true
		}
		changed = true
		parts := strings.Split(t, "/")
		done = ""
		if strings.HasPrefix(t, "/") {
			done, parts = "/", parts[1:]
		}
		rest = append(parts, rest...)
	}
	if done == "" {
		done = "."
	}
	return w.inRealRoot(done), false, changed
}

// joinLogical joins a relative path to a logical directory; climbing out
// of the workspace leads to the absolute place, or to a path that reads as
// outside when the workspace's place is not known.
func joinLogical(w *walker, dir, rel string) string {
	if strings.HasPrefix(dir, "/") || strings.HasPrefix(dir, "~") {
		return path.Join(dir, rel)
	}
	j := path.Join(dir, rel)
	if (j == ".." || strings.HasPrefix(j, "../")) && strings.HasPrefix(w.ws.root, "/") {
		return path.Join(w.ws.root, j)
	}
	return j
}

// inRealRoot reads a resolved absolute path inside the workspace's real
// directory as the workspace file it is.
func (w *walker) inRealRoot(p string) string {
	if !strings.HasPrefix(p, "/") || w.ws.root == "" {
		return p
	}
	if w.links.realRoot == "" {
		w.links.realRoot = w.ws.root
		if r, err := filepath.EvalSymlinks(w.ws.root); err == nil {
			w.links.realRoot = r
		}
	}
	r := w.links.realRoot
	switch {
	case p == r:
		return "."
	case strings.HasPrefix(p, strings.TrimSuffix(r, "/")+"/"):
		return strings.TrimPrefix(p, strings.TrimSuffix(r, "/")+"/")
	}
	return p
}

// linksMade records the links an ln makes: ln [-s] TARGET [LINK], ln
// TARGET... DIR, ln -t DIR TARGET.... A hard link is recorded too: writing
// it writes the file it shares.
func (w *walker) linksMade(c *call) {
	if c.name == "cp" && c.has("-l", "--link", "-s", "--symbolic-link") {
		// cp -l and cp -s link rather than copy.
		args := []arg{}
		if c.has("-s", "--symbolic-link") {
			args = append(args, arg{s: "-s"})
		}
		if t, ok := c.flagValue("-t", "--target-directory"); ok {
			args = append(args, arg{s: "-t"}, arg{s: t})
		}
		for _, p := range c.pos {
			if !(p.afterFlag && (p.flag == "-t" || p.flag == "--target-directory")) {
				args = append(args, p.arg)
			}
		}
		w.linksMade(parseCall("ln", args))
		return
	}
	if src, dst, ok := bindMount(c); ok {
		// A bind mount makes DST show SRC: deleting DST's contents deletes
		// SRC's, as through a symbolic link to it.
		w.linksMade(parseCall("ln", []arg{{s: "-s"}, src, dst}))
		if l := w.logical(dst.s); l != "" && !dst.dyn {
			if w.links.mounts == nil {
				w.links.mounts = map[string]bool{}
			}
			w.links.mounts[l] = true
		}
		return
	}
	if c.name != "ln" {
		w.linksMoved(c)
		return
	}
	ops, dir, hasDir, symbolic, noDir := lnOperands(c.args)
	var pairs [][2]arg // link, target
	switch {
	case hasDir:
		for _, t := range ops {
			pairs = append(pairs, [2]arg{{s: path.Join(dir.s, path.Base(t.s)), dyn: dir.dyn || t.dyn}, t})
		}
	case len(ops) == 1:
		pairs = append(pairs, [2]arg{{s: path.Base(ops[0].s), dyn: ops[0].dyn}, ops[0]})
	case len(ops) == 2:
		if base := path.Base(ops[0].s); !noDir && base != "." && base != ".." && base != "/" && w.isDir(ops[1]) {
			// LINK is a directory: the link goes into it.
			pairs = append(pairs, [2]arg{{s: path.Join(ops[1].s, base), dyn: ops[1].dyn || ops[0].dyn}, ops[0]})
		} else {
			pairs = append(pairs, [2]arg{ops[1], ops[0]})
		}
	case len(ops) > 2:
		d := ops[len(ops)-1]
		for _, t := range ops[:len(ops)-1] {
			pairs = append(pairs, [2]arg{{s: path.Join(d.s, path.Base(t.s)), dyn: d.dyn || t.dyn}, t})
		}
	}
	for _, pr := range pairs {
		link, target := pr[0], pr[1]
		if link.dyn {
			continue // a link whose place is only known at run time: the paths through it are not known either
		}
		l := w.logical(link.s)
		if l == "" {
			continue
		}
		if w.links.made == nil {
			w.links.made = map[string]string{}
		}
		t := target.s
		switch {
		case target.dyn || strings.HasPrefix(t, "$"):
			t = ""
		case strings.HasPrefix(t, "/") || strings.HasPrefix(t, "~"):
			t = w.fromRoot(t)
		case symbolic:
			t = w.fromRoot(joinLogical(w, path.Dir(l), t)) // read from the link's directory
		default:
			t = w.logical(t) // a hard link's, from where ln runs
		}
		w.links.made[l] = t
	}
}

// bindMount reads mount --bind/--rbind/-B/-o bind SRC DST and bindfs SRC
// DST: DST shows SRC's files.
func bindMount(c *call) (src, dst arg, ok bool) {
	switch c.name {
	case "bindfs":
	case "mount":
		bind := c.has("--bind", "--rbind", "-B")
		for _, v := range optionValues(c, "-o") {
			bind = bind || v.dyn || slices.ContainsFunc(strings.Split(v.s, ","), func(o string) bool { return o == "bind" || o == "rbind" })
		}
		if !bind {
			return arg{}, arg{}, false
		}
	default:
		return arg{}, arg{}, false
	}
	ops := mountOperands(c)
	if len(ops) < 2 {
		return arg{}, arg{}, false
	}
	return ops[len(ops)-2].arg, ops[len(ops)-1].arg, true
}

// mountOperands are mount's (and bindfs's) operands, without its options'
// values (-o OPTS, -t TYPE, -L LABEL, -U UUID).
func mountOperands(c *call) []positional {
	var ops []positional
	for _, p := range c.pos {
		if !(p.afterFlag && (p.flag == "-o" || p.flag == "--options" || p.flag == "-t" || p.flag == "--types" || p.flag == "-L" || p.flag == "-U")) {
			ops = append(ops, p)
		}
	}
	return ops
}

// linksMoved follows links that mv, git mv, cp -P/-d/-a and rsync -l/-a
// carry to a new name as links: ln -s /etc a && mv a build makes build lead
// to /etc, and rm -rf build/ is judged there.
func (w *walker) linksMoved(c *call) {
	var ops []positional
	move := false
	switch {
	case c.name == "mv":
		ops, move = c.pos, true
	case c.name == "git" && len(c.pos) > 0 && c.pos[0].s == "mv":
		ops, move = c.pos[1:], true
	case c.name == "cp" && c.has("-P", "-d", "-a", "--no-dereference", "--archive"):
		ops = c.pos
	case c.name == "rsync" && c.has("-l", "-a", "--links", "--archive"):
		ops = c.pos
	default:
		return
	}
	if len(ops) < 2 {
		return
	}
	dst := ops[len(ops)-1]
	if dst.dyn {
		return
	}
	for _, src := range ops[:len(ops)-1] {
		if src.dyn {
			continue
		}
		from := w.logical(strings.TrimSuffix(src.s, "/"))
		t, link, _ := w.linkTarget(from)
		if from == "" || !link {
			continue
		}
		to := w.logical(dst.s)
		if len(ops) > 2 || w.isDir(dst.arg) {
			to = w.logical(path.Join(dst.s, path.Base(src.s)))
		}
		if to == "" {
			continue
		}
		if w.links.made == nil {
			w.links.made = map[string]string{}
		}
		w.links.made[to] = t
		if move {
			delete(w.links.made, from)
		}
	}
}

// linkRemovers act on a link itself, not on where it leads (unless the path
// ends in "/").
var linkRemovers = []string{"rm", "unlink", "rmdir", "mv", "ln", "rename", "trash", "trash-put", "gio"}

// linkedPacks judges a path tool's operands where their links lead, besides
// as written.
func (w *walker) linkedPacks(parsed *call) {
	c := *parsed
	c.pos = slices.Clone(parsed.pos)
	c.here, c.root = "", w.ws.root
	final := !slices.Contains(linkRemovers, c.name)
	changed := false
	for i := range c.pos {
		if c.pos[i].dyn {
			continue
		}
		if to, dyn, ch := w.through(c.pos[i].s, final); ch {
			changed = true
			c.pos[i].s, c.pos[i].dyn = rootedIn(c.root, to, dyn)
		}
	}
	// Option values are paths too (sort -o FILE, dd of=FILE).
	c.args = slices.Clone(parsed.args)
	for i, a := range c.args {
		if a.dyn || i == 0 || !strings.HasPrefix(c.args[i-1].s, "-") && !strings.HasPrefix(a.s, "of=") {
			continue
		}
		prefix, v := "", a.s
		if of, ok := strings.CutPrefix(a.s, "of="); ok {
			prefix, v = "of=", of
		}
		if to, dyn, ch := w.through(v, true); ch {
			changed = true
			to, dyn = rootedIn(c.root, to, dyn)
			c.args[i] = arg{s: prefix + to, dyn: dyn}
		}
	}
	if changed {
		w.applyPacks(&c)
	}
}

// lnOperands reads ln's arguments as ln does: short options cluster (-sft
// DIR), and -t and -S take a value, glued or next.
func lnOperands(args []arg) (ops []arg, dir arg, hasDir, symbolic, noDir bool) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a.dyn || a.s == "-" || !strings.HasPrefix(a.s, "-"):
			ops = append(ops, a)
		case a.s == "--":
			ops = append(ops, args[i+1:]...)
			return
		case strings.HasPrefix(a.s, "--"):
			name, v, glued := strings.Cut(a.s, "=")
			switch {
			case abbreviates(name, "--target-directory"):
				hasDir, dir = true, arg{s: v}
				if !glued && i+1 < len(args) {
					i++
					dir = args[i]
				}
			case abbreviates(name, "--suffix"):
				if !glued {
					i++
				}
			case abbreviates(name, "--symbolic"):
				symbolic = true
			case abbreviates(name, "--no-target-directory"):
				noDir = true
			}
		default:
			for j := 1; j < len(a.s); j++ {
				switch a.s[j] {
				case 's':
					symbolic = true
				case 'T':
					noDir = true
				case 't', 'S':
					v := a.s[j+1:]
					if v == "" && i+1 < len(args) {
						i++
						v = args[i].s
						if a.s[j] == 't' {
							hasDir, dir = true, args[i]
						}
					} else if a.s[j] == 't' {
						hasDir, dir = true, arg{s: v}
					}
					j = len(a.s)
				}
			}
		}
	}
	return
}

// isDir says whether a is a directory ln would put its link into: written
// with a trailing slash, a link this line made, or a directory on disk.
func (w *walker) isDir(a arg) bool {
	if a.dyn {
		return false
	}
	if strings.HasSuffix(a.s, "/") {
		return true
	}
	l := w.logical(a.s)
	if l == "" {
		return false
	}
	if _, ok := w.links.made[l]; ok {
		return true
	}
	if full := w.onDisk(l); full != "" {
		if fi, err := os.Stat(full); err == nil && fi.IsDir() {
			return true
		}
	}
	return false
}

// Links made by code: os.symlink(target, link), File.symlink, PHP's and
// perl's symlink and link, fs.symlinkSync, and pathlib's
// Path(link).symlink_to(target).
var (
	codeLinkCall = regexp.MustCompile(`\b(?:os\.symlink|os\.link|File\.symlink|File\.link|FileUtils\.ln(?:_s|_sf)?|fs\.symlinkSync|fs\.linkSync|symlinkSync|linkSync|fs\.promises\.symlink|symlink|link)\s*\(?\s*['"]([^'"]+)['"]\s*,\s*['"]([^'"]+)['"]`)
	codeLinkTo   = regexp.MustCompile(`Path\(\s*['"]([^'"]+)['"]\s*\)\.(?:symlink_to|hardlink_to)\(\s*['"]([^'"]+)['"]`)
)

// codeLinks records the links inline code makes, as ln would.
func (w *walker) codeLinks(text string) bool {
	found := false
	for _, m := range codeLinkCall.FindAllStringSubmatch(text, -1) {
		w.linksMade(parseCall("ln", []arg{{s: "-s"}, {s: m[1]}, {s: m[2]}}))
		found = true
	}
	for _, m := range codeLinkTo.FindAllStringSubmatch(text, -1) {
		w.linksMade(parseCall("ln", []arg{{s: "-s"}, {s: m[2]}, {s: m[1]}}))
		found = true
	}
	return found
}

// pathLike: an argument that may name a file (not an option, a URL, an
// assignment or an empty word), worth asking the disk about.
func pathLike(p string) bool {
	return p != "" && !strings.HasPrefix(p, "-") && !strings.Contains(p, "://") && !strings.Contains(p, "=") &&
		!strings.ContainsAny(p, " \t\n'\"{}()<>|;&")
}
