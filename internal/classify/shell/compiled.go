package shell

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// `go run .` runs the workspace's Go code, and `go generate` runs the
// commands its //go:generate lines name; every cargo build runs build.rs,
// and `cargo run` the program. (Tests are not read: their fixtures drop
// and delete as a matter of course.) Code the agent wrote in an earlier call
// runs then as surely as a script does. The packages a call names are
// read (bounded), and what their code plainly runs, deletes, truncates or
// sends to a database is judged as if typed: a command's argument vector,
// a path removed, a statement.

const maxCompiledFiles = 400

var (
	goExec      = regexp.MustCompile(`\bexec\.Command(?:Context)?\(\s*(?:[A-Za-z_][\w.]*\s*,\s*)?((?:"(?:[^"\\\n]|\\.)*"|` + "`[^`]*`" + `)(?:\s*,\s*(?:"(?:[^"\\\n]|\\.)*"|` + "`[^`]*`" + `))*)`)
	goRemove    = regexp.MustCompile(`\bos\.(RemoveAll|Remove)\(\s*"((?:[^"\\\n]|\\.)*)"`)
	goTruncate  = regexp.MustCompile(`\bos\.(?:WriteFile|Create|Truncate|OpenFile)\(\s*"((?:[^"\\\n]|\\.)*)"`)
	goSQL       = regexp.MustCompile(`\.(?:Exec|ExecContext|Query|QueryContext|QueryRow|QueryRowContext|MustExec|Raw)\(\s*(?:[A-Za-z_][\w.]*\s*,\s*)?("(?:[^"\\\n]|\\.)*"|` + "`[^`]*`" + `)`)
	goGenerate  = regexp.MustCompile(`(?m)^//go:generate\s+(.+)$`)
	goLiteral   = regexp.MustCompile(`"(?:[^"\\\n]|\\.)*"|` + "`[^`]*`")
	rustCommand = regexp.MustCompile(`Command::new\(\s*"((?:[^"\\\n]|\\.)*)"\s*\)((?:\s*\.\s*args?\(\s*(?:"(?:[^"\\\n]|\\.)*"|&?\[[^\]]*\])\s*\))*)`)
	rustRemove  = regexp.MustCompile(`\b(?:std::)?fs::(remove_dir_all|remove_file|remove_dir)\(\s*"((?:[^"\\\n]|\\.)*)"`)
	rustSQL     = regexp.MustCompile(`\b(?:sqlx::query|\.execute|\.batch_execute|client\.query)\(\s*(r#?"(?:[^"\\]|\\.)*"#?|"(?:[^"\\\n]|\\.)*")`)
)

// compiledRun judges the code a Go or Cargo command runs.
func (w *walker) compiledRun(c *call, depth int) {
	if depth > maxDepth {
		return
	}
	switch {
	case c.name == "go" && (c.sub("run") || c.sub("generate")):
		verb := c.subAt(0)
		var targets []string
		for _, p := range c.operands(1) {
			if p.dyn {
				w.add("shell.program-code", unknown, "go "+verb+" runs a package only known at run time")
				return
			}
			if !p.afterFlag && !strings.HasPrefix(p.s, "-") {
				targets = append(targets, p.s)
				if verb == "run" && !strings.HasSuffix(p.s, ".go") {
					break // go run PKG ARGS...: the rest are the program's
				}
			}
		}
		if len(targets) == 0 {
			targets = []string{"."}
		}
		for _, f := range w.sourceFiles(targets, ".go", verb == "generate") {
			var text string
			var st readState
			if _, written := w.ws.written[w.resolve(f)]; verb == "generate" && !written {
				// Only its directives are read: a direct, bounded read that
				// does not spend the budget scripts are read with.
				text, st = directiveLines(w.resolve(f))
			} else {
				text, st = w.readScript(f)
			}
			if st == fileUnknowable {
				w.add("shell.program-code", unknown, "go "+verb+" runs "+f+", whose content is only known at run time")
				continue
			}
			if st != fileKnown {
				continue
			}
			if verb == "generate" {
				for _, m := range goGenerate.FindAllStringSubmatch(text, -1) {
					w.script(m[1], depth+1)
				}
				continue
			}
			w.goCode(text, depth)
		}
	case c.name == "cargo" && (c.sub("run") || c.sub("test") || c.sub("build") || c.sub("bench") || c.sub("check")):
		// Every cargo build runs build.rs; cargo run runs the program too.
		for _, f := range w.sourceFiles([]string{"./..."}, ".rs", true) {
			if filepath.Base(f) != "build.rs" && !(c.sub("run") && strings.Contains(filepath.ToSlash(f), "/src/")) {
				continue
			}
			if text, st := w.readScript(f); st == fileKnown {
				w.rustCode(text, depth)
			}
		}
	}
}

