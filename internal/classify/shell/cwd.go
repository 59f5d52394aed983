package shell

import (
	"os"
	"path"
	"slices"
	"strings"
)

// Where a command runs decides what its relative paths name: `cd /etc; rm
// passwd` deletes /etc/passwd, though "passwd" alone reads as a workspace
// file. The walker follows cd, pushd and popd (and the chdir options of
// env, sudo and run0) and judges the path operands of the filesystem
// tools where they land.
//
// here is where commands run: "." (the workspace, where the line starts),
// a relative path inside it, an absolute or ~ path outside it, or "" once
// it cannot be known (cd $X, cd -). A directory inside the workspace keeps
// the old reading: a relative path is judged as written, which is the
// stricter one there (../x is outside whatever the subdirectory).
type cwd struct {
	here  string
	stack []string // pushd's saved directories, for popd
}

// chdir moves here as cd DIR would.
func (w *walker) chdir(dir arg) {
	if dir.dyn && len(dir.vars) == 1 && strings.Count(dir.s, "$") == 1 {
		// cd "$HOME/x", cd "$PWD/x": where they go is known.
		for _, v := range []struct{ name, as string }{{"$HOME", "~"}, {"$PWD", "."}} {
			if rest, ok := strings.CutPrefix(dir.s, v.name); ok && (rest == "" || rest[0] == '/') {
				dir = arg{s: v.as + rest}
				if v.as == "." {
					dir.s = "." + rest
				}
				break
			}
		}
	}
	switch {
	case dir.dyn || dir.s == "-" || strings.HasPrefix(dir.s, "$"):
		w.cwd.here = ""
	case w.scope != nil && w.scope.walked["CDPATH"] && !strings.HasPrefix(dir.s, "/") && !strings.HasPrefix(dir.s, "~") &&
		dir.s != "." && dir.s != ".." && !strings.HasPrefix(dir.s, "./") && !strings.HasPrefix(dir.s, "../"):
		// With CDPATH set here, cd etc may go to /etc.
		w.cwd.here = ""
	case strings.HasPrefix(dir.s, "~"):
		if j, ok := joinPlace(dir.s, "."); ok {
			w.cwd.here = w.fromRoot(j)
		} else {
			w.cwd.here = "" // ~/.., ~+, ~-, ~user: not followed
		}
	case strings.HasPrefix(dir.s, "/"):
		w.cwd.here = w.fromRoot(dir.s)
	case w.cwd.here == "":
	case strings.HasPrefix(w.cwd.here, "/") || strings.HasPrefix(w.cwd.here, "~"):
		if j, ok := joinPlace(w.cwd.here, dir.s); ok {
			w.cwd.here = j
		} else {
			w.cwd.here = ""
		}
	default:
		w.cwd.here = path.Join(w.cwd.here, dir.s)
		if w.cwd.here == ".." || strings.HasPrefix(w.cwd.here, "../") {
			// Climbed out of the workspace: where to is known only from
			// the workspace's own place.
			if w.ws.root == "" {
				w.cwd.here = ""
			} else {
				w.cwd.here = path.Join(w.ws.root, w.cwd.here)
			}
		}
	}
	if h := w.cwd.here; h != "" {
		// cd into a link goes where it leads.
		if to, dyn, changed := w.throughLogical(w.fromRoot(h), true); dyn {
			w.cwd.here = ""
		} else if changed {
			w.cwd.here = to
		}
	}
}

// fromRoot reads an absolute directory as a place inside the workspace when
// it is one.
func (w *walker) fromRoot(dir string) string {
	dir = path.Clean(dir)
	if home := os.Getenv("HOME"); strings.HasPrefix(dir, "~") && strings.HasPrefix(home, "/") {
		// The agent's shell and its hook share a home: ~ inside the
		// workspace is a place in it.
		if full := path.Join(home, strings.TrimPrefix(dir, "~")); (dir == "~" || strings.HasPrefix(dir, "~/")) && w.fromRoot(full) != full {
			return w.fromRoot(full)
		}
		return dir
	}
	if root := w.ws.root; root != "" && strings.HasPrefix(dir, "/") {
		if dir == root {
			return "."
		}
		if rel, ok := strings.CutPrefix(dir, strings.TrimSuffix(root, "/")+"/"); ok {
			return rel
		}
	}
	return dir
}

