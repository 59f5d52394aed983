package shell

import (
	"path"
	"regexp"
	"slices"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// shell handles sh/bash/zsh...: -c STRING is parsed as a script (after
// any other options, -x -e -o posix -O extglob); a script operand is read
// from the workspace; a shell fed on standard input runs that input.
func (w *walker) shell(c *call, in input, depth int) {
	args := c.args
	cmd, stdin := false, false
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a.dyn && a.proc == nil {
			w.add("shell.dynamic-script", unknown, c.name+" runs options or a script only known at run time")
			return
		}
		s := a.s
		switch {
		case a.proc != nil:
		case s == "--" || s == "-":
			if stdin {
				i = len(args) // bash -s -- ARGS: the script is still standard input
				continue
			}
			if i+1 < len(args) && !cmd {
				w.scriptArg(c.name, args[i+1], in, depth, false)
				return
			}
			continue
		case s == "-o" || s == "+o" || s == "-O" || s == "+O" || s == "--init-file" || s == "--rcfile":
			if i+1 < len(args) && (s == "--init-file" || s == "--rcfile") {
				if f := args[i+1]; f.proc != nil || f.dyn || isFdPath(f.s) {
					w.scriptArg(c.name+" "+s, f, input{}, depth, false)
				} else {
					w.scriptFile(f.s, c.name+" "+s, depth)
				}
			}
			i++
			continue
		case strings.HasPrefix(s, "--"):
			if s == "--command" {
				cmd = true
			}
			continue
		case len(s) > 1 && (s[0] == '-' || s[0] == '+'):
			if s[0] == '-' && strings.Contains(s, "c") {
				cmd = true
			}
			if s[0] == '-' && strings.Contains(s, "s") && !strings.ContainsAny(s[1:], "oO") {
				stdin = true // -s: the script is standard input, the rest its arguments
			}
			if strings.ContainsAny(s[1:], "oO") {
				i++ // -eo pipefail
			}
			continue
		}
		if cmd {
			if a.dyn {
				w.add("shell.dynamic-script", unknown, c.name+" -c runs a command only known at run time")
				return
			}
			w.script(a.s, depth+1)
			return
		}
		if stdin {
			break
		}
		w.scriptArg(c.name, a, in, depth, false)
		return
	}
	if cmd {
		w.add("shell.parse-error", unknown, c.name+" -c without a command")
		return
	}
	w.stdinProgram(c.name, in, depth, func(text string) { w.script(text, depth+1) })
}

// scriptArg runs a script operand: standard input under another name, a
// process substitution, or a file in the workspace.
func (w *walker) scriptArg(name string, a arg, in input, depth int, same bool) {
	run := func(text string) {
		if same {
			w.scriptSame(text, depth+1)
		} else {
			w.script(text, depth+1)
		}
	}
	switch {
	case a.proc != nil:
		out := w.procOutput(a.proc, depth)
		w.stdinProgram(name, out, depth, run)
	case a.s == "/dev/stdin" || a.s == "/dev/fd/0" || a.s == "/proc/self/fd/0" || a.s == "-":
		w.stdinProgram(name, in, depth, run)
	case isFdPath(a.s):
		w.add("shell.dynamic-script", unknown, name+" runs a script read from a file descriptor: "+a.s)
	case a.dyn:
		w.add("shell.dynamic-script", unknown, name+" runs a script only known at run time: "+a.s)
	default:
		w.runFile(a.s, name, "sh", depth, same)
	}
}

// procOutput is what a process substitution <(...) produces, when known.
func (w *walker) procOutput(p *syntax.ProcSubst, depth int) input {
	if len(p.Stmts) == 1 {
		return w.pipeOutput(p.Stmts[0], depth)
	}
	return input{present: true, from: "a process substitution"}
}

// stdinProgram classifies a program read from standard input by run.
func (w *walker) stdinProgram(name string, in input, depth int, run func(string)) {
	switch {
	case in.present && in.known:
		// The program is what it reads: nothing is left for its commands.
		saved := w.fed
		w.fed = input{}
		run(in.text)
		w.fed = saved
	case in.present:
		w.add("shell.pipe-to-shell", unknown, "output of "+in.from+" is run by "+name+": what it runs is only known at run time")
	default:
		w.add("shell.interactive", write, "starts an interactive "+name)
	}
}

func (w *walker) eval(args []arg, depth int) {
	for _, a := range args {
		if a.dyn {
			// Whatever it sets, nothing after it can be trusted.
			defer func() { w.scope.poisoned = true }()
		}
	}
	w.joinedScript(args, depth, "shell.dynamic-eval", "eval runs text only known at run time", true)
}

