package shell

import (
	"encoding/json"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"go.yaml.in/yaml/v3"
)

// Task runners run the commands their task file names: `just fmt` runs
// the justfile's fmt recipe and what it depends on, whatever its name
// says. As for make and npm scripts, the task asked for is found in the
// file it is read from, with its dependencies, and each command is judged
// as if typed. A file that does not parse is unknown; code (a Rakefile,
// tasks.py, noxfile.py) is read as its language.

// task is what a task file says a task runs.
type task struct {
	cmds []string // shell command lines
	deps []string // other tasks run first (or as steps)
}

// taskFile is a runner's file, read: its tasks, the one run when none is
// named, and whether every task runs (tox, a Procfile).
type taskFile struct {
	name     string
	tasks    map[string]task
	first    string
	all      bool
	includes string // a directive that brings tasks from elsewhere, when there is one
}

// includeDirective: a task file taking tasks from another file or place.
var includeDirective = regexp.MustCompile(`(?m)^\s*(?:import\s|mod\s|includes\s*:|include\s*=|\[tool\.poe\]\s*\n\s*include|"extends"\s*:|file\s*=)`)

// taskRun reports which tool is a task runner, the file it reads, and the
// tasks asked for. ok is false for anything else.
func taskRun(c *call) (files []string, names []string, ok bool) {
	ops := func(n int) []string {
		var out []string
		for _, p := range c.operands(n) {
			if !p.afterFlag && !strings.HasPrefix(p.s, "-") {
				out = append(out, p.s)
			}
		}
		return out
	}
	file := func(def []string, opts ...string) []string {
		if v, ok := c.flagValue(opts...); ok {
			return []string{v}
		}
		return def
	}
	switch c.name {
	case "just":
		return file([]string{"justfile", "Justfile", ".justfile", "JUSTFILE"}, "-f", "--justfile"), ops(0), true
	case "task", "go-task":
		return file([]string{"Taskfile.yml", "Taskfile.yaml", "taskfile.yml", "taskfile.yaml", "Taskfile.dist.yml"}, "-t", "--taskfile"), ops(0), true
	case "deno":
		if c.sub("task") {
			return file([]string{"deno.json", "deno.jsonc", "package.json"}, "--config", "-c"), ops(1)[:min(1, len(ops(1)))], true
		}
	case "composer":
		if c.sub("run-script") || c.sub("run") {
			return []string{"composer.json"}, ops(1)[:min(1, len(ops(1)))], true
		}
		if n := ops(0); len(n) > 0 && !slices.Contains(composerCommands, n[0]) {
			return []string{"composer.json"}, n[:1], true // composer fmt: a script by its name
		}
	case "pixi":
		if c.sub("run") || c.sub("r") {
			return []string{"pixi.toml", "pyproject.toml"}, ops(1)[:min(1, len(ops(1)))], true
		}
	case "rye":
		if c.sub("run") {
			return []string{"pyproject.toml"}, ops(1)[:min(1, len(ops(1)))], true
		}
	case "devbox":
		if c.sub("run") {
			return []string{"devbox.json"}, ops(1)[:min(1, len(ops(1)))], true
		}
	case "mise":
		if n := ops(0); len(n) > 0 && !slices.Contains(miseCommands, n[0]) {
			return []string{"mise.toml", ".mise.toml", "mise/config.toml", ".config/mise.toml"}, n[:1], true // mise TASK
		}
		if c.sub("run") || c.sub("r") || c.sub("tasks", "run") {
			n := 1
			if c.sub("tasks", "run") {
				n = 2
			}
			return []string{"mise.toml", ".mise.toml", "mise/config.toml", ".config/mise.toml"}, ops(n), true
		}
	case "poe":
		return []string{"pyproject.toml", "poe_tasks.toml"}, ops(0)[:min(1, len(ops(0)))], true
	case "pdm":
		if c.sub("run") {
			return []string{"pyproject.toml"}, ops(1)[:min(1, len(ops(1)))], true
		}
	case "hatch":
		if c.sub("run") {
			n := ops(1)
			if len(n) > 0 {
				_, s, ok := strings.Cut(n[0], ":")
				if !ok {
					s = n[0]
				}
				return []string{"pyproject.toml", "hatch.toml"}, []string{s}, true
			}
		}
	case "tox":
		return []string{"tox.ini"}, nil, true
	case "cargo":
		if c.sub("make") || c.sub("make-task") {
			return file([]string{"Makefile.toml"}, "--makefile"), ops(1), true
		}
	case "cargo-make", "makers":
		return file([]string{"Makefile.toml"}, "--makefile"), ops(0), true
	case "foreman", "honcho", "overmind", "hivemind", "goreman":
		if c.sub("start") || c.sub("s") || c.name == "hivemind" {
			return file([]string{"Procfile"}, "-f", "--procfile"), nil, true
		}
	case "rake":
		return file([]string{"Rakefile", "rakefile", "Rakefile.rb"}, "-f", "--rakefile"), nil, true
	case "invoke", "inv":
		return []string{"tasks.py"}, nil, true
	case "nox":
		return file([]string{"noxfile.py"}, "-f", "--noxfile"), nil, true
	case "fab":
		return []string{"fabfile.py"}, nil, true
	}
	return nil, nil, false
}

