package shell

import (
	"regexp"
	"slices"
	"strings"
)

// Programs that run a command given in an option, through a shell: the
// command is judged like any other. A program whose option runs code in a
// language of its own (an editor's ex commands, a debugger's, make's) is
// unknown when that code can reach a shell.
type escape struct {
	opts []string // options whose value is a shell command (-o CMD, -oCMD, --opt=CMD)
	// prefix: the value is a command only after it (tar's
	// --checkpoint-action=exec=CMD).
	prefix string
	// bang: the value is the program's own language, in which a leading
	// ! (or "shell ") runs the rest in a shell.
	bang bool
	// debugger: the value is one gdb command, judged against the ones
	// that only drive the program being debugged (gdbCommand).
	debugger bool
	// code: the value is code that may do anything: unknown.
	code bool
	// argv: the value is a program and its arguments joined by commas
	// (gcc -wrapper prog,arg).
	argv bool
}

var escapes = map[string][]escape{
	"tar":   {{opts: []string{"--to-command", "-I", "--use-compress-program", "--info-script", "-F", "--new-volume-script", "--rsh-command"}}, {opts: []string{"--checkpoint-action"}, prefix: "exec="}},
	"zip":   {{opts: []string{"-TT", "--unzip-command"}}},
	"rsync": {{opts: []string{"-e", "--rsh", "--rsync-path"}}},
	"scp":   {{opts: []string{"-S"}}},
	"entr":  {{opts: []string{"-s"}}},
	// split --filter CMD and sort --compress-program run CMD on their data.
	"split":  {{opts: []string{"--filter"}}},
	"sort":   {{opts: []string{"--compress-program"}}},
	"ncat":   {{opts: []string{"-c", "--sh-exec", "-e", "--exec"}}, {opts: []string{"--lua-exec"}, code: true}},
	"nc":     {{opts: []string{"-c", "-e"}}},
	"netcat": {{opts: []string{"-c", "-e"}}},
	"ghci":   {{opts: []string{"-e"}, code: true}},
	// systemd-run -p ExecStartPre=CMD (and the other Exec properties) runs CMD.
	"systemd-run": {{opts: []string{"-p", "--property"}, prefix: "ExecStart="}, {opts: []string{"-p", "--property"}, prefix: "ExecStartPre="}, {opts: []string{"-p", "--property"}, prefix: "ExecStartPost="}, {opts: []string{"-p", "--property"}, prefix: "ExecStop="}, {opts: []string{"-p", "--property"}, prefix: "ExecStopPost="}, {opts: []string{"-p", "--property"}, prefix: "ExecReload="}, {opts: []string{"-p", "--property"}, prefix: "ExecCondition="}},
	// groff -U (unsafe) runs the .sy and .pso requests of its input.
	"groff": {{opts: []string{"-U"}, code: true}},
	"flock": {{opts: []string{"-c", "--command"}}},
	// gdb takes its long options with one dash as well as two.
	"gdb": {{opts: []string{"-ex", "--ex", "-eval-command", "--eval-command", "-iex", "--iex", "-init-eval-command", "--init-eval-command"}, debugger: true},
		{opts: []string{"-x", "--x", "-command", "--command", "-ix", "--ix", "-init-command", "--init-command"}, code: true}},
	"lldb": {{opts: []string{"-o", "--one-line", "-O", "--one-line-before-file", "-k", "--one-line-on-crash", "-K", "--source-on-crash"}, bang: true},
		{opts: []string{"-s", "--source", "-S", "--source-before-file"}, code: true}},
	"vim":  {{opts: []string{"-c", "--cmd", "+"}, bang: true}, {opts: []string{"-S"}, code: true}},
	"nvim": {{opts: []string{"-c", "--cmd", "+"}, bang: true}, {opts: []string{"-S"}, code: true}},
	"vi":   {{opts: []string{"-c", "--cmd"}, bang: true}},
	"view": {{opts: []string{"-c", "--cmd"}, bang: true}},
	"ex":   {{opts: []string{"-c", "--cmd"}, bang: true}},
	"gvim": {{opts: []string{"-c", "--cmd"}, bang: true}},
	"make": {{opts: []string{"--eval", "-E"}, code: true}},
	// go run/test -exec and every build's -toolexec run the program they
	// name (with the binary or the tool as arguments); go vet -vettool too.
	"go":     {{opts: []string{"-exec", "--exec", "-toolexec", "--toolexec", "-vettool", "--vettool"}}},
	"tmux":   {{opts: []string{"-c"}}, {opts: []string{"source-file", "source"}, code: true}},
	"screen": {{opts: []string{"-c"}, code: true}},
	"sftp":   {{opts: []string{"-S", "-D"}}},
	"gmake":  {{opts: []string{"--eval", "-E"}, code: true}},
	"emacs":  {{opts: []string{"--eval", "-eval", "-l", "--load", "-f", "--funcall", "--script", "-x"}, code: true}},
	"julia":  {{opts: []string{"-e", "--eval", "-E", "--print"}, code: true}},
	"dc":     {{opts: []string{"-e", "--expression", "-f", "--file"}, code: true}},
	// less reads key bindings and environment (LESSOPEN) from a lesskey file.
	"less":     {{opts: []string{"+!", "-k", "--lesskey-file", "--lesskey-src", "--lesskey-content"}, code: true}},
	"man":      {{opts: []string{"-P", "--pager", "-H", "--html"}}},
	"git":      {{opts: []string{"--upload-pack", "--receive-pack", "--exec"}}},
	"ssh":      {{opts: []string{"-oProxyCommand", "-oLocalCommand"}}},
	"find":     {{opts: []string{"-fprintf"}, code: true}},
	"xdg-open": {{code: true}},
	// Runtimes whose code this guard does not read: -e and friends are
	// code that can run or delete anything.
	"R":                 {{opts: []string{"-e"}, code: true}},
	"octave":            {{opts: []string{"--eval"}, code: true}},
	"groovy":            {{opts: []string{"-e"}, code: true}},
	"elixir":            {{opts: []string{"-e", "--eval"}, code: true}},
	"iex":               {{opts: []string{"-e", "--eval"}, code: true}},
	"erl":               {{opts: []string{"-eval", "-s", "-run"}, code: true}},
	"escript":           {{opts: []string{"-e"}, code: true}},
	"guile":             {{opts: []string{"-c", "-e"}, code: true}},
	"bb":                {{opts: []string{"-e", "--eval"}, code: true}},
	"clojure":           {{opts: []string{"-e", "-M", "-X"}, code: true}},
	"raku":              {{opts: []string{"-e"}, code: true}},
	"perl6":             {{opts: []string{"-e"}, code: true}},
	"kotlin":            {{opts: []string{"-e"}, code: true}},
	"kotlinc":           {{opts: []string{"-e", "-script"}, code: true}},
	"scala":             {{opts: []string{"-e"}, code: true}},
	"sbcl":              {{opts: []string{"--eval", "--script", "--load"}, code: true}},
	"racket":            {{opts: []string{"-e", "--eval"}, code: true}},
	"ghc":               {{opts: []string{"-e"}, code: true}},
	"runghc":            {{opts: []string{"-e"}, code: true}},
	"swift":             {{opts: []string{"-e"}, code: true}},
	"crystal":           {{opts: []string{"eval"}, code: true}},
	"pike":              {{opts: []string{"-e"}, code: true}},
	"gnuplot":           {{opts: []string{"-e"}, code: true}},
	"pwsh":              {{opts: []string{"-Command", "-c", "-EncodedCommand", "-e", "-File", "-f"}, code: true}},
	"powershell":        {{opts: []string{"-Command", "-c", "-EncodedCommand", "-e"}, code: true}},
	"m4":                {{opts: []string{"-D"}, code: true}},
	"cmake":             {{opts: []string{"-E", "-P"}, code: true}},
	"ansible":           {{opts: []string{"-m", "--module-name", "-a", "--args"}, code: true}},
	"salt-call":         {{opts: []string{"cmd.run", "cmd.shell", "cmd.script"}, code: true}},
	"socat":             {{prefix: "SYSTEM:", opts: []string{"-"}}},
	"rg":                {{opts: []string{"--pre"}}},
	"fd":                {{opts: []string{"-x", "--exec", "-X", "--exec-batch"}}},
	"fdfind":            {{opts: []string{"-x", "--exec", "-X", "--exec-batch"}}},
	"dotnet":            {{opts: []string{"-e"}, code: true}},
	"java":              {{opts: []string{"--source"}, code: true}},
	"deno":              {{opts: []string{"eval"}, code: true}},
	"nix-shell":         {{opts: []string{"--run", "--command"}}},
	"npm":               {{opts: []string{"-c", "--call"}}},
	"npx":               {{opts: []string{"-c", "--call"}}},
	"capsh":             {{opts: []string{"-c"}}},
	"cdk":               {{opts: []string{"--app", "-a"}}},
	"repo":              {{opts: []string{"-c", "--command"}}},
	"start-stop-daemon": {{opts: []string{"--exec", "-x", "--startas", "-a"}, code: true}},
	// A compiler driver runs its passes under -wrapper, takes them from
	// -B's directory and loads -fplugin's code.
	"gcc": compilerEscapes, "g++": compilerEscapes, "cc": compilerEscapes, "c++": compilerEscapes,
	"clang": compilerEscapes, "clang++": compilerEscapes,
}