// joinedScript runs words joined with spaces as a script, as eval, watch and
// ssh do; any word only known at run time makes the whole script unknown.
func (w *walker) joinedScript(args []arg, depth int, id, msg string, same bool) {
	parts := make([]string, len(args))
	for i, a := range args {
		if a.dyn {
			w.add(id, unknown, msg)
			return
		}
		parts[i] = a.s
	}
	if same {
		w.scriptSame(strings.Join(parts, " "), depth+1)
		return
	}
	w.script(strings.Join(parts, " "), depth+1)
}

// xargsValueOpts take the next word as their value. -i, -l and -e (and
// --replace, --max-lines, --eof) do not: their value is optional and only
// ever attached (-l1, --eof=x), so in `xargs -l rm -rf` rm is the command.
var xargsValueOpts = strings.Fields("-I -L -n -P -d -E -s -a --max-args --max-procs --delimiter --arg-file --max-chars --process-slot-var -j --jobs -S --sshlogin --results --joblog --colsep")

// xargs and parallel run a command with arguments that arrive at run time
// (or, when what they read is known, with those arguments).
func (w *walker) xargs(name string, args []arg, in input, depth int) {
	i := 0
	replace, split, fromFile := "", "", false
	for i < len(args) && strings.HasPrefix(args[i].s, "-") && !args[i].dyn {
		a := args[i].s
		switch {
		case a == "-0" || a == "--null":
			split = "\x00"
		case a == "-d" && i+1 < len(args):
			split = args[i+1].s
		case strings.HasPrefix(a, "--delimiter="):
			split = strings.TrimPrefix(a, "--delimiter=")
		case a == "-a" || a == "--arg-file" || strings.HasPrefix(a, "--arg-file=") || strings.HasPrefix(a, "-a") && len(a) > 2:
			fromFile = true // the arguments come from a file, not the pipe
		case a == "-I" && i+1 < len(args):
			replace = args[i+1].s
		case strings.HasPrefix(a, "-I") && len(a) > 2:
			replace = a[2:]
		case a == "-i" || a == "--replace":
			replace = "{}"
		case strings.HasPrefix(a, "-i") && len(a) > 2:
			replace = a[2:]
		case strings.HasPrefix(a, "--replace="):
			replace = strings.TrimPrefix(a, "--replace=")
		}
		if takesValue(xargsValueOpts, a) {
			i++
		}
		i++
	}
	cmd := tail(args, i)
	var items []arg
	if name == "parallel" {
		replace = "{"
		for j, a := range cmd {
			if a.s == ":::" || a.s == "::::" || a.s == ":::+" {
				items = cmd[j+1:]
				cmd = cmd[:j]
				break
			}
		}
		if len(cmd) == 0 {
			// parallel ::: CMD... runs each argument as a command line.
			for _, it := range items {
				if it.s != ":::" {
					w.shellString(it, depth)
				}
			}
			if len(items) == 0 {
				w.stdinProgram(name, in, depth, func(text string) { w.script(text, depth+1) })
			}
			return
		}
	}
	if len(cmd) == 0 {
		return // xargs alone echoes its input
	}
	inner := make([]arg, 0, len(cmd)+1)
	for _, a := range cmd {
		if replace != "" && strings.Contains(a.s, replace) {
			if in.present && in.known && name == "xargs" {
				a = arg{s: strings.ReplaceAll(a.s, replace, strings.TrimSpace(in.text))}
			} else {
				a = arg{s: a.s, dyn: true}
			}
		}
		inner = append(inner, a)
	}
	if fromFile {
		in = input{present: true, from: "an argument file"}
	}
	if replace == "" || name == "parallel" {
		if in.present && in.known && name == "xargs" {
			fields := strings.Fields(in.text)
			if split != "" {
				fields = nil
				for _, f := range strings.Split(in.text, unescapeDelim(split)) {
					if f = strings.TrimSuffix(f, "\n"); f != "" {
						fields = append(fields, f)
					}
				}
			}
			for _, f := range fields {
				inner = append(inner, arg{s: f})
			}
		} else {
			inner = append(inner, arg{s: "$ARGS", dyn: true})
		}
	}
	if in.pids != nil && baseName(inner[0].s) == "kill" {
		// pgrep x | xargs kill is pkill x.
		w.command(in.pids, input{}, depth+1)
	}
	w.command(inner, input{}, depth)
}