// rakeShell: rake's sh "cmd" (and sh 'cmd', sh("cmd")).
var rakeShell = regexp.MustCompile(`\bsh\s*\(?\s*(["'])((?:[^"'\\]|\\.)*)["']`)

// miseCommands are mise's own, not tasks.
var miseCommands = strings.Fields("activate alias backends bin-paths cache completion config deactivate doctor en env exec x fmt generate implode install i install-into latest link ls list ls-remote outdated plugins prune registry reshim run r search self-update set settings shell sh sync tasks test-tool tool trust uninstall unset unuse upgrade up use u version watch w where which help")

// composerCommands are composer's own, not scripts.
var composerCommands = strings.Fields("about archive audit browse bump check-platform-reqs clear-cache config create-project depends diagnose dump-autoload dumpautoload exec fund global help init install i licenses list outdated prohibits reinstall remove require run-script run search self-update selfupdate show info status suggests update u upgrade validate why why-not")

// taskFiles judges the commands a task runner will run.
func (w *walker) taskFiles(c *call, depth int) {
	files, names, ok := taskRun(c)
	if !ok || depth > maxDepth {
		return
	}
	if c.has("-l", "--list", "--summary", "--show", "-s", "--dry-run", "-n", "--help", "-h", "--version", "-V", "--evaluate", "--dump",
		"--list-all", "-a", "--json", "--init", "--fmt", "--edit", "--variables", "--status", "--completion") && (c.name == "just" || c.name == "task" || c.name == "go-task") {
		return // it lists, shows or rehearses its tasks
	}
	for _, f := range files {
		text, st := w.readScript(f)
		switch st {
		case fileMissing:
			continue
		case fileUnknowable:
			w.add("shell.task-unknown", unknown, c.name+" runs the tasks in "+f+", whose content is only known at run time")
			return
		}
		switch c.name {
		case "rake":
			w.code("ruby", arg{s: text}, depth+1)
			for _, m := range rakeShell.FindAllStringSubmatch(text, -1) {
				w.taskCommand(c.name, f, m[2], depth) // sh "cmd": rake's own way to run one
			}
			return
		case "invoke", "inv", "nox", "fab":
			w.code("python", arg{s: text}, depth+1)
			return
		}
		tf, err := parseTaskFile(c.name, path.Base(f), text)
		if tf != nil {
			if m := includeDirective.FindString(text); m != "" {
				tf.includes = strings.TrimSpace(m)
			}
			w.fileTasks(c.name, tf)
		}
		if err != nil {
			w.add("shell.task-unknown", unknown, c.name+" runs tasks from "+f+", which Chaperone cannot read: "+err.Error())
			return
		}
		if tf == nil {
			continue // a file without this runner's tasks (package.json for deno)
		}
		w.runTasks(c.name, tf, names, depth)
		return
	}
	if c.name == "mise" {
		// No configuration file: its file tasks alone.
		tf := &taskFile{name: "mise tasks", tasks: map[string]task{}}
		w.fileTasks(c.name, tf)
		if len(tf.tasks) > 0 {
			w.runTasks(c.name, tf, names, depth)
		}
	}
}

