package shell

import (
	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/classify/keyword"
	"path"
	"regexp"
	"slices"
	"strings"
)

// codeFlags are the options that pass program text inline, per interpreter.
var codeFlags = map[string][]string{
	"python": {"-c"}, "node": {"-e", "--eval", "-p", "--print"}, "nodejs": {"-e", "--eval", "-p", "--print"},
	"bun": {"-e", "--eval", "-p", "--print"}, "ruby": {"-e"}, "perl": {"-e", "-E"}, "php": {"-r"},
	"lua": {"-e"}, "Rscript": {"-e"}, "osascript": {"-e"}, "tsx": {"-e", "--eval"}, "ts-node": {"-e", "--eval"},
}

func (w *walker) interpreter(c *call, in input, depth int) {
	if c.name == "bun" && len(c.pos) > 0 && !c.sub("run") {
		switch first := c.pos[0].s; {
		case lifecyclePhases[first] != "":
			if w.lifecycleIn("package.json", "bun", lifecyclePhases[first], depth) {
				return
			}
		case !bunBuiltins[first] && path.Ext(first) == "" && !strings.Contains(first, "/"):
			// bun NAME runs the package script NAME, as bun run NAME does.
			if w.npmScript("bun", append([]arg{{s: "run"}}, c.args...), depth) {
				return
			}
		}
	}
	if c.name == "bun" && c.sub("run") {
		if w.npmScript("bun", c.args, depth) {
			return // a package script, or a program bun run finds by name
		}
		// bun run FILE is bun FILE.
		if i := slices.IndexFunc(c.args, func(a arg) bool { return a.s == "run" }); i >= 0 {
			c = parseCall("bun", append(slices.Clone(c.args[:i]), c.args[i+1:]...))
		}
	}
	lang := c.name
	if strings.HasPrefix(lang, "python") || strings.HasPrefix(lang, "pypy") || lang == "ipython" || lang == "ipython3" {
		lang = "python"
	}
	if lang == "perl" {
		w.perlLocalModules(c, strings.Join(argStrings(c.args), "\n"), depth+1)
	}
	if lang == "deno" {
		if c.sub("eval") && len(c.pos) > 1 {
			w.code("node", c.pos[1].arg, depth)
		} else {
			w.add("inline.run-script", write, "deno runs a program")
		}
		return
	}
	// python -m zipfile -e ARCHIVE DIR and -m tarfile -e ARCHIVE [DIR]
	// unpack like unzip and tar: outside the workspace, over what is there.
	if lang == "python" {
		if i := slices.IndexFunc(c.args, func(a arg) bool { return a.s == "zipfile" || a.s == "tarfile" }); i > 0 && c.args[i-1].s == "-m" {
			rest := c.args[i+1:]
			if j := slices.IndexFunc(rest, func(a arg) bool { return a.s == "-e" || a.s == "--extract" }); j >= 0 {
				dest := arg{s: "."}
				if j+2 < len(rest) {
					dest = rest[j+2]
				}
				if c.lands(dest) {
					w.add("fs.extract-outside-workspace", destructive, c.name+" -m "+c.args[i].s+" unpacks an archive over files outside the workspace")
				}
			}
		}
	}
	// perl -i and ruby -i rewrite the files they are given, whatever the
	// code does.
	if (lang == "perl" || lang == "ruby") && perlInPlace(c) && anyOutside(c) {
		w.add("fs.edit-outside-workspace", destructive, c.name+" -i edits files outside the workspace in place")
	}
	if (lang == "perl" || lang == "ruby") && perlInPlace(c) && anyGitInternal(c) {
		w.add("fs.git-internals", destructive, c.name+" -i edits a file of the repository's history or state in .git")
	}
	// perl, ruby, node and the rest run every -e they are given (python's
	// -c ends its options: what follows is the program's arguments).
	var code []arg
	for i := 0; i < len(c.args); i++ {
		a := c.args[i]
		found := false
		if a.dyn && strings.HasPrefix(a.s, "-") && len(code) == 0 {
			w.add("inline.dynamic", unknown, c.name+" is given options only known at run time: "+a.s)
			return
		}
		if v, ok := strings.CutPrefix(a.s, "--"); ok && strings.Contains(v, "=") && len(code) == 0 {
			// --eval=CODE; --require=x and the like take their value with them.
			name, val, _ := strings.Cut(a.s, "=")
			if slices.Contains(codeFlags[lang], name) {
				code = append(code, arg{s: val, dyn: a.dyn})
				if lang == "python" {
					break
				}
			}
			continue
		}
		if slices.Contains(valuedFlags[lang], a.s) && len(code) == 0 {
			if a.s == "-m" && lang == "python" {
				w.pythonModule(c, c.args[i+1:], in, depth)
				return
			}
			i++ // -W ignore, -X utf8, -r module: not the program
			continue
		}
		for _, f := range codeFlags[lang] {
			if a.s == f && i+1 < len(c.args) {
				if (f == "-p" || f == "--print") && strings.HasPrefix(c.args[i+1].s, "-") {
					break // node -p -e CODE: -p prints what -e evaluates
				}
				code = append(code, c.args[i+1])
				i++
				found = true
				break
			}
			// -c'code' / -e"code" glued to the flag, where the
			// interpreter takes it so (node and its kin do not).
			if len(f) == 2 && strings.HasPrefix(a.s, f) && len(a.s) > 2 && !strings.HasPrefix(a.s, "--") && gluedCode[lang] && (lang != "python" || a.s[1] == 'c') {
				code = append(code, arg{s: a.s[2:], dyn: a.dyn})
				found = true
				break
			}
		}
		if !found {
			if glued, ok := codeCluster(lang, a.s); ok && !a.dyn {
				switch {
				case glued != "":
					code = append(code, arg{s: glued})
					found = true
				case i+1 < len(c.args):
					code = append(code, c.args[i+1])
					i++
					found = true
				}
			}
		}
		if found {
			if lang == "python" {
				break
			}
			continue
		}
		if len(code) > 0 {
			continue
		}
		if !strings.HasPrefix(a.s, "-") {
			// Framework entry points carry their own destructive commands.
			if b := baseName(a.s); b == "manage.py" || b == "artisan" {
				w.command(append([]arg{{s: b}}, c.args[i+1:]...), in, depth)
				return
			}
			if a.s == "/dev/stdin" || a.s == "/dev/fd/0" || a.s == "/proc/self/fd/0" || a.s == "-" {
				w.stdinProgram(c.name, in, depth, func(text string) { w.code(lang, arg{s: text}, depth) })
				return
			}
			if a.dyn || isFdPath(a.s) {
				w.add("inline.dynamic-program", unknown, c.name+" runs a program only known at run time: "+a.s)
				return
			}
			if _, st := w.readScript(a.s); st != fileMissing {
				w.runFile(a.s, c.name, lang, depth, false)
				return
			}
			if m := path.Join(a.s, "__main__.py"); lang == "python" && w.fileThere(m) {
				// python DIR runs DIR/__main__.py.
				w.runFile(m, c.name, lang, depth, false)
				return
			}
			w.add("inline.run-script", write, c.name+" runs the program file "+a.s)
			return
		}
	}
	if len(code) > 0 {
		// Inline code reaches its arguments (sys.argv, process.argv,
		// ARGV): a credential handed to it is as good as printed.
		w.secretArgsGiven(c, "inline code")
		joined := arg{}
		for i, a := range code {
			if i > 0 {
				joined.s += "\n"
			}
			joined.s += a.s
			joined.dyn = joined.dyn || a.dyn
		}
		if c.has("-p", "--print") && codeFlagsInclude(lang, "--print") {
			// node -p EXPR is node -e 'console.log(EXPR)': what the
			// expression evaluates to is printed.
			joined.s = "console.log(" + joined.s + ")"
		}
		w.code(lang, joined, depth)
		return
	}
	w.stdinProgram(c.name, in, depth, func(text string) { w.code(lang, arg{s: text}, depth) })
}

// joinLiterals writes string literals joined by + or . as one literal
// (".e" + "nv" is ".env", "GITHUB_" + "TOKEN" names the token), quoted
// as the first of them was. Literals are found by scanning from the
// start, so a closing quote is never taken for an opening one.
func joinLiterals(text string) string {
	type span struct{ start, end int } // end is past the closing quote
	var lits []span
	for i := 0; i < len(text); i++ {
		q := text[i]
		if q != '"' && q != '\'' {
			continue
		}
		j := i + 1
		for j < len(text) && text[j] != q && text[j] != '\n' {
			if text[j] == '\\' {
				j++
			}
			j++
		}
		if j >= len(text) || text[j] != q {
			return text // an unclosed literal: leave the text as it is
		}
		lits = append(lits, span{i, j + 1})
		i = j
	}
	var b strings.Builder
	last := 0
	for k := 0; k < len(lits); {
		n := k
		for n+1 < len(lits) {
			if op := strings.Trim(text[lits[n].end:lits[n+1].start], " \t"); op != "+" && op != "." {
				break
			}
			n++
		}
		if n == k {
			k++
			continue
		}
		b.WriteString(text[last:lits[k].start])
		q := text[lits[k].start]
		b.WriteByte(q)
		for m := k; m <= n; m++ {
			b.WriteString(text[lits[m].start+1 : lits[m].end-1])
		}
		b.WriteByte(q)
		last = lits[n].end
		k = n + 1
	}
	b.WriteString(text[last:])
	return b.String()
}