// find: -delete deletes what matches; -exec and friends run a command.
func (w *walker) find(c *call, depth int) {
	if c.has("-exec", "-execdir", "-ok", "-okdir") {
		// The command is given the names found: credential files among them.
		if p := secretListed(listed("find", c.args)); p != "" {
			w.add("creds.read-secret-file", credential, "find runs a command on what it finds under "+p+", which holds credentials")
			w.target(p)
		}
	}
	var roots []string
	placed := true // every root's place is known before run time
	follows := c.has("-L", "-H", "-follow")
	for _, a := range c.args {
		if strings.HasPrefix(a.s, "-") || a.s == "(" || a.s == "!" {
			break
		}
		s, dyn := w.place(a.s, a.dyn)
		if !a.dyn {
			// A root that is a link (node_modules -> /data) is searched
			// where it leads when written with a trailing slash or
			// followed (-L, -H).
			if to, d, ch := w.through(a.s, follows); ch {
				s, dyn = to, d
			}
		}
		placed = placed && !dyn
		roots = append(roots, s)
	}
	for i, r := range roots {
		// A workspace in a temp directory is not temp files to find.
		roots[i], _ = rootedIn(w.ws.root, r, false)
	}
	disposable, local := len(roots) > 0 && placed, len(roots) > 0 && placed
	for _, r := range roots {
		disposable = disposable && isDisposable(r)
		local = local && inWorkspace(r)
	}
	name := ""
	for i, a := range c.args {
		if !plainTests(c.args) {
			// Negated, alternative or pruned tests (! -path X, -path X
			// -prune -o -delete) act on what does not match: the name
			// says nothing of what is found.
			break
		}
		if (a.s == "-name" || a.s == "-iname" || a.s == "-path" || a.s == "-ipath" || a.s == "-wholename") && i+1 < len(c.args) {
			if name != "" {
				name = "*" // several names: no one pattern stands for them
			} else {
				name = strings.TrimPrefix(c.args[i+1].s, "./")
			}
		}
	}
	if local && name != "" && slices.Contains(disposableNames, path.Base(name)) {
		// find . -name '*.pyc' -delete only removes build output.
		disposable = true
	}
	found := "found"
	if name != "" {
		found = name
	}
	for i := 0; i < len(c.args); i++ {
		switch c.args[i].s {
		case "-delete":
			if !disposable {
				w.add("fs.find-delete", destructive, "find -delete removes every file that matches")
				w.targets(roots)
			} else {
				w.add("fs.write", write, "find -delete removes build or temporary files")
			}
		case "-exec", "-execdir", "-ok", "-okdir":
			j := i + 1
			for ; j < len(c.args) && c.args[j].s != ";" && c.args[j].s != "+"; j++ {
			}
			// What find finds lies under its roots and matches its -name;
			// from the workspace's root, with no name that rules it out,
			// that includes the files of .git.
			under := []string{""}
			if local && reachesGit(roots, name) {
				under = append(under, ".git/")
			}
			for _, in := range under {
				var cmd []arg
				for _, a := range c.args[i+1 : j] {
					if strings.Contains(a.s, "{}") {
						a = arg{s: strings.ReplaceAll(a.s, "{}", "$FOUND/"+in+found), dyn: true}
						if local {
							a = arg{s: strings.ReplaceAll(a.s, "$FOUND/", roots[0]+"/")}
						}
					}
					cmd = append(cmd, a)
				}
				w.command(cmd, input{}, depth)
			}
			i = j
		case "-fprint", "-fprintf", "-fls":
			if i+1 < len(c.args) {
				w.truncates(c.args[i+1].s, c.args[i+1].dyn, "find "+c.args[i].s)
			}
		}
	}
}

// plainTests says whether find's expression only joins its tests with
// AND: no negation, alternative, grouping or list (-prune alone changes
// only where find descends).
func plainTests(args []arg) bool {
	return !slices.ContainsFunc(args, func(a arg) bool {
		switch a.s {
		case "!", "-not", "-o", "-or", "(", ")", ",":
			return true
		}
		return a.dyn
	})
}

// reachesGit says whether find, from roots in the workspace, finds files
// of the repository's .git: a root is the workspace itself, and the name
// it looks for (none, or a pattern) can be one of .git's.
func reachesGit(roots []string, name string) bool {
	if !slices.ContainsFunc(roots, func(r string) bool { c := path.Clean(r); return c == "." || c == ".git" }) {
		return false
	}
	if name == "" {
		return true
	}
	for _, n := range []string{"HEAD", "config", "index", "packed-refs", "ORIG_HEAD", "index.lock"} {
		if ok := globMatch(path.Base(name), n); ok {
			return true
		}
	}
	return false
}

func (w *walker) targets(ts []string) {
	for _, t := range ts {
		w.target(t)
	}
}

var watchValueOpts = []string{"-n", "--interval", "-q", "--equexit"}

// watch runs its arguments through sh -c (or directly with -x).
func (w *walker) watch(args []arg, depth int) {
	exec := false
	i := 0
	for i < len(args) && strings.HasPrefix(args[i].s, "-") {
		if args[i].s == "-x" || args[i].s == "--exec" {
			exec = true
		}
		if takesValue(watchValueOpts, args[i].s) {
			i++
		}
		i++
	}
	w.joined(tail(args, i), exec, depth)
}

var sshValueOpts = strings.Fields("-p -i -l -o -F -J -L -R -D -b -c -E -e -m -O -Q -S -W -w -B -I")