var compilerEscapes = []escape{{opts: []string{"-wrapper"}, argv: true}, {opts: []string{"-fplugin", "-B", "--gcc-toolchain", "-fpass-plugin"}, code: true}}

// interpretersOfTheirOwn read a program in a language this guard does not
// read, any of which can run commands: from standard input, and for those
// marked, from a file operand too.
var interpretersOfTheirOwn = map[string]bool{"tclsh": true, "wish": true, "expect": true, "dc": true, "julia": false, "m4": true,
	"R": false, "groovy": false, "raku": false, "erl": false, "bb": false, "gnuplot": false, "sqlplus": false,
	"ed": true, "red": true, "ex": false, "gdb": false, "lldb": false, "guile": false, "sbcl": false, "jshell": true, "octave": false}

// optionCommands judges the commands a program's options run.
func (w *walker) optionCommands(c *call, in input, depth int) {
	for _, e := range escapes[c.name] {
		if e.code && len(e.opts) == 0 && len(c.args) > 0 && !onlyNonExecution(c) {
			w.add("shell.program-code", unknown, c.name+" runs what its arguments say, which can be any command")
			continue
		}
		for _, v := range escapeValues(c, e.opts) {
			switch {
			case e.code:
				w.add("shell.program-code", unknown, c.name+" runs code of its own ("+v.s+"), which can run any command")
			case v.dyn:
				w.add("shell.dynamic-script", unknown, c.name+" runs a command only known at run time: "+v.s)
			case e.prefix != "":
				if cmd, ok := strings.CutPrefix(v.s, e.prefix); ok {
					w.script(cmd, depth+1)
				}
			case e.debugger:
				w.gdbCommand(v.s, depth)
			case e.bang:
				w.exCommands(c.name, v.s, depth)
			case e.argv:
				w.fedCommand(c.name+" "+e.opts[0], strings.ReplaceAll(v.s, ",", " "), depth+1)
			default:
				w.fedCommand(c.name+" "+e.opts[0], v.s, depth+1)
			}
		}
	}
	w.commandOptions(c, depth)
	if files, ok := interpretersOfTheirOwn[c.name]; ok && (in.present || files && len(c.pos) > 0 || c.name == "expect" && c.has("-c", "-f", "-b")) && !onlyNonExecution(c) {
		w.add("shell.program-code", unknown, c.name+" runs a program in a language that can run any command")
	}
	if c.name == "sed" || c.name == "gsed" {
		w.sedExecutes(c)
	}
	w.editorEdits(c, in)
	if (c.name == "npm" || c.name == "pnpm" || c.name == "bun") && (c.sub("exec") || c.sub("x")) {
		for _, v := range escapeValues(c, []string{"-c", "--call"}) {
			w.shellString(v, depth)
		}
		if c.name == "bun" && c.sub("exec") && len(c.pos) > 1 {
			w.shellString(c.pos[1].arg, depth)
		}
	}
	if c.name == "fd" || c.name == "fdfind" {
		// fd -x CMD ARGS... runs CMD on every path it finds.
		for i, a := range c.args {
			if a.s == "-x" || a.s == "--exec" || a.s == "-X" || a.s == "--exec-batch" {
				cmd := append([]arg{}, c.args[i+1:]...)
				for j, x := range cmd {
					if x.s == ";" {
						cmd = cmd[:j]
						break
					}
				}
				w.command(append(cmd, arg{s: "$FOUND", dyn: true}), input{}, depth+1)
				break
			}
		}
	}
	if c.name == "git" && c.sub("grep") {
		// git grep -O<cmd> opens the matching files with cmd, through a shell.
		for _, a := range c.args {
			if v, ok := strings.CutPrefix(a.s, "-O"); ok && v != "" {
				w.shellString(arg{s: v, dyn: a.dyn}, depth)
			} else if v, ok := strings.CutPrefix(a.s, "--open-files-in-pager="); ok {
				w.shellString(arg{s: v, dyn: a.dyn}, depth)
			}
		}
	}
	if c.name == "rg" {
		// rg --pre CMD runs CMD on every file it searches.
		for _, v := range escapeValues(c, []string{"--pre"}) {
			w.command([]arg{v, {s: "$FILE", dyn: true}}, input{}, depth+1)
		}
	}
	if c.name == "mvn" || c.name == "mvnw" {
		for _, a := range c.args {
			if strings.HasPrefix(a.s, "exec:") || strings.HasPrefix(a.s, "-Dexec.executable") {
				w.add("shell.program-code", unknown, c.name+" "+a.s+" runs a program its options name")
				break
			}
		}
	}
	if c.name == "sg" && len(c.pos) >= 2 && !c.has("-c") {
		// sg GROUP CMD runs CMD through a shell.
		w.shellString(c.pos[1].arg, depth)
	}
	// go env -w and npm config set keep a setting for every later run, as
	// the variable of the same name sets it for one.
	if c.name == "go" && c.sub("env") && c.has("-w") {
		for _, p := range c.pos[1:] {
			if k, v, ok := strings.Cut(p.s, "="); ok {
				w.execVarString(k, v, p.dyn, depth)
			}
		}
	}
	if (c.name == "npm" || c.name == "pnpm" || c.name == "yarn") && c.sub("config", "set") && len(c.pos) > 2 {
		k, v, ok := strings.Cut(c.pos[2].s, "=")
		if !ok && len(c.pos) > 3 {
			v, ok = c.pos[3].s, true
		}
		if ok {
			w.execVarString("npm_config_"+strings.ReplaceAll(strings.ToLower(k), "-", "_"), v, c.pos[2].dyn, depth)
		}
	}
	// Modules an interpreter loads before (or beside) what it runs are run
	// as it runs a script: node -r/--import/--loader/--test-reporter,
	// python -m a module of the workspace.
	if c.name == "node" || c.name == "nodejs" {
		for _, v := range escapeValues(c, []string{"-r", "--require", "--import", "--loader", "--experimental-loader", "--test-reporter"}) {
			if v.dyn || strings.HasPrefix(v.s, "./") || strings.HasPrefix(v.s, "../") || strings.HasPrefix(v.s, "/") || strings.HasPrefix(v.s, "~") ||
				strings.HasSuffix(v.s, ".js") || strings.HasSuffix(v.s, ".mjs") || strings.HasSuffix(v.s, ".cjs") || strings.HasSuffix(v.s, ".ts") {
				w.command([]arg{{s: c.name}, v}, input{}, depth+1)
			}
		}
	}
	if strings.HasPrefix(c.name, "python") {
		for i, a := range c.args {
			if a.s == "-m" && i+1 < len(c.args) && !c.args[i+1].dyn {
				mod := strings.ReplaceAll(c.args[i+1].s, ".", "/")
				for _, f := range []string{mod + ".py", mod + "/__main__.py"} {
					if _, st := w.readScript(f); st != fileMissing {
						w.command([]arg{{s: c.name}, {s: f}}, input{}, depth+1)
						break
					}
				}
				break
			}
		}
	}
	// aws configure set [profile.P.]credential_process CMD: the AWS CLI
	// and SDKs run CMD for every later call with that profile.
	if c.name == "aws" && c.sub("configure", "set") && len(c.pos) > 3 && strings.HasSuffix(strings.ToLower(c.pos[2].s), "credential_process") {
		w.shellString(c.pos[3].arg, depth)
	}
	if (c.name == "npm" || c.name == "pnpm") && c.sub("pkg", "set") {
		w.wrote("package.json", "", false, false) // its scripts now say what this set
	}
	// A debugger runs the program it is given: gdb --args PROG ARGS,
	// lldb [options] -- PROG ARGS.
	if c.name == "gdb" || c.name == "lldb" {
		for i, a := range c.args {
			if (c.name == "gdb" && (a.s == "--args" || a.s == "-args") || c.name == "lldb" && a.s == "--") && !a.dyn && i+1 < len(c.args) {
				w.command(c.args[i+1:], input{}, depth+1)
				break
			}
		}
	}
	if c.name == "lldb" {
		for _, v := range escapeValues(c, []string{"-o", "--one-line", "-O", "-k", "--one-line-on-crash"}) {
			if cmd, ok := strings.CutPrefix(strings.TrimSpace(v.s), "platform shell "); ok {
				w.shellString(arg{s: cmd, dyn: v.dyn}, depth)
			}
		}
	}
	if c.name == "gawk" || c.name == "awk" {
		for i, a := range c.args {
			if (a.s == "-i" || a.s == "--include") && i+1 < len(c.args) && c.args[i+1].s == "inplace" && len(c.pos) > 1 && anyOutside(&call{name: c.name, pos: c.pos[1:]}) {
				w.add("fs.edit-outside-workspace", destructive, c.name+" -i inplace edits files outside the workspace in place")
			}
		}
	}
	if c.name == "socat" {
		for _, a := range c.args {
			for _, p := range []string{"SYSTEM:", "EXEC:", "system:", "exec:"} {
				if cmd, ok := strings.CutPrefix(a.s, p); ok {
					w.shellString(arg{s: strings.SplitN(cmd, ",", 2)[0], dyn: a.dyn}, depth)
				}
			}
		}
	}
}