// codeSQL: a database driver's execute of literal SQL.
var codeSQL = regexp.MustCompile(`\.(?:execute|executescript|executemany|exec|run|query|prepare)\(\s*(['"])((?:[^'"\\]|\\.)*)['"]`)

// networkCall: code that sends data to another machine.
var networkCall = regexp.MustCompile(`\burlopen\b|\burllib\b|\brequests\.\w+\(|\bhttpx\.|\bhttp\.client\b|\bsocket\.|\bcreate_connection\b|\bfetch\s*\(|\baxios\b|\bhttps?\.request\b|\bnet\.connect\b|\bNet::HTTP\b|\bLWP::|\bIO::Socket|\bcurl_exec\b|\bfsockopen\b|\bXMLHttpRequest\b`)

// secretEnvRead: code that reads one variable whose name says it holds a
// credential.
func secretEnvRead(text string) bool {
	for _, m := range envRead.FindAllStringSubmatch(text, -1) {
		if secretName(m[1] + m[2] + m[3] + m[4]) {
			return true
		}
	}
	return false
}

func codeFlagsInclude(lang, flag string) bool {
	return slices.Contains(codeFlags[lang], flag)
}

var (
	// Calls that run a shell command, per language family.
	execCalls = regexp.MustCompile(`\b(?:spawnv_passfds|pexpect\.run|execa(?:Sync|Command|CommandSync|Node)?|os\.system|os\.popen|subprocess\.(?:run|call|Popen|check_output|check_call|getoutput|getstatusoutput)|os\.exec[lv]p?e?|os\.spawn[lv]p?e?|os\.posix_spawnp?|pty\.spawn|execSync|exec|execFile|execFileSync|spawn|spawnSync|system|shell_exec|passthru|popen|proc_open|pcntl_exec|IO\.popen|Open3\.\w+|Kernel\.(?:system|exec|spawn)|os\.execute|io\.popen|commands\.getoutput)(?:\s*\(|\s+(?:["'` + "`" + `]|qw))`)
	// Calls named for what they destroy, whichever client library makes
	// them: boto3's delete_bucket, redis's flushall, a driver's
	// drop_database or dropCollection, terminate_instances, an HTTP
	// client's DELETE. A bare delete( or drop( is too often a map's or a
	// data frame's in memory to say.
	destructiveMethod = regexp.MustCompile(`\b(?:delete|drop|destroy|terminate|purge|truncate|wipe|erase)(?:_[a-z]\w*|[A-Z]\w*)\s*\(|\b(?:purge|wipe)\s*\(|\bflush(?:all|db|_all|_db|All|Db)\s*\(|(?:\.|->)flush(?:all|db)\b|\b(?:requests|httpx|axios|ky|got|superagent|session|client)\.(?:delete|del)\s*\(`)
	// queueClear: background-job queues emptied (Sidekiq's sets and
	// queues, RQ's empty(), Celery's purge).
	queueClear = regexp.MustCompile(`\b(?:Sidekiq::\w+|RetrySet|DeadSet|ScheduledSet)\b[^;\n]*[.:](?:clear|kill_all|delete_all)\b|\bQueue\([^;\n]*\)\.empty\(\)|\.empty_queue\b|\bcontrol\.purge\(\)`)
	// sdkDeleteCommand: an SDK's command object that deletes (AWS SDK
	// for JavaScript v3's DeleteBucketCommand, TerminateInstancesCommand).
	sdkDeleteCommand = regexp.MustCompile(`\b(?:Delete|Drop|Destroy|Terminate|Purge|Truncate|Wipe|Remove|Reset|Stop|Disable|Detach|Deregister|Revoke|Schedule\w*Deletion)\w*Command\b`)
	// cloudSDK: code that imports a cloud provider's SDK, whose resource
	// objects delete with a bare .delete() or .terminate().
	cloudSDK          = regexp.MustCompile(`\bboto3\b|\bgoogle\.cloud\b|@google-cloud/|\bazure\.(?:mgmt|storage|cosmos)|@azure/|\baws-sdk\b|\bkubernetes\b|\bdigitalocean\b|\bhcloud\b|\blinode_api4\b|\bpulumi\b`)
	sdkResourceDelete = regexp.MustCompile(`\.(?:delete|terminate|destroy|drop|purge|begin_delete|beginDelete|beginDeleteAndWait|deleteIfExists|delete_if_exists|stop|shutdown)\s*\(`)
	// sdkCredentials: the credentials an SDK resolved, read by code.
	sdkCredentials = regexp.MustCompile(`\bget_credentials\s*\(|\bget_frozen_credentials\b|\bgoogle\.auth\.default\s*\(|\bfromNodeProviderChain\b|\bdefaultProvider\s*\(\s*\)\s*\(|\bfromIni\s*\(|\bfromEnv\s*\(\s*\)\s*\(|\.get_token\s*\(|\bgetAccessToken\s*\(|\.secret_key\b|\bsecretAccessKey\b|\bcredentials\.token\b`)
	// harmlessDrops: calls of these names that change only memory.
	harmlessDrops = regexp.MustCompile(`^(?:drop_duplicates|drop_while|dropWhile|dropLast|dropRight|delete_if|delete_at|delete_prefix|delete_suffix|deleteProperty|deleteCharAt|deleteLater)\s*\($`)
	// execReference: a command-running function named without being called
	// (f = os.system; map(os.system, ...)): what it is later called with
	// cannot be read from here.
	execReference = regexp.MustCompile(`\b(?:os\.system|os\.popen|subprocess\.(?:run|call|Popen|check_output|check_call|getoutput|getstatusoutput)|os\.exec[lv]p?e?|child_process\.exec(?:Sync)?|execSync|shutil\.rmtree|os\.remove|os\.unlink)\b\s*(?:[,)\]};]|$)`)
	// perlExec: perl's indirect-object exec and system (exec {"rm"} ...),
	// the modules that run commands, and raw system calls.
	perlExec = regexp.MustCompile(`\b(?:exec|system)\s*\{|\bIPC::(?:Open[23]|Cmd|Run\w*|System::Simple)\b|\bopen[23]\s*\(|\bsyscall\s*\(|Capture::Tiny|Proc::Background`)
	// nodeFork: child_process.fork of a module, named literally or not.
	nodeFork = regexp.MustCompile(`\bfork\s*\(\s*(?:['"]([^'"]+)['"]|[^'"\s)])`)
	// codeTruncates: a file emptied by a handle or a name computed at run
	// time (perl's truncate $fh, 0; sysopen with O_TRUNC).
	codeTruncates = regexp.MustCompile(`\btruncate\s*\(?\s*[$A-Za-z_]|\bsysopen\b[^;]*O_TRUNC|\b(?:os\.open|openSync)\s*\(\s*[A-Za-z_][\w.]*\s*,[^)]*(?:O_TRUNC|['"]w)`)
	// killEveryone: code sending a signal to every process it may (pid -1).
	killEveryone = regexp.MustCompile(`\bos\.kill(?:pg)?\s*\(\s*-?1\s*,|\bprocess\.kill\s*\(\s*-?1\s*[,)]|\bkill\s*\(?\s*['"]?-?\w+['"]?\s*,\s*-1\b|\bProcess\.kill\s*\(\s*:?\w+\s*,\s*-1\b|posix_kill\s*\(\s*-1\b`)
	// wholeEnvironment: the environment taken whole (a copy, its items, the
	// dotenv file's values, PHP's server array).
	wholeEnvironment = regexp.MustCompile(`\bos\.environ\s*(?:\.(?:copy|items|values|keys)\s*\(\s*\)|\)|,|$)|dict\(\s*os\.environ|\bdotenv_values\s*\(|\bdotenv\.(?:config|parse)\s*\(|\$_SERVER\b|\$_ENV\b|\bgetenv\(\s*\)|\bprocess\.env\s*(?:\)|,|$)`)
	// Backquotes (ruby, perl, php) and %x() / qx() run a shell command.
	backquotes = regexp.MustCompile("`([^`]*)`|%x\\(([^)]*)\\)|qx[({/]([^)}/]*)[)}/]")
	// Calls that delete or truncate directly.
	deleteCalls = regexp.MustCompile(`\bpromises\.(?:rm|rmdir|unlink)\b|\.all\(\)\.delete\(\)|\)\.rm\s*\(|\.rmSync\b|\bfs/promises\b[^;]*\brm\b|\b(?:shutil\.rmtree|os\.remove|os\.unlink|os\.rmdir|os\.removedirs|os\.truncate|\.unlink\(|\.rmdir\(|rmtree|remove_tree|rm_rf|rm_r|FileUtils\.rm|FileUtils\.remove\w*|File\.delete|Dir\.rmdir|fs\.rm|rmSync|fs\.rmdir|rmdirSync|fs\.unlink|unlinkSync|fsPromises\.rm|rimraf|unlink\s*\(|rmdir\s*\(|Deno\.remove\w*|\bunlink\s*[<$@\w"'{]|POSIX::(?:remove|unlink|rmdir)|dropDatabase|delete_all|destroy_all|DROP\s+(?:TABLE|DATABASE|SCHEMA)|removeSync|emptyDir(?:Sync)?\s*\(|\bfse?\.remove\s*\(|\b(?:deleteSync|deleteAsync)\b|require\(\s*['"]del['"]\s*\)|from\s+['"]del['"]|\bfile\.remove\s*\(|\b(?:dir|file|link)_delete\s*\()`)
	envDump     = regexp.MustCompile(`(?:print|console\.log|puts|p|pp|echo|print_r|var_dump|json\.dumps|JSON\.stringify)\s*\(?\s*(?:dict\()?\s*(?:os\.environ|process\.env|ENV|%ENV|\$_ENV|getenv\(\))\s*\)?\s*\)?\s*(?:$|[;)\n])`)
	strLiteral  = regexp.MustCompile(`^\s*(?:f|r|b)?(?:'([^']*)'|"([^"]*)")`)
	listLiteral = regexp.MustCompile(`^\s*\[([^\]]*)\]`)
	anyLiteral  = regexp.MustCompile(`'([^']*)'|"([^"]*)"`)
)

