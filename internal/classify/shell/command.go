package shell

import (
	"encoding/json"
	"net/url"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

func (w *walker) call(c *syntax.CallExpr, in input, depth int) {
	for _, a := range c.Assigns {
		w.assigned(a, depth)
	}
	if len(c.Args) == 0 {
		return
	}
	args := make([]arg, 0, len(c.Args))
	for _, wd := range c.Args {
		args = append(args, w.fields(wd, depth)...)
	}
	if len(args) == 0 {
		return
	}
	w.res.Ran = true
	w.command(args, in, depth)
}

// assigned walks an assignment and notes, in order, that its variable is set.
func (w *walker) assigned(a *syntax.Assign, depth int) {
	w.nested(a, depth)
	if a.Name == nil || a.Naked {
		return
	}
	if a.Array != nil {
		// F=(~/.ssh/*): an array of credential files, read wherever it
		// is expanded.
		for _, e := range a.Array.Elems {
			if e.Value == nil {
				continue
			}
			v, _, _ := w.renderOnlyWord(e.Value, depth)
			if p := secretListed([]string{v}); p != "" {
				w.holds(a.Name.Value, p, false)
			}
		}
	}
	if a.Value != nil {
		// x=$GITHUB_TOKEN: x holds the token from here on.
		if w.holdsSecret(a.Value) {
			w.holds(a.Name.Value, "", true)
		}
		v, dyn := w.word(a.Value, depth)
		w.environment(a.Name.Value, v)
		if !dyn {
			w.numericValue(v, depth)
		}
	}
	w.scope.walked[a.Name.Value] = true
	if a.Name.Value == "IFS" {
		w.scope.ifs = true
	}
	if a.Value != nil && isExecVar(a.Name.Value) {
		w.execVar(a.Name.Value, a.Value, depth)
	}
}

// command classifies one command line: args[0] is the command.
func (w *walker) command(args []arg, in input, depth int) {
	if len(args) == 0 {
		return
	}
	if args[0].dyn {
		w.add("shell.dynamic-command", unknown, "the command name "+args[0].s+" is only known at run time")
		return
	}
	saved := w.fed
	w.fed = in
	defer func() { w.fed = saved }()
	name := baseName(args[0].s)
	rest := args[1:]
	name, rest = coreutilsName(name, rest)
	w.namesFed(name, in)
	if name == "envsubst" && in.present && in.known {
		// envsubst prints its input with the environment's values put in.
		for _, m := range envRefs.FindAllStringSubmatch(in.text, -1) {
			if v := m[1] + m[2]; secretName(v) {
				w.add("creds.print-secret-var", credential, "envsubst prints $"+v+", which holds a credential")
				break
			}
		}
	}
	if in.secret && slices.Contains(inputPrinters, name) {
		// cat <<< "$ANTHROPIC_API_KEY": what it prints is the secret.
		w.add("creds.print-secret-var", credential, name+" prints a here-string that holds a credential")
	}
	if strings.HasPrefix(args[0].s, "BASH_FUNC_") {
		w.add("shell.exported-function", unknown, "an exported function's definition replaces a command for the shells started after it")
		return
	}
	w.lookupChanges(name, rest, depth)
	if strings.ContainsAny(name, "*?[") && name != "[" && name != "[[" {
		// The shell expands a glob in a program's name to whatever file
		// matches: /???/r? may be /bin/rm.
		w.add("shell.glob-command", unknown, "the command name "+args[0].s+" is a pattern: which program runs is only known at run time")
		return
	}
	if v, ok := w.scope.aliases[args[0].s]; ok && depth <= maxDepth {
		// Bash does not expand an alias inside its own expansion.
		delete(w.scope.aliases, args[0].s)
		w.expandAlias(v, rest, depth)
		w.scope.aliases[args[0].s] = v
		return
	}
	if dir := path.Dir(args[0].s); (dir == "/etc/init.d" || dir == "/etc/rc.d" || dir == "/etc/rc.d/init.d") && len(rest) > 0 &&
		(rest[0].s == "stop" || rest[0].s == "restart" || rest[0].dyn) {
		// /etc/init.d/mysql stop is service mysql stop.
		w.command(append([]arg{{s: "service"}, {s: name}}, rest...), in, depth)
		return
	}
	w.execEnvArgs(name, rest, depth)
	w.builtinSubscripts(name, rest, depth)
	w.readValues(name, rest, in, depth)
	w.hostAccess(name, rest)
	w.taskFiles(parseCall(name, rest), depth) // pdm run and hatch run are runners too
	w.compiledRun(parseCall(name, rest), depth)
	if (name == "docker" || name == "podman" || name == "docker-compose" || name == "podman-compose") && slices.ContainsFunc(rest, func(a arg) bool { return a.s == "run" }) {
		// compose run SERVICE runs the service's command from the file;
		// the runner below judges only what the line adds.
		w.runsManifests(parseCall(name, rest), in, depth)
	}
	if w.runs(name, rest, in, depth) {
		w.secretArgs(parseCall(name, rest))
		return
	}
	if inner, ok := unwrap(name, rest); ok {
		w.traced(name, rest, inner)
		w.wrapped(name, rest, inner, in, depth)
		return
	}
	if inner, ok := runnerTool(name, rest); ok && len(inner) > 0 {
		if p := inner[0]; !p.dyn && (p.s == "." || p.s == ".." || strings.HasPrefix(p.s, "./") || strings.HasPrefix(p.s, "../") ||
			strings.HasPrefix(p.s, "/") || strings.HasPrefix(p.s, "file:")) && name != "uvx" && name != "pipx" && name != "perf" {
			// npx . runs the bin a local package.json names, code Chaperone
			// does not read here.
			w.add("shell.script-unknown", unknown, name+" runs the program of the local package "+p.s+", which Chaperone does not read")
			return
		}
		if f := w.localBin(inner[0]); f != "" {
			// npm exec p, where p is the local package's own bin.
			w.runFile(f, name+" "+inner[0].s+" runs", "node", depth+1, false)
			return
		}
		w.wrapped(name, rest, inner, in, depth)
		return
	}
	if (name == "java" || name == "javaw") && slices.ContainsFunc(rest, func(a arg) bool { return !a.dyn && strings.HasSuffix(a.s, ".java") }) {
		// java X.java compiles and runs the source: a language this guard
		// does not read.
		w.add("shell.program-code", unknown, name+" runs a Java source file, in a language Chaperone does not read")
	}
	if w.c.Remote && (name == "pkill" || name == "killall" || name == "kill" || name == "skill" || name == "umount") && len(rest) > 0 {
		// On a service's machine its processes are the service: stopping
		// them, or its volume, is an outage.
		w.add("host.kill-service", destructive, name+" on the service's machine stops what it serves")
	}
	if name == "deno" && slices.ContainsFunc(rest, func(a arg) bool { return strings.HasPrefix(a.s, "http://") || strings.HasPrefix(a.s, "https://") }) {
		w.add("shell.script-unknown", unknown, "deno runs code fetched from a URL, which Chaperone cannot read")
	}
	if nonExecution(name, rest) && !w.workspaceProgram(args[0]) {
		return
	}
	if name == "git" {
		w.repoConfigCommands(rest, depth)
		w.gitRuns(rest, depth)
	}
	if name == "aws" {
		rest = w.awsFileValues(rest)
	}
	c := parseCall(name, rest)
	// Before anything reads the line's words as another program's
	// (kubectl patch … reads as patch, which marks files as rewritten).
	w.kubeSettings(c)
	if !c.sub("run") && !c.sub("debug") {
		w.kubePatches(c, depth) // run and debug: kubeRunImage
	}
	w.helmValues(c)
	w.backupChanges(c)
	w.storageChanges(c)
	w.hostSecurity(c)
	w.accessGrants(c)
	w.quietWrites(c)
	if dir, ok := emptiedDir(c); ok {
		// It empties the directory it is told, as rm -rf would.
		w.command([]arg{{s: "rm"}, {s: "-rf"}, dir}, input{}, depth)
	}
	w.equivalents(c, in, depth)
	w.secretUses(c)
	w.shellBuiltins(c, depth)
	w.searchesSecrets(c)
	w.runsManifests(c, in, depth)
	w.buildSteps(c, depth)
	w.frameworkModules(c, depth)
	w.placedPacks(c)
	w.linksMade(c)
	w.homeReads(c)
	w.extractsThroughLinks(c)
	w.envReads(c)
	w.metadataArgs(c)
	if slices.Contains(loadGenerators, c.name) || unboundedParallel(c) {
		w.add("host.exhaust", unknown, c.name+" loads the host's processors, memory or disks until what else runs there may slow down or be killed")
	}
	w.applyAfterRemoval(c)
	w.removedFiles(c)
	w.optionCommands(c, in, depth)
	w.projectFiles(name, depth)
	w.shellOverrides(c, depth)
	w.outputFiles(c, in)
	switch {
	case isShell(name):
		w.shell(c, in, depth)
	case name == "eval":
		w.eval(rest, depth)
	case name == "source" || name == ".":
		w.source(rest, in, depth)
	case name == "cd" || name == "pushd" || name == "popd":
		w.secretArgsGiven(c, "")
		w.cd(name, rest)
	case name == "xargs" || name == "parallel":
		w.xargs(name, rest, in, depth)
	case name == "find":
		w.secretArgsGiven(c, "")
		w.find(c, depth)
	case name == "watch":
		w.watch(rest, depth)
	case name == "pee" || name == "mispipe":
		// Each operand is a command line run by a shell (moreutils).
		for _, a := range rest {
			if !strings.HasPrefix(a.s, "-") || a.dyn {
				w.shellString(a, depth)
			}
		}
	case name == "ssh":
		w.applyPacks(c) // its own options (-R to a public relay)
		w.ssh(rest, in, depth)
	case slices.Contains(interpreters, name) || strings.HasPrefix(name, "python") || name == "ipython" || name == "ipython3":
		w.interpreter(c, in, depth)
	case slices.Contains(awks, name):
		w.awk(c, in, depth)
	case dbClients[name] != nil:
		w.database(c, in, depth)
		if slices.Contains(machineCLIs, name) {
			w.genericDestruction(c) // cockroach node decommission, cockroach quit: the cluster's own verbs
		}
	case sqlSubcommands[name] != nil && w.sqlSubcommand(c, in, depth):
	case w.consoleCode(c, in, depth):
	case name == "railway" && c.sub("connect"):
		w.database(parseCall("psql", nil), in, depth)
	case (name == "npm" || name == "yarn" || name == "pnpm" || name == "bun") && w.npmScript(name, rest, depth):
	case (name == "make" || name == "gmake") && w.makeRecipes(rest, in, depth):
		w.applyPacks(c) // make -p prints the environment whatever its recipes do
	case slices.Contains(httpClients, name) && w.providerRequest(c, in):
	case w.localProgram(args[0].s):
	case w.confMgmt(c, depth):
	case w.fleet(c, depth):
	case name == "run-parts":
		w.runParts(c, depth)
	case name == "gio" && (c.sub("move") || c.sub("copy") || c.sub("rename") || c.sub("save")) && len(rest) > 0:
		// gio move/copy are mv and cp; gio save writes its input to a file.
		as := map[string]string{"move": "mv", "rename": "mv", "copy": "cp", "save": "tee"}[c.pos[0].s]
		w.command(append([]arg{{s: as}}, rest[1:]...), in, depth)
	case w.programArgument(name, rest, in, depth):
		// A program only partly described still has its described uses.
		w.applyPacks(c)
	default:
		w.handedStatements(c, in)
		if !w.program(c, in) {
			w.embeddedCommand(c, depth)
		}
	}
	w.copies(c, in)
	w.remoteOverwrite(c, in)
	w.patchContent(c, in)
	w.retentionEdit(c)
	w.settingsOff(c)
	w.cloudAccess(c)
	w.secretEndpoint(c)
	w.transferScript(c, in, depth)
	w.mayHaveWritten(c)
	w.secretArgs(c)
	w.secretSearch(c)
	w.githubFileBodies(c, in)
}

// copies records what cp, mv, ln, install and tee put into files, so a
// copy that is run (a git hook, a script) is judged by its content.
func (w *walker) copies(c *call, in input) {
	switch {
	case c.name == "tee":
		for _, p := range c.pos {
			w.wrote(p.s, in.text, in.present && in.known && !p.dyn, c.has("-a", "--append"))
		}
	case c.name == "dd":
		// dd of=FILE writes what it reads: if=FILE, or standard input.
		of := ddOutput(c)
		if of == nil || of.dyn {
			return
		}
		for _, a := range c.args {
			if src, ok := strings.CutPrefix(a.s, "if="); ok {
				text, st := w.readScript(src)
				w.wrote(of.s, text, !a.dyn && st == fileKnown && !strings.ContainsRune(text, 0), false)
				return
			}
		}
		w.wrote(of.s, in.text, in.present && in.known, false)
	case c.name == "touch" && !c.has("-c", "--no-create", "-r", "--reference", "-d", "--date", "-t"):
		// A file touch creates is empty.
		for _, p := range c.pos {
			if _, st := w.readScript(p.s); !p.dyn && st == fileMissing {
				w.wrote(p.s, "", true, false)
			}
		}
	case c.name == "truncate" && len(c.pos) > 0:
		if v, ok := c.flagValue("-s", "--size"); ok && isZero(v) {
			for _, p := range c.pos {
				if !p.dyn && p.flag != "-s" && p.flag != "--size" {
					w.wrote(p.s, "", true, false)
				}
			}
		}
	case slices.Contains(copiers, c.name) && len(c.pos) >= 2:
		dst := c.pos[len(c.pos)-1]
		if dst.dyn {
			return
		}
		src := c.pos[len(c.pos)-2]
		if !src.dyn && len(c.pos) == 2 && slices.Contains(junkDevices, path.Clean(src.s)) && c.name != "ln" {
			w.wrote(dst.s, "", src.s == "/dev/null", false) // cp /dev/null f empties f
			return
		}
		text, st := w.readScript(src.s)
		if src.dyn || st == fileMissing && len(c.pos) == 2 || st == fileKnown && strings.ContainsRune(text, 0) {
			// A program copied or linked in (cp /bin/rm ./t) runs as
			// that program, whatever its name.
			st = fileUnknowable
		}
		w.wrote(dst.s, text, st == fileKnown && len(c.pos) == 2, false)
	}
}

func isShell(name string) bool {
	return slices.Contains(shells, name) || strings.HasPrefix(name, "bash") && len(name) > 4 && name[4] >= '0' && name[4] <= '9'
}

// source and . run a script in the current shell.
func (w *walker) source(args []arg, in input, depth int) {
	if len(args) == 0 {
		return
	}
	w.scriptArg("source", args[0], in, depth, true)
}

// httpClients send requests a provider API may receive.
var httpClients = []string{"curl", "wget", "http", "https", "xh", "xhs", "httpie", "openssl", "nc", "ncat", "netcat", "socat", "telnet", "websocat"}

// searchers look through many files at once.
var searchers = []string{"grep", "egrep", "fgrep", "rg", "ag", "ack", "git"}

// secretSearch: searching files for a credential's name or shape is how an
// agent finds a token left in the workspace (grep -rn RAILWAY_TOKEN .
// prints the .env line with its value). Patterns count by what they could
// match: regexes, -e and -f patterns, and case-insensitive searches for
// secret-named variables; a lone word like "auth" or "token" in code stays
// a read.
func (w *walker) secretSearch(c *call) {
	if c.name == "git" && (c.sub("log") || c.sub("show") || c.sub("whatchanged")) {
		// git log -p -S 'BEGIN RSA PRIVATE KEY': the history's versions
		// of the lines that held a credential.
		for _, v := range optionValues(c, "-S", "-G") {
			if !v.dyn && (secretPattern(v.s, true) || secretWord(v.s)) {
				w.add("creds.search-secret", credential, "git "+c.pos[0].s+" searches the history for "+v.s+", which finds the credential's value")
				return
			}
		}
		for _, a := range c.args {
			for _, f := range []string{"-S", "-G"} {
				if v, ok := strings.CutPrefix(a.s, f); ok && v != "" && !a.dyn && (secretPattern(v, true) || secretWord(v)) {
					w.add("creds.search-secret", credential, "git "+c.pos[0].s+" searches the history for "+v+", which finds the credential's value")
					return
				}
			}
		}
	}
	if !slices.Contains(searchers, c.name) || (c.name == "git" && !c.sub("grep")) {
		return
	}
	ci := c.name == "ag" || c.has("-i", "--ignore-case", "-S", "--smart-case", "-y")
	recursive := c.name != "grep" && c.name != "egrep" && c.name != "fgrep"
	for _, f := range c.flags {
		if f == "--recursive" || f == "--dereference-recursive" || (!strings.HasPrefix(f, "--") && strings.ContainsAny(f, "rR")) {
			recursive = true
		}
	}
	var patterns []arg
	explicit := false
	for i, a := range c.args {
		switch {
		case (a.s == "-e" || a.s == "--regexp") && i+1 < len(c.args):
			patterns = append(patterns, c.args[i+1])
			explicit = true
		case strings.HasPrefix(a.s, "--regexp="):
			patterns = append(patterns, arg{s: strings.TrimPrefix(a.s, "--regexp="), dyn: a.dyn})
			explicit = true
		case (a.s == "-f" || a.s == "--file") && i+1 < len(c.args):
			explicit = true
			if t, ok := w.readWorkspace(c.args[i+1].s); ok {
				for _, l := range strings.Split(t, "\n") {
					patterns = append(patterns, arg{s: l})
				}
			} else {
				patterns = append(patterns, arg{s: c.args[i+1].s, dyn: true})
			}
		}
	}
	globs := false
	pos := c.pos
	if c.name == "git" && len(pos) > 0 {
		pos = pos[1:] // "grep" itself
	}
	for _, p := range pos {
		if !explicit && len(patterns) == 0 {
			patterns = append(patterns, p.arg)
			continue
		}
		globs = globs || strings.ContainsAny(p.s, "*?[")
	}
	if !recursive && !globs {
		return // standard input, or files named one by one
	}
	home := false // searching a whole home: what it finds there is credentials
	for _, p := range pos {
		if s, dyn := w.place(p.s, p.dyn); !dyn && (holdsSecrets(s) || isSecretDir(s) || holdsConfig(s)) {
			home = true
		}
	}
	for _, v := range optionValues(c, "--include", "-g", "--glob", "--iglob") {
		// rg -g '.env*', grep -r --include='*.pem': only credential files
		// are searched, wherever they are.
		n := strings.Trim(v.s, "*")
		if strings.HasPrefix(v.s, "!") {
			continue // rg -g '!.env' leaves those files out
		}
		if isSecretPath(v.s) || globNamesSecretFile(v.s) || home && (isSecretPath("~/.aws/"+n) || isSecretPath("~/.ssh/"+n)) {
			w.add("creds.search-secret", credential, c.name+" searches "+v.s+" files, which hold credentials")
			return
		}
	}
	if home {
		if c.name == "rg" && c.has("-uu", "-uuu", "--hidden", "--no-ignore") && len(patterns) > 0 && patterns[0].s == "" {
			w.add("creds.search-secret", credential, c.name+" prints every hidden file under a home, credentials included")
			return
		}
	}
	for _, a := range patterns {
		if a.dyn && c.has("-f", "--file") {
			w.add("creds.search-unknown", unknown, c.name+" searches files for patterns Chaperone cannot read")
			return
		}
		if !a.dyn && (secretPattern(a.s, ci) || home && (secretPattern(a.s, true) || secretWord(a.s))) {
			w.add("creds.search-secret", credential, c.name+" searches files for "+a.s+", which finds the credential's value")
			return
		}
	}
}

// globNamesSecretFile: a file-name glob that picks credential files.
func globNamesSecretFile(g string) bool {
	base := path.Base(g)
	for _, probe := range []string{strings.ReplaceAll(base, "*", ""), strings.ReplaceAll(base, "*", "x")} {
		if probe != "" && isSecretPath(probe) {
			return true
		}
	}
	return false
}

// tokenShapes are the fixed prefixes of well-known credentials.
var tokenShapes = []string{"AKIA", "ASIA", "ghp_", "gho_", "ghs_", "ghu_", "github_pat_", "sk_live_", "rk_live_", "sk-", "xoxb-",
	"xoxp-", "glpat-", "PRIVATE KEY", "BEGIN RSA", "BEGIN OPENSSH", "BEGIN EC", "-----BEGIN", "AIza", "npm_", "pypi-", "hf_", "shpat_"}

// secretPattern reports whether a search pattern looks for a credential.
func secretPattern(p string, ci bool) bool {
	for _, t := range tokenShapes {
		if strings.Contains(p, t) || ci && strings.Contains(strings.ToUpper(p), strings.ToUpper(t)) {
			return true
		}
		// sk_live, github_pat: the shape's start alone finds it too.
		if len(p) >= 5 && strings.HasPrefix(t, p) {
			return true
		}
	}
	words := strings.FieldsFunc(p, func(r rune) bool {
		return !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	})
	for i, word := range words {
		up := strings.ToUpper(word)
		shaped := envVarShaped(word) || ci && (strings.Contains(word, "_") || compoundSecret(up))
		if shaped && secretName(up) {
			return true
		}
		// TOKEN= / password: searches for where a value is set.
		if secretName(up) && i == len(words)-1 && regexpAssigns(p, word) {
			return true
		}
	}
	return false
}

// secretWord: a pattern with a word that names a credential (token,
// password), which in a place of credentials finds their values.
func secretWord(p string) bool {
	for _, word := range strings.FieldsFunc(p, func(r rune) bool {
		return !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) {
		if secretName(strings.ToUpper(word)) {
			return true
		}
	}
	return false
}

func compoundSecret(up string) bool {
	for _, s := range []string{"APIKEY", "ACCESSKEY", "PRIVATEKEY", "SECRETKEY", "AUTHTOKEN", "ACCESSTOKEN", "CLIENTSECRET", "DATABASEURL"} {
		if strings.Contains(up, s) {
			return true
		}
	}
	return false
}

func regexpAssigns(p, word string) bool {
	i := strings.LastIndex(p, word)
	rest := strings.TrimLeft(p[i+len(word):], "\"'\\s*?")
	return strings.HasPrefix(rest, "=") || strings.HasPrefix(rest, ":")
}

// program classifies an ordinary program by its rule packs; it reports
// whether any rule described the call.
func (w *walker) program(c *call, in input) bool {
	if slices.Contains(printers, c.name) {
		w.printed(c)
		return true
	}
	if echoers[c.name] {
		w.secretArgsGiven(c, "")
	}
	if c.name == "cmd" && slices.ContainsFunc(c.args, func(a arg) bool {
		l := strings.ToLower(a.s)
		return l == "/c" || l == "/k" || l == "/r"
	}) {
		w.add("shell.program-code", unknown, "cmd runs a Windows command line, which Chaperone does not read")
		return true
	}
	if dryRun(c) {
		w.add("shell.dry-run", read, c.name+" only rehearses (--dry-run)")
		return true
	}
	if in.present && in.known && slices.Contains([]string{"nc", "ncat", "netcat", "socat", "telnet", "websocat", "openssl"}, c.name) ||
		slices.Contains([]string{"curl", "wget", "http", "https", "xh", "xhs", "httpie", "gh"}, c.name) {
		w.requestEffect(c, in) // with what it reads: a body on standard input, a request typed into a raw connection
	}
	w.rawConnection(c, in)
	if t := destructiveTarget(c); t != "" {
		// make destroy, npm run db:drop, mvn flyway:clean: a target whose
		// recipe Chaperone could not read is judged by its name.
		w.add("cli.destructive-verb", destructive, c.name+" "+t+" runs a target named for destruction, whose recipe Chaperone cannot read")
		w.target(c.name + " " + t)
	}
	matched, exclusive := w.applyPacks(c)
	if !exclusive && !slices.Contains(readOnly, c.name) {
		matched = w.genericDestruction(c) || matched
		matched = w.genericCredential(c) || matched
	}
	oc, here := c, w.outside()
	if w.c.ServiceFiles {
		// A service's own program is started in its home on its
		// machine: its relative words (gunicorn app:app, myapp start)
		// name its own application, not places outside a workspace.
		// Absolute paths still count.
		cp := *c
		cp.here, oc, here = "", &cp, "$PWD"
	}
	if p, ok := outsidePath(oc, here); ok && !described[c.name] && !slices.Contains(readOnly, c.name) && !slices.Contains(metadataOnly, c.name) {
		// Formatters, converters, loggers, linkers and archivers rewrite
		// the files they are handed (shfmt -w ~/.bashrc, dos2unix,
		// screen -Logfile ~/.bashrc, strip ~/.local/bin/*): a program no
		// rule describes may do so to any path outside the workspace.
		w.add("shell.outside-workspace", unknown, c.name+" is handed "+p+", outside the workspace, and Chaperone does not know whether it changes it")
		matched = true
	}
	if !matched && !slices.Contains(readOnly, c.name) {
		w.add("shell.run", write, "runs "+c.name)
	}
	return matched || slices.Contains(readOnly, c.name)
}

// outsidePath returns the first path a call is handed, as an operand or an
// option's value, that is outside the workspace (not a temporary directory
// or a device).
// here is where the call runs (walker.outside): a relative path from a
// directory known to be outside the workspace is outside too.
func outsidePath(c *call, here string) (string, bool) {
	placed := *c
	if here != "$PWD" {
		placed.here = here
	}
	for _, a := range c.args {
		if a.dyn {
			continue
		}
		for _, s := range pathSpellings(a.s) {
			outside := strings.HasPrefix(s, "/") || strings.HasPrefix(s, "~") || s == ".." || strings.HasPrefix(s, "../") ||
				placed.here != "" && !strings.HasPrefix(s, "-")
			if !outside || !placed.lands(arg{s: s}) {
				continue
			}
			if where, _ := placeFrom(placed.here, s, false); sensitivePlace(where) {
				return s, true
			}
		}
	}
	return "", false
}

// sensitivePlace: a path outside the workspace where a rewrite does harm
// beyond the data there (a home's dotfiles and credentials, the system's
// configuration and programs), or one only known at run time (a climb out
// of the workspace). A tool handed /srv/data or /mnt/x reads or writes
// data it was pointed at.
func sensitivePlace(p string) bool {
	if p == "/" || strings.HasPrefix(p, "~") || strings.HasPrefix(p, "..") || strings.HasPrefix(p, "$") {
		return true
	}
	for _, d := range []string{"/root", "/home", "/etc", "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/boot", "/var", "/opt", "/sys", "/proc", "/run"} {
		if p == d || strings.HasPrefix(p, d+"/") {
			return true
		}
	}
	return false
}

// pathSpellings are the paths a word may hand a program: itself, an
// option's or a key's value (--out=P, of=P, --out:P), a file read by
// reference (@P), a file URL. Not a short option's glued value: compilers'
// -I/usr/include and -L/usr/lib read there.
func pathSpellings(word string) []string {
	out := []string{word}
	if _, v, ok := strings.Cut(word, "="); ok {
		out = append(out, v)
	}
	if strings.HasPrefix(word, "-") {
		if _, v, ok := strings.Cut(word, ":"); ok {
			out = append(out, v)
		}
	}
	if v, ok := strings.CutPrefix(word, "@"); ok {
		out = append(out, v)
	}
	if v, ok := strings.CutPrefix(word, "file://"); ok {
		out = append(out, v)
	}
	return out
}

// printed: echo and printf only print, but printing a token-bearing variable
// is how a token leaks into an agent's context.
func (w *walker) printed(c *call) {
	for _, a := range c.args {
		for _, v := range a.vars {
			if w.secretVar(v) {
				w.add("creds.print-secret-var", credential, c.name+" prints $"+v+", which holds a credential")
			}
		}
	}
}

// echoers are utilities that show their arguments: in what they print
// (basename, realpath, seq, jq --arg) or in the error for one they cannot use
// ("cat: ghp_…: No such file or directory", "ping: ghp_…: Name or service not
// known"). A credential's value handed to one reaches the agent's context as
// surely as echo's. Programs that consume a credential (curl -H, git, psql,
// docker login, cloud CLIs, a project's own scripts) are not among them.
var echoers = map[string]bool{}

func init() {
	for _, n := range strings.Fields(`basename dirname realpath readlink cat tac rev ls stat file touch mkdir rmdir rm
		cp mv ln chmod chown chgrp head tail wc sort uniq cut paste join comm fold fmt nl od xxd hexdump strings
		column numfmt factor seq yes expr date id groups getent finger who whoami pinky users
		cd pushd popd type hash command which whereis alias unalias kill
		grep egrep fgrep rg ag ack find locate du df sum cksum md5sum sha1sum sha256sum sha512sum b2sum
		host dig nslookup ping ping6 traceroute tracepath whois
		jq gojq yq sed awk gawk mawk nawk tr tee iconv base64 base32 basenc
		printenv env`) {
		echoers[n] = true
	}
}

// secretArgsGiven flags each argument of c that expands a variable holding a
// credential; what says what is given it ("" for the command itself).
func (w *walker) secretArgsGiven(c *call, what string) {
	if what == "" {
		what = c.name
	} else {
		what = c.name + "'s " + what
	}
	for _, a := range c.args {
		if v, ok := w.argHoldsSecret(a); ok {
			w.add("creds.print-secret-var", credential, what+" is given $"+v+", which holds a credential, and can print it (in its output or an error)")
			return
		}
	}
}

// metadataOnly commands touch a file's name or metadata, not its contents.
var metadataOnly = []string{"ls", "stat", "test", "[", "touch", "chmod", "chown", "rm", "unlink", "wc", "du",
	"find", "realpath", "dirname", "basename", "mkdir", "file", "echo", "printf", "which", "type", "command", "git",
	"ssh-keygen", "ssh-add", "shred", "srm", "truncate", "readlink", "lsattr", "chattr", "setfacl", "getfacl"}

// copiers take sources and a destination: the sources are read, the
// destination only written (cp .env.example .env reads no secret).
var copiers = []string{"cp", "mv", "ln", "install", "rsync", "scp", "rclone", "gcp", "ditto"}

// outputOpts name a file a tool writes, not one it reads.
var outputOpts = []string{"-out", "-keyout", "-o", "--output", "--out", "-f"}

// secretArgs flags any command that is handed a credential file to read.
func (w *walker) secretArgs(c *call) {
	if !slices.Contains(metadataOnly, c.name) && c.name != "git" {
		for _, p := range c.pos {
			if !p.dyn && (p.s == ".git/config" || strings.HasSuffix(p.s, "/.git/config")) && w.gitConfigHoldsCredentials() {
				w.add("creds.git-url", credential, c.name+" reads .git/config, whose remote URLs carry a password or token")
				return
			}
		}
	}
	if w.namesFromFile(c) {
		return
	}
	if slices.Contains(metadataOnly, c.name) {
		if c.name == "git" && gitShowsContent(c) {
			// reading a committed secret is still reading it
		} else {
			return
		}
	}
	args := c.args
	if slices.Contains(copiers, c.name) && !c.has("-t", "--target-directory") && len(c.pos) > 1 {
		dest := c.pos[len(c.pos)-1]
		args = nil
		for _, a := range c.args {
			if a.s != dest.s {
				args = append(args, a)
			}
		}
	}
	// A tool's own sign-in option (kubectl --kubeconfig F, gcloud
	// --key-file=F): it signs in with its credential, it does not print it.
	signsIn := !slices.Contains(copiers, c.name) && !slices.Contains(readOnly, c.name)
	var text map[int]bool
	if len(args) == len(c.args) {
		text = programText(c)
	}
	for i, a := range args {
		if text[i] && len(a.vars) == 0 {
			continue // sed's script, awk's program, tr's sets: no file
		}
		for _, v := range a.vars {
			if p, ok := w.secretVars[v]; ok && !slices.Contains(metadataOnly, c.name) {
				w.add("creds.read-secret-file", credential, c.name+" reads $"+v+", which holds "+p+", credentials")
				w.target(p)
			}
		}
		if k, _, glued := strings.Cut(a.s, "="); signsIn && (i > 0 && credentialOption.MatchString(args[i-1].s) || glued && credentialOption.MatchString(k)) {
			continue
		}
		if v := credentialVarPath(a); v != "" && !slices.Contains([]string{"export", "echo", "printf", "test", "[", "[["}, c.name) {
			w.add("creds.read-secret-file", credential, c.name+" reads $"+v+", the file that holds credentials")
			w.target("$" + v)
			continue
		}
		if a.dyn && !strings.Contains(a.s, "/") && !strings.Contains(a.s, ".") {
			continue
		}
		if i > 0 && c.name != "cat" && slices.Contains(outputOpts, args[i-1].s) && (c.name == "openssl" || args[i-1].s != "-f") {
			continue
		}
		if i > 0 && (slices.Contains(filterOptions, args[i-1].s) || globSearcher(c.name) && (args[i-1].s == "-g" || args[i-1].s == "--glob")) {
			continue // a pattern of names left out or kept
		}
		p := strings.TrimPrefix(a.s, "@")
		if _, v, ok := strings.Cut(p, "=@"); ok { // curl -F file=@.env
			p = v
		} else if _, v, ok := strings.Cut(p, "="); ok && !strings.HasPrefix(p, "-") { // dd if=.env
			if isSecretPath(v) {
				p = v
			}
		} else if name, v, ok := strings.Cut(p, "="); ok && strings.HasPrefix(p, "--") && isSecretPath(v) { // --env-file=.env
			if slices.Contains(filterOptions, name) {
				continue // --exclude=.env names what is left out
			}
			p = v
		}
		if c.name == "git" {
			if _, v, ok := strings.Cut(p, ":"); ok && !strings.Contains(p, "://") { // git show HEAD:.env
				p = v
			}
		}
		if rest, ok := cutPrefixFold(p, "file://"); ok {
			// curl file:///proc/self/environ reads the file the URL names.
			rest = strings.TrimPrefix(rest, "localhost")
			if d, err := url.PathUnescape(rest); err == nil {
				p = d
			}
		}
		if (c.name == "curl" || c.name == "wget" || c.name == "http" || c.name == "xh") && strings.Contains(p, "/") {
			// The path as the server reads it: escapes decoded, and
			// curl's {a,b} alternatives expanded (/.e{nv,x} asks for
			// /.env).
			for _, alt := range urlAlternatives(p) {
				if d, err := url.PathUnescape(alt); err == nil && d != p && isSecretPath(d) {
					p = d
					break
				}
			}
		}
		if isSecretPath(p) || isSecretDir(p) {
			w.add("creds.read-secret-file", credential, c.name+" reads "+p+", which holds credentials")
			w.target(p)
		} else if s := w.dotglobSecret(p, a.dyn); s != "" {
			w.add("creds.read-secret-file", credential, c.name+" reads "+p+", which with dotglob matches "+s+", which holds credentials")
			w.target(s)
		} else if pathLike(p) && !a.dyn {
			to, _, changed := w.through(p, true)
			if !changed || !isSecretPath(to) && !isSecretDir(to) {
				continue
			}
			w.add("creds.read-secret-file", credential, c.name+" reads "+p+", a link to "+to+", which holds credentials")
			w.target(to)
		}
	}
}

// credentialOption: an option through which a tool is given its own
// credential to sign in with.
var credentialOption = regexp.MustCompile(`(?i)^--?(?:var-file|kubeconfig|key-?file|credentials?(?:-file)?|cred-file|identity-file|service-account(?:-key)?(?:-file)?|token-file|auth-file|private-key(?:-file)?|ssh-key|client-key|tls-key|cert-key)$`)

// gitShowsContent: git subcommands that print file contents or patches.
func gitShowsContent(c *call) bool {
	switch {
	case c.sub("hash-object") && c.has("-w", "--stdin-paths"), c.sub("add"), c.sub("stash"), c.sub("commit"):
		// Stored in the repository, to be printed or pushed from there.
		return true
	case c.sub("show"), c.sub("cat-file"), c.sub("diff"), c.sub("blame"), c.sub("grep"), c.sub("archive"), c.sub("format-patch"),
		c.sub("stash", "show") && c.has("-p", "--patch"), c.sub("difftool"), c.sub("annotate"):
		return true
	case c.sub("merge-file"), c.sub("interpret-trailers"), c.sub("hash-object"), c.sub("tag") && c.has("-F", "--file"),
		c.sub("notes") && c.has("-F", "--file"), c.sub("mailinfo"), c.sub("apply") && c.has("--stat", "--numstat", "--summary"):
		// They print the file they are given (merge-file -p, the
		// trailers), or store it where git prints it (a tag's or a
		// note's message).
		return true
	case c.sub("log") || c.sub("whatchanged") || c.sub("reflog"):
		return c.has("-p", "--patch", "-u", "-L", "--full-diff", "--word-diff") || c.has("--patch-with-stat", "--cc", "-G", "-S")
	}
	return false
}

var (
	shells = []string{"sh", "bash", "zsh", "dash", "ksh", "ash", "mksh", "fish", "busybox-sh", "rbash", "tcsh", "csh", "yash", "posh", "oksh", "loksh", "osh", "ksh93", "pdksh", "elvish", "nu", "xonsh", "pwsh", "powershell",
		"ysh", "oil", "rc", "es", "ion", "murex", "ngs", "scsh", "hush", "brush"}
	interpreters = []string{"python", "python3", "python2", "pypy", "pypy3", "node", "nodejs", "deno", "bun", "ruby", "perl", "php", "lua", "Rscript", "osascript", "tsx", "ts-node"}
	awks         = []string{"awk", "gawk", "mawk", "nawk"}
	printers     = []string{"echo", "printf"}
	// readOnly programs only read (their file arguments are still checked
	// for credentials).
	readOnly = []string{"ls", "pwd", "cat", "head", "tail", "less", "more", "grep", "egrep", "fgrep", "rg", "ag", "ack",
		"wc", "sort", "uniq", "cut", "tr", "diff", "cmp", "comm", "file", "stat", "du", "df", "ps", "whoami", "id",
		"date", "uname", "hostname", "true", "false", ":", "test", "[", "[[", "sleep", "basename", "dirname",
		"realpath", "readlink", "tree", "jq", "yq", "md5sum", "sha256sum", "sha1sum", "base64", "nl", "column",
		"fold", "fmt", "expand", "rev", "tac", "od", "xxd", "hexdump", "strings", "seq", "yes",
		"bat", "batcat", "fd", "fdfind", "locate", "pgrep", "lsof", "free", "uptime", "nproc", "tty",
		"cal", "bc", "expr", "getconf", "lsblk", "top", "htop", "vmstat", "iostat", "netstat", "ss", "dig",
		"nslookup", "host", "ping", "traceroute", "history", "jobs", "wait", "cd", "pushd", "popd", "dirs",
		"shopt", "alias", "read", "mapfile", "getopts", "local", "return", "exit", "break",
		"continue", "shift", "trap", "umask", "ulimit", "printenv", "set", "sed"}
)

func firstS(args []arg) string {
	if len(args) == 0 {
		return ""
	}
	return args[0].s
}

// nonExecution: asking about a command is not running it.
// targetRunners run a target, task or script named by their argument,
// whatever its name; and env and its kin print the environment.
var targetRunners = []string{"make", "gmake", "just", "task", "rake", "invoke", "nox", "tox", "mage", "earthly", "gradle", "gradlew",
	"mvn", "ant", "npm", "yarn", "pnpm", "bun", "composer", "env", "printenv", "set", "deno", "poe", "pdm", "hatch"}

func nonExecution(name string, rest []arg) bool {
	switch name {
	case "man":
		// man's pager and HTML browser options run a command.
		return !slices.ContainsFunc(rest, func(a arg) bool {
			return a.dyn || strings.HasPrefix(a.s, "-P") || strings.HasPrefix(a.s, "--pager") || strings.HasPrefix(a.s, "-H") || strings.HasPrefix(a.s, "--html")
		})
	case "which", "whereis", "type", "hash", "help", "info", "apropos", "whatis", "tldr":
		return true
	}
	if len(rest) == 1 && !rest[0].dyn {
		switch rest[0].s {
		case "--version", "-V", "--help", "-h":
			return true
		case "-v", "version", "help":
			// Elsewhere -v is verbose (env -v prints the environment) and
			// help or version a target a task runner runs (make help).
			return !slices.Contains(targetRunners, name) && name != "rm"
		}
	}
	if name == "git" && len(rest) >= 1 && rest[0].s == "help" {
		return true
	}
	if name == "command" && len(rest) >= 1 && (rest[0].s == "-v" || rest[0].s == "-V") {
		return true
	}
	return false
}

// dryRun reports a rehearsal: --dry-run (kubectl's =client/=server too, but
// not =none, which really runs), --what-if.
func dryRun(c *call) bool {
	for _, f := range c.flags {
		name, v, hasV := strings.Cut(f, "=")
		if name == "--dry-run" || name == "--dryrun" || name == "--what-if" || name == "--whatif" || name == "--plan" {
			return !hasV || v == "client" || v == "server" || v == "true"
		}
	}
	return false
}

// envVarShaped: RAILWAY_TOKEN, AWS_SECRET_ACCESS_KEY, or such a name at the
// start of a pattern (^API_KEY=).
func envVarShaped(s string) bool {
	s = strings.TrimSuffix(strings.TrimPrefix(s, "^"), "=")
	if len(s) < 4 || strings.ContainsFunc(s, func(r rune) bool { return !(r == '_' || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9')) }) {
		return false
	}
	return strings.ContainsFunc(s, func(r rune) bool { return 'A' <= r && r <= 'Z' })
}

// programArgument judges a program this guard does not know that is given
// another program to run: a system binary's path (daemonize /bin/rm -rf
// /etc, trickle -s /usr/bin/rm ...), a shell, interpreter or wrapper with
// words after it or input fed to it (setarch x86_64 bash -c '...'), a
// program the guard has rules for (setarch x86_64 git clean -fdx), or any
// program after a dynamic loader or an emulator (ld-linux-x86-64.so.2
// /bin/rm, qemu-x86_64 rm). The words from that program on are judged as a
// command of their own.
func (w *walker) programArgument(name string, rest []arg, in input, depth int) bool {
	if described[name] || slices.Contains(readOnly, name) || slices.Contains(metadataOnly, name) || slices.Contains(printers, name) ||
		slices.Contains(httpClients, name) {
		return false // a command the packs know, or one that only looks at a program
	}
	loader := strings.HasPrefix(name, "ld-linux") || strings.HasPrefix(name, "ld.so") || strings.HasPrefix(name, "ld-musl") || strings.HasPrefix(name, "qemu-")
	for i, a := range rest {
		if a.dyn || strings.HasPrefix(a.s, "-") {
			continue
		}
		if loader || systemBinary(a.s) || runsCode(a.s) && (i+1 < len(rest) || in.present) || hasRules(a.s) {
			w.add("shell.run", write, "runs "+name)
			w.command(rest[i:], in, depth)
			// It may be the program's own subcommand as well (s5cmd rm
			// s3://b/*, nats stream rm s): judged as one too.
			w.genericDestruction(parseCall(name, rest))
			return true
		}
	}
	return false
}

// runsCode: a program word that, handed more words, runs what they say: a
// shell, an interpreter, a wrapper (setarch x86_64 bash -c ..., ssh-agent
// sh -c ..., nix-shell --run ... all start one).
func runsCode(word string) bool {
	n := baseName(word)
	_, wrapper := wrappers[n]
	return isShell(n) || slices.Contains(interpreters, n) || strings.HasPrefix(n, "python") || slices.Contains(awks, n) ||
		wrapper || n == "eval" || n == "xargs" || n == "find"
}

// envRefs are the $NAME and ${NAME} references envsubst replaces.
var envRefs = regexp.MustCompile(`\$(?:\{(\w+)\}|(\w+))`)

// emptiedDir is the directory a tool deletes or empties when told one:
// cargo clean's --target-dir, python -m venv --clear's, pytest's
// --basetemp.
func emptiedDir(c *call) (arg, bool) {
	switch {
	case c.name == "cargo" && c.sub("clean"):
		if v, ok := c.flagValue("--target-dir", "--artifact-dir"); ok {
			return arg{s: v}, true
		}
	case strings.HasPrefix(c.name, "python") && c.has("--clear") && len(c.pos) > 0:
		for i, a := range c.args {
			if a.s == "venv" && i > 0 && c.args[i-1].s == "-m" {
				for _, p := range c.args[i+1:] {
					if !strings.HasPrefix(p.s, "-") {
						return p, true
					}
				}
			}
		}
	case c.name == "pytest" || c.name == "py.test" || strings.HasPrefix(c.name, "python") && c.has("pytest"):
		if v, ok := c.flagValue("--basetemp"); ok {
			return arg{s: v}, true
		}
	}
	return arg{}, false
}

// hasRules: a program word the guard has rules for (git, dd, pkill,
// docker...): an unknown program handed one may run it (setarch x86_64 git
// clean -fdx, faketime ... dd of=~/.bashrc), so the words from there are
// judged as that program's command.
func hasRules(word string) bool {
	n := baseName(word)
	return len(packIndex[n]) > 0 || dbClients[n] != nil || n == "printenv" || n == "kill"
}

// systemBinary: a path in the directories programs are installed to.
func systemBinary(p string) bool {
	for _, d := range []string{"/bin/", "/sbin/", "/usr/bin/", "/usr/sbin/", "/usr/local/bin/", "/usr/local/sbin/", "/usr/libexec/"} {
		if strings.HasPrefix(p, d) && len(p) > len(d) && !strings.Contains(p[len(d):], "/") {
			return true
		}
	}
	return false
}

// fleet judges the command a fleet runner sends to many hosts at once
// (salt '*' cmd.run CMD, clush -a CMD, pssh -h hosts CMD, knife ssh QUERY
// CMD, mussh -c CMD, ansible -a CMD is read elsewhere) as a command line,
// as ssh's is.
func (w *walker) fleet(c *call, depth int) bool {
	var words []arg
	switch c.name {
	case "salt", "salt-ssh", "salt-call":
		for i, p := range c.pos {
			// Every cmd.* function runs its argument (cmd.run_all, run_bg,
			// retcode, exec_code LANG CODE), given bare or as cmd=.
			if strings.HasPrefix(p.s, "cmd.") && !p.dyn {
				for _, q := range c.pos[i+1:] {
					if v, ok := strings.CutPrefix(q.s, "cmd="); ok {
						q.s = v
					} else if strings.Contains(q.s, "=") && !strings.Contains(q.s, " ") {
						continue // another keyword argument (cwd=, runas=)
					}
					words = append(words, q.arg)
				}
				if p.s == "cmd.exec_code" && len(words) > 0 {
					words = words[1:] // the language
				}
				break
			}
		}
		if words == nil {
			return false
		}
	case "et":
		// Eternal Terminal runs -c's command on the host, as ssh would.
		v, ok := c.flagValue("-c")
		if !ok {
			v, ok = c.flagValue("--command")
		}
		if !ok {
			return false
		}
		words = []arg{{s: v}}
	case "clush", "pssh", "parallel-ssh", "pdsh", "mussh", "knife":
		if c.name == "knife" && !c.sub("ssh") {
			return false
		}
		if v, ok := c.flagValue("-c"); ok && c.name == "mussh" {
			words = []arg{{s: v}}
			break
		}
		if len(c.pos) == 0 {
			return false
		}
		// The command is every word after the options: quoted whole,
		// or spelt as several words, which these tools join.
		words = fleetCommand(c)
		if len(words) == 0 {
			words = []arg{c.pos[len(c.pos)-1].arg}
		}
	default:
		return false
	}
	where := "many hosts"
	if c.name == "et" {
		where = "another host"
	}
	w.add("shell.run", write, c.name+" runs a command on "+where)
	w.joinedScript(words, depth, "shell.dynamic-script", c.name+" runs a command only known at run time", false)
	return true
}

// fleetValueOpts are the options of the many-host shells that take a
// value (hosts, users, files, timeouts).
var fleetValueOpts = map[string][]string{
	"pssh":         strings.Fields("-h --hosts -H --host -l --user -p --par -o --outdir -e --errdir -t --timeout -O --option -x --extra-args -X --extra-arg"),
	"parallel-ssh": strings.Fields("-h --hosts -H --host -l --user -p --par -o --outdir -e --errdir -t --timeout -O --option -x --extra-args -X --extra-arg"),
	"pdsh":         strings.Fields("-w -x -l -t -u -f -R -g -X -M -e -c"),
	"clush":        strings.Fields("-w --nodes -x --exclude -g --group -X -l --user -f --fanout -t --connect_timeout -u --command_timeout -o --options -O --option -R --worker -E --remote -s --groupsource --rcopy --dest -c --copy --diff --pick --topology"),
	"mussh":        strings.Fields("-h -H -C -l -L -m -s -t -p -o -i -d"),
	"knife":        strings.Fields("-x --ssh-user -P --ssh-password -p --ssh-port -i --ssh-identity-file -a --attribute -C --concurrency -G --ssh-gateway -c --config -E --environment -s --server-url -u --user -k --key"),
}

// fleetCommand is the command a many-host shell runs: the words after its
// options and their values (for knife ssh, after the search query).
func fleetCommand(c *call) []arg {
	opts := fleetValueOpts[c.name]
	args := c.args
	if c.name == "knife" && len(args) > 0 && args[0].s == "ssh" {
		args = args[1:]
	}
	skipQuery := c.name == "knife"
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a.s == "--" && !a.dyn:
			return args[i+1:]
		case strings.HasPrefix(a.s, "-") && !a.dyn:
			if slices.Contains(opts, a.s) {
				i++
			}
		case skipQuery:
			skipQuery = false
		default:
			return args[i:]
		}
	}
	return nil
}

// runParts judges every file run-parts would run in its directory as a
// script; --test and --list only name them.
func (w *walker) runParts(c *call, depth int) {
	if c.has("--test", "--list") || len(c.pos) == 0 {
		w.add("shell.run", read, "run-parts lists what it would run")
		return
	}
	dir := c.pos[len(c.pos)-1]
	if dir.dyn {
		w.add("shell.script-unknown", unknown, "run-parts runs the files of a directory only known at run time")
		return
	}
	w.runFile(filepath.Join(dir.s, "*"), "run-parts", "sh", depth, false)
}

// holdsSecret: a word that expands a variable named like a secret, or one
// a secret was copied into.
func (w *walker) holdsSecret(word *syntax.Word) bool { return w.secretIn(word) != "" }

// secretIn names the credential's variable word expands, or "".
func (w *walker) secretIn(word *syntax.Word) string {
	found := ""
	syntax.Walk(word, func(n syntax.Node) bool {
		if p, ok := n.(*syntax.ParamExp); ok && p.Param != nil && w.secretVar(p.Param.Value) {
			found = p.Param.Value
		}
		return found == ""
	})
	return found
}

// inputPrinters print (some of) what they read on standard input.
var inputPrinters = []string{"cat", "tee", "head", "tail", "less", "more", "xxd", "od", "hexdump", "base64", "base32", "strings",
	"rev", "tac", "nl", "cut", "sed", "awk", "gawk", "mawk", "grep", "sort", "uniq", "tr", "fold", "fmt", "column", "jq", "paste", "dd"}

// urlAlternatives expands curl's URL globbing braces: {a,b} gives each.
func urlAlternatives(u string) []string {
	i := strings.IndexByte(u, '{')
	j := strings.IndexByte(u, '}')
	if i < 0 || j < i {
		return []string{u}
	}
	var out []string
	for _, alt := range strings.Split(u[i+1:j], ",") {
		for _, rest := range urlAlternatives(u[j+1:]) {
			out = append(out, u[:i]+alt+rest)
			if len(out) > 64 {
				return out
			}
		}
	}
	return out
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// workspaceProgram: a program named by its path that is a file Chaperone
// can find (./x.sh): a script need not honour --version or --help.
func (w *walker) workspaceProgram(a arg) bool {
	if a.dyn || !strings.Contains(a.s, "/") {
		return false
	}
	_, st := w.readScript(a.s)
	return st != fileMissing
}

// traced: strace prints the data a program reads and, with -v, the
// environment of each program it starts; ltrace prints what getenv
// returns. Tracing a program that reads a credential file prints it.
func (w *walker) traced(name string, opts, inner []arg) {
	if name != "strace" && name != "ltrace" {
		return
	}
	c := parseCall(name, opts[:len(opts)-len(inner)])
	switch {
	case name == "strace" && (c.has("-v", "--verbose", "--no-abbrev") || shortBundle(c, 'v')):
		w.add("creds.env-dump", credential, "strace -v prints the environment of every program it starts, tokens included")
	case name == "ltrace":
		filters := optionValues(c, "-e")
		if len(filters) == 0 || slices.ContainsFunc(filters, func(a arg) bool { return a.dyn || strings.Contains(a.s, "getenv") }) {
			w.add("creds.env-dump", credential, "ltrace prints what getenv returns, tokens included")
		}
	}
	for _, a := range inner {
		if !a.dyn && (isSecretPath(a.s) || isSecretDir(a.s)) {
			w.add("creds.read-secret-file", credential, name+" prints what "+a.s+" holds as the program reads it")
			w.target(a.s)
		}
	}
}

// filterOptions take a pattern of names to leave out or keep, not a file.
var filterOptions = []string{"--exclude", "--exclude-dir", "--include", "--include-dir", "--glob", "--iglob", "--ignore", "--ignore-dir", "--skip", "--filter"}

func globSearcher(name string) bool {
	return name == "rg" || name == "fd" || name == "fdfind" || name == "ag"
}

// namesFileOptions read a file as a list of names, pathspecs or a message,
// and print its lines back in their errors and output: wc --files0-from=.env
// prints the file whole.
var namesFileOptions = []string{"--files0-from", "-files0-from", "--pathspec-from-file", "--exclude-from", "--from-file", "--file-list"}

// namesFromFile judges a credential file given to such an option, and git
// fmt-merge-msg -F; it reports whether it found one.
func (w *walker) namesFromFile(c *call) bool {
	opts := namesFileOptions
	if c.name == "git" && (c.sub("fmt-merge-msg") || c.sub("commit") || c.sub("tag") || c.sub("notes")) {
		opts = append(slices.Clone(opts), "-F", "--file")
	}
	for _, v := range optionValues(c, opts...) {
		if !v.dyn && (isSecretPath(v.s) || v.s == "/proc/self/environ" || strings.HasSuffix(v.s, "/environ")) {
			w.add("creds.read-secret-file", credential, c.name+" reads "+v.s+" as a list of names, and prints them back")
			w.target(v.s)
			return true
		}
	}
	// A list of names the program reads and then opens (xargs -a, tar
	// -T, rsync --files-from): a credential file among them is read.
	listOpts := append(slices.Clone(namesFileOptions), "-a", "--arg-file", "-T", "--files-from")
	for _, v := range optionValues(c, listOpts...) {
		if v.dyn {
			continue
		}
		text, ok := w.readWorkspace(v.s)
		if !ok {
			continue
		}
		for _, line := range strings.FieldsFunc(text, func(r rune) bool { return r == '\n' || r == 0 }) {
			if p := strings.TrimSpace(line); isSecretPath(p) || isSecretDir(p) {
				w.add("creds.read-secret-file", credential, c.name+" is given the names in "+v.s+", "+p+" among them, which holds credentials")
				w.target(p)
				return true
			}
		}
	}
	return false
}

// localBin is the file the workspace's package.json names as the bin p,
// or "".
func (w *walker) localBin(p arg) string {
	if p.dyn || strings.ContainsAny(p.s, "/@") {
		return ""
	}
	text, ok := w.readWorkspace("package.json")
	if !ok {
		return ""
	}
	var pkg struct {
		Name string          `json:"name"`
		Bin  json.RawMessage `json:"bin"`
	}
	if json.Unmarshal([]byte(text), &pkg) != nil || len(pkg.Bin) == 0 {
		return ""
	}
	var one string
	if json.Unmarshal(pkg.Bin, &one) == nil {
		if p.s == pkg.Name || p.s == path.Base(pkg.Name) {
			return one
		}
		return ""
	}
	var many map[string]string
	if json.Unmarshal(pkg.Bin, &many) == nil {
		return many[p.s]
	}
	return ""
}

// programText returns the indexes of c's arguments that are program text or
// patterns rather than files: sed's script (the first operand, or each -e),
// awk's program, perl's and ruby's -e code, tr's sets, expr's operands, jq's
// filter. `sed 's/.*: //'` reads no file named like a glob of secrets.
func programText(c *call) map[int]bool {
	out := map[int]bool{}
	first := func(valued ...string) {
		for i := 0; i < len(c.args); i++ {
			a := c.args[i].s
			if slices.Contains(valued, a) {
				i++
				continue
			}
			if a == "--" {
				if i+1 < len(c.args) {
					out[i+1] = true
				}
				return
			}
			if !strings.HasPrefix(a, "-") || a == "-" {
				out[i] = true
				return
			}
		}
	}
	switch c.name {
	case "sed", "gsed":
		given := false
		for i, a := range c.args {
			if (a.s == "-e" || a.s == "--expression") && i+1 < len(c.args) {
				out[i+1], given = true, true
			} else if strings.HasPrefix(a.s, "--expression=") || strings.HasPrefix(a.s, "-e") && len(a.s) > 2 {
				out[i], given = true, true
			} else if a.s == "-f" || a.s == "--file" || strings.HasPrefix(a.s, "--file=") {
				given = true
			}
		}
		if !given {
			first("-l", "--line-length")
		}
	case "awk", "gawk", "mawk", "nawk", "busybox-awk":
		if !c.has("-f", "--file") {
			first("-v", "-F", "--assign", "--field-separator")
		}
	case "perl", "ruby":
		for i, a := range c.args {
			if strings.HasPrefix(a.s, "-") && !strings.HasPrefix(a.s, "--") && strings.HasSuffix(a.s, "e") || strings.HasSuffix(a.s, "E") && strings.HasPrefix(a.s, "-") {
				if isLetters(a.s[1:]) && i+1 < len(c.args) {
					out[i+1] = true
				}
			}
		}
	case "tr", "expr":
		for i, a := range c.args {
			if !strings.HasPrefix(a.s, "-") || c.name == "expr" {
				out[i] = true
			}
		}
	case "jq", "gojq", "yq":
		if !c.has("-f", "--from-file") {
			first("--arg", "--argjson", "--indent", "--tab")
		}
	}
	return out
}

// targetNamers run the targets, scripts or goals their words name.
var targetNamers = []string{"make", "gmake", "npm", "yarn", "pnpm", "bun", "mvn", "mvnw", "gradle", "gradlew", "nox", "tox", "ant", "composer", "deno"}

// destructiveTarget returns the first target of a target runner named for
// destruction (destroy, db:drop, flywayClean, liquibase:dropAll), or "".
func destructiveTarget(c *call) string {
	if !slices.Contains(targetNamers, c.name) {
		return ""
	}
	for i, p := range c.pos {
		if p.dyn || strings.Contains(p.s, "=") || strings.Contains(p.s, "/") {
			continue
		}
		if i == 0 && (c.name == "npm" || c.name == "pnpm" || c.name == "yarn" || c.name == "bun" || c.name == "composer" || c.name == "deno") {
			switch p.s {
			case "run", "run-script", "rs", "task", "exec":
				continue
			}
			if c.name == "npm" || c.name == "bun" || c.name == "deno" {
				return "" // npm's own subcommands (npm uninstall, bun remove)
			}
			if slices.Contains([]string{"remove", "rm", "uninstall", "unlink", "prune", "cache", "dedupe", "store", "why", "info", "cleanup"}, p.s) {
				return "" // the package manager's own subcommands
			}
		}
		parts := verbParts(p.s)
		has := func(w ...string) bool {
			return slices.ContainsFunc(parts, func(s string) bool { return slices.Contains(w, s) })
		}
		if has("destroy", "drop", "nuke", "wipe", "purge", "teardown", "truncate", "obliterate", "dropall", "implode", "down", "downgrade", "rollback", "reset") && !has("dry", "plan", "preview") ||
			has("flyway") && has("clean") || has("liquibase") && has("dropall") || has("db", "database", "schema") && has("clean", "clear", "delete", "fresh", "flush") {
			return p.s
		}
	}
	return ""
}
