package shell

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Files that tools run the commands of, or mount the host with: compose
// files, Kubernetes manifests, Ansible playbooks, Taskfiles, pre-commit
// configurations, Terraform's local-exec and external data. Whoever runs
// the tool runs what the file says.

// manifestCommand: a YAML key whose value a tool runs as a command line,
// or a list item under one.
var manifestCommand = regexp.MustCompile(`(?m)^\s*-?\s*(?:cmd|cmds|command|commands|run|shell|script|entry|args|before_script|after_script|raw|ansible\.builtin\.(?:shell|command|raw))\s*:\s*(.+)$|^\s*-\s+(.+)$`)

// hostMount: the host's root, a home, the system's directories or the
// container runtime's socket given to a container.
var hostMount = regexp.MustCompile(`(?m)^\s*-\s*["']?(?:/|~|\$HOME|\$\{HOME\}|/home|/root|/etc|/var/run/docker\.sock)(?:/[^:"']*)?:|hostPath["']?\s*:|privileged["']?\s*:\s*["']?true|hostPID["']?\s*:\s*["']?true|pid["']?\s*:\s*["']?host|(?:docker|containerd|podman|crio)\.sock|source["']?\s*:\s*["']?/["']?\s*$|cap_add\s*:[^\n]*(?:SYS_ADMIN|ALL)|-\s*["']?(?:CAP_)?SYS_ADMIN`)

// terraformRuns: a provisioner or data source that runs a local command.
var terraformRuns = regexp.MustCompile(`"local-exec"|data\s+"external"|provisioner\s+"local-exec"|"remote-exec"`)

// manifest judges a file a tool runs: its commands as commands, a host
// mount as unknown.
func (w *walker) manifest(tool, name, text string, depth int) {
	if m := hostMount.FindString(text); m != "" {
		w.add("file.host-mount", unknown, fmt.Sprintf("%s gives a container the host (%s in %s)", tool, strings.TrimSpace(m), name))
	}
	for _, m := range manifestCommand.FindAllStringSubmatch(text, -1) {
		if v := strings.TrimSpace(m[1] + m[2]); strings.HasPrefix(v, "[") {
			// command: ["psql", "-c", "DROP DATABASE app"]: an argument
			// vector, run without a shell.
			var argv []string
			if yaml.Unmarshal([]byte(v), &argv) == nil && len(argv) > 0 {
				args := make([]arg, len(argv))
				for i, a := range argv {
					args[i] = arg{s: a}
				}
				w.command(args, input{}, depth+1)
				continue
			}
		}
		line := strings.Trim(strings.TrimSpace(m[1]+m[2]), `"'[]`)
		if line == "" || strings.HasSuffix(line, ":") || strings.HasSuffix(line, "|") || strings.HasSuffix(line, ">") {
			continue
		}
		w.script(line, depth+1)
	}
	// The lines above miss what YAML spells over several lines (run: |,
	// folded > scalars, quoted strings broken across lines) and JSON
	// manifests: the file is also read as the tool reads it, as YAML
	// documents, and each command value is judged whole.
	w.manifestCommands(text, depth)
}

// manifestCommands judges the command values of YAML or JSON text
// (manifestValues): command lines as scripts, argument vectors as commands.
func (w *walker) manifestCommands(text string, depth int) {
	scripts, argvs := manifestValues(text)
	for _, sc := range scripts {
		w.script(sc, depth+1)
	}
	for _, argv := range argvs {
		args := make([]arg, len(argv))
		for i, a := range argv {
			args[i] = arg{s: a}
		}
		w.command(args, input{}, depth+1)
	}
}

// scriptKeys hold a command line, or a list of them, that a tool runs
// with a shell; argvKeys hold one command as a list of words.
var (
	scriptKeys = []string{"run", "script", "shell", "cmds", "commands", "before_script", "after_script", "raw", "entry",
		"ansible.builtin.shell", "ansible.builtin.command", "ansible.builtin.raw"}
	argvKeys = []string{"command", "cmd", "entrypoint"}
)