// code scans inline program text for what runs commands, deletes files or
// reads credentials. Text it cannot follow (a command built at run time) is
// unknown; plain code that does none of these is a write (it runs something).
func (w *walker) code(lang string, a arg, depth int) {
	if a.dyn {
		w.add("inline.dynamic", unknown, lang+" runs code only known at run time")
		return
	}
	raw := joinLiterals(quoteLike(lang, a.s))
	text := canonicalImports(lang, raw)
	if lang == "node" || lang == "nodejs" || lang == "bun" || lang == "deno" {
		// obj["key"] is obj.key: globalThis["process"]["env"] is process.env.
		text = literalMember.ReplaceAllString(text, ".$1")
	}
	found := false
	if lang == "python" && depth < maxDepth {
		w.pythonCodeImports(raw, depth+1)
	}
	if (lang == "node" || lang == "nodejs" || lang == "bun" || lang == "deno") && depth < maxDepth {
		w.nodeLocalFiles(raw, depth+1)
	}
	for _, loc := range execCalls.FindAllStringIndex(text, -1) {
		found = true
		rest := text[loc[1]:]
		// A call without parentheses (system "cmd", exec qw(...)): the match
		// ends inside the first argument.
		switch m := text[loc[0]:loc[1]]; {
		case strings.HasSuffix(m, "qw"):
			rest = text[loc[1]-2:]
		case !strings.HasSuffix(m, "("):
			rest = text[loc[1]-1:]
		}
		pyExec := lang == "python" && strings.HasPrefix(text[loc[0]:], "exec")
		lits, list, ok := callArgs(rest)
		switch {
		case !ok || len(lits) == 0:
			w.add("inline.dynamic-exec", unknown, lang+" code runs a command built at run time")
		case pyExec: // Python's exec runs Python, not a shell
			w.code(lang, arg{s: lits[0]}, depth+1)
		case len(lits) == 1 && !list:
			w.script(lits[0], depth+1)
		default:
			// An argument vector: exec*("rm", ["rm", "-rf", "/"]) names the
			// program twice; the vector is what runs.
			if len(lits) > 1 && lits[0] == lits[1] {
				lits = lits[1:]
			}
			args := make([]arg, len(lits))
			for i, l := range lits {
				args[i] = arg{s: l}
			}
			w.command(args, input{}, depth+1)
		}
	}
	found = w.libraryCommands(lang, text, depth) || found
	for _, m := range nodeFork.FindAllStringSubmatch(text, -1) {
		// child_process.fork(FILE) runs FILE in another node.
		found = true
		if m[1] == "" {
			w.add("inline.dynamic-program", unknown, lang+" code forks a program only known at run time")
		} else {
			w.command([]arg{{s: "node"}, {s: m[1]}}, input{}, depth+1)
		}
	}
	if m := execReference.FindString(text); m != "" {
		found = true
		w.add("inline.dynamic-exec", unknown, lang+" code passes "+strings.TrimRight(m, ",)]}; ")+" around, to be called with what Chaperone cannot read")
	}
	if (lang == "perl" || lang == "php") && perlExec.MatchString(text) {
		found = true
		w.add("inline.dynamic-exec", unknown, lang+" code runs a command through "+perlExec.FindString(text)+", which Chaperone does not read")
	}
	if m := codeTruncates.FindString(text); m != "" {
		found = true
		w.add("fs.truncate-dynamic", unknown, lang+" code empties a file whose name it computes ("+m+")")
	}
	if m := homeChangeAny(text); m != "" && homeRef.MatchString(text) {
		found = true
		w.add("inline.home-change", unknown, lang+" code changes files with a path built from the home directory ("+strings.TrimSuffix(m, "(")+"), which may be its dotfiles or credentials")
	}
	if lang == "perl" || lang == "ruby" {
		// open(F, "cmd |"), open(F, "| cmd"), ruby's open("|cmd") and
		// IO.read("|cmd"): a pipe open runs its command through a shell.
		for _, m := range pipeOpen.FindAllStringSubmatch(text, -1) {
			cmd := strings.TrimSpace(m[2])
			if strings.HasPrefix(cmd, "|") || strings.HasSuffix(cmd, "|") {
				found = true
				if strings.Trim(cmd, "|- ") == "" {
					w.add("inline.dynamic-exec", unknown, lang+" code opens a pipe to a command given apart ("+m[0]+")")
					continue
				}
				w.script(strings.Trim(cmd, "| "), depth+1)
			}
		}
	}
	if m := dynamicExecOf(text); m != "" && (lang == "perl" || lang == "ruby" || lang == "php") {
		found = true
		w.add("inline.dynamic-exec", unknown, lang+" code runs a command built at run time ("+m+")")
	}
	if m := killEveryone.FindString(text); m != "" {
		found = true
		w.add("host.kill-all", destructive, lang+" code signals every process it may ("+m+"), databases included")
	}
	for _, m := range codeSQL.FindAllStringSubmatch(text, -1) {
		// sqlite3.connect(...).execute('DROP TABLE t'): the SQL a
		// driver runs is judged as a client's would be.
		for _, r := range keyword.Classify(action.KindSQL, m[2]) {
			if r.Class == destructive || r.Class == unknown {
				found = true
				w.add(r.ID, r.Class, lang+" code runs SQL: "+r.Message)
			}
		}
	}
	if (wholeEnvironment.MatchString(text) || wholeEnvRef(text) || secretEnvRead(text)) && networkCall.MatchString(text) {
		found = true
		w.add("creds.env-dump", credential, lang+" code sends the environment, or a credential from it, over the network")
	}
	if (wholeEnvironment.MatchString(text) || wholeEnvRef(text)) && printCall.MatchString(text) {
		found = true
		w.add("creds.env-dump", credential, lang+" code prints the environment or the dotenv file whole, tokens included")
	}
	for _, m := range writeCalls.FindAllStringSubmatch(text, -1) {
		found = true
		w.truncates(m[1]+m[2], false, lang+" code writing a file")
	}
	for _, re := range fileWrites {
		for _, m := range re.FindAllStringSubmatch(text, -1) {
			found = true
			w.truncates(strings.Join(m[1:], ""), false, lang+" code writing a file")
		}
	}
	for _, m := range codeAppends.FindAllStringSubmatch(text, -1) {
		found = true
		w.appends(strings.Join(m[1:], ""), false)
	}
	for _, m := range envRead.FindAllStringSubmatch(text, -1) {
		if name := m[1] + m[2] + m[3] + m[4]; w.secretVar(name) && printCall.MatchString(text) {
			found = true
			w.add("creds.print-secret-var", credential, lang+" code prints $"+name+", which holds a credential")
		}
	}
	if socketShell.MatchString(text) {
		found = true
		w.add("net.remote-shell", unknown, lang+" code joins a shell or a program to a network socket: whoever is at the other end runs it")
	}
	if m := codeForks.FindString(text); m != "" {
		found = true
		w.add("host.exhaust", destructive, lang+" code forks in a loop ("+m+"): processes without bound take the host down")
	}
	if m := metadataInCode(text); m != "" {
		found = true
		w.add("creds.instance-metadata", credential, lang+" code asks the instance metadata service ("+m+"), which hands out the machine's credentials")
	}
	for host := range providerHosts {
		if strings.Contains(text, host) {
			found = true
			w.add("inline.provider-api", unknown, lang+" code calls "+host+", whose requests Chaperone cannot read from here")
		}
	}
	if lang != "python" && lang != "node" {
		for _, m := range backquotes.FindAllStringSubmatch(text, -1) {
			found = true
			w.script(m[1]+m[2]+m[3], depth+1)
		}
	}
	if m := queueClear.FindString(text); m != "" {
		found = true
		w.add("inline.destructive-call", destructive, lang+" code empties a job queue ("+m+"): the jobs in it are gone")
	}
	if m := sdkDeleteCommand.FindString(text); m != "" {
		found = true
		w.add("inline.destructive-call", destructive, lang+" code sends "+m+", which deletes or stops what it names")
	}
	if cloudSDK.MatchString(text) {
		if m := sdkResourceDelete.FindString(text); m != "" {
			found = true
			w.add("inline.destructive-call", destructive, lang+" code calls "+strings.TrimSpace(strings.TrimSuffix(m, "("))+" on a cloud SDK's resource, which deletes or stops it")
		}
	}
	if m := sdkCredentials.FindString(text); m != "" {
		found = true
		w.add("creds.sdk-credentials", credential, lang+" code reads the cloud credentials the SDK resolves ("+strings.TrimSuffix(m, "(")+")")
	}
	if m := deleteCalls.FindString(text); m != "" {
		found = true
		w.add("inline.delete", destructive, lang+" code deletes ("+strings.TrimSuffix(m, "(")+")")
	}
	if m := destructiveMethod.FindString(text); m != "" && !harmlessDrops.MatchString(m) {
		found = true
		w.add("inline.destructive-call", destructive, lang+" code calls "+strings.TrimSpace(strings.TrimSuffix(m, "("))+", which deletes or stops what it names")
	}
	found = w.codeLinks(text) || found
	for _, m := range codeRename.FindAllStringSubmatch(text, -1) {
		w.removed(m[1], false) // the source is gone from its name
		found = true
		if !isTemp(m[1]) && !inWorkspace(m[1]) {
			w.add("inline.move-outside", destructive, lang+" code moves "+m[1]+" away from where it is, outside the workspace")
			w.target(m[1])
		}
	}
	if codeWritesSomewhere.MatchString(text) {
		w.rewrote("$?", true) // a write to a name built at run time
	}
	if m := codeWritesHome.FindString(text); m != "" && (!bareOpen.MatchString(m) || homeOpenWrite.MatchString(text)) {
		// open() of a home path is a write only in a writing mode.
		found = true
		w.add("fs.truncate-outside-workspace", destructive, lang+" code writes a file in the home or system directories ("+m+")")
	}
	found = w.codeRequests(lang, text) || found
	family := lang
	switch lang {
	case "nodejs", "bun", "tsx", "ts-node", "deno":
		family = "node"
	}
	if re := dynamicCode[family]; re != nil {
		if m := re.FindString(text); m != "" {
			found = true
			w.add("inline.dynamic-code", unknown, lang+" code builds what it calls or runs at run time ("+strings.TrimSpace(m)+")")
		}
	}
	if envDump.MatchString(text) || envWhole.MatchString(text) {
		found = true
		w.add("creds.env-dump", credential, lang+" code prints the whole environment, tokens included")
	}
	for _, m := range anyLiteral.FindAllStringSubmatch(text, -1) {
		if p := m[1] + m[2]; isSecretPath(p) {
			found = true
			w.add("creds.read-secret-file", credential, lang+" code opens "+p+", which holds credentials")
			w.target(p)
		}
	}
	if m := computedFileAccess(lang, text); m != "" {
		found = true
		w.add("inline.dynamic-path", unknown, lang+" code opens, writes, moves or changes a file whose name it computes ("+m+"), which may be a credential or a file outside the workspace")
	}
	if !found {
		w.add("inline.run", write, lang+" runs inline code")
	}
}