// runTasks judges the named tasks (or the default one) and their
// dependencies, each once.
func (w *walker) runTasks(tool string, tf *taskFile, names []string, depth int) {
	var queue []string
	if tf.all {
		for n := range tf.tasks {
			queue = append(queue, n)
		}
		slices.Sort(queue)
	} else {
		found := false
		for _, n := range names {
			for _, cand := range []string{"pre_" + n, n, "post_" + n} { // pdm's and npm's hooks
				if _, ok := tf.tasks[cand]; ok {
					queue = append(queue, cand)
					found = found || cand == n
				}
			}
		}
		if len(names) > 0 && !found {
			// The runner finds it where this reading does not (an alias, an
			// included file, a namespace, a file task): every task the file
			// holds is judged, and an include it does not follow is unknown.
			if tf.includes != "" {
				w.add("shell.task-unknown", unknown, tool+" may take "+names[0]+" from "+tf.includes+", which Chaperone does not follow")
			}
			for n := range tf.tasks {
				queue = append(queue, n)
			}
			slices.Sort(queue)
		}
		if len(queue) == 0 && len(names) == 0 && tf.first != "" {
			queue = append(queue, tf.first)
		}
	}
	seen := map[string]bool{}
	for len(queue) > 0 && len(seen) < 64 {
		n := queue[0]
		queue = queue[1:]
		if seen[n] {
			continue
		}
		seen[n] = true
		t := tf.tasks[n]
		queue = append(queue, t.deps...)
		for _, cmd := range t.cmds {
			w.taskCommand(tool, tf.name, cmd, depth)
		}
	}
}

// interpolation: a task file's own variables ({{x}}, ${x}, {x}); their
// values are only known when the runner runs.
var interpolation = regexp.MustCompile(`\{\{[^}]*\}\}`)

func (w *walker) taskCommand(tool, file, cmd string, depth int) {
	cmd = strings.TrimSpace(cmd)
	if strings.HasPrefix(cmd, "#!") {
		first, rest, _ := strings.Cut(cmd, "\n")
		switch interp := baseName(strings.Fields(strings.TrimPrefix(first, "#!") + " x")[0]); {
		case interp == "env" && strings.Contains(first, "python") || strings.HasPrefix(interp, "python"):
			w.code("python", arg{s: rest}, depth+1)
		case interp == "env" && strings.Contains(first, "node") || interp == "node":
			w.code("node", arg{s: rest}, depth+1)
		case isShell(interp) || interp == "env" && (strings.Contains(first, "bash") || strings.Contains(first, "sh")):
			w.scriptSized(rest, depth+1)
		default:
			w.add("shell.task-unknown", unknown, tool+" runs a task of "+file+" written for "+first+", which Chaperone does not read")
		}
		return
	}
	cmd = interpolation.ReplaceAllString(cmd, "$TASK_VALUE")
	w.scriptSized(cmd, depth+1)
}

// parseTaskFile reads a runner's task file.
func parseTaskFile(tool, base, text string) (*taskFile, error) {
	switch tool {
	case "just":
		return parseJustfile(base, text), nil
	case "task", "go-task":
		return parseTaskfile(base, text)
	case "deno":
		return parseDenoTasks(base, text)
	case "composer":
		return parseComposer(base, text)
	case "foreman", "honcho", "overmind", "hivemind", "goreman":
		return parseProcfile(base, text), nil
	case "devbox":
		var doc struct {
			Shell struct {
				Scripts map[string]any `json:"scripts"`
			} `json:"shell"`
		}
		if err := json.Unmarshal([]byte(stripJSONComments(text)), &doc); err != nil {
			return nil, err
		}
		tf := &taskFile{name: base, tasks: map[string]task{}}
		for n, v := range doc.Shell.Scripts {
			tf.tasks[n] = task{cmds: anyStrings(v)}
		}
		return tf, nil
	case "tox":
		return parseTox(base, text), nil
	}
	var doc map[string]any
	if err := toml.Unmarshal([]byte(text), &doc); err != nil {
		return nil, err
	}
	switch tool {
	case "mise":
		return tomlTasks(base, dig(doc, "tasks"), "run", "depends"), nil
	case "poe":
		if base == "poe_tasks.toml" {
			return tomlTasks(base, dig(doc, "tasks"), "cmd", "deps"), nil
		}
		return tomlTasks(base, dig(doc, "tool", "poe", "tasks"), "cmd", "deps"), nil
	case "pixi":
		if base == "pyproject.toml" {
			return tomlTasks(base, dig(doc, "tool", "pixi", "tasks"), "cmd", "depends-on"), nil
		}
		return tomlTasks(base, dig(doc, "tasks"), "cmd", "depends-on"), nil
	case "rye":
		return tomlTasks(base, dig(doc, "tool", "rye", "scripts"), "cmd", "chain"), nil
	case "pdm":
		return tomlTasks(base, dig(doc, "tool", "pdm", "scripts"), "cmd", "composite"), nil
	case "hatch":
		tf := &taskFile{name: base, tasks: map[string]task{}}
		envs, _ := dig(doc, "tool", "hatch", "envs").(map[string]any)
		if base == "hatch.toml" {
			envs, _ = dig(doc, "envs").(map[string]any)
		}
		for _, e := range envs {
			if em, ok := e.(map[string]any); ok {
				for n, t := range tomlTasks(base, em["scripts"], "cmd", "").tasks {
					prev := tf.tasks[n]
					prev.cmds = append(prev.cmds, t.cmds...)
					prev.deps = append(prev.deps, t.deps...)
					tf.tasks[n] = prev
				}
			}
		}
		return tf, nil
	case "cargo", "cargo-make", "makers":
		tf := tomlTasks(base, dig(doc, "tasks"), "script", "dependencies")
		if ts, ok := dig(doc, "tasks").(map[string]any); ok {
			for n, t := range ts {
				if tm, ok := t.(map[string]any); ok {
					if cmd, ok := tm["command"].(string); ok {
						line := cmd
						for _, a := range anyStrings(tm["args"]) {
							line += " '" + strings.ReplaceAll(a, "'", `'\''`) + "'"
						}
						tk := tf.tasks[n]
						tk.cmds = append(tk.cmds, line)
						tf.tasks[n] = tk
					}
				}
			}
		}
		return tf, nil
	}
	return nil, nil
}