// onlyNonExecution: --version, --help and listing.
func onlyNonExecution(c *call) bool {
	return len(c.args) == 1 && (c.args[0].s == "--version" || c.args[0].s == "--help" || c.args[0].s == "-v" || c.args[0].s == "-h")
}

// escapeValues is every value the options are given: -o V, -oV, --opt=V.
// commandOptionNames are long options that, in every tool that has them
// (mysql --pager, gh --editor, hg --ssh, aws --cli-pager-like wrappers),
// name a command line the tool runs.
var commandOptionNames = []string{"--pager", "--editor", "--browser", "--askpass", "--ssh-command", "--ssh-cmd", "--rsh"}

// commandOptions judges what such an option runs, for any program.
func (w *walker) commandOptions(c *call, depth int) {
	for i, a := range c.args {
		name, value, hasValue := strings.Cut(a.s, "=")
		if !slices.Contains(commandOptionNames, name) || a.dyn && !hasValue {
			continue
		}
		v := arg{s: value, dyn: a.dyn}
		if !hasValue {
			if i+1 >= len(c.args) || strings.HasPrefix(c.args[i+1].s, "-") {
				continue // a switch here: mysql --pager alone uses $PAGER
			}
			v = c.args[i+1]
		}
		if v.dyn {
			w.add("shell.dynamic-script", unknown, c.name+" "+name+" runs a command only known at run time")
			continue
		}
		w.fedCommand(c.name+" "+name, v.s, depth+1)
	}
}