var (
	// fileCall: a call of a file API whose first argument is not a string
	// literal (joinLiterals has already joined "a" + "b").
	fileCall = regexp.MustCompile(`\b(?:open|io\.open|os\.open|codecs\.open|readFileSync|readFile|writeFileSync|writeFile|appendFileSync|appendFile|createReadStream|createWriteStream|copyFileSync|copyFile|cpSync|renameSync|chmodSync|chownSync|openSync|truncateSync|symlinkSync|linkSync|read_text|read_bytes|write_text|write_bytes|File\.(?:read|write|open|binread|binwrite|readlines|foreach|rename|chmod|symlink)|IO\.(?:read|readlines|binread|write)|shutil\.(?:copy\w*|move)|os\.(?:rename|replace|chmod|chown|truncate|symlink|link)|file_get_contents|file_put_contents|fopen)\s*\(\s*([^'"\s)])`)
	// perlOpen: Perl's open of a computed name (open F, EXPR; open(my $f,
	// "<", EXPR)).
	perlOpen = regexp.MustCompile(`\bopen\s*\(?\s*(?:my\s+)?[$\w]+\s*,\s*(?:['"][<>+|]*['"]\s*,\s*)?([^'"\s])`)
	// awkGetline: getline from a computed file (getline l < ("." "env")).
	awkGetline = regexp.MustCompile(`getline\b[^<;}]*<\s*([^"\s])`)
	// pathBuilders build a path from parts: whatever they are given, the
	// file APIs then open it.
	pathBuilders    = regexp.MustCompile(`\bos\.path\.join\s*\(|\bos\.sep\b|\bPath\s*\.\s*home\s*\(|\bPath\s*\(\s*[^'")\s]|\bpathlib\b[^;\n]*/|\bpath\.(?:join|resolve)\s*\(|\bos\.homedir\s*\(|\bchr\s*\(|String\.fromCharCode|\bjoin\s*\(\s*['"]/['"]|\bFile\.join\s*\(|\bDir\.home\b|\bexpanduser\s*\(`)
	literalMember   = regexp.MustCompile(`\[\s*["'](\w+)["']\s*\]`)
	expandedLiteral = regexp.MustCompile(`(?:os\.path\.)?expanduser\s*\(\s*('[^']*'|"[^"]*")\s*\)`)
	fileAPI         = regexp.MustCompile(`\b(?:open|readFileSync|readFile|writeFileSync|writeFile|appendFileSync|createReadStream|createWriteStream|copyFileSync|renameSync|chmodSync|read_text|read_bytes|write_text|write_bytes|File\.\w+|IO\.\w+|shutil\.\w+|os\.(?:rename|replace|chmod|chown|truncate|symlink)|fopen|file_get_contents|file_put_contents|getline)\b`)
)

// computedFileAccess returns the call through which code opens, writes,
// moves or changes a file whose name it computes, or "". A literal name is
// judged as written (isSecretPath, the write rules); a computed one
// (chr(46) + "env", os.path.join(os.sep, "root", ".aws", "credentials"),
// Path.home() / ".ssh") cannot be, and is unknown.
func computedFileAccess(lang, text string) string {
	// expanduser('~/x') names its file as plainly as '~/x' does.
	text = expandedLiteral.ReplaceAllString(text, "$1")
	calls := fileCall
	switch lang {
	case "perl":
		calls = perlOpen // its first argument is the handle
	case "awk", "gawk", "mawk", "nawk":
		calls = awkGetline
	}
	if m := calls.FindString(text); m != "" {
		return strings.TrimSpace(m)
	}
	if fileAPI.MatchString(text) {
		if m := pathBuilders.FindString(text); m != "" {
			return strings.TrimSpace(m)
		}
	}
	return ""
}

var (
	awkCalls  = regexp.MustCompile(`\bsystem\s*\(|\|\s*getline|print[f]?[^;}]*\|`)
	awkOutput = regexp.MustCompile(`print[f]?[^;}|]*>>?\s*"([^"]*)"`)
	// awkComputedOutput: a print's file named by an expression
	// (ENVIRON["HOME"] "/.bashrc", a variable, a field).
	awkComputedOutput = regexp.MustCompile(`print[f]?[^;}|>]*>>?\s*([^"\s;}][^;}\n]*)`)
	awkAssign         = regexp.MustCompile(`(?:^|[;{\s])([A-Za-z_]\w*)\s*=\s*([^=;}\n][^;}\n]*)`)
	awkTerm           = regexp.MustCompile(`"((?:[^"\\]|\\.)*)"|ENVIRON\s*\[\s*"(\w+)"\s*\]|\$\w+|[A-Za-z_]\w*|\S`)
)