// cd handles cd, pushd and popd.
func (w *walker) cd(name string, args []arg) {
	var pos []arg
	for _, a := range args {
		if !strings.HasPrefix(a.s, "-") || a.dyn || a.s == "-" {
			pos = append(pos, a)
		}
	}
	switch {
	case name == "popd":
		if n := len(w.cwd.stack); n > 0 && len(pos) == 0 && len(args) == 0 {
			w.cwd.here, w.cwd.stack = w.cwd.stack[n-1], w.cwd.stack[:n-1]
		} else {
			w.cwd.here, w.cwd.stack = "", nil
		}
		w.cdScripts()
		return
	case name == "pushd":
		if len(pos) == 0 || len(pos) < len(args) || strings.HasPrefix(pos[0].s, "+") || strings.HasPrefix(pos[0].s, "-") {
			// Rotations, and -n (the stack changes, the directory not,
			// and a later popd goes where it says): neither the
			// directory nor the stack is followed from here on.
			w.cwd.here, w.cwd.stack = "", nil
			w.cdScripts()
			return
		}
		w.cwd.stack = append(w.cwd.stack, w.cwd.here)
	}
	if len(pos) == 0 {
		pos = []arg{{s: "~"}} // cd alone goes home
	}
	w.chdir(pos[0])
	w.cdScripts()
}

// cdScripts keeps the directory scripts are read from in step.
func (w *walker) cdScripts() {
	switch h := w.cwd.here; {
	case h == "" || strings.HasPrefix(h, "~"):
		w.ws.dir = ""
	case strings.HasPrefix(h, "/"):
		w.ws.dir = h
	case w.ws.root != "":
		w.ws.dir = path.Join(w.ws.root, h)
	}
}

// outside is where commands run as a call carries it: "" inside the
// workspace, "$PWD" where it cannot be known, else the directory outside
// the workspace.
func (w *walker) outside() string {
	switch h := w.cwd.here; {
	case h == "":
		return "$PWD"
	case strings.HasPrefix(h, "/") || strings.HasPrefix(h, "~"):
		return h
	}
	return ""
}

// placeFrom reads the path p as the shell will from here (as outside gives
// it): outside the workspace a relative path becomes the one it names, and
// where that is unknown it is only known at run time.
func placeFrom(here, p string, dyn bool) (string, bool) {
	if here == "" || dyn || p == "" || strings.HasPrefix(p, "/") || strings.HasPrefix(p, "~") || strings.HasPrefix(p, "$") {
		return p, dyn
	}
	if here == "$PWD" {
		return p, true
	}
	j, ok := joinPlace(here, p)
	if !ok {
		return p, true
	}
	return j, false
}

// joinPlace joins a relative path to a place. A place under ~ (or ~user,
// ~+) that the path climbs out of is known only at run time: path.Join
// would make ~/../build plain build, the workspace's.
func joinPlace(base, rel string) (string, bool) {
	j := path.Join(base, rel)
	if strings.HasPrefix(base, "~") {
		head, _, _ := strings.Cut(base, "/")
		if head != "~" || !(j == "~" || strings.HasPrefix(j, "~/")) {
			return "", false // ~+, ~-, ~user: not followed; or climbed out of ~
		}
	}
	return j, true
}

func (w *walker) place(p string, dyn bool) (string, bool) { return placeFrom(w.outside(), p, dyn) }