func escapeValues(c *call, opts []string) []arg {
	var out []arg
	for i, a := range c.args {
		for _, o := range opts {
			switch {
			case o == "+" && len(a.s) > 1 && a.s[0] == '+':
				out = append(out, arg{s: a.s[1:], dyn: a.dyn}) // vim +CMD
			case a.s == o:
				if i+1 < len(c.args) {
					out = append(out, c.args[i+1])
				}
			case strings.HasPrefix(a.s, o+"="):
				out = append(out, arg{s: a.s[len(o)+1:], dyn: a.dyn})
			case !strings.HasPrefix(o, "--") && len(o) >= 2 && strings.HasPrefix(a.s, o) && len(a.s) > len(o) && !strings.HasPrefix(a.s, "--"):
				out = append(out, arg{s: a.s[len(o):], dyn: a.dyn})
			case strings.HasPrefix(o, "--") && !strings.Contains(a.s, "=") && abbreviates(a.s, o) && a.s != o:
				if i+1 < len(c.args) {
					out = append(out, c.args[i+1])
				}
			}
		}
	}
	return out
}

func (w *walker) sedExecutes(c *call) {
	var scripts []arg
	scripts = append(scripts, escapeValues(c, []string{"-e", "--expression"})...)
	for _, f := range escapeValues(c, []string{"-f", "--file"}) {
		// A script file: read it when it is there, else it may hold anything.
		if text, ok := w.readWorkspace(f.s); ok && !f.dyn {
			scripts = append(scripts, arg{s: text})
		} else {
			w.add("shell.program-code", unknown, "sed runs the script "+f.s+", which Chaperone cannot read (its w and e commands write and run)")
		}
	}
	if len(scripts) == 0 && len(c.pos) > 0 && !c.has("-f", "--file") {
		scripts = append(scripts, c.pos[0].arg)
	}
	for _, s := range scripts {
		if s.dyn {
			continue
		}
		runs, files := sedScan(s.s)
		if runs {
			w.add("shell.sed-exec", unknown, "sed's e command runs text as a shell command: "+s.s)
		}
		for _, f := range files {
			if f != "/dev/stdout" && f != "/dev/stderr" {
				w.truncates(f, false, "sed w command")
			}
		}
	}
}