// awk programs can run commands with system(), pipes and getline. Which of
// the program's strings is the command is not worth guessing: each literal is
// classified as a command, and a call with no literal at all is unknown.
func (w *walker) awk(c *call, in input, depth int) {
	w.secretArgsGiven(c, "") // ARGV, and the error for a file it cannot open
	// -f FILE (--file, -fFILE): the program is in the file, or on standard
	// input, or in a process substitution; each is read as the program.
	files := false
	for i := 0; i < len(c.args); i++ {
		a := c.args[i]
		var f arg
		switch {
		case (a.s == "-f" || a.s == "--file") && i+1 < len(c.args):
			f = c.args[i+1]
			i++
		case strings.HasPrefix(a.s, "--file="):
			f = arg{s: strings.TrimPrefix(a.s, "--file="), dyn: a.dyn}
		case strings.HasPrefix(a.s, "-f") && len(a.s) > 2 && !a.dyn:
			f = arg{s: a.s[2:]}
		default:
			continue
		}
		files = true
		run := func(text string) { w.awkProgram(c, arg{s: text}, depth) }
		switch text, st := w.readScript(f.s); {
		case f.proc != nil:
			w.stdinProgram(c.name+" -f", w.procOutput(f.proc, depth), depth, run)
		case f.s == "-" || f.s == "/dev/stdin" || f.s == "/dev/fd/0" || f.s == "/proc/self/fd/0":
			w.stdinProgram(c.name+" -f", in, depth, run)
		case f.dyn || isFdPath(f.s) || st != fileKnown:
			w.add("inline.dynamic-program", unknown, c.name+" runs a program file Chaperone cannot read now: "+f.s)
		default:
			run(text)
		}
	}
	if files {
		return
	}
	var prog *arg
	// gawk -e and --source: every one given is part of the program, and
	// then no operand is.
	var sources arg
	for i := 0; i < len(c.args); i++ {
		a := c.args[i]
		switch {
		case (a.s == "-e" || a.s == "--source") && i+1 < len(c.args):
			sources.s += c.args[i+1].s + "\n"
			sources.dyn = sources.dyn || c.args[i+1].dyn
			prog = &sources
			i++
		case strings.HasPrefix(a.s, "--source="):
			sources.s += strings.TrimPrefix(a.s, "--source=") + "\n"
			sources.dyn = sources.dyn || a.dyn
			prog = &sources
		}
	}
	for i := 0; i < len(c.args) && prog == nil; i++ {
		a := c.args[i]
		if a.s == "-v" || a.s == "-F" {
			i++
			continue
		}
		if !strings.HasPrefix(a.s, "-") {
			prog = &c.args[i]
			break
		}
	}
	if prog == nil {
		return
	}
	if !prog.dyn && socketShell.MatchString(prog.s) {
		w.add("net.remote-shell", unknown, c.name+" joins a network socket to its commands (/inet/tcp): whoever is at the other end runs them")
	}
	w.awkProgram(c, *prog, depth)
}

// awkProgram judges an awk program's text: the files it prints to, the
// environment it walks, the commands it runs.
func (w *walker) awkProgram(c *call, p arg, depth int) {
	if m := computedFileAccess("awk", joinLiterals(p.s)); m != "" && !p.dyn {
		w.add("inline.dynamic-path", unknown, c.name+" reads a file whose name it computes ("+m+"), which may be a credential")
	}
	prog := &p
	for _, m := range awkOutput.FindAllStringSubmatch(prog.s, -1) {
		w.truncates(m[1], false, "awk print >")
	}
	for _, m := range awkComputedOutput.FindAllStringSubmatch(prog.s, -1) {
		if head, _, _ := strings.Cut(m[0], ">"); strings.Count(head, "(") > strings.Count(head, ")") {
			continue // print (a > b) compares
		}
		t, dyn := awkTarget(prog.s, m[1], 0)
		w.truncates(t, dyn || prog.dyn, "awk print >")
	}
	if envWhole.MatchString(prog.s) {
		w.add("creds.env-dump", credential, c.name+" walks ENVIRON: every environment variable, tokens included")
	}
	for _, m := range envRead.FindAllStringSubmatch(prog.s, -1) {
		if name := m[1] + m[2] + m[3] + m[4]; secretName(name) {
			w.add("creds.print-secret-var", credential, c.name+" reads ENVIRON[\""+name+"\"], which holds a credential")
		}
	}
	if !awkCalls.MatchString(prog.s) {
		return
	}
	if m := awkDynamic.FindString(prog.s); m != "" {
		w.add("inline.dynamic-exec", unknown, c.name+" runs a command built at run time ("+m+")")
		return
	}
	// awk joins juxtaposed strings: "cat .e" "nv" is one command.
	text := awkJuxtaposed.ReplaceAllString(prog.s, "")
	for _, m := range awkPrintPipe.FindAllStringSubmatch(text, -1) {
		w.fedCommand(c.name+" print |", m[1], depth+1) // what awk prints is its input
	}
	lits := anyLiteral.FindAllStringSubmatch(text, -1)
	if prog.dyn || len(lits) == 0 {
		w.add("inline.dynamic-exec", unknown, c.name+" runs a command built at run time")
		return
	}
	for _, m := range lits {
		w.script(m[1]+m[2], depth+1)
	}
}

var (
	awkJuxtaposed = regexp.MustCompile(`"\s+"`)
	awkPrintPipe  = regexp.MustCompile(`\bprint[f]?\b[^;}]*\|\s*"((?:[^"\\]|\\.)*)"`)
)

// homeRef and homeChange: code that builds a path from the home directory
// and moves, copies over, links, truncates, changes the mode of or
// deletes a file (os.rename(expanduser("~/.ssh"), ...), fs.renameSync(
// process.env.HOME + "/.aws", ...), copyfile("/dev/null", ~/.bashrc)).
var (
	homeRef    = regexp.MustCompile(`expanduser\(|Path\.home\(\)|homedir\(\)|process\.env\.HOME\b|process\.env\[['"]HOME['"]\]|environ\[['"]HOME['"]\]|environ\.get\(['"]HOME['"]|getenv\(['"]HOME['"]\)|\$ENV\{['"]?HOME['"]?\}|ENV\[['"]HOME['"]\]|Dir\.home|['"]~/|['"]/root/|['"]/home/`)
	homeChange = regexp.MustCompile(`\b(?:os\.rename|os\.renames|os\.replace|shutil\.move|shutil\.copy|shutil\.copy2|shutil\.copyfile|shutil\.copytree|shutil\.rmtree|shutil\.chown|os\.chmod|os\.chown|os\.lchown|os\.symlink|os\.link|os\.truncate|os\.remove|os\.removedirs|os\.rmdir|os\.unlink|os\.utime|renameSync|rename|copyFileSync|copyFile|cpSync|symlinkSync|linkSync|chmodSync|chownSync|truncateSync|rmSync|rmdirSync|unlinkSync|writeFileSync|writeFile|appendFileSync|write_text|write_bytes|unlink|rmdir|rmtree|chmod|symlink_to|hardlink_to|move|File\.rename|FileUtils\.\w+|File\.delete|File\.symlink)\s*\(`)
	// homeOpenWrite and homeBareCall: a file opened to write (open(p, "w"),
	// open(F, ">>", p)), and Perl's and Ruby's calls without parentheses
	// (rename glob("~/.ssh"), "x").
	homeOpenWrite = regexp.MustCompile(`\bf?open\s*\([^;]*?['"](?:[wax]\+?b?|\+?[<>]{1,2}[^'"]*)['"]`)
	homeBareCall  = regexp.MustCompile(`\b(?:rename|unlink|rmdir|rmtree|remove_tree|truncate|chmod|chown|symlink|link|move|copy)\s+[\w$@"'(]`)
	bareOpen      = regexp.MustCompile(`^f?open\s*\(`)
	// pipeOpen: perl's two-argument open and ruby's Kernel#open and IO
	// readers, whose name argument may be a command with a pipe.
	pipeOpen = regexp.MustCompile(`\b(?:open|IO\.(?:read|readlines|foreach|write|popen|binread))\s*\(?\s*(?:(?:my\s+)?[$\w]+\s*,\s*)?(["'])((?:[^"'\\]|\\.)*)["']`)
	// perlDynamicExec: system, exec or spawn of a value, not a literal
	// (system <STDIN>, exec $cmd, system @ARGV), or of what a function
	// returns, called without parentheses (system chr(114).chr(109), exec
	// join " ", @a).
	perlDynamicExec = regexp.MustCompile(`\b(?:system|exec|spawn)\s+(?:[$@<&]|([A-Za-z_][\w:]*)(?:\s*[(.]|\s+[$@"']))`)
)

// dynamicExecOf returns the call in text that runs a command made at run
// time without parentheses, or ""; qw(...) is a literal list.
func dynamicExecOf(text string) string {
	for _, m := range perlDynamicExec.FindAllStringSubmatch(text, -1) {
		if m[1] != "qw" {
			return m[0]
		}
	}
	return ""
}

// codeRename: a file moved away by code (os.rename, shutil.move,
// File.rename, fs.renameSync), its source named literally.
var codeRename = regexp.MustCompile(`\b(?:os\.rename|os\.replace|shutil\.move|File\.rename|FileUtils\.mv|fs\.renameSync|renameSync|rename)\s*\(?\s*['"]([^'"]+)['"]`)

// codeWritesSomewhere: code writing files whose names it computes
// (pathlib's glob then write_text, open(f, 'w') of a variable).
var codeWritesSomewhere = regexp.MustCompile(`\.write_(?:text|bytes)\s*\(|\bopen\s*\(\s*[A-Za-z_][\w.]*\s*,\s*['"][wa]|writeFileSync\s*\(\s*[A-Za-z_]|File\.write\s*\(\s*[A-Za-z_]|\bopenSync\s*\([^,)]*,\s*['"][wa]|createWriteStream\s*\(|\b(?:copyFileSync|cpSync)\s*\(|\bsysopen\b[^;]*O_TRUNC|\btruncate\s*\(?\s*[$A-Za-z_]|file_put_contents\s*\(\s*[$A-Za-z_]`)