func dig(m map[string]any, keys ...string) any {
	var cur any = m
	for _, k := range keys {
		cm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = cm[k]
	}
	return cur
}

func anyStrings(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, e := range t {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// tomlTasks reads a table of tasks given as a command, a list of commands,
// or a table with the command under cmdKey (shell, script, run and cmd
// alike) and other tasks under depKey.
func tomlTasks(base string, v any, cmdKey, depKey string) *taskFile {
	tf := &taskFile{name: base, tasks: map[string]task{}}
	m, _ := v.(map[string]any)
	aliases := map[string]string{}
	defer func() {
		for a, n := range aliases {
			if _, ok := tf.tasks[a]; !ok {
				tf.tasks[a] = task{deps: []string{n}}
			}
		}
	}()
	for n, t := range m {
		var tk task
		switch tv := t.(type) {
		case string, []any:
			for _, e := range anyStrings(tv) {
				if _, isTask := m[e]; isTask && e != n {
					tk.deps = append(tk.deps, e) // poe's and hatch's lists name other tasks
				} else {
					tk.cmds = append(tk.cmds, e)
				}
			}
		case map[string]any:
			for _, k := range []string{"ref"} {
				for _, d := range anyStrings(tv[k]) {
					tk.deps = append(tk.deps, strings.Fields(d + " x")[0])
				}
			}
			for _, a := range anyStrings(tv["alias"]) {
				aliases[a] = n
			}
			for _, f := range anyStrings(tv["file"]) {
				tk.cmds = append(tk.cmds, "sh "+f) // mise: a script file is the task
			}
			for _, k := range []string{cmdKey, "cmd", "shell", "run", "script", "command"} {
				tk.cmds = append(tk.cmds, anyStrings(tv[k])...)
			}
			for _, k := range []string{depKey, "deps", "depends", "sequence", "composite", "dependencies"} {
				for _, d := range anyStrings(tv[k]) {
					if _, isTask := m[d]; isTask {
						tk.deps = append(tk.deps, d)
					} else {
						tk.cmds = append(tk.cmds, d) // a step given as a command
					}
				}
			}
			if seq, ok := tv["sequence"].([]any); ok {
				for _, s := range seq {
					if sm, ok := s.(map[string]any); ok {
						tk.cmds = append(tk.cmds, anyStrings(sm["cmd"])...)
						tk.cmds = append(tk.cmds, anyStrings(sm["shell"])...)
					}
				}
			}
		}
		// pdm and mise call other tasks by name in a command too.
		tf.tasks[n] = tk
	}
	return tf
}

// justRecipe: a recipe's header at the start of a line (name, parameters,
// a colon, its dependencies), not an assignment (:=) or a setting.
var justRecipe = regexp.MustCompile(`^@?([A-Za-z_][\w-]*)((?:\s+[^:=\s][^:=]*)?)\s*:([^=].*|)$`)

// justArgs: arguments given to a dependency, (build "x").
var justArgs = regexp.MustCompile(`\([^)]*\)`)

func parseJustfile(base, text string) *taskFile {
	tf := &taskFile{name: base, tasks: map[string]task{}}
	cur := ""
	aliases := map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		if line == "" || strings.HasPrefix(strings.TrimSpace(line), "#") && !strings.HasPrefix(strings.TrimSpace(line), "#!") {
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			if cur != "" {
				t := tf.tasks[cur]
				l := strings.TrimLeft(strings.TrimSpace(line), "@-")
				if len(t.cmds) > 0 && strings.HasPrefix(t.cmds[0], "#!") {
					t.cmds[0] += "\n" + strings.TrimSpace(line) // a shebang recipe is one script
				} else {
					t.cmds = append(t.cmds, l)
				}
				tf.tasks[cur] = t
			}
			continue
		}
		cur = ""
		if strings.HasPrefix(line, "alias ") {
			if a, b, ok := strings.Cut(strings.TrimPrefix(line, "alias "), ":="); ok {
				aliases[strings.TrimSpace(a)] = strings.TrimSpace(b)
			}
			continue
		}
		if strings.HasPrefix(line, "[") || strings.HasPrefix(line, "set ") || strings.HasPrefix(line, "export ") || strings.HasPrefix(line, "import ") || strings.HasPrefix(line, "mod ") {
			continue
		}
		m := justRecipe.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		cur = m[1]
		if tf.first == "" {
			tf.first = cur
		}
		var t task
		deps := justArgs.ReplaceAllString(strings.ReplaceAll(m[3], "&&", " "), "")
		for _, d := range strings.Fields(deps) {
			if !strings.ContainsAny(d, "'\"#") {
				t.deps = append(t.deps, d)
			}
		}
		tf.tasks[cur] = t
	}
	for a, b := range aliases {
		if _, ok := tf.tasks[a]; !ok {
			tf.tasks[a] = task{deps: []string{b}}
		}
	}
	if _, ok := tf.tasks["default"]; ok && tf.first == "" {
		tf.first = "default"
	}
	return tf
}

func parseTaskfile(base, text string) (*taskFile, error) {
	var doc struct {
		Tasks map[string]any `yaml:"tasks"`
	}
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		return nil, err
	}
	tf := &taskFile{name: base, tasks: map[string]task{}, first: "default"}
	for n, t := range doc.Tasks {
		var tk task
		switch tv := t.(type) {
		case string, []any:
			tk.cmds = anyStrings(tv)
		case map[string]any:
			for _, a := range anyStrings(tv["aliases"]) {
				defer func(a, n string) {
					if _, ok := tf.tasks[a]; !ok {
						tf.tasks[a] = task{deps: []string{n}}
					}
				}(a, n)
			}
			items, _ := tv["cmds"].([]any)
			if s, ok := tv["cmd"].(string); ok {
				tk.cmds = append(tk.cmds, s)
			}
			for _, it := range items {
				switch iv := it.(type) {
				case string:
					tk.cmds = append(tk.cmds, iv)
				case map[string]any:
					tk.cmds = append(tk.cmds, anyStrings(iv["cmd"])...)
					tk.deps = append(tk.deps, anyStrings(iv["task"])...)
				}
			}
			deps, _ := tv["deps"].([]any)
			for _, d := range deps {
				switch dv := d.(type) {
				case string:
					tk.deps = append(tk.deps, dv)
				case map[string]any:
					tk.deps = append(tk.deps, anyStrings(dv["task"])...)
				}
			}
		}
		tf.tasks[n] = tk
	}
	return tf, nil
}