// sedRuns reports whether a sed script holds GNU sed's e command (runs a
// command) or an s command with the e flag (runs the result).
func sedRuns(script string) bool {
	runs, _ := sedScan(script)
	return runs
}

// sedScan reads a sed script for what it does besides editing its stream:
// runs says it holds an e command or an s command with the e flag; files
// are the files its w and W commands, and the w flag of s, write.
func sedScan(script string) (runs bool, files []string) {
	i, n := 0, len(script)
	// fileToEOL takes the file name a w command writes: the rest of the line.
	fileToEOL := func() {
		for i < n && (script[i] == ' ' || script[i] == '\t') {
			i++
		}
		start := i
		for i < n && script[i] != '\n' {
			i++
		}
		if f := script[start:i]; f != "" {
			files = append(files, f)
		}
	}
	// upto skips to the unescaped delimiter d; false at the end.
	upto := func(d byte) bool {
		for ; i < n; i++ {
			if script[i] == '\\' {
				i++
			} else if script[i] == d {
				i++
				return true
			}
		}
		return false
	}
	toEOL := func() {
		for i < n && script[i] != '\n' {
			i++
		}
	}
	for i < n {
		switch ch := script[i]; {
		case ch == ' ' || ch == '\t' || ch == '\n' || ch == ';' || ch == '{' || ch == '}' || ch == '!' || ch == ',' || ch == '$' || ch == '~' || ch >= '0' && ch <= '9':
			i++
		case ch == '/' || ch == '\\':
			if ch == '\\' { // \cREGEXc
				i++
				if i >= n {
					return
				}
			}
			d := script[i]
			i++
			if !upto(d) {
				return
			}
			for i < n && (script[i] == 'I' || script[i] == 'M') {
				i++
			}
		case ch == 's' || ch == 'y':
			if i+1 >= n {
				return
			}
			d := script[i+1]
			i += 2
			if !upto(d) || !upto(d) {
				return
			}
			for i < n && script[i] != ';' && script[i] != '\n' && script[i] != '}' {
				if script[i] == 'e' && ch == 's' {
					runs = true
				}
				if script[i] == 'w' || script[i] == 'W' {
					i++
					fileToEOL()
					break
				}
				i++
			}
		case ch == 'e':
			runs = true
			i++
			toEOL()
		case ch == 'w' || ch == 'W':
			i++
			fileToEOL()
		case ch == 'a' || ch == 'i' || ch == 'c' || ch == 'r' || ch == 'R' || ch == '#':
			i++
			toEOL()
		case ch == 'b' || ch == 't' || ch == 'T' || ch == ':' || ch == 'l' || ch == 'q' || ch == 'Q' || ch == 'L' || ch == 'v':
			// A label or number, to the next ; (stopping early only
			// finds more).
			for i++; i < n && script[i] != ';' && script[i] != '\n'; i++ {
			}
		default:
			i++
		}
	}
	return runs, files
}