// codeWritesHome: code writing, removing or appending to a path it builds
// from the home directory or a system one (homedir()+'/.bashrc',
// expanduser('~/.ssh/...'), Path.home() / ...).
var codeWritesHome = regexp.MustCompile(`(?:writeFileSync|writeFile|appendFileSync|appendFile|rmSync|unlinkSync|openSync|createWriteStream|copyFileSync|cpSync|file_put_contents|fopen|copy|open|write_text|write_bytes|unlink|remove|rmtree|File\.write|File\.open|IO\.write)\s*\(\s*(?:['"]/dev/null['"]\s*,\s*)?(?:[\w.]+\()?\s*(?:require\(['"]os['"]\)\.homedir\(\)|os\.homedir\(\)|homedir\(\)|os\.path\.expanduser\(|expanduser\(|Path\.home\(\)|process\.env\.HOME|process\.env\[['"]HOME['"]\]|os\.environ\[['"]HOME['"]\]|os\.getenv\(['"]HOME['"]\)|getenv\(['"]HOME['"]\)|\$_SERVER\[['"]HOME['"]\]|\$_ENV\[['"]HOME['"]\]|\$ENV\{['"]?HOME['"]?\}|ENV\[['"]HOME['"]\]|Dir\.home)|Path\.home\(\)\s*/[^)\n]*\)\s*\.\s*(?:write_text|write_bytes|unlink|rmdir|touch|open\(\s*['"][wa])`)

// dynamicCode: what each language uses to call a function or run code
// named only at run time (eval, getattr with a computed name, a member
// looked up by a string built in the code, decoded payloads): what such
// code does cannot be read from its text.
var dynamicCode = map[string]*regexp.Regexp{
	"python": regexp.MustCompile(`\\x[0-9a-fA-F]{2}|\\[0-7]{3}|\\u[0-9a-fA-F]{4}|=\s*getattr\b|__dict__|\bvars\s*\(|create_subprocess_(?:shell|exec)|\bopen\(\s*[A-Za-z_]\w*\s*,\s*['"][wax]|\beval\s*\(|\bcompile\s*\(|\bgetattr\s*\([^)]*\+|\bgetattr\s*\(\s*[\w.]+\s*,\s*[^'"\s]|__import__\s*\(\s*[^'"\s]|__import__\s*\([^)]*\+|\bimportlib\b|\bglobals\s*\(\s*\)|\blocals\s*\(\s*\)|__builtins__|\bb64decode\b|\bcodecs\.decode|\bmarshal\.loads|\bpickle\.loads|\bctypes\b`),
	"node":   regexp.MustCompile(`\beval\b|\bimport\s*\(\s*['"` + "`" + `]https?:|\bDeno\.(?:Command|run)\b|\\x[0-9a-fA-F]{2}|\\u[0-9a-fA-F]{4}|\beval\s*\(|\bnew\s+Function\b|\bFunction\s*\(|\bvm\.\w+|\brequire\s*\(\s*[^'"\x60\s]|\brequire\s*\([^)]*\+|\]\s*\(|\bimport\s*\(\s*[^'"\x60\s]|\bBuffer\.from\b|\batob\s*\(|\bprocess\.binding\b|\bReflect\.apply\b`),
	"perl":   regexp.MustCompile(`\bopen\s*\(?\s*(?:my\s+)?[\w$]+\s*,\s*['"]\s*(?:\||-\|)|\beval\s*(?:[$"'(]|pack|unpack|decode|q|[a-z_]\w*\s*\()|\b(?:system|exec)\s*\(?\s*[$@]|\bpack\s*\(|\bMIME::Base64\b|&\$\w+|->\$`),
	"ruby":   regexp.MustCompile(`\b(?:send|public_send|__send__|instance_eval|class_eval|module_eval|instance_exec|eval|constantize|const_get|method)\s*[\(:]|\bBase64\.|\.unpack1?\b|\b(?:system|exec|spawn)\s*\(?\s*[a-z_@$]\w*\s*(?:$|[);\n])`),
	"php":    regexp.MustCompile(`\b(?:popen|proc_open|pcntl_exec)\s*\(|\$\w+\s*\(|\bcall_user_func|\beval\s*\(|\bbase64_decode\b|\bcreate_function\b|\barray_map\s*\(|\barray_walk\s*\(|\bassert\s*\(|\bpreg_replace\s*\(|\bReflectionFunction\b|\bforward_static_call|\b(?:system|exec|passthru|shell_exec|popen|proc_open)\s*\(\s*\$`),
	"lua":    regexp.MustCompile(`\bload(?:string)?\s*\(|\bdofile\b|\brequire\s*\(\s*[^'"\s]|\bos\.execute\s*\(\s*[^'"\s]`),
}

// awkDynamic: system() of anything but a string literal (a variable,
// sprintf, ENVIRON).
var awkDynamic = regexp.MustCompile(`\bsystem\s*\(\s*[^"\s]|ENVIRON`)

// fileWrites are more calls that write or replace the file their
// (destination) argument names, in Python, JavaScript, Ruby and Perl.
// codeAppends: files code opens to append or to write in place.
var codeAppends = regexp.MustCompile(`\bopen\s*\(\s*['"]([^'"]+)['"]\s*,\s*['"](?:a|ab|a\+|r\+|rb\+|r\+b)['"]|appendFileSync\s*\(\s*['"]([^'"]+)['"]|File\.open\(\s*['"]([^'"]+)['"]\s*,\s*['"](?:a|r\+)|file_put_contents\(\s*['"]([^'"]+)['"][^)]*FILE_APPEND`)

var fileWrites = []*regexp.Regexp{
	regexp.MustCompile(`Path\(\s*['"]([^'"]+)['"]\s*\)\s*\.\s*(?:write_text|write_bytes|unlink|rmdir|touch|open\(\s*['"][wa])`),
	regexp.MustCompile(`shutil\.(?:move|copy|copy2|copyfile|copytree)\(\s*['"][^'"]*['"]\s*,\s*['"]([^'"]+)['"]`),
	regexp.MustCompile(`\bos\.(?:rename|replace)\(\s*['"][^'"]*['"]\s*,\s*['"]([^'"]+)['"]`),
	regexp.MustCompile(`(?:copyFileSync|copyFile|renameSync|cpSync)\(\s*['"][^'"]*['"]\s*,\s*['"]([^'"]+)['"]`),
	regexp.MustCompile(`(?:IO|File)\.(?:write|binwrite)\(\s*['"]([^'"]+)['"]|File\.open\(\s*['"]([^'"]+)['"]\s*,\s*['"][wa]`),
	regexp.MustCompile(`\bopen\s*\(?\s*(?:my\s+)?[\w$]+\s*,\s*['"]\s*\+?>{1,2}\s*([^'"|]+)['"]`),
	regexp.MustCompile(`\bopen\s*\(?\s*(?:my\s+)?[\w$]+\s*,\s*['"]\+?>{1,2}['"]\s*,\s*['"]([^'"]+)['"]`),
	regexp.MustCompile(`\btruncate\s*\(?\s*['"]([^'"]+)['"]`),
	// os.open / fs.openSync with a truncating or creating flag.
	regexp.MustCompile(`\b(?:os\.open|openSync|fs\.open|sysopen)\s*\(\s*(?:[\w$]+\s*,\s*)?['"]([^'"]+)['"]\s*,[^)]*(?:O_TRUNC|O_CREAT|['"]w\+?['"])`),
}

var (
	writeCalls = regexp.MustCompile(`(?:writeFileSync|writeFile|write_text|write_bytes|File\.write|file_put_contents|truncateSync)\(\s*['"]([^'"]+)['"]|open\(\s*['"]([^'"]+)['"]\s*,\s*['"]w`)
	envRead    = regexp.MustCompile(`(?:os\.environb?(?:\.get)?[\[(]\s*b?|os\.getenvb?\(\s*b?|getenv\(\s*|ENV\[\s*|ENV\.fetch\(\s*|ENVIRON\[\s*)['"](\w+)['"]|(?:process|Bun)\.env\.(\w+)|(?:process\.env|process\s*\[\s*['"]env['"]\s*\])\[\s*['"` + "`" + `](\w+)['"` + "`" + `]|\$ENV\{['"]?(\w+)`)
	printCall  = regexp.MustCompile(`\b(?:print|console\.(?:log|error|info)|puts|p|pp|echo|printf|say|write|dump|var_dump|print_r)\b`)
	// star imports bring these names in unqualified.
	starNames = map[string][]string{
		"subprocess": {"run", "call", "Popen", "check_output", "check_call", "getoutput", "getstatusoutput"},
		"os":         {"system", "popen", "remove", "unlink", "rmdir", "removedirs", "execv", "execvp", "execl", "execlp"},
		"shutil":     {"rmtree"},
		"pty":        {"spawn"},
	}
	pyStar       = regexp.MustCompile(`\bfrom\s+(\w+)\s+import\s+\*`)
	pyImportAs   = regexp.MustCompile(`\bimport\s+([\w.]+)\s+as\s+(\w+)`)
	pyFromImport = regexp.MustCompile(`\bfrom\s+([\w.]+)\s+import\s+\(?([\w\s,]+?)\)?\s*(?:$|[;\n])`)
	pyDunder     = regexp.MustCompile(`(?:__import__|importlib\.import_module)\(\s*['"]([\w.]+)['"]\s*\)`)
	pyGetattr    = regexp.MustCompile(`getattr\(\s*([\w.]+)\s*,\s*['"](\w+)['"]\s*\)`)
	jsRequire    = regexp.MustCompile(`(?:const|let|var)\s+\{([^}]*)\}\s*=\s*require\(\s*['"](?:node:)?([\w/]+)['"]\s*\)`)
	jsImport     = regexp.MustCompile(`import\s+\{([^}]*)\}\s+from\s+['"](?:node:)?([\w/]+)['"]`)
	jsNamespace  = regexp.MustCompile(`(?:(?:const|let|var)\s+(\w+)\s*=\s*require\(\s*['"](?:node:)?([\w/]+)['"]\s*\)|import\s+\*\s+as\s+(\w+)\s+from\s+['"](?:node:)?([\w/]+)['"])`)
)