// pathTools are the programs whose operands are all paths (or a mode or
// script the rules skip): their rules judge them where they land.
func pathTools() []string {
	var out []string
	for _, p := range []*Pack{fsPack, writersPack, sedPack, inPlacePack, archivePack, deletersPack} {
		out = append(out, p.Commands...)
	}
	return out
}

var placedTools = pathTools()

// placedPacks judges a path tool's operands where they land, besides as
// written (command judges that reading): read from where the command runs
// when that is outside the workspace, and, when the workspace itself lies
// in a temp directory, as the workspace or what holds it rather than as
// disposable temp files. A reading the walker cannot scope exactly (a
// subshell, a branch not taken) then adds findings, never hides one.
func (w *walker) placedPacks(parsed *call) {
	if !slices.Contains(placedTools, parsed.name) {
		return
	}
	w.linkedPacks(parsed)
	here := w.outside()
	c := *parsed
	c.pos = slices.Clone(parsed.pos)
	c.here, c.root = here, w.ws.root
	changed := here != ""
	for i := range c.pos {
		s, d := placeFrom(here, c.pos[i].s, c.pos[i].dyn)
		s, d = rootedIn(c.root, s, d)
		changed = changed || s != c.pos[i].s || d != c.pos[i].dyn
		c.pos[i].s, c.pos[i].dyn = s, d
	}
	if changed {
		w.applyPacks(&c)
	}
}

// rootedIn reads an absolute path against the workspace root: inside a
// workspace that lies in a temp directory it is the workspace's own file,
// not a temp file (rm -rf /tmp/ws/src is rm -rf src), and a temp root, or a
// directory that holds the workspace, or everything in one, is more than
// temp files: it becomes "$ENCLOSING:<path>", which no rule takes for
// disposable or for the workspace.
func rootedIn(root, p string, dyn bool) (string, bool) {
	if dyn || !strings.HasPrefix(p, "/") {
		return p, dyn
	}
	clean := path.Clean(p)
	for _, t := range tempRoots {
		// The temp directory itself; and everything in it when the
		// workspace is there too.
		if clean == t || strings.ContainsAny(clean, "*?[") && path.Dir(clean) == t && strings.HasPrefix(root, t+"/") {
			return "$ENCLOSING:" + clean, false
		}
	}
	if root == "" || !isTemp(root) {
		return p, dyn
	}
	switch {
	case clean == root:
		return ".", false
	case strings.HasPrefix(clean, root+"/"):
		return strings.TrimPrefix(clean, root+"/"), false
	case strings.HasPrefix(root, clean+"/"):
		return "$ENCLOSING:" + clean, false
	case strings.ContainsAny(path.Base(clean), "*?[") && strings.HasPrefix(root, path.Dir(clean)+"/"):
		// /tmp/a/* when the workspace is /tmp/a/ws: it is among them.
		return "$ENCLOSING:" + clean, false
	}
	return p, dyn
}

// chdirOption is the directory a wrapper runs its command in (env -C DIR,
// sudo -D DIR, run0 --chdir DIR).
func chdirOption(name string, args []arg) (arg, bool) {
	var opts []string
	switch name {
	case "env":
		opts = []string{"-C", "--chdir"}
	case "sudo", "run0":
		opts = []string{"-D", "--chdir"}
	default:
		return arg{}, false
	}
	for i, a := range args {
		if !strings.HasPrefix(a.s, "-") {
			if name == "env" && isAssignment(a.s) {
				continue
			}
			if i > 0 && slices.Contains(opts, args[i-1].s) {
				continue
			}
			break
		}
		for _, o := range opts {
			if v, ok := strings.CutPrefix(a.s, o+"="); ok {
				return arg{s: v, dyn: a.dyn}, true
			}
			if a.s == o && i+1 < len(args) {
				return args[i+1], true
			}
			if len(o) == 2 && strings.HasPrefix(a.s, o) && len(a.s) > 2 {
				return arg{s: a.s[2:], dyn: a.dyn}, true
			}
		}
	}
	return arg{}, false
}