// editors edit the files they are given, and run their own commands.
var editors = []string{"vim", "nvim", "vi", "view", "ex", "gvim", "vim.basic", "vim.tiny", "nvi", "elvis", "kak", "helix", "hx"}

// editorValueOpts take a value: vim's -c CMD, -S FILE, -u VIMRC...
var editorValueOpts = []string{"-c", "--cmd", "-S", "-s", "-u", "-U", "-i", "-T", "-w", "-W", "-t", "-q", "--servername", "--remote", "--remote-send", "--startuptime", "-e"}

// editorFileCmd: an editor command that writes, or opens for editing, the
// file it names.
var editorFileCmd = regexp.MustCompile(`(?:^|[|\s:])(?:\d*,?\$?\d*%?)?(?:w|write|sav|saveas|x|xit|exi|exit|wq|wqa|up|update|wn|wN|wp|redir|e|edit|ene|enew|args|arga|argadd|badd|new|vnew|sp|split|vs|vsplit|tabe|tabedit|fin|find)!?(?:\s+|\s*>>?\s*)(?:\+\+\S+\s+)*([~/$.][^\s|]*|[\w.-]+/[^\s|]*|[\w.-]*[\w-][\w.-]*)`)

// editorDynamic: editor commands that build what they run.
var editorDynamic = regexp.MustCompile(`(?:^|[|\s:])(?:exe|exec|execute|norm|normal|call|lua|py|py3|python|python3|perl|ruby|so|source|let)\b`)