// canonicalImports rewrites names bound by imports to what they name
// (import shutil as s; s.rmtree -> shutil.rmtree, const {execSync: run} =
// require('child_process'); run( -> child_process.execSync(), so the calls
// are recognised however they are spelt.
func canonicalImports(lang, text string) string {
	type bind struct{ name, full string }
	var binds []bind
	switch lang {
	case "python":
		text = pyDunder.ReplaceAllString(text, "$1")
		text = pyGetattr.ReplaceAllString(text, "$1.$2")
		for _, m := range pyImportAs.FindAllStringSubmatch(text, -1) {
			binds = append(binds, bind{m[2], m[1]})
		}
		for _, m := range pyStar.FindAllStringSubmatch(text, -1) {
			for _, n := range starNames[m[1]] {
				binds = append(binds, bind{n, m[1] + "." + n})
			}
		}
		for _, m := range pyFromImport.FindAllStringSubmatch(text, -1) {
			for _, part := range strings.Split(m[2], ",") {
				f := strings.Fields(part)
				switch {
				case len(f) == 3 && f[1] == "as":
					binds = append(binds, bind{f[2], m[1] + "." + f[0]})
				case len(f) == 1:
					binds = append(binds, bind{f[0], m[1] + "." + f[0]})
				}
			}
		}
	case "node":
		for _, re := range []*regexp.Regexp{jsRequire, jsImport} {
			for _, m := range re.FindAllStringSubmatch(text, -1) {
				for _, part := range strings.Split(m[1], ",") {
					k, v, ok := strings.Cut(part, ":")
					if !ok {
						k, v, ok = strings.Cut(part, " as ")
					}
					k = strings.TrimSpace(k)
					if !ok {
						v = k
					}
					if v = strings.TrimSpace(v); v != "" {
						binds = append(binds, bind{v, m[2] + "." + k})
					}
				}
			}
		}
		for _, m := range jsNamespace.FindAllStringSubmatch(text, -1) {
			if m[1] != "" {
				binds = append(binds, bind{m[1], m[2]})
			} else {
				binds = append(binds, bind{m[3], m[4]})
			}
		}
	}
	for _, b := range binds {
		if b.name == "" || b.name == b.full {
			continue
		}
		re, err := regexp.Compile(`(^|[^\w.])` + regexp.QuoteMeta(b.name) + `\b`)
		if err != nil {
			continue
		}
		text = re.ReplaceAllString(text, "${1}"+strings.ReplaceAll(b.full, "/", "_"))
	}
	return text
}

// callArgs reads the literal arguments of a call: strings, a list of
// strings, or qw(...). ok is false when an argument is built at run time
// (concatenation, formatting, a variable).
func callArgs(s string) (lits []string, list, ok bool) {
	i := 0
	skip := func() {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
	}
	str := func() (string, bool) {
		q := s[i]
		if i+1 < len(s) && s[i:i+2] == "f'" || s[i:min(i+2, len(s))] == `f"` {
			return "", false
		}
		if q == 'r' || q == 'b' {
			i++
			q = s[i]
		}
		if q != '`' && strings.HasPrefix(s[i:], strings.Repeat(string(q), 3)) {
			// A triple-quoted string runs to the next three quotes.
			end := strings.Index(s[i+3:], strings.Repeat(string(q), 3))
			if end < 0 {
				return "", false
			}
			l := s[i+3 : i+3+end]
			i += 6 + end
			return l, true
		}
		j := i + 1
		var b strings.Builder
		for ; j < len(s) && s[j] != q; j++ {
			if s[j] == '\\' && j+1 < len(s) {
				j++
			}
			if q == '`' && s[j] == '$' && j+1 < len(s) && s[j+1] == '{' {
				return "", false
			}
			b.WriteByte(s[j])
		}
		if j >= len(s) {
			return "", false
		}
		i = j + 1
		return b.String(), true
	}
	skip()
	if i < len(s) && s[i] == '(' {
		i++
	}
	adjacent := false // the last token was a string literal
	for i < len(s) {
		skip()
		if i >= len(s) {
			break
		}
		if c := s[i]; !(c == '"' || c == '\'' || c == '`' || (c == 'r' || c == 'b') && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\'')) {
			adjacent = false
		}
		switch c := s[i]; {
		case c == '[':
			list = true
			i++
		case c == ']':
			i++
		case c == '"' || c == '\'' || c == '`' || (c == 'r' || c == 'b') && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\''):
			l, good := str()
			if !good {
				return nil, false, false
			}
			if adjacent {
				// 'r' 'm -rf ~': literals side by side are one string
				// (Python, Ruby, C).
				lits[len(lits)-1] += l
			} else {
				lits = append(lits, l)
			}
			adjacent = true
			continue
		case strings.HasPrefix(s[i:], "qw"):
			end := strings.IndexAny(s[i+3:], ")}/]")
			if end < 0 {
				return nil, false, false
			}
			lits = append(lits, strings.Fields(s[i+3:i+3+end])...)
			list = true
			i += 4 + end
		case c == ',':
			i++
		case c == ')' || c == ';' || c == '\n':
			return lits, list, true
		case strings.HasPrefix(s[i:], ".split()"):
			if len(lits) == 1 {
				lits, list = strings.Fields(lits[0]), true
			}
			i += len(".split()")
		default:
			// keyword arguments (shell=True, check=True, cwd=...) do not
			// change what runs; anything else is built at run time.
			j := i
			for j < len(s) && (s[j] == '_' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= '0' && s[j] <= '9') {
				j++
			}
			if j > i && j < len(s) && s[j] == '=' && (j+1 >= len(s) || s[j+1] != '=') {
				i = j + 1
				skip()
				if i < len(s) && (s[i] == '"' || s[i] == '\'') {
					if _, good := str(); !good {
						return nil, false, false
					}
					continue
				}
				for i < len(s) && s[i] != ',' && s[i] != ')' {
					i++
				}
				continue
			}
			return nil, false, false
		}
	}
	return lits, list, true
}

// valuedFlags are interpreters' options whose value is the next word: not
// the program, which is the first word after the options.
var valuedFlags = map[string][]string{
	"python": {"-W", "-X", "-m", "--check-hash-based-pycs"},
	"node":   {"-r", "--require", "--import", "--loader", "--experimental-loader", "-C", "--conditions", "--input-type", "--title", "--env-file", "--inspect-port", "--redirect-warnings", "--openssl-config", "--icu-data-dir", "--disable-warning", "--watch-path"},
	"nodejs": {"-r", "--require", "--import", "--loader", "--experimental-loader", "-C", "--conditions", "--input-type", "--title", "--env-file"},
	"bun":    {"-r", "--preload", "--require", "--import", "--cwd", "--env-file", "--config", "-c", "--tsconfig-override"},
	"ruby":   {"-I", "-r", "-C", "-E", "-F", "--encoding", "--external-encoding", "--internal-encoding"},
	"perl":   {"-I", "-x"},
	"php":    {"-c", "-d", "-z", "-f"},
}

// gluedCode: interpreters that take code glued to its option (-c'...').
var gluedCode = map[string]bool{"python": true, "perl": true, "ruby": true, "php": true, "lua": true, "Rscript": false}

// clusterSwitches are the switches without a value that may come before -e
// in one cluster: perl -lne 'code', ruby -pe 'code', node -pe 'code'.
var clusterSwitches = map[string]string{"perl": "alnpswWtTuU0", "ruby": "alnpswdvWU", "node": "p", "nodejs": "p", "bun": "p",
	"python": "bBdEhiIOPqsSuvVx"}

// codeCluster reads a cluster like -lne or -pe'code': ok when it ends in
// the code option, with the code glued after it, or "" when the next
// argument holds it.
func codeCluster(lang, a string) (string, bool) {
	switches, known := clusterSwitches[lang]
	if !known || len(a) < 3 || a[0] != '-' || a[1] == '-' {
		return "", false
	}
	for i := 1; i < len(a); i++ {
		switch {
		case a[i] == 'e' && lang != "python" || a[i] == 'E' && lang == "perl" || a[i] == 'c' && lang == "python":
			return a[i+1:], i > 1
		case !strings.ContainsRune(switches, rune(a[i])):
			return "", false
		}
	}
	return "", false
}