// inDir runs f with commands running in dir, then returns to where they
// ran before.
func (w *walker) inDir(dir arg, f func()) {
	w.subshell(func() {
		w.chdir(dir)
		w.cdScripts()
		f()
	})
}

// wrapped walks the command a wrapper runs, in the directory it runs it in.
func (w *walker) wrapped(name string, rest, inner []arg, in input, depth int) {
	w.optionCommands(parseCall(name, rest), in, depth)
	// The wrapper's own output file (strace -o, time -o).
	if o := programOutputs[name]; len(o) > 0 && len(inner) <= len(rest) {
		for _, v := range optionValues(parseCall(name, rest[:len(rest)-len(inner)]), o...) {
			if cmd, ok := strings.CutPrefix(v.s, "|"); ok || strings.HasPrefix(v.s, "!") {
				// strace -o '|cmd' pipes its trace into cmd.
				if !ok {
					cmd = v.s[1:]
				}
				w.shellString(arg{s: cmd, dyn: v.dyn}, depth)
				continue
			}
			w.overwritesOutput(parseCall(name, rest), v)
		}
	}
	if len(inner) == 0 {
		switch {
		case in.present:
			w.commandlessShell(name, rest, in, depth)
		case startsShell(name, rest) && !w.guessing:
			// sudo -i, su -, nsenter -t 1 -a: a shell as another user or
			// in another namespace, reading commands no one shows.
			w.add("shell.interactive", unknown, name+" starts a shell as another user or elsewhere, whose commands Chaperone cannot see")
		}
		return
	}
	if shellOf(name, rest) {
		// sudo -s CMD, sudo -i CMD, flock LOCK -c CMD: a shell runs the
		// words as a command line.
		w.joinedScript(inner, depth, "shell.dynamic-script", name+" runs a command only known at run time", false)
		return
	}
	if dir, ok := chdirOption(name, rest); ok {
		w.inDir(dir, func() { w.command(inner, in, depth) })
		return
	}
	w.command(inner, in, depth)
}

// subshell walks f with the directory it changes to forgotten after: a
// subshell's cd does not move its parent.
func (w *walker) subshell(f func()) {
	saved, savedDir := w.cwd, w.ws.dir
	w.cwd.stack = slices.Clone(w.cwd.stack)
	f()
	w.cwd, w.ws.dir = saved, savedDir
}

// shellOf reports whether a wrapper hands its command to a shell: sudo's
// -s and -i, flock's -c (its command is then the words after it).
func shellOf(name string, args []arg) bool {
	var opts []string
	if wr, ok := wrappers[name]; ok {
		opts = wr.valueOpts
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a.dyn || !strings.HasPrefix(a.s, "-") {
			if name == "flock" {
				continue // the lock file
			}
			return false
		}
		letters, next := a.s, takesValue(opts, a.s)
		if !strings.HasPrefix(a.s, "--") {
			letters, next = shortFlags(a.s, opts)
		}
		if next {
			i++ // sudo -u postgres -i, sudo -iu root
		}
		switch {
		case name == "sudo" && (a.s == "--shell" || a.s == "--login" || strings.HasPrefix(a.s, "--login=") ||
			!strings.HasPrefix(a.s, "--") && strings.ContainsAny(letters, "si")):
			return true
		case name == "flock" && (a.s == "-c" || a.s == "--command"):
			return true
		}
	}
	return false
}

// shortFlags splits a cluster of short options (-iu, -uroot) at the first
// that takes a value: the letters before it and it, and whether its value
// is the next word.
func shortFlags(cluster string, valueOpts []string) (string, bool) {
	for j := 1; j < len(cluster); j++ {
		if takesValue(valueOpts, "-"+cluster[j:j+1]) {
			return cluster[1 : j+1], j == len(cluster)-1
		}
	}
	return cluster[1:], false
}