// editorEdits judges an editor given commands to run (-c, +CMD, -S, -s,
// ex mode, commands on standard input) as editing its files in place, as
// sed -i does: vim -es -c '%d|wq' /etc/hosts empties the file. Driven by
// a person it waits for them; driven by commands it needs no one.
func (w *walker) editorEdits(c *call, in input) {
	if !slices.Contains(editors, c.name) {
		return
	}
	scripted := c.name == "ex" || in.present
	var files, clustered []arg
	for i := 0; i < len(c.args); i++ {
		a := c.args[i]
		switch {
		case a.dyn:
			files = append(files, a)
		case strings.HasPrefix(a.s, "+"):
			scripted = true
		case a.s == "--":
			files = append(files, c.args[i+1:]...)
			i = len(c.args)
		case strings.HasPrefix(a.s, "-") && len(a.s) > 1:
			switch {
			case a.s == "-c" || a.s == "--cmd" || a.s == "-S" || a.s == "-s" || a.s == "-e" || a.s == "-E" || a.s == "-es" || a.s == "-Es" || a.s == "-y":
				scripted = true
			case strings.HasPrefix(a.s, "-c") || strings.HasPrefix(a.s, "-S"):
				scripted = true
			}
			if len(a.s) > 2 && a.s[1] != '-' && isLetters(a.s[1:]) && strings.HasSuffix(a.s, "c") && i+1 < len(c.args) {
				i++ // -sc CMD: a cluster ending in -c takes the command
				clustered = append(clustered, c.args[i])
				continue
			}
			if slices.Contains(editorValueOpts, a.s) && a.s != "-e" && a.s != "-s" || a.s == "-s" && c.name != "ex" && !c.has("-e", "-es", "-E", "-Es") {
				i++ // -s is a script to read, outside ex mode
			}
		default:
			files = append(files, a)
		}
	}
	// Files its own commands write or open for editing: w! /etc/hosts,
	// sav ~/.bashrc, e ~/.bashrc then %d|w, redir > f.
	for _, v := range append(escapeValues(c, []string{"-c", "--cmd", "+"}), clustered...) {
		if v.dyn {
			files = append(files, v)
			continue
		}
		for _, m := range editorFileCmd.FindAllStringSubmatch(v.s, -1) {
			files = append(files, arg{s: m[1]})
		}
		if editorDynamic.MatchString(v.s) {
			w.add("shell.program-code", unknown, c.name+" runs "+v.s+", which builds what it runs")
		}
	}
	for _, v := range escapeValues(c, []string{"-u", "-U"}) {
		if v.s != "NONE" && v.s != "NORC" && v.s != "DEFAULTS" {
			w.add("shell.program-code", unknown, c.name+" reads its settings, which can run anything, from "+v.s)
		}
	}
	if exMode(c) && in.present {
		// ex mode reads its commands from standard input.
		w.stdinProgram(c.name+" -e", in, 0, func(text string) {
			for _, m := range editorFileCmd.FindAllStringSubmatch(text, -1) {
				files = append(files, arg{s: m[1]})
			}
			w.exCommands(c.name, text, 0)
		})
	}
	if !scripted || len(files) == 0 {
		return
	}
	for _, f := range files {
		if !f.dyn && isSecretPath(f.s) {
			w.add("creds.read-secret-file", credential, c.name+" opens "+f.s+", which holds credentials, under commands that can print it")
			w.target(f.s)
		}
	}
	sed := parseCall("sed", append([]arg{{s: "-i"}, {s: "p"}}, files...))
	w.applyPacks(sed)
	w.placedPacks(sed)
}

// exBang: an ex command that runs a shell command: !cmd, a range filtered
// through one (%!cmd, 1,$!cmd, '<,'>!cmd), :r !cmd and :w !cmd.
var exBang = regexp.MustCompile(`^(?:(?:%|[.$\d,;+\-]+|'[a-z<>])*\s*!|(?:r|read)\s*!|(?:w|write)\s+!|(?:sh|shell|ter|terminal)\s+)(.*)$`)

// exSecretVar: an environment variable read in an ex expression.
var exSecretVar = regexp.MustCompile(`\$([A-Za-z_]\w*)|(?:expand|getenv)\(\s*['"]\$?(\w+)['"]`)