// Libraries whose calls run commands by name: Python's sh (sh.rm("-rf", p),
// sh.Command("rm")(...)) and plumbum (plumbum.cmd.rm[...], local["rm"]),
// the template-literal shells of zx, execa and Bun ($`rm -rf ~`), and
// AppleScript's do shell script.
var (
	pyShCall      = regexp.MustCompile(`\bsh\.([a-z]\w*)\s*\(`)
	pyShCommand   = regexp.MustCompile(`\bsh\.Command\(\s*(?:['"]([^'"]+)['"]\s*)?`)
	plumbumCall   = regexp.MustCompile(`\bplumbum\.(?:cmd\.(\w+)|local\[\s*(?:['"]([^'"]+)['"]\s*\])?)`)
	templateShell = regexp.MustCompile("\\$`([^`]*)`")
	appleShell    = regexp.MustCompile(`do shell script\s+"((?:[^"\\]|\\.)*)"`)
)

// libraryCommands classifies the commands such libraries run, and reports
// whether it found any. A command whose name or arguments are built at run
// time is unknown.
func (w *walker) libraryCommands(lang, text string, depth int) bool {
	found := false
	run := func(name, rest string) {
		found = true
		if name == "" {
			w.add("inline.dynamic-exec", unknown, lang+" code runs a command built at run time")
			return
		}
		argv := []arg{{s: name}}
		if lits, _, ok := callArgs(rest); ok {
			for _, l := range lits {
				argv = append(argv, arg{s: l})
			}
		} else {
			argv = append(argv, arg{s: "$ARGS", dyn: true})
		}
		w.command(argv, input{}, depth+1)
	}
	switch lang {
	case "python", "python3", "python2", "pypy", "pypy3":
		for _, m := range pyShCall.FindAllStringSubmatchIndex(text, -1) {
			// sh maps underscores to dashes: sh.google_chrome is google-chrome.
			run(strings.ReplaceAll(text[m[2]:m[3]], "_", "-"), text[m[1]:])
		}
		for _, m := range pyShCommand.FindAllStringSubmatchIndex(text, -1) {
			name, rest := "", text[m[1]:]
			if m[2] >= 0 {
				name = text[m[2]:m[3]]
				rest = strings.TrimPrefix(strings.TrimSpace(rest), ")")
			}
			run(name, rest)
		}
		for _, m := range plumbumCall.FindAllStringSubmatchIndex(text, -1) {
			name := ""
			switch {
			case m[2] >= 0:
				name = text[m[2]:m[3]]
			case m[4] >= 0:
				name = text[m[4]:m[5]]
			}
			rest := text[m[1]:]
			if strings.HasPrefix(rest, "[") {
				// rm["-rf", p](): the arguments are the subscript.
				if end := strings.IndexByte(rest, ']'); end > 0 {
					rest = rest[:end+1]
				}
			}
			run(name, rest)
		}
	case "node", "nodejs", "bun", "deno", "tsx", "ts-node":
		for _, m := range templateShell.FindAllStringSubmatch(text, -1) {
			found = true
			if strings.Contains(m[1], "${") {
				w.add("inline.dynamic-exec", unknown, lang+" code runs a command built at run time")
				continue
			}
			w.script(m[1], depth+1)
		}
	case "osascript":
		for _, m := range appleShell.FindAllStringSubmatch(text, -1) {
			found = true
			w.script(strings.NewReplacer(`\"`, `"`, `\\`, `\`).Replace(m[1]), depth+1)
		}
	}
	return found
}

// awkTarget renders an awk expression naming a file as the shell would
// write it: literals joined, ENVIRON["HOME"] as $HOME, a variable by the
// value the program gives it; anything else (a field, a call) is only
// known at run time.
func awkTarget(prog, expr string, depth int) (string, bool) {
	var b strings.Builder
	dyn := false
	for _, m := range awkTerm.FindAllStringSubmatch(strings.TrimSpace(expr), -1) {
		switch t := m[0]; {
		case strings.HasPrefix(t, `"`):
			b.WriteString(strings.ReplaceAll(m[1], `\"`, `"`))
		case m[2] != "":
			b.WriteString("$" + m[2])
			dyn = true
		case t == "(" || t == ")":
		case isLetters(t[:1]) || t[0] == '_':
			v := ""
			for _, a := range awkAssign.FindAllStringSubmatch(prog, -1) {
				if a[1] == t {
					v = a[2]
				}
			}
			if v == "" || depth > 3 {
				b.WriteString("$" + t)
				dyn = true
				continue
			}
			s, d := awkTarget(prog, v, depth+1)
			b.WriteString(s)
			dyn = dyn || d
		default:
			b.WriteString(t)
			dyn = true
		}
	}
	return b.String(), dyn
}

// pythonModule judges python -m MODULE ARGS: the debugger runs the Python
// its -c commands give (pdb -c '!import os; ...') and then the program it
// is given; other modules are programs of their own.
func (w *walker) pythonModule(c *call, rest []arg, in input, depth int) {
	if len(rest) == 0 {
		return
	}
	mod := rest[0]
	switch {
	case mod.dyn:
		w.add("inline.dynamic-program", unknown, c.name+" -m runs a module only known at run time: "+mod.s)
	case mod.s == "pdb":
		args := rest[1:]
		for i := 0; i < len(args); i++ {
			switch a := args[i]; {
			case (a.s == "-c" || a.s == "--command") && i+1 < len(args):
				i++
				cmd := args[i]
				cmd.s = strings.TrimPrefix(strings.TrimSpace(cmd.s), "!")
				w.code("python", cmd, depth)
			case strings.HasPrefix(a.s, "-"):
			default:
				if _, st := w.readScript(a.s); st != fileMissing && !a.dyn {
					w.runFile(a.s, c.name, "python", depth, false)
				} else {
					w.add("inline.run-script", write, c.name+" -m pdb runs the program file "+a.s)
				}
				return
			}
		}
	case mod.s == "venv" && slices.ContainsFunc(rest, func(a arg) bool { return a.s == "--clear" }):
		// venv --clear DIR empties DIR first.
		for _, a := range rest[1:] {
			if !strings.HasPrefix(a.s, "-") && c.lands(a) {
				w.add("fs.rm-recursive", destructive, c.name+" -m venv --clear empties "+a.s+", outside the workspace")
				w.target(a.s)
			}
		}
	case (mod.s == "pip" || mod.s == "pip3") && !w.fileThere("pip.py") && !w.fileThere("pip/__init__.py"):
		w.command(append([]arg{{s: "pip"}}, rest[1:]...), in, depth) // python -m pip is pip
	case w.runPythonModule(c.name+" -m "+mod.s+",", mod.s, true, depth):
		// A module of the workspace, or one shadowing the installed one.
	case w.pythonRunnerModule(c.name, mod.s, rest[1:], depth):
	default:
		w.add("inline.run-module", write, c.name+" -m runs the module "+mod.s)
	}
}

// bunBuiltins are bun's own commands, which a package script of the same
// name does not replace.
var bunBuiltins = map[string]bool{"test": true, "x": true, "repl": true, "exec": true, "build": true, "init": true, "create": true,
	"upgrade": true, "pm": true, "link": true, "unlink": true, "remove": true, "rm": true, "update": true, "outdated": true, "publish": true,
	"patch": true, "audit": true, "info": true, "install": true, "i": true, "add": true, "a": true}

// homeChangeAny is the first call in text that changes a file, in any of
// the forms homeChange, homeOpenWrite and homeBareCall know.
func homeChangeAny(text string) string {
	for _, re := range []*regexp.Regexp{homeChange, homeOpenWrite, homeBareCall} {
		if m := re.FindString(text); m != "" {
			return m
		}
	}
	return ""
}

// envObject is a reference to the environment as a whole object: Python's
// os.environ and os.environb, Node's process.env and Bun's and Deno's.
var envObject = regexp.MustCompile(`\b(?:environb?|process\.env|Bun\.env|Deno\.env\.toObject\(\))\b|\{\s*env\s*\}\s*=\s*process\b|\bprocess\s*\[\s*["'` + "`" + `]env["'` + "`" + `]\s*\]\s*|\bReflect\.get\(\s*process\s*,\s*["'` + "`" + `]env["'` + "`" + `]\s*\)`)

// wholeEnvRef says whether text uses the environment object other than to
// look one variable up (environ["X"], environ.get("X"), process.env.X): as
// a whole, it is every token in it ({**os.environ}, {...process.env},
// e = os.environ; dict(e)).
func wholeEnvRef(text string) bool {
	for _, loc := range envObject.FindAllStringIndex(text, -1) {
		m := text[loc[0]:loc[1]]
		if strings.Contains(m, "{") || strings.HasSuffix(m, "()") {
			return true
		}
		rest := strings.TrimLeft(text[loc[1]:], " \t")
		switch {
		case strings.HasPrefix(rest, "["), strings.HasPrefix(rest, ".get("), strings.HasPrefix(rest, ".pop("),
			strings.HasPrefix(rest, ".setdefault("), strings.HasPrefix(rest, ".__getitem__("):
			continue
		case strings.HasPrefix(rest, ".") && m == "process.env":
			continue // process.env.NAME
		case strings.HasPrefix(m, "process") && m != "process.env" && (strings.HasPrefix(rest, ".") || strings.HasPrefix(rest, "[")):
			continue // process["env"].NAME: one variable, judged by envRead
		}
		return true
	}
	return false
}