// sourceFiles lists the source files of the packages named (a file, a
// directory, or DIR/... for every package under it), bounded.
func (w *walker) sourceFiles(targets []string, ext string, tests bool) []string {
	var out []string
	add := func(p string) {
		if len(out) < maxCompiledFiles && strings.HasSuffix(p, ext) && (tests || !strings.HasSuffix(p, "_test.go")) {
			out = append(out, p)
		}
	}
	for _, t := range targets {
		if strings.HasSuffix(t, ext) {
			add(t)
			continue
		}
		recursive := strings.HasSuffix(t, "/...") || t == "..."
		dir := strings.TrimSuffix(strings.TrimSuffix(t, "..."), "/")
		if dir == "" {
			dir = "."
		}
		if !strings.HasPrefix(dir, ".") && !strings.HasPrefix(dir, "/") {
			continue // an import path: a module's code, not the workspace's
		}
		full := w.resolve(dir)
		if full == "" {
			continue
		}
		_ = filepath.WalkDir(full, func(p string, d fs.DirEntry, err error) error {
			if err != nil || len(out) >= maxCompiledFiles {
				return filepath.SkipDir
			}
			if d.IsDir() {
				name := d.Name()
				if p != full && (!recursive || name == "vendor" || name == "testdata" || name == "node_modules" || name == "target" || strings.HasPrefix(name, ".")) {
					return filepath.SkipDir
				}
				return nil
			}
			add(p)
			return nil
		})
	}
	return out
}

// goString reads a Go string literal.
func goString(lit string) string {
	if strings.HasPrefix(lit, "`") {
		return strings.Trim(lit, "`")
	}
	if s, err := strconv.Unquote(lit); err == nil {
		return s
	}
	return strings.Trim(lit, `"`)
}

func (w *walker) goCode(text string, depth int) {
	for _, m := range goExec.FindAllStringSubmatch(text, -1) {
		var argv []arg
		for _, lit := range goLiteral.FindAllString(m[1], -1) {
			argv = append(argv, arg{s: goString(lit)})
		}
		if len(argv) > 0 {
			w.command(argv, input{}, depth+1)
		}
	}
	for _, m := range goRemove.FindAllStringSubmatch(text, -1) {
		flag := "-f"
		if m[1] == "RemoveAll" {
			flag = "-rf"
		}
		w.command([]arg{{s: "rm"}, {s: flag}, {s: goString(`"` + m[2] + `"`)}}, input{}, depth+1)
	}
	for _, m := range goTruncate.FindAllStringSubmatch(text, -1) {
		w.command([]arg{{s: "truncate"}, {s: "-s0"}, {s: goString(`"` + m[1] + `"`)}}, input{}, depth+1)
	}
	for _, m := range goSQL.FindAllStringSubmatch(text, -1) {
		if s := goString(m[1]); sqlShaped(s) {
			w.statements("postgres", "go code", arg{s: s})
		}
	}
	if m := destructiveMethod.FindString(text); m != "" && cloudSDKGo.MatchString(text) {
		w.add("inline.destructive-call", destructive, "go code calls "+strings.TrimSuffix(m, "(")+", which deletes or stops what it names")
	}
	if m := sdkGoDelete.FindString(text); m != "" && cloudSDKGo.MatchString(text) {
		w.add("inline.destructive-call", destructive, "go code calls "+strings.TrimSuffix(m, "(")+" on a cloud SDK, which deletes or stops what it names")
	}
}

var (
	cloudSDKGo  = regexp.MustCompile(`"github\.com/aws/aws-sdk-go|"cloud\.google\.com/go|"github\.com/Azure/azure-sdk-for-go|"k8s\.io/client-go|"github\.com/digitalocean/godo`)
	sdkGoDelete = regexp.MustCompile(`\.(?:Delete|Terminate|Drop|Purge|Destroy)[A-Z]?\w*\(`)
	// sqlShaped: a string that starts as a statement does.
	sqlShapedRe = regexp.MustCompile(`(?i)^\s*(?:DROP|DELETE|TRUNCATE|UPDATE|ALTER|INSERT|CREATE|GRANT|REVOKE|SELECT|WITH|MERGE|COPY)\b`)
)

func sqlShaped(s string) bool { return sqlShapedRe.MatchString(s) }

func (w *walker) rustCode(text string, depth int) {
	for _, m := range rustCommand.FindAllStringSubmatch(text, -1) {
		argv := []arg{{s: goString(`"` + m[1] + `"`)}}
		for _, lit := range goLiteral.FindAllString(m[2], -1) {
			argv = append(argv, arg{s: goString(lit)})
		}
		w.command(argv, input{}, depth+1)
	}
	for _, m := range rustRemove.FindAllStringSubmatch(text, -1) {
		flag := "-f"
		if m[1] != "remove_file" {
			flag = "-rf"
		}
		w.command([]arg{{s: "rm"}, {s: flag}, {s: m[2]}}, input{}, depth+1)
	}
	for _, m := range rustSQL.FindAllStringSubmatch(text, -1) {
		s := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(m[1], "r"), "#"), "#")
		if s = strings.Trim(s, `"`); sqlShaped(s) {
			w.statements("postgres", "rust code", arg{s: s})
		}
	}
}

// directiveLines reads a Go file's //go:generate lines.
func directiveLines(f string) (string, readState) {
	data, err := os.ReadFile(f)
	if err != nil {
		return "", fileMissing
	}
	if len(data) > 4*MaxScript {
		return "", fileUnknowable
	}
	var b strings.Builder
	for _, m := range goGenerate.FindAllString(string(data), -1) {
		b.WriteString(m)
		b.WriteByte('\n')
	}
	return b.String(), fileKnown
}