// exCommands judges ex commands (vim -c, ex mode's standard input): those
// that run a shell command run it; those that call functions that delete,
// write or run are unknown; an expression that reads a credential's
// variable, or the whole environment, reads credentials.
func (w *walker) exCommands(name, text string, depth int) {
	for _, raw := range strings.FieldsFunc(text, func(r rune) bool { return r == '\n' }) {
		for _, line := range strings.Split(raw, "|") {
			line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), ":"))
			line = strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(line, "silent!"), "silent"))
			if strings.Contains(line, "delete(") || strings.Contains(line, "call ") || strings.Contains(line, "writefile(") {
				w.add("shell.program-code", unknown, name+" runs "+line+", which can delete or write any file")
			}
			for _, m := range exSecretVar.FindAllStringSubmatch(line, -1) {
				if v := m[1] + m[2]; secretName(v) {
					w.add("creds.print-secret-var", credential, name+" reads $"+v+", which holds a credential")
				}
			}
			if strings.Contains(line, "environ()") {
				w.add("creds.env-dump", credential, name+" reads the whole environment, tokens included")
			}
			if m := exBang.FindStringSubmatch(line); m != nil {
				w.script(m[1], depth+1)
			} else if strings.Contains(line, "system(") || strings.Contains(line, "py") || strings.Contains(line, "lua") || strings.Contains(line, "source") || strings.HasPrefix(line, "r ") || strings.HasPrefix(line, "so") {
				w.add("shell.program-code", unknown, name+" runs "+line+", which can run any command")
			}
		}
	}
}

// gdbReads are the gdb commands that only drive and inspect the program
// being debugged. The rest can run commands (shell, !, pipe, python,
// guile), write files (set logging, dump, gcore) or show the environment.
var gdbReads = map[string]bool{"run": true, "r": true, "start": true, "starti": true, "bt": true, "backtrace": true, "where": true,
	"info": true, "i": true, "list": true, "l": true, "frame": true, "f": true, "up": true, "down": true, "thread": true,
	"disassemble": true, "disas": true, "quit": true, "q": true, "continue": true, "c": true, "next": true, "n": true,
	"step": true, "s": true, "stepi": true, "si": true, "nexti": true, "ni": true, "finish": true, "until": true, "advance": true,
	"break": true, "b": true, "tbreak": true, "rbreak": true, "watch": true, "rwatch": true, "awatch": true, "delete": true,
	"d": true, "clear": true, "enable": true, "disable": true, "condition": true, "ignore": true, "display": true,
	"undisplay": true, "handle": true, "catch": true, "tcatch": true, "ptype": true, "whatis": true, "echo": true,
	"print": true, "p": true, "output": true, "printf": true, "x": true, "kill": true, "set": true, "show": true}

// gdbCommand judges one gdb command given on the command line.
func (w *walker) gdbCommand(line string, depth int) {
	line = strings.TrimSpace(line)
	if rest, ok := strings.CutPrefix(line, "!"); ok {
		line = "shell " + rest
	}
	f := strings.Fields(line)
	if len(f) == 0 {
		return
	}
	switch strings.ToLower(f[0]) {
	case "shell":
		w.script(strings.TrimSpace(strings.TrimPrefix(line, f[0])), depth+1)
	case "pipe", "|":
		if _, cmd, ok := strings.Cut(strings.TrimPrefix(line, f[0]), "|"); ok {
			w.script(cmd, depth+1)
		}
	}
	cmd := strings.ToLower(f[0])
	second := ""
	if len(f) > 1 {
		second = strings.ToLower(f[1])
	}
	switch {
	case cmd == "show" && strings.HasPrefix(second, "env") || cmd == "info" && strings.HasPrefix(second, "env"):
		w.add("creds.env-dump", credential, "gdb "+line+" prints the environment, tokens included")
	case !gdbReads[cmd] || cmd == "set" && strings.HasPrefix(second, "logging"):
		w.add("shell.program-code", unknown, "gdb runs "+line+", which can run commands or write files")
	case strings.Contains(line, "(") && cmd != "break" && cmd != "b" && cmd != "tbreak" && cmd != "info" && cmd != "list" && cmd != "l":
		// print system("..."), call, set var x = f(): the debugged
		// program's functions are called, libc's system() among them.
		w.add("shell.program-code", unknown, "gdb "+line+" calls functions in the debugged program, which can run any command")
	}
}

// exMode: vim in ex mode (-e, -E, -es, ex), which reads commands from
// standard input.
func exMode(c *call) bool {
	return c.name == "ex" || c.has("-e", "-E", "-es", "-Es") || slices.ContainsFunc(c.args, func(a arg) bool {
		return len(a.s) > 2 && a.s[0] == '-' && a.s[1] != '-' && isLetters(a.s[1:]) && strings.ContainsAny(a.s[1:], "eE")
	})
}