// ssh HOST CMD runs CMD in a shell on HOST; without CMD, a shell on HOST
// runs whatever standard input holds.
func (w *walker) ssh(args []arg, in input, depth int) {
	i := 0
	for i < len(args) && strings.HasPrefix(args[i].s, "-") {
		a := args[i].s
		w.sshOption(args, i, depth)
		if takesValue(sshValueOpts, a) {
			i++
		}
		i++
	}
	if i >= len(args)-1 {
		if in.present {
			w.stdinProgram("ssh", in, depth, func(text string) { w.script(text, depth+1) })
			return
		}
		w.add("shell.ssh-session", write, "opens a shell on a remote host")
		return
	}
	// The remote command runs in the remote user's home, not in the
	// workspace: rm -f .bashrc there removes that home's.
	w.remote(args[i+1:], depth)
}

// remote judges a command line run on another host, from its home.
func (w *walker) remote(args []arg, depth int) {
	if len(args) == 0 {
		return
	}
	line := arg{s: "cd ~ &&"}
	for _, a := range args {
		line.s += " " + a.s
		line.dyn = line.dyn || a.dyn
	}
	w.joinedScript([]arg{line}, depth, "shell.dynamic-script", "runs a command only known at run time", false)
}

// sshOption judges one of ssh's (or scp's, sftp's) options at args[i]:
// -o Key=CMD for the keys whose value ssh runs, and -F FILE, a
// configuration whose ProxyCommand, LocalCommand, KnownHostsCommand and
// Match exec run commands.
func (w *walker) sshOption(args []arg, i int, depth int) {
	a := args[i].s
	val := func() (arg, bool) {
		if len(a) > 2 {
			return arg{s: a[2:], dyn: args[i].dyn}, true
		}
		if i+1 < len(args) {
			return args[i+1], true
		}
		return arg{}, false
	}
	switch {
	case strings.HasPrefix(a, "-o"):
		v, ok := val()
		if !ok {
			return
		}
		k, cmd, _ := strings.Cut(v.s, "=")
		if !strings.Contains(v.s, "=") {
			k, cmd, _ = strings.Cut(strings.TrimSpace(v.s), " ")
		}
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "proxycommand", "localcommand", "remotecommand", "knownhostscommand", "permitlocalcommand":
			if !strings.EqualFold(strings.TrimSpace(k), "permitlocalcommand") {
				w.shellString(arg{s: cmd, dyn: v.dyn}, depth)
			}
		case "include":
			w.sshConfig(arg{s: strings.TrimSpace(cmd), dyn: v.dyn}, depth)
		}
	case strings.HasPrefix(a, "-F"):
		if v, ok := val(); ok {
			w.sshConfig(v, depth)
		}
	}
}

// sshConfigCommand: the configuration keywords whose value ssh runs.
var sshConfigCommand = regexp.MustCompile(`(?im)^\s*(?:ProxyCommand|LocalCommand|KnownHostsCommand|RemoteCommand)[\s=]+(.+)$|^\s*Match\s+.*\bexec\s+("[^"]*"|\S+)`)

// sshConfig judges an ssh configuration file given on the command line.
func (w *walker) sshConfig(f arg, depth int) {
	if f.s == "/dev/null" || f.s == "none" {
		return
	}
	text, st := w.readScript(f.s)
	if f.dyn || st != fileKnown {
		w.add("shell.script-unknown", unknown, "ssh reads a configuration Chaperone cannot read now ("+f.s+"), whose commands it runs")
		return
	}
	for _, m := range sshConfigCommand.FindAllStringSubmatch(text, -1) {
		w.script(strings.Trim(m[1]+m[2], `"`), depth+1)
	}
}

// joined runs words as a shell would after joining them with spaces, or as a
// command line when exec is set.
func (w *walker) joined(args []arg, exec bool, depth int) {
	if len(args) == 0 {
		return
	}
	if exec {
		w.command(args, input{}, depth)
		return
	}
	w.joinedScript(args, depth, "shell.dynamic-script", "runs a command only known at run time", false)
}

// isFdPath: a file descriptor's name, whose content a redirection (4<<<,
// exec 3<) set up where the walk does not follow it.
func isFdPath(p string) bool {
	return strings.HasPrefix(p, "/dev/fd/") || strings.HasPrefix(p, "/proc/self/fd/") || strings.HasPrefix(p, "/proc/thread-self/fd/") ||
		strings.HasPrefix(p, "/dev/stdin") || strings.HasPrefix(p, "/proc/") && strings.Contains(p, "/fd/")
}

// unescapeDelim reads xargs -d's delimiter: a character, or \n, \t, \0.
func unescapeDelim(d string) string {
	switch d {
	case "\\n":
		return "\n"
	case "\\t":
		return "\t"
	case "\\0":
		return "\x00"
	}
	return d
}
