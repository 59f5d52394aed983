package shell

import (
	"regexp"
	"strings"
)

// codeFlags are the options that pass program text inline, per interpreter.
var codeFlags = map[string][]string{
	"python": {"-c"}, "node": {"-e", "--eval", "-p", "--print"}, "nodejs": {"-e", "--eval", "-p", "--print"},
	"bun": {"-e", "--eval", "-p", "--print"}, "ruby": {"-e"}, "perl": {"-e", "-E"}, "php": {"-r"},
	"lua": {"-e"}, "Rscript": {"-e"}, "osascript": {"-e"}, "tsx": {"-e", "--eval"}, "ts-node": {"-e", "--eval"},
}

func (w *walker) interpreter(c *call, in input, depth int) {
	lang := c.name
	if strings.HasPrefix(lang, "python") || strings.HasPrefix(lang, "pypy") {
		lang = "python"
	}
	if lang == "deno" {
		if c.sub("eval") && len(c.pos) > 1 {
			w.code("node", c.pos[1].arg, depth)
		} else {
			w.add("inline.run-script", write, "deno runs a program")
		}
		return
	}
	for i, a := range c.args {
		for _, f := range codeFlags[lang] {
			if a.s == f && i+1 < len(c.args) {
				w.code(lang, c.args[i+1], depth)
				return
			}
			// -c'code' / -e"code" glued to the flag
			if len(f) == 2 && strings.HasPrefix(a.s, f) && len(a.s) > 2 && !strings.HasPrefix(a.s, "--") && (lang != "python" || a.s[1] == 'c') {
				w.code(lang, arg{s: a.s[2:], dyn: a.dyn}, depth)
				return
			}
		}
		if !strings.HasPrefix(a.s, "-") {
			// Framework entry points carry their own destructive commands.
			if b := baseName(a.s); b == "manage.py" || b == "artisan" {
				w.program(parseCall(b, c.args[i+1:]), in)
				return
			}
			w.add("inline.run-script", write, c.name+" runs the program file "+a.s)
			return
		}
	}
	w.stdinProgram(c.name, in, depth, func(text string) { w.code(lang, arg{s: text}, depth) })
}

var (
	// Calls that run a shell command, per language family.
	execCalls = regexp.MustCompile(`\b(?:os\.system|os\.popen|subprocess\.(?:run|call|Popen|check_output|check_call|getoutput|getstatusoutput)|os\.exec[lv]p?e?|pty\.spawn|execSync|exec|execFile|execFileSync|spawn|spawnSync|system|shell_exec|passthru|popen|proc_open|IO\.popen|Open3\.\w+|Kernel\.system)\s*\(`)
	// Backquotes (ruby, perl, php) and %x() / qx() run a shell command.
	backquotes = regexp.MustCompile("`([^`]*)`|%x\\(([^)]*)\\)|qx[({/]([^)}/]*)[)}/]")
	// Calls that delete or truncate directly.
	deleteCalls = regexp.MustCompile(`\b(?:shutil\.rmtree|os\.remove|os\.unlink|os\.rmdir|os\.removedirs|os\.truncate|\.unlink\(|\.rmdir\(|rmtree|remove_tree|rm_rf|rm_r|FileUtils\.rm|FileUtils\.remove\w*|File\.delete|Dir\.rmdir|fs\.rm|rmSync|fs\.rmdir|rmdirSync|fs\.unlink|unlinkSync|fsPromises\.rm|rimraf|unlink\s*\(|rmdir\s*\(|dropDatabase|DROP\s+(?:TABLE|DATABASE|SCHEMA))`)
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
	text := a.s
	found := false
	for _, loc := range execCalls.FindAllStringIndex(text, -1) {
		found = true
		rest := text[loc[1]:]
		pyExec := lang == "python" && strings.HasPrefix(text[loc[0]:], "exec")
		if m := strLiteral.FindStringSubmatch(rest); m != nil {
			if pyExec { // Python's exec runs Python, not a shell
				w.code(lang, arg{s: m[1] + m[2]}, depth+1)
			} else {
				w.script(m[1]+m[2], depth+1)
			}
			continue
		}
		if m := listLiteral.FindStringSubmatch(rest); m != nil {
			var args []arg
			for _, lm := range anyLiteral.FindAllStringSubmatch(m[1], -1) {
				args = append(args, arg{s: lm[1] + lm[2]})
			}
			if len(args) > 0 && len(args) == strings.Count(m[1], ",")+1 {
				w.command(args, input{}, depth+1)
				continue
			}
		}
		w.add("inline.dynamic-exec", unknown, lang+" code runs a command built at run time")
	}
	if lang != "python" && lang != "node" {
		for _, m := range backquotes.FindAllStringSubmatch(text, -1) {
			found = true
			w.script(m[1]+m[2]+m[3], depth+1)
		}
	}
	if m := deleteCalls.FindString(text); m != "" {
		found = true
		w.add("inline.delete", destructive, lang+" code deletes ("+strings.TrimSuffix(m, "(")+")")
	}
	if envDump.MatchString(text) {
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
	if !found {
		w.add("inline.run", write, lang+" runs inline code")
	}
}

var (
	awkCalls  = regexp.MustCompile(`\bsystem\s*\(|\|\s*getline|print[f]?[^;}]*\|`)
	awkOutput = regexp.MustCompile(`print[f]?[^;}|]*>>?\s*"([^"]*)"`)
)

// awk programs can run commands with system(), pipes and getline. Which of
// the program's strings is the command is not worth guessing: each literal is
// classified as a command, and a call with no literal at all is unknown.
func (w *walker) awk(c *call, depth int) {
	if c.has("-f", "--file") {
		w.add("inline.run-script", write, c.name+" runs a program file")
		return
	}
	var prog *arg
	for i := 0; i < len(c.args); i++ {
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
	for _, m := range awkOutput.FindAllStringSubmatch(prog.s, -1) {
		w.truncates(m[1], false, "awk print >")
	}
	if !awkCalls.MatchString(prog.s) {
		return
	}
	lits := anyLiteral.FindAllStringSubmatch(prog.s, -1)
	if prog.dyn || len(lits) == 0 {
		w.add("inline.dynamic-exec", unknown, c.name+" runs a command built at run time")
		return
	}
	for _, m := range lits {
		w.script(m[1]+m[2], depth+1)
	}
}
