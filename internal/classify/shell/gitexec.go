package shell

import (
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// execEnv are environment variables whose value a program runs (as a
// command line, a prompt, a script file or git configuration).
var execEnv = map[string]string{
	"GIT_SSH_COMMAND": "cmd", "GIT_SSH": "cmd", "GIT_PAGER": "cmd", "GIT_EDITOR": "cmd", "GIT_SEQUENCE_EDITOR": "cmd",
	"GIT_EXTERNAL_DIFF": "cmd", "GIT_ASKPASS": "cmd", "SSH_ASKPASS": "cmd", "SUDO_ASKPASS": "cmd", "GIT_PROXY_COMMAND": "cmd",
	"PAGER": "cmd", "EDITOR": "cmd", "VISUAL": "cmd", "MANPAGER": "cmd", "SYSTEMD_PAGER": "cmd", "LESSOPEN": "cmd",
	"LESSCLOSE": "cmd", "BROWSER": "cmd", "PROMPT_COMMAND": "cmd", "RSYNC_RSH": "cmd", "CVS_RSH": "cmd", "FCEDIT": "cmd",
	"RSYNC_CONNECT_PROG": "cmd", "SUDO_EDITOR": "cmd", "SYSTEMD_EDITOR": "cmd", "MANOPT": "unknown", "TAR_OPTIONS": "unknown",
	"PS0": "prompt", "PS1": "prompt", "PS2": "prompt", "PS4": "prompt",
	"BASH_ENV": "file", "ENV": "file",
	"GIT_CONFIG_PARAMETERS": "config",
	"GIT_CONFIG_GLOBAL":     "unknown", "GIT_CONFIG_SYSTEM": "unknown", "GIT_CONFIG": "unknown", "PERL5OPT": "perlopt", "RUBYOPT": "rubyopt",
	"PYTHONSTARTUP": "unknown", "JAVA_TOOL_OPTIONS": "jvm", "_JAVA_OPTIONS": "jvm", "JDK_JAVA_OPTIONS": "jvm", "JAVA_OPTS": "jvm",
	"CATALINA_OPTS": "jvm", "MAVEN_OPTS": "jvm", "GRADLE_OPTS": "jvm", "SBT_OPTS": "jvm", "KAFKA_OPTS": "jvm", "ES_JAVA_OPTS": "jvm",
	// The BEAM reads its flags from these at every start: -eval, -s and
	// -run call functions.
	"ERL_AFLAGS": "erl", "ERL_FLAGS": "erl", "ERL_ZFLAGS": "erl", "ELIXIR_ERL_OPTIONS": "erl",
	"MAKEFLAGS": "makeflags", "MFLAGS": "makeflags", "GNUMAKEFLAGS": "makeflags", "MAKEFILES": "unknown",
	// Compilers and linkers make's built-in rules and cgo run, as command lines.
	"CC": "cmd", "CXX": "cmd", "CPP": "cmd", "LD": "cmd", "AR": "cmd", "FC": "cmd", "AS": "cmd",
	"VIMINIT": "ex", "EXINIT": "ex",
	// less reads key bindings and environment (LESSOPEN among them) from
	// a lesskey file.
	"LESSKEYIN": "unknown", "LESSKEY": "unknown", "LESSKEYIN_SYSTEM": "unknown", "LESSKEY_SYSTEM": "unknown", "LESSKEY_CONTENT": "unknown",
	// Settings files read from a place the line chooses.
	"CURL_HOME": "unknown", "WGETRC": "unknown", "PSQLRC": "unknown", "MYSQL_HOME": "unknown", "NPM_CONFIG_USERCONFIG": "unknown",
	"npm_config_userconfig": "unknown", "PIP_CONFIG_FILE": "unknown", "GCONV_PATH": "unknown", "INPUTRC": "unknown",
	// History files, written over when the program ends.
	"HISTFILE": "writes", "PSQL_HISTORY": "writes", "MYSQL_HISTFILE": "writes", "REDISCLI_HISTFILE": "writes",
	"NODE_REPL_HISTORY": "writes", "LESSHISTFILE": "writes", "PYTHON_HISTORY": "writes", "SQLITE_HISTORY": "writes",
	"RUSTC_WRAPPER": "cmd", "RUSTC_WORKSPACE_WRAPPER": "cmd", "RUSTC": "cmd", "RUSTDOC": "cmd", "CARGO_BUILD_RUSTC": "cmd",
	"CARGO_BUILD_RUSTC_WRAPPER": "cmd", "CARGO_BUILD_RUSTC_WORKSPACE_WRAPPER": "cmd", "CARGO_BUILD_RUSTDOC": "cmd",
	"GOFLAGS": "goflags", "npm_config_script_shell": "cmd", "NPM_CONFIG_SCRIPT_SHELL": "cmd", "npm_config_shell": "cmd",
	"npm_config_node_options": "node", "NPM_CONFIG_NODE_OPTIONS": "node", "KUBE_EDITOR": "cmd",
	"npm_config_editor": "cmd", "npm_config_git": "cmd", "npm_config_browser": "cmd", "npm_config_viewer": "cmd",
	"HOME": "home", "XDG_CONFIG_HOME": "home",
	// Code the interpreter runs on its own: breakpoint() calls the
	// PYTHONBREAKPOINT callable (os.system, shutil.rmtree) with its
	// arguments; perl -d loads PERL5DB as the debugger.
	"PYTHONBREAKPOINT": "pybreak", "PYTHONPATH": "pypath", "PERL5DB": "unknown", "PERLDB_OPTS": "unknown", "PYTHONWARNINGS": "pywarn",
	// Options a program takes from its environment, before its own
	// (ZIPOPT='-r -m' zip moves the files it archives).
	"ZIPOPT": "opts", "UNZIP": "opts", "UNZIPOPT": "opts", "GZIP": "opts", "BZIP2": "opts", "BZIP": "opts",
	"XZ_OPT": "opts", "XZ_DEFAULTS": "opts", "GREP_OPTIONS": "opts", "PARALLEL": "opts", "RSYNC_OPTIONS": "opts",
	// git writes its index where this says, over whatever is there.
	"GIT_INDEX_FILE": "writes", "GIT_WORK_TREE": "worktree",
	"GIT_EXEC_PATH": "unknown", "LD_PRELOAD": "preload", "LD_AUDIT": "unknown", "DYLD_INSERT_LIBRARIES": "unknown", "NODE_OPTIONS": "node", "GIT_TEMPLATE_DIR": "unknown",
}

func (w *walker) execVar(name string, v *syntax.Word, depth int) {
	s, dyn := w.word(v, depth)
	w.execVarString(name, s, dyn, depth)
}

// execVarString classifies what a command-bearing variable will run.
func (w *walker) execVarString(name, value string, dyn bool, depth int) {
	if w.gitEnvConfig(name, value, dyn, depth) {
		return
	}
	kind := commandVarKind(name)
	if strings.HasPrefix(name, "CARGO_TARGET_") && (strings.HasSuffix(name, "_RUNNER") || strings.HasSuffix(name, "_LINKER")) {
		kind = "cmd"
	}
	if name == "CARGO_TARGET_DIR" || name == "GOMODCACHE" || name == "GOPATH" {
		// The tool's own directory, which its clean deletes whole
		// (cargo clean, go clean -modcache): outside the workspace, and
		// not where the tool keeps it anyway, it may be anything.
		if !dyn && (isTemp(value) || inWorkspace(value) || value == "~/go" || value == "$HOME/go" || value == "~/go/pkg/mod") {
			return
		}
		w.add("shell.preload", unknown, name+"="+value+" puts the tool's own directory, which its clean deletes, outside the workspace")
		return
	}
	if strings.HasPrefix(name, "GIT_TRACE") || name == "GIT_CURL_VERBOSE" {
		// GIT_TRACE=1 traces to standard error, remote URLs and their
		// tokens included; a path is a file git appends its trace to
		// (GIT_TRACE=~/.bashrc).
		if value != "" && value != "0" && value != "false" && w.gitConfigHoldsCredentials() {
			w.add("creds.git-url", credential, name+" makes git print its trace, and the token in a remote URL of .git/config with it")
		}
		if !dyn && !strings.HasPrefix(value, "/") && !strings.HasPrefix(value, "~") {
			return
		}
		kind = "appends"
	}
	if kind == "" || value == "" {
		return
	}
	if dyn && kind != "node" {
		w.add("shell.dynamic-exec-var", unknown, name+" names a command only known at run time")
		return
	}
	switch kind {
	case "cmd":
		// What the program hands the command (a pager's text, an
		// editor's file) is run when the command is a shell.
		w.fedCommand(name+"=", value, depth+1)
		w.scriptedEditor(name, value)
	case "prompt":
		w.document(value, depth)
	case "file":
		if strings.ContainsAny(value, "$`") && !dyn {
			// bash expands BASH_ENV and ENV (parameters, commands,
			// arithmetic) before it reads the file they name: what
			// the expansion runs runs.
			w.script(`: "`+strings.ReplaceAll(value, `"`, `\"`)+`"`, depth+1)
			w.add("shell.preload", unknown, name+" names a script only known when the shell expands it: "+value)
			return
		}
		if isFdPath(value) || value == "/dev/stdin" || value == "-" {
			w.add("shell.preload", unknown, name+" runs a script read from "+value)
			return
		}
		w.scriptFile(value, name, depth)
	case "config":
		for _, kv := range splitConfigParameters(value) {
			k, v, _ := strings.Cut(kv, "=")
			w.gitConfig(k, v, false, depth)
		}
	case "ex":
		w.exCommands(name, value, depth)
	case "writes":
		w.truncates(value, false, name)
	case "appends":
		w.appends(value, false)
	case "makeflags":
		if makeFlagsRun(value) {
			w.add("shell.preload", unknown, name+" makes make read more than switches: "+value)
		}
	case "goflags":
		if strings.Contains(value, "exec") || strings.Contains(value, "vettool") || strings.Contains(value, "overlay") {
			w.add("shell.preload", unknown, name+" makes go run programs of its own: "+value)
		}
	case "home":
		// Programs read their settings from the home (git's aliases and
		// fsmonitor, npm's script-shell), which can run commands: one
		// this line chooses is read as unknown.
		if value != "~" && value != "$HOME" {
			w.add("shell.preload", unknown, name+"="+value+" makes programs read their settings, which can run commands, from elsewhere")
		}
	case "opts":
		w.add("shell.preload", unknown, name+"="+value+" adds options the program reads before its own, which Chaperone does not judge")
	case "worktree":
		if !inWorkspace(value) && !isTemp(value) {
			w.add("shell.preload", unknown, name+"="+value+" makes git check files out and reset them under "+value+", outside the workspace")
		}
	case "pypath":
		w.pythonPath(value, depth+1)
	case "pybreak":
		if value == "0" || value == "pdb.set_trace" || value == "ipdb.set_trace" || value == "pudb.set_trace" || value == "IPython.embed" {
			return
		}
		w.add("shell.preload", unknown, name+"="+value+" makes breakpoint() call "+value+" with the program's arguments")
	case "pywarn":
		// A warning category of module.Class imports that module.
		for _, f := range strings.Split(value, ",") {
			if parts := strings.Split(f, ":"); len(parts) > 2 && strings.Contains(parts[2], ".") {
				w.add("shell.preload", unknown, name+" makes python import "+parts[2]+" at start-up")
				return
			}
		}
	case "jvm", "erl", "rubyopt", "perlopt":
		// Memory, GC and warning settings are settings; the options that
		// load or run code (a JVM hook run on an error, an agent, an
		// argument file; -eval; -r; -M) are not.
		if o := codeOptions[kind]; o.runs.MatchString(value) {
			w.add("shell.preload", unknown, name+" makes "+o.what+": "+value)
		}
	case "preload":
		// A library of the system's own (jemalloc in /usr/lib) is a
		// setting; any other is code loaded into every process.
		for _, lib := range strings.FieldsFunc(value, func(r rune) bool { return r == ':' || r == ' ' }) {
			if !systemLibrary(lib) {
				w.add("shell.preload", unknown, name+" loads "+lib+" into every process")
				return
			}
		}
	case "node":
		// Limits, warnings and TLS settings are settings; any other
		// option (--require, -r/x, --import, --experimental-loader,
		// --inspect, --env-file) may load code or open the process.
		if opt := unsafeNodeOption(value); opt != "" {
			w.add("shell.preload", unknown, name+" gives every node process "+opt+", which may load code: "+value)
		}
	default:
		if value == "/dev/null" {
			return // no configuration at all
		}
		w.add("shell.preload", unknown, name+" makes programs load code Chaperone cannot see: "+value)
	}
}

// isExecVar says whether assigning name can make a program run something.
func isExecVar(name string) bool {
	return commandVarKind(name) != "" || strings.HasPrefix(name, "GIT_CONFIG_KEY_") || strings.HasPrefix(name, "GIT_TRACE") || name == "GIT_CURL_VERBOSE" ||
		name == "CARGO_TARGET_DIR" || name == "GOMODCACHE" || name == "GOPATH" || strings.HasPrefix(name, "GIT_CONFIG_VALUE_") ||
		strings.HasPrefix(name, "CARGO_TARGET_") && (strings.HasSuffix(name, "_RUNNER") || strings.HasSuffix(name, "_LINKER"))
}

// commandVarKind is what a variable's value is to the programs that read
// it. Beyond the named ones, tools follow one convention: AWS_PAGER,
// GH_EDITOR, KUBECTL_EXTERNAL_DIFF, HGEDITOR name a command line the tool
// runs, so every variable named that way is one.
func commandVarKind(name string) string {
	if k := execEnv[name]; k != "" {
		return k
	}
	upper := strings.ToUpper(name)
	for _, suffix := range []string{"_PAGER", "PAGER", "_EDITOR", "EDITOR", "_BROWSER", "_ASKPASS", "_SSH_COMMAND", "_RSH", "_EXTERNAL_DIFF", "_DIFF_TOOL", "_DIFFTOOL", "_MERGETOOL", "_SHELL"} {
		if strings.HasSuffix(upper, suffix) && upper != "SHELL" {
			return "cmd"
		}
	}
	return ""
}

type gitEnvSetting struct {
	key, value       string
	hasKey, hasValue bool
	keyDyn, valueDyn bool
}

// gitEnvConfig reads git's GIT_CONFIG_COUNT settings: GIT_CONFIG_KEY_n and
// GIT_CONFIG_VALUE_n are one -c key=value once both are set, whatever
// GIT_CONFIG_COUNT says (it may be set later, or elsewhere). It reports
// whether name was one of them.
func (w *walker) gitEnvConfig(name, value string, dyn bool, depth int) bool {
	n, isKey := strings.CutPrefix(name, "GIT_CONFIG_KEY_")
	if !isKey {
		var ok bool
		if n, ok = strings.CutPrefix(name, "GIT_CONFIG_VALUE_"); !ok {
			return false
		}
	}
	if w.scope == nil {
		return true
	}
	if w.scope.gitEnv == nil {
		w.scope.gitEnv = map[string]*gitEnvSetting{}
	}
	s := w.scope.gitEnv[n]
	if s == nil {
		s = &gitEnvSetting{}
		w.scope.gitEnv[n] = s
	}
	if isKey {
		s.key, s.hasKey, s.keyDyn = value, true, dyn
	} else {
		s.value, s.hasValue, s.valueDyn = value, true, dyn
	}
	if !s.hasKey || !s.hasValue {
		return true
	}
	if s.keyDyn {
		w.add("git.dynamic-config", unknown, "git is given a setting ("+name+") whose name is only known at run time")
		return true
	}
	w.gitConfig(s.key, s.value, s.valueDyn, depth)
	return true
}

// splitConfigParameters reads GIT_CONFIG_PARAMETERS: 'k=v' 'k2=v2'.
func splitConfigParameters(s string) []string {
	f, err := parse(": " + s)
	if err != nil || len(f.Stmts) == 0 {
		return []string{s}
	}
	c, ok := f.Stmts[0].Cmd.(*syntax.CallExpr)
	if !ok {
		return []string{s}
	}
	var out []string
	for _, a := range c.Args[1:] {
		out = append(out, literalOf(a))
	}
	return out
}

// execEnvArgs: NAME=VALUE words given to env (and its kin) set the
// command's environment.
func (w *walker) execEnvArgs(name string, args []arg, depth int) {
	if wr, ok := wrappers[name]; !ok || !wr.assigns {
		return
	}
	for _, a := range args {
		if isAssignment(a.s) {
			k, v, _ := strings.Cut(a.s, "=")
			w.execVarString(k, v, a.dyn, depth)
		}
	}
}

// execConfigSuffixes are the last parts of git configuration keys whose
// value git runs as a command.
var execConfigSuffixes = []string{"sshcommand", "pager", "editor", "askpass", "gitproxy", "external", "command", "cmd", "textconv",
	"driver", "clean", "smudge", "process", "program", "helper", "fsmonitor", "uploadpack", "receivepack", "packobjectshook",
	"difffilter", "tocmd", "cccmd", "httpd", "alternaterefscommand", "proc-receive", "hook", "defaultkeycommand", "sendmailcmd",
	// imap.tunnel; difftool, mergetool, browser and man tools' path,
	// the program git runs in place of the tool's own; web.browser.
	"tunnel", "path", "browser"}

// gitConfig classifies one configuration setting: aliases that run a
// shell, and keys whose value git runs.
func (w *walker) gitConfig(key, value string, dyn bool, depth int) {
	k := strings.ToLower(key)
	last := k[strings.LastIndex(k, ".")+1:]
	switch {
	case strings.HasPrefix(k, "alias."):
		name := key[len("alias."):]
		if w.scope != nil {
			w.scope.gitAliases()[name] = value
		}
		if dyn {
			w.add("git.dynamic-alias", unknown, "git alias "+name+" is only known at run time")
			return
		}
		if strings.HasPrefix(value, "!") {
			if f := scriptOperand(value[1:]); f != "" {
				if _, st := w.readScript(f); st != fileKnown {
					w.add("git.config-loads", unknown, "git alias "+name+" runs "+f+", whose content Chaperone cannot read now")
					return
				}
			}
			w.script(value[1:], depth+1)
		} else {
			// Judged where it is defined too: saved with git config, a
			// later `git x` names no command the guard can see.
			w.script("git "+value, depth+1)
		}
	case strings.HasPrefix(k, "submodule.") && last == "update":
		// submodule.<name>.update = !CMD runs CMD in place of a checkout.
		if dyn {
			w.add("git.dynamic-config", unknown, "git "+key+" runs a command only known at run time")
		} else if cmd, ok := strings.CutPrefix(value, "!"); ok {
			w.script(cmd, depth+1)
		}
	case k == "init.templatedir":
		w.add("git.config-loads", unknown, "git "+key+" copies hooks from "+value+" into the repositories it makes, which git then runs")
	case k == "core.hookspath" || strings.HasPrefix(k, "include.") || strings.HasPrefix(k, "includeif.") || k == "core.worktree" && dyn:
		w.add("git.config-loads", unknown, "git "+key+" makes git run hooks or read settings from "+value)
	case strings.HasPrefix(k, "remote.") && (last == "mirror" && (dyn || !isFalse(value)) || last == "push" && (dyn || strings.HasPrefix(value, "+") || strings.HasPrefix(value, ":"))):
		// A mirror remote, or a push refspec with + or nothing before
		// the colon, makes a plain git push force-update or delete.
		w.add("git.push-force-config", destructive, "git "+key+"="+value+" makes git push force-update or delete the remote's branches")
	case strings.HasPrefix(k, "remote.") && last == "fetch" && (dyn || fetchesOntoLocal(value)):
		// A fetch refspec onto local branches or tags: every later fetch
		// overwrites them, and with --prune (or fetch.prune) deletes the
		// ones the remote lacks.
		w.add("git.fetch-prune-local", destructive, "git "+key+"="+value+" makes git fetch overwrite, or with --prune delete, local branches or tags")
	case strings.HasPrefix(k, "gc.") && strings.HasSuffix(last, "expire") || strings.HasPrefix(k, "gc.") && last == "reflogexpireunreachable":
		// gc.pruneExpire=now and the reflog expiries make the next git gc
		// (or git maintenance, or an automatic gc) delete unreachable
		// commits at once, the way back to lost work.
		if !dyn && (strings.EqualFold(value, "never") || strings.EqualFold(value, "false")) {
			return
		}
		w.add("git.gc-prune-now", destructive, "git "+key+"="+value+" makes git gc delete unreachable commits at once")
	case strings.HasPrefix(k, "pager.") && strings.Count(k, ".") == 1:
		// pager.<command>: true, false, or the pager git runs for it.
		if dyn {
			w.add("git.dynamic-config", unknown, "git "+key+" runs a command only known at run time")
			return
		}
		if value != "" && !isTrue(value) && !isFalse(value) {
			w.script(value, depth+1)
		}
	case strings.HasPrefix(k, "url.") && !strings.Contains(k, "ext::") && (last == "insteadof" || last == "pushinsteadof"):
		// Rewrites every matching remote URL: a push meant for one
		// repository goes to another, with the credentials for the first.
		w.add("git.config-redirect", unknown, "git "+key+" sends git's fetches and pushes for "+value+" somewhere else")
	case strings.HasPrefix(k, "url.") && strings.Contains(k, "ext::"):
		// git reads "% " in an ext:: command as a space and "%%" as %.
		cmd := strings.SplitN(strings.SplitN(key, "ext::", 2)[1], ".insteadOf", 2)[0]
		cmd = strings.SplitN(cmd, ".insteadof", 2)[0]
		w.script(strings.ReplaceAll(strings.ReplaceAll(cmd, "% ", " "), "%%", "%"), depth+1)
	case strings.HasPrefix(k, "protocol.") && strings.HasSuffix(k, ".allow") && (strings.Contains(k, "ext") || k == "protocol.allow") && !strings.EqualFold(value, "never"):
		w.add("git.config-loads", unknown, "git "+key+"="+value+" lets ext:: URLs run commands")
	case strings.HasPrefix(k, "submodule.") && last == "path":
		// Where a submodule sits, not a program.
	case k == "sendemail.smtpserver" && (dyn || strings.HasPrefix(value, "/") || strings.HasPrefix(value, "~")):
		// An absolute path is a sendmail-like program git send-email runs.
		w.add("git.config-loads", unknown, "git "+key+" makes git send-email run "+value)
	case strings.HasPrefix(k, "remote.") && last == "vcs":
		// remote.<name>.vcs makes git run git-remote-<value>, any program
		// of that name on the PATH.
		w.add("git.config-loads", unknown, "git "+key+"="+value+" makes git run the program git-remote-"+value)
	case strings.Contains(k, ".") && containsStr(execConfigSuffixes, last):
		if dyn {
			w.add("git.dynamic-config", unknown, "git "+key+" runs a command only known at run time")
			return
		}
		if last == "fsmonitor" && (value == "true" || value == "false") || last == "helper" && !strings.HasPrefix(value, "!") && !strings.Contains(value, " ") && !strings.Contains(value, "/") {
			return
		}
		cmd := strings.TrimPrefix(value, "!")
		if f := scriptOperand(cmd); f != "" {
			// sh x.sh: the file git runs later holds whatever it holds then.
			if _, st := w.readScript(f); st != fileKnown {
				w.add("git.config-loads", unknown, "git "+key+" makes git run "+f+", whose content Chaperone cannot read now")
				return
			}
		}
		if f := strings.Fields(cmd); len(f) > 0 && strings.Contains(f[0], "/") {
			// Git runs the file later, with what it holds then: one that is
			// not there yet, or is written in this line, is unknown.
			if _, st := w.readScript(f[0]); st != fileKnown {
				w.add("git.config-loads", unknown, "git "+key+" makes git run "+f[0]+", whose content Chaperone cannot read now")
				return
			}
		}
		w.script(cmd, depth+1)
	}
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (s *scope) gitAliases() map[string]string {
	if s.git == nil {
		s.git = map[string]string{}
	}
	return s.git
}

var gitGlobalValueOpts = []string{"-C", "-c", "--git-dir", "--work-tree", "--namespace", "--super-prefix", "--config-env", "--exec-path", "--list-cmds", "--attr-source"}

// gitRuns classifies what git runs besides itself: -c settings, aliases,
// rebase --exec, submodule foreach, bisect run and friends. It returns the
// command line to classify in place of the original (an alias expanded),
// or nil.
func (w *walker) gitRuns(args []arg, depth int) []arg {
	i := 0
	for i < len(args) && strings.HasPrefix(args[i].s, "-") && !args[i].dyn {
		a := args[i].s
		switch {
		case a == "-c" && i+1 < len(args):
			k, v, _ := strings.Cut(args[i+1].s, "=")
			w.gitConfig(k, v, args[i+1].dyn, depth)
		case strings.HasPrefix(a, "--config-env"):
			w.add("git.dynamic-config", unknown, "git --config-env takes a setting from the environment")
		case strings.HasPrefix(a, "--exec-path="):
			w.add("git.config-loads", unknown, "git "+a+" runs git commands from another directory")
		case a == "-p" || a == "--paginate":
		}
		if takesValue(gitGlobalValueOpts, a) {
			i++
		}
		i++
	}
	if i >= len(args) {
		return nil
	}
	sub, rest := args[i], args[i+1:]
	if sub.dyn {
		w.add("shell.dynamic-command", unknown, "the git subcommand "+sub.s+" is only known at run time")
		return nil
	}
	if w.scope != nil {
		if v, ok := w.scope.gitAliases()[sub.s]; ok {
			if strings.HasPrefix(v, "!") {
				w.expandAlias(v[1:], rest, depth)
				return nil
			}
			delete(w.scope.git, sub.s)
			w.expandAlias("git "+v, rest, depth)
			w.scope.git[sub.s] = v
			return nil
		}
	}
	c := parseCall("git", rest)
	if (sub.s == "clone" || sub.s == "init") && slices.ContainsFunc(rest, func(a arg) bool { return a.s == "--template" || strings.HasPrefix(a.s, "--template=") }) {
		w.add("git.config-loads", unknown, "git "+sub.s+" --template copies hooks from a directory into the repository, which git then runs")
	}
	printsURL := sub.s == "config" && (c.has("-l", "--list", "--get-regexp", "--get-all", "--get", "--get-urlmatch") ||
		slices.ContainsFunc(c.pos, func(p positional) bool {
			return strings.HasPrefix(strings.ToLower(p.s), "remote.") || strings.HasPrefix(strings.ToLower(p.s), "url.")
		})) ||
		sub.s == "remote" && (c.has("-v", "--verbose") || c.sub("get-url") || c.sub("show")) ||
		sub.s == "ls-remote" && c.has("--get-url") || sub.s == "var" && c.has("-l")
	if printsURL && w.gitConfigHoldsCredentials() {
		w.add("creds.git-url", credential, "git "+sub.s+" prints the repository's remote URLs, and one of them carries a password or token")
	}
	if sub.s == "stash" && c.sub("show") && c.has("-u", "--include-untracked", "--only-untracked") && len(w.secretsIn(".")) > 0 {
		w.add("creds.read-secret-file", credential, "git stash show -u prints untracked files, and the workspace holds "+w.secretsIn(".")[0])
	}
	if sub.s == "clone" || sub.s == "submodule" {
		// clone -c KEY=VALUE writes the setting into the new repository's
		// config, where every later git command there reads it.
		for j, a := range rest {
			v, ok := "", false
			switch {
			case (a.s == "-c" || a.s == "--config") && j+1 < len(rest):
				v, ok = rest[j+1].s, true
				if rest[j+1].dyn {
					w.add("git.dynamic-config", unknown, "git "+sub.s+" is given a setting only known at run time")
					continue
				}
			case strings.HasPrefix(a.s, "--config="):
				v, ok = strings.TrimPrefix(a.s, "--config="), !a.dyn
			case strings.HasPrefix(a.s, "-c") && len(a.s) > 2 && !a.dyn:
				v, ok = a.s[2:], true
			}
			if ok {
				k, val, _ := strings.Cut(v, "=")
				w.gitConfig(k, val, false, depth)
			}
		}
	}
	switch sub.s {
	case "credential", "credential-store", "credential-cache", "credential-osxkeychain", "credential-libsecret", "credential-manager":
		if c.sub("fill") || c.sub("get") {
			w.add("creds.git-credential", credential, "git credential fill prints a stored password or token")
		}
	case "config":
		var pos []arg
		for j := 0; j < len(rest); j++ {
			a := rest[j]
			if strings.HasPrefix(a.s, "-") && !a.dyn {
				if a.s == "-f" || a.s == "--file" || a.s == "--blob" || a.s == "--type" || a.s == "--default" || a.s == "--comment" {
					j++
				}
				continue
			}
			pos = append(pos, a)
		}
		if len(pos) >= 1 && (pos[0].s == "set" || pos[0].s == "--add") && !pos[0].dyn {
			pos = pos[1:] // git config set KEY VALUE (git 2.46)
		}
		if len(pos) >= 2 {
			w.gitConfig(pos[0].s, pos[1].s, pos[1].dyn || pos[0].dyn, depth)
		}

	case "rebase":
		for j, a := range rest {
			if (a.s == "-x" || a.s == "--exec") && j+1 < len(rest) {
				w.shellString(rest[j+1], depth)
			} else if v, ok := strings.CutPrefix(a.s, "--exec="); ok {
				w.shellString(arg{s: v, dyn: a.dyn}, depth)
			}
		}
	case "submodule":
		for j, a := range rest {
			if a.s == "foreach" {
				k := j + 1
				for k < len(rest) && strings.HasPrefix(rest[k].s, "-") {
					k++
				}
				w.joinedScript(tail(rest, k), depth, "shell.dynamic-script", "git submodule foreach runs a command only known at run time", false)
				break
			}
		}
	case "bisect":
		if c.sub("run") {
			for j, a := range rest {
				if a.s == "run" {
					w.command(tail(rest, j+1), input{}, depth+1)
					break
				}
			}
		}
	case "difftool", "mergetool":
		if v, ok := c.flagValue("-x", "--extcmd"); ok {
			w.shellString(arg{s: v}, depth)
		}
	case "clone", "fetch", "pull", "push", "ls-remote", "archive", "remote", "submodule-add":
		if v, ok := c.flagValue("--upload-pack", "-u", "--receive-pack", "--exec"); ok && sub.s != "remote" {
			w.shellString(arg{s: v}, depth)
		}
	}
	for _, a := range rest {
		if u, ok := strings.CutPrefix(a.s, "ext::"); ok {
			// The ext transport runs its URL as a command line ("% " is a space).
			w.add("git.ext-transport", unknown, "git's ext:: transport runs a command: "+u)
			w.shellString(arg{s: strings.ReplaceAll(u, "% ", " "), dyn: a.dyn}, depth)
		}
	}
	return nil
}

// isTrue: git's spellings of true.
func isTrue(v string) bool {
	switch strings.ToLower(v) {
	case "true", "yes", "on", "1":
		return true
	}
	return false
}

func isFalse(v string) bool {
	switch strings.ToLower(v) {
	case "false", "no", "off", "0":
		return true
	}
	return false
}

// urlCredential: a URL with a user and a password (https://x:TOKEN@host).
var urlCredential = regexp.MustCompile(`://[^/\s@:]+:[^/\s@]+@`)

// gitConfigHoldsCredentials says whether the workspace repository's own
// configuration keeps a password or token in a remote URL.
func (w *walker) gitConfigHoldsCredentials() bool {
	text, ok := w.readWorkspace(".git/config")
	return ok && urlCredential.MatchString(text)
}

// scriptOperand: the file a command line runs as a script (sh x.sh,
// python3 tool.py, bash -e ./x), or "".
func scriptOperand(cmd string) string {
	f := strings.Fields(cmd)
	if len(f) < 2 {
		return ""
	}
	n := baseName(strings.Trim(f[0], `"'`))
	if !isShell(n) && !slices.Contains(interpreters, n) && !strings.HasPrefix(n, "python") {
		return ""
	}
	for _, a := range f[1:] {
		switch {
		case a == "-c" || a == "-e" || a == "-m" || a == "-E" || a == "-r":
			return "" // code or a module on the line itself
		case strings.HasPrefix(a, "-"):
		default:
			return strings.Trim(a, `"'`)
		}
	}
	return ""
}

// repoConfigCommands judges the commands the repository's own config
// makes git run (core.fsmonitor, diff.external, a filter's clean, a
// pager), which a git command run here starts without naming them: a
// config an earlier command wrote is read when git is run. Its aliases
// are known for this line, as ones set with -c are.
func (w *walker) repoConfigCommands(args []arg, depth int) {
	if w.inRepoConfig {
		return // a command the config runs that runs git: judged once
	}
	w.inRepoConfig = true
	defer func() { w.inRepoConfig = false }()
	dir := "."
	for i := 0; i+1 < len(args) && strings.HasPrefix(args[i].s, "-"); i++ {
		if args[i].s == "-C" {
			if args[i+1].dyn {
				return
			}
			dir = path.Join(dir, args[i+1].s)
			i++
		}
	}
	text, ok := w.readWorkspace(path.Join(dir, ".git/config"))
	if !ok {
		return
	}
	section, sub := "", ""
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if line[0] == '[' {
			head := strings.Trim(line, "[] ")
			section, sub, _ = strings.Cut(head, " ")
			sub = strings.Trim(sub, `"`)
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.Trim(strings.TrimSpace(v), `"`)
		key := section + "." + k
		if sub != "" {
			key = section + "." + sub + "." + k
		}
		lk := strings.ToLower(key)
		last := lk[strings.LastIndex(lk, ".")+1:]
		switch {
		case strings.HasPrefix(lk, "alias."):
			if w.scope != nil {
				if _, set := w.scope.gitAliases()[key[len("alias."):]]; !set {
					w.scope.gitAliases()[key[len("alias."):]] = v
				}
			}
		case containsStr(execConfigSuffixes, last) && !strings.HasPrefix(lk, "include") && lk != "core.hookspath":
			w.gitConfig(key, v, false, depth)
		}
	}
}

// fetchesOntoLocal: a refspec whose destination is among the local
// branches, tags or refs.
func fetchesOntoLocal(spec string) bool {
	_, dst, ok := strings.Cut(strings.TrimPrefix(spec, "+"), ":")
	return ok && (dst == "refs/*" || strings.HasPrefix(dst, "refs/heads") || strings.HasPrefix(dst, "refs/tags") || strings.HasPrefix(dst, "refs/stash"))
}

// ExecVar reports whether a program reads an environment variable of this
// name as a command, a script, a library or options that load code
// (PAGER, BASH_ENV, LD_PRELOAD, NODE_OPTIONS).
func ExecVar(name string) bool { return isExecVar(name) }

// codeOptions are, for each kind of option variable, the options that
// load or run code and what they make the runtime do.
var codeOptions = map[string]struct {
	runs *regexp.Regexp
	what string
}{
	"jvm":     {regexp.MustCompile(`(?i)-XX:On|-XX:VMOptionsFile|-XX:Flags|-XX:\+?(?:Flight|StartFlight)|-javaagent|-agentpath|-agentlib|-Xrun|(?:^|\s)@|-Djava\.(?:security\.manager|system\.class\.loader)|-XX:(?:Compile|Abort)|-Xbootclasspath|-cp|-classpath|--class-path|-Djdk\.attach`), "every JVM load or run code"},
	"erl":     {regexp.MustCompile(`(?:^|\s)-(?:eval|s|run|pa|pz|boot|config|args_file|mode\s+embedded|setcookie|remsh|detached|extra)\b`), "every BEAM start call code"},
	"rubyopt": {regexp.MustCompile(`(?:^|\s)-(?:r|I|e|x|S|C)|--require|--(?:disable|enable)-gems\b`), "ruby load code before every program"},
	"perlopt": {regexp.MustCompile(`(?:^|\s)-(?:M|m|d|I|e|E|x|V)`), "perl load code before every program"},
}

// systemLibrary: a shared library in the system's own library
// directories, named by path.
func systemLibrary(p string) bool {
	c := filepath.Clean(p)
	if c != p && c+"/" != p || strings.Contains(p, "..") {
		return false
	}
	for _, d := range []string{"/usr/lib/", "/lib/", "/usr/lib64/", "/lib64/", "/usr/local/lib/"} {
		if strings.HasPrefix(c, d) {
			return true
		}
	}
	return false
}

// nodeSettings are the NODE_OPTIONS that only tune the process.
var nodeSettings = []string{"--max-old-space-size", "--max-semi-space-size", "--stack-size", "--stack-trace-limit", "--enable-source-maps",
	"--dns-result-order", "--unhandled-rejections", "--trace-warnings", "--trace-deprecation", "--trace-uncaught", "--no-warnings",
	"--no-deprecation", "--throw-deprecation", "--pending-deprecation", "--max-http-header-size", "--openssl-legacy-provider",
	"--use-openssl-ca", "--use-bundled-ca", "--tls-min-v1.2", "--tls-min-v1.3", "--tls-max-v1.2", "--tls-max-v1.3", "--force-fips",
	"--abort-on-uncaught-exception", "--expose-gc", "--title", "--heapsnapshot-near-heap-limit", "--report-on-fatalerror",
	"--report-uncaught-exception", "--disable-proto", "--experimental-global-webcrypto", "--experimental-fetch", "--no-experimental-fetch",
	"--preserve-symlinks", "--frozen-intrinsics", "--zero-fill-buffers", "--v8-pool-size", "--jitless", "--icu-data-dir", "--redirect-warnings"}

// unsafeNodeOption returns the first option of a NODE_OPTIONS value that
// is not a setting, or "".
func unsafeNodeOption(value string) string {
	for _, f := range strings.Fields(value) {
		if !strings.HasPrefix(f, "-") {
			continue // a value of the option before it
		}
		name, _, _ := strings.Cut(f, "=")
		if !slices.Contains(nodeSettings, name) && !strings.HasPrefix(name, "--max-") {
			return f
		}
	}
	return ""
}

// scriptedEditor: an editor variable set to a program that edits without
// a human (EDITOR='sed -i /backup/d' crontab -e, KUBE_EDITOR=... kubectl
// edit, visudo, vipw, git rebase -i) changes whatever is edited as that
// program says, which the edited object's own rules never see.
func (w *walker) scriptedEditor(name, value string) {
	if !strings.Contains(name, "EDITOR") && name != "VISUAL" && name != "FCEDIT" {
		return
	}
	words := strings.Fields(value)
	if len(words) == 0 {
		return
	}
	prog := baseName(strings.Trim(words[0], `"'`))
	if slices.Contains(interactiveEditors, prog) {
		return
	}
	w.add("shell.scripted-edit", unknown, name+" makes "+prog+" the editor: what is edited (a crontab, a live resource, sudoers, a rebase) is changed as "+prog+" says, without a human")
}

// interactiveEditors wait for a human; true, : and cat change nothing.
var interactiveEditors = []string{"vi", "vim", "nvim", "gvim", "view", "nano", "pico", "emacs", "emacsclient", "code", "code-insiders",
	"codium", "subl", "micro", "hx", "helix", "kak", "joe", "jed", "mcedit", "gedit", "kate", "mate", "atom", "zed", "idea", "nvr",
	"mvim", "vis", "ne", "true", ":", "cat"}