// manifestValues reads text as YAML documents (JSON included) and returns
// the command lines and argument vectors held by the keys tools run;
// nothing when it does not parse (the line reading above still applies).
func manifestValues(text string) (scripts []string, argvs [][]string) {
	if len(text) > 1<<20 {
		return nil, nil
	}
	dec := yaml.NewDecoder(strings.NewReader(text))
	var walk func(v any, depth int)
	walk = func(v any, depth int) {
		if depth > 64 {
			return
		}
		switch x := v.(type) {
		case map[string]any:
			if cmd, ok := x["command"].([]any); ok {
				// A container's command and args are one argument vector
				// (command: [sh, -c], args: ["rm -rf /data"]).
				if args, ok := x["args"].([]any); ok {
					argvs = append(argvs, words(append(append([]any(nil), cmd...), args...)))
				}
			} else if args, ok := x["args"].([]any); ok && len(args) > 0 {
				// Args alone replace the image's command; ["-c", SCRIPT]
				// is handed to the image's shell.
				if ws := words(args); len(ws) > 1 && ws[0] == "-c" {
					argvs = append(argvs, append([]string{"sh"}, ws...))
				} else {
					argvs = append(argvs, ws)
				}
			}
			for k, e := range x {
				key := strings.ToLower(k)
				switch {
				case slices.Contains(scriptKeys, key):
					switch y := e.(type) {
					case string:
						scripts = append(scripts, y)
					case []any:
						for _, it := range y {
							if s, ok := it.(string); ok {
								scripts = append(scripts, s)
							}
						}
					}
				case slices.Contains(argvKeys, key):
					switch y := e.(type) {
					case string:
						scripts = append(scripts, y)
					case []any:
						if ws := words(y); len(ws) > 0 {
							argvs = append(argvs, ws)
						}
					}
				}
				walk(e, depth+1)
			}
		case []any:
			for _, e := range x {
				walk(e, depth+1)
			}
		}
	}
	for i := 0; i < 64; i++ {
		var doc any
		if err := dec.Decode(&doc); err != nil {
			break
		}
		walk(doc, 0)
	}
	return scripts, argvs
}

// words are a YAML list's scalars as words.
func words(list []any) []string {
	var out []string
	for _, it := range list {
		switch s := it.(type) {
		case string:
			out = append(out, s)
		case int, float64, bool:
			out = append(out, fmt.Sprint(s))
		}
	}
	return out
}

// runsManifests reads the file a tool is about to run, when the call is one:
// docker compose up, kubectl apply, podman play kube, ansible-playbook,
// terraform apply.
func (w *walker) runsManifests(c *call, in input, depth int) {
	read := func(files []string) {
		for _, f := range files {
			if f == "-" {
				if in.present && in.known {
					w.manifest(c.name, "standard input", in.text, depth)
				} else if in.present {
					w.add("file.manifest-unknown", unknown, c.name+" runs what standard input holds, only known at run time")
				}
				continue
			}
			text, st := w.readScript(f)
			switch st {
			case fileKnown:
				w.manifest(c.name, f, text, depth)
			case fileUnknowable:
				w.add("file.manifest-unknown", unknown, c.name+" runs "+f+", whose content is only known at run time")
			}
		}
	}
	files := func(opts ...string) []string {
		var out []string
		for _, v := range optionValues(c, opts...) {
			out = append(out, v.s)
		}
		return out
	}
	switch {
	case (c.name == "docker" || c.name == "podman") && c.sub("compose") || c.name == "docker-compose" || c.name == "podman-compose":
		if !(c.sub("up") || c.sub("run") || c.sub("create") || c.sub("start") || c.sub("compose", "up") || c.sub("compose", "run") || c.sub("compose", "create") || c.sub("compose", "start")) {
			return
		}
		fs := files("-f", "--file")
		if len(fs) == 0 {
			fs = []string{"compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml"}
		}
		read(fs)
	case c.name == "act" && c.has("-l", "--list", "-n", "--dryrun", "--dry-run", "-h", "--help", "--version", "--graph", "-g", "--list-options", "--bug-report"):
		// act lists its workflows or rehearses them without running a step.
		return
	case c.name == "gh" && c.sub("workflow", "run") || c.name == "act" || c.name == "glab" && (c.sub("ci", "run") || c.sub("pipeline", "run")) ||
		c.name == "gitlab-ci-local":
		// A CI run runs the workflow file's steps (run:, script:).
		var fs []string
		switch {
		case c.name == "glab" || c.name == "gitlab-ci-local":
			fs = []string{".gitlab-ci.yml"}
		case c.name == "act" && len(files("-W", "--workflows")) > 0:
			fs = files("-W", "--workflows")
		default:
			name := ""
			if c.name == "gh" {
				name = c.subAt(2)
			}
			if strings.HasSuffix(name, ".yml") || strings.HasSuffix(name, ".yaml") {
				fs = []string{filepath.Join(".github", "workflows", filepath.Base(name))}
			} else if full := w.resolve(filepath.Join(".github", "workflows")); full != "" {
				all, _ := filepath.Glob(filepath.Join(full, "*.y*ml"))
				fs = append(fs, all...)
			}
		}
		read(fs)
	case c.name == "puppet" && c.sub("apply") && !c.has("--noop"):
		for _, v := range optionValues(c, "-e", "--execute") {
			w.puppetCode("puppet apply -e", v.s, v.dyn, depth)
		}
		for _, p := range c.operands(1) {
			if strings.HasSuffix(p.s, ".pp") {
				text, st := w.readScript(p.s)
				w.puppetCode(p.s, text, st != fileKnown, depth)
			}
		}
	case (c.name == "kubectl" || c.name == "oc") && (c.sub("apply") || c.sub("create") || c.sub("replace")):
		var fs []string
		for _, f := range files("-f", "--filename") {
			// -f DIR applies every manifest in it.
			if full := w.resolve(f); full != "" {
				if st, err := os.Stat(full); err == nil && st.IsDir() {
					for _, pat := range []string{"*.yaml", "*.yml", "*.json"} {
						m, _ := filepath.Glob(filepath.Join(full, pat))
						fs = append(fs, m...)
					}
					continue
				}
			}
			fs = append(fs, f)
		}
		read(fs)
	case c.name == "podman" && (c.sub("play", "kube") || c.sub("kube", "play")):
		read([]string{c.pos[len(c.pos)-1].s})
	case c.name == "ansible-playbook" && !c.has("--check", "-C", "--syntax-check", "--list-tasks", "--list-hosts"):
		for _, p := range c.pos {
			if !p.afterFlag {
				read([]string{p.s})
				w.playbookRoles(p.s, depth)
			}
		}
	case (c.name == "terraform" || c.name == "tofu") && c.sub("output") && c.subAt(1) != "":
		full := w.resolve(".")
		if full == "" {
			return
		}
		decl := regexp.MustCompile(`(?s)output\s+"` + regexp.QuoteMeta(c.subAt(1)) + `"\s*\{[^}]*\bsensitive\s*=\s*true`)
		matches, _ := filepath.Glob(filepath.Join(full, "*.tf"))
		for _, m := range matches {
			if text, st := w.readScript(m); st == fileKnown && decl.MatchString(text) {
				w.add("creds.cloud-secret-read", credential, c.name+" output "+c.subAt(1)+" prints a sensitive output in full ("+filepath.Base(m)+" marks it sensitive)")
				return
			}
		}
	case (c.name == "terraform" || c.name == "tofu") && (c.sub("apply") || c.sub("plan") || c.sub("refresh") || c.sub("destroy")):
		full := w.resolve(".")
		if full == "" {
			return
		}
		matches, _ := filepath.Glob(filepath.Join(full, "*.tf"))
		for _, m := range matches {
			if text, st := w.readScript(m); st == fileKnown && terraformRuns.MatchString(text) {
				w.add("file.manifest-unknown", unknown, c.name+" runs a local command the configuration names ("+terraformRuns.FindString(text)+" in "+filepath.Base(m)+")")
				return
			}
		}
	}
}