func parseDenoTasks(base, text string) (*taskFile, error) {
	var doc struct {
		Tasks map[string]json.RawMessage `json:"tasks"`
	}
	if err := json.Unmarshal([]byte(stripJSONComments(text)), &doc); err != nil {
		return nil, err
	}
	if doc.Tasks == nil {
		return nil, nil
	}
	tf := &taskFile{name: base, tasks: map[string]task{}}
	for n, raw := range doc.Tasks {
		var s string
		var obj struct {
			Command      string   `json:"command"`
			Dependencies []string `json:"dependencies"`
		}
		switch {
		case json.Unmarshal(raw, &s) == nil:
			tf.tasks[n] = task{cmds: []string{s}}
		case json.Unmarshal(raw, &obj) == nil:
			tf.tasks[n] = task{cmds: []string{obj.Command}, deps: obj.Dependencies}
		}
	}
	return tf, nil
}

// stripJSONComments drops // and /* */ comments outside strings (jsonc).
func stripJSONComments(s string) string {
	var b strings.Builder
	inStr := false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case inStr:
			b.WriteByte(ch)
			if ch == '\\' && i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			} else if ch == '"' {
				inStr = false
			}
		case ch == '"':
			inStr = true
			b.WriteByte(ch)
		case ch == '/' && i+1 < len(s) && s[i+1] == '/':
			for i < len(s) && s[i] != '\n' {
				i++
			}
			b.WriteByte('\n')
		case ch == '/' && i+1 < len(s) && s[i+1] == '*':
			end := strings.Index(s[i+2:], "*/")
			if end < 0 {
				return b.String()
			}
			i += end + 3
		default:
			b.WriteByte(ch)
		}
	}
	return b.String()
}