// roleNames: the roles a playbook names (roles: [- x, - role: x],
// include_role/import_role name: x).
var roleNames = regexp.MustCompile(`(?m)(?:^\s*-\s*(?:role:\s*)?|\brole:\s*|_role:\s*\n\s*name:\s*)["']?([A-Za-z0-9_.-]+)["']?\s*$`)

// playbookRoles reads the tasks and handlers of the roles a playbook
// names, where Ansible finds them beside it (roles/NAME/): a playbook's
// own tasks may be nothing but a list of roles.
func (w *walker) playbookRoles(playbook string, depth int) {
	text, st := w.readScript(playbook)
	if st != fileKnown || !strings.Contains(text, "role") {
		return
	}
	dir := filepath.Dir(playbook)
	seen := map[string]bool{}
	for _, m := range roleNames.FindAllStringSubmatch(text, -1) {
		name := m[1]
		if seen[name] || len(seen) > 32 {
			continue
		}
		seen[name] = true
		for _, sub := range []string{"tasks", "handlers"} {
			full := w.resolve(filepath.Join(dir, "roles", name, sub))
			if full == "" {
				continue
			}
			files, _ := filepath.Glob(filepath.Join(full, "*.y*ml"))
			for _, f := range files {
				if t, st := w.readScript(f); st == fileKnown {
					w.manifest("ansible-playbook", filepath.Join("roles", name, sub, filepath.Base(f)), t, depth)
				}
			}
		}
	}
}

// puppetAbsent: resources Puppet removes (ensure => absent or purged,
// purge => true on a directory or a resource type); puppetExec: commands
// an exec resource runs.
var (
	puppetAbsent = regexp.MustCompile(`\bensure\s*=>\s*['"]?(?:absent|purged)\b|\bpurge\s*=>\s*true\b`)
	puppetExec   = regexp.MustCompile(`\b(?:command|unless|onlyif)\s*=>\s*(['"])((?:[^'"\\]|\\.)*)['"]`)
)

// puppetCode judges a Puppet manifest: what it removes, and what its exec
// resources run.
func (w *walker) puppetCode(name, text string, unknowable bool, depth int) {
	if unknowable {
		w.add("file.manifest-unknown", unknown, "puppet applies "+name+", whose content is only known at run time")
		return
	}
	if m := puppetAbsent.FindString(text); m != "" {
		w.add("config.absent", destructive, "puppet removes what "+name+" declares absent ("+m+")")
	}
	for _, m := range puppetExec.FindAllStringSubmatch(text, -1) {
		w.script(m[2], depth+1)
	}
}