func parseComposer(base, text string) (*taskFile, error) {
	var doc struct {
		Scripts map[string]json.RawMessage `json:"scripts"`
	}
	if err := json.Unmarshal([]byte(text), &doc); err != nil {
		return nil, err
	}
	tf := &taskFile{name: base, tasks: map[string]task{}}
	for n, raw := range doc.Scripts {
		var one string
		var many []string
		if json.Unmarshal(raw, &one) == nil {
			many = []string{one}
		} else if json.Unmarshal(raw, &many) != nil {
			continue
		}
		var tk task
		for _, s := range many {
			switch {
			case strings.HasPrefix(s, "@php "):
				tk.cmds = append(tk.cmds, "php "+strings.TrimPrefix(s, "@php "))
			case strings.HasPrefix(s, "@composer "):
				tk.cmds = append(tk.cmds, "composer "+strings.TrimPrefix(s, "@composer "))
			case strings.HasPrefix(s, "@putenv "):
			case strings.HasPrefix(s, "@"):
				tk.deps = append(tk.deps, strings.Fields(strings.TrimPrefix(s, "@") + " x")[0])
			case strings.Contains(s, "::") && !strings.Contains(s, " "):
				// A PHP callback: code Chaperone does not read.
				tk.cmds = append(tk.cmds, "#!php "+s)
			default:
				tk.cmds = append(tk.cmds, s)
			}
		}
		tf.tasks[n] = tk
	}
	return tf, nil
}

func parseProcfile(base, text string) *taskFile {
	tf := &taskFile{name: base, tasks: map[string]task{}, all: true}
	for _, line := range strings.Split(text, "\n") {
		if n, cmd, ok := strings.Cut(line, ":"); ok && !strings.HasPrefix(strings.TrimSpace(line), "#") {
			tf.tasks[strings.TrimSpace(n)] = task{cmds: []string{cmd}}
		}
	}
	return tf
}

// parseTox reads every environment's commands (and commands_pre/post):
// tox without -e runs its list, and each may be named.
func parseTox(base, text string) *taskFile {
	tf := &taskFile{name: base, tasks: map[string]task{}, all: true}
	section, key := "", ""
	for _, line := range strings.Split(text, "\n") {
		t := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(t, "["):
			section, key = strings.Trim(t, "[]"), ""
		case t == "" || strings.HasPrefix(t, "#") || strings.HasPrefix(t, ";"):
		case line[0] != ' ' && line[0] != '\t':
			k, v, _ := strings.Cut(t, "=")
			key = strings.TrimSpace(k)
			if strings.HasPrefix(key, "commands") && strings.TrimSpace(v) != "" {
				tk := tf.tasks[section]
				tk.cmds = append(tk.cmds, strings.TrimPrefix(strings.TrimSpace(v), "- "))
				tf.tasks[section] = tk
			}
		case strings.HasPrefix(key, "commands"):
			tk := tf.tasks[section]
			tk.cmds = append(tk.cmds, strings.TrimPrefix(t, "- "))
			tf.tasks[section] = tk
		}
	}
	return tf
}

// fileTasks adds mise's file tasks (mise-tasks/NAME, .mise/tasks/NAME) and
// its tasks' file = "script": scripts run as the task.
func (w *walker) fileTasks(tool string, tf *taskFile) {
	if tool != "mise" {
		return
	}
	for _, dir := range []string{"mise-tasks", ".mise/tasks", ".mise-tasks", ".config/mise/tasks", "mise/tasks"} {
		full := w.resolve(dir)
		if full == "" {
			continue
		}
		entries, err := os.ReadDir(full)
		if err != nil {
			continue
		}
		for _, e := range entries {
			if e.IsDir() || len(tf.tasks) > 256 {
				continue
			}
			if text, st := w.readScript(path.Join(dir, e.Name())); st == fileKnown {
				name := strings.TrimSuffix(e.Name(), path.Ext(e.Name()))
				tf.tasks[name] = task{cmds: []string{text}}
			}
		}
	}
}
