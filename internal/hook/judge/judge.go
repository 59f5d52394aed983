package judge

import (
	"encoding/json"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/chaperone/chaperone/internal/hook"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/classify"
	"github.com/chaperone/chaperone/internal/classify/shell"
	"github.com/chaperone/chaperone/internal/classify/shell/argv"
)

// ProtectedDirs are Chaperone's own config, state and socket directories,
// set by whoever knows the config. Writing into them is refused like
// writing the agent's hook settings: either one switches the guard off.
var ProtectedDirs []string

// Classify turns a request into the action the gate decides. Shell
// commands and file reads go to the same classifiers as everywhere else;
// writes are judged by their target and by what their content would do
// when run; other tools by what they do.
func Classify(r hook.Request) action.Action {
	switch r.Op {
	case "", hook.OpShell:
		if r.Op == "" && r.Kind != action.KindShell && r.Kind != action.KindFile {
			break
		}
		if r.Kind == action.KindShell {
			a := classify.ClassifyIn(action.KindShell, r.Text, r.Cwd)
			if r.Interactive {
				if why := interactive(r.Text); why != "" {
					a.AddReason(action.Reason{ID: "hook.interactive-shell", Class: action.ClassUnknown,
						Message: why + ": what is typed into it later reaches no hook"})
				}
			}
			return a
		}
		if r.Kind == action.KindFile {
			return readAction(r)
		}
	case hook.OpRead:
		return readAction(r)
	case hook.OpSearch:
		return searchAction(r)
	case hook.OpWrite, hook.OpEdit, hook.OpPatch, hook.OpDelete:
		return writeAction(r)
	case hook.OpFetch:
		return fetchAction(r)
	case hook.OpMCP:
		return mcpAction(r)
	case hook.OpAgent:
		return agentAction(r)
	}
	a := toolAction(r)
	a.AddReason(action.Reason{ID: "hook.unknown-tool", Class: action.ClassUnknown,
		Message: "Chaperone does not know what the tool " + r.Tool + " does"})
	return a
}

func readAction(r hook.Request) action.Action {
	paths := r.Paths
	if len(paths) == 0 {
		paths = []string{r.Text}
	}
	a := action.Action{Kind: action.KindFile, Text: strings.Join(paths, "\n"), Class: action.ClassRead}
	for _, p := range paths {
		one := classify.Classify(action.KindFile, p)
		a.Targets = append(a.Targets, one.Targets...)
		for _, rs := range one.Reasons {
			a.AddReason(rs)
		}
		// A link is read where it leads: a.txt -> .env is .env.
		if real, err := filepath.EvalSymlinks(abs(r.Cwd, p)); err == nil && real != abs(r.Cwd, p) {
			for _, rs := range classify.Classify(action.KindFile, real).Reasons {
				a.AddReason(rs)
			}
		}
		if protected(abs(r.Cwd, p)) != "" && !isHookSettings(abs(r.Cwd, p)) {
			a.AddReason(action.Reason{ID: "hook.read-chaperone-state", Class: action.ClassCredentialAccess,
				Message: p + " is Chaperone's own configuration or state"})
		}
	}
	return a
}

// searchAction: a search for credentials is one whatever tool runs it, so
// the search is also put to the shell guard as the grep or find it is.
func searchAction(r hook.Request) action.Action {
	text := r.Tool + " " + strings.Join(append(append([]string{}, r.Patterns...), r.Paths...), " ")
	a := action.Action{Kind: action.KindFile, Text: text, Class: action.ClassRead, Targets: r.Paths}
	for _, p := range append(append([]string{}, r.Paths...), r.Patterns...) {
		if shell.IsSecretPath(p) || shell.IsSecretPath(strings.TrimLeft(p, "*/")) || globNamesSecret(p) {
			a.AddReason(action.Reason{ID: "creds.search-secret-files", Class: action.ClassCredentialAccess,
				Message: r.Tool + " looks into " + p + ", which holds credentials"})
		}
	}
	words := []string{"grep", "-rn"}
	for _, p := range r.Patterns {
		words = append(words, "-e", p)
	}
	words = append(words, "--")
	words = append(words, r.Paths...)
	if len(r.Paths) == 0 {
		words = append(words, ".")
	}
	for _, rs := range classify.Classify(action.KindShell, argv.Quote(words)).Reasons {
		if rs.Class == action.ClassCredentialAccess {
			a.AddReason(rs)
		}
	}
	return a
}

// globNamesSecret reads a glob's last element as a file name: "**/.env*"
// and "*.pem" name credential files.
func globNamesSecret(g string) bool {
	base := path.Base(filepath.ToSlash(g))
	for _, probe := range []string{strings.ReplaceAll(base, "*", ""), strings.ReplaceAll(base, "*", "x"), strings.TrimSuffix(base, "*")} {
		if probe != "" && (shell.SecretName(probe) || shell.IsSecretPath(probe)) {
			return true
		}
	}
	return false
}

// writeAction judges a write by where it goes and by what it puts there.
func writeAction(r hook.Request) action.Action {
	targets, content := r.Paths, r.Content
	var deleted []string
	switch r.Op {
	case hook.OpPatch:
		targets, deleted, content = patchTargets(r.Content)
	case hook.OpDelete:
		deleted = r.Paths
	}
	text := strings.Join(targets, "\n") + "\n" + content
	a := action.Action{Kind: action.KindFileWrite, Text: text, Class: action.ClassWrite, Targets: targets}
	if len(targets) == 0 {
		a.AddReason(action.Reason{ID: "file.no-target", Class: action.ClassUnknown, Message: "the write names no file Chaperone can read"})
	}
	for _, rs := range deleteReasons(r.Cwd, deleted) {
		a.AddReason(rs)
	}
	for _, rs := range overwriteReasons(r.Cwd, r.Op, targets, deleted) {
		a.AddReason(rs)
	}
	for _, t := range targets {
		p := abs(r.Cwd, t)
		// A link to a guarded file is the guarded file.
		if real, err := filepath.EvalSymlinks(p); err == nil && real != p {
			if why := protected(real); why != "" {
				a.AddReason(action.Reason{ID: "hook.settings-write", Class: action.ClassCredentialAccess,
					Message: t + " leads to " + real + ", " + why})
			}
		}
		if why := protected(p); why != "" {
			a.AddReason(action.Reason{ID: "hook.settings-write", Class: action.ClassCredentialAccess,
				Message: t + " is " + why + ": changing it switches the guard off"})
		}
		if shell.IsSecretPath(t) || shell.IsSecretPath(p) {
			a.AddReason(action.Reason{ID: "creds.write-secret-file", Class: action.ClassCredentialAccess,
				Message: t + " holds credentials"})
		}
		slash := filepath.ToSlash(p)
		if strings.Contains(slash, "/.git/hooks/") || strings.HasSuffix(slash, "/.git/config") {
			a.AddReason(action.Reason{ID: "file.git-hook", Class: action.ClassDestructive,
				Message: t + " runs on every git command in this repository"})
		}
		if ciFile(slash) {
			a.AddReason(action.Reason{ID: "file.ci-workflow", Class: action.ClassUnknown,
				Message: t + " is a CI definition: it runs with the pipeline's secrets"})
		}
		for _, rs := range contentReasons(t, content) {
			a.AddReason(rs)
		}
	}
	return a
}

// deleteReasons judges deleting files as the shell guard judges rm of the
// same paths where the agent works, so that a tool's deletion is held
// where `rm` would be (a file outside the workspace, say).
func deleteReasons(cwd string, paths []string) []action.Reason {
	if len(paths) == 0 {
		return nil
	}
	words := []string{"rm", "--"}
	for _, p := range paths {
		words = append(words, inWorkspace(cwd, p))
	}
	return shellHolds(cwd, argv.Quote(words))
}

// inWorkspace is p relative to cwd when it lies in it: agents name files in
// the workspace by absolute path too.
func inWorkspace(cwd, p string) string {
	if filepath.IsAbs(p) && filepath.IsAbs(cwd) {
		if rel, err := filepath.Rel(cwd, p); err == nil && rel != ".." && !strings.HasPrefix(rel, "../") {
			return rel
		}
	}
	return p
}

// shellHolds is what the shell guard finds in text run in cwd beyond reads
// and writes, less the findings named in except.
func shellHolds(cwd, text string, except ...string) []action.Reason {
	var out []action.Reason
	for _, rs := range classify.ClassifyIn(action.KindShell, text, cwd).Reasons {
		if rs.Class != action.ClassRead && rs.Class != action.ClassWrite && !slices.Contains(except, rs.ID) {
			out = append(out, rs)
		}
	}
	return out
}

// overwriteReasons judges writing files as the shell guard judges the
// same write made in a shell where the agent works: a whole file written
// as `: > path`, an edit as `sed -i` of it. A file outside the workspace
// (~/.bashrc, /etc/hosts, ../other/x) or inside .git is held where the
// shell's would be; in the workspace it is a write.
func overwriteReasons(cwd string, op hook.Op, targets, deleted []string) []action.Reason {
	var lines []string
	for _, t := range targets {
		if slices.Contains(deleted, t) {
			continue // judged as rm already
		}
		if !filepath.IsAbs(cwd) {
			// An agent that does not say where it works (Windsurf): no
			// workspace to be outside of, so only the places no project
			// lives in are held, and a repository's .git.
			if outsideAnyProject(t) {
				lines = append(lines, ": > "+argv.Quote([]string{t}))
			}
			continue
		}
		p := inWorkspace(cwd, t)
		if op == hook.OpWrite {
			lines = append(lines, ": > "+argv.Quote([]string{p}))
		} else {
			lines = append(lines, argv.Quote([]string{"sed", "-i", "-e", "p", "--", p}))
		}
	}
	if len(lines) == 0 {
		return nil
	}
	// The content is judged on its own (contentReasons): only the place
	// counts here.
	return shellHolds(cwd, strings.Join(lines, "\n"), "file.auto-run")
}

// outsideAnyProject: a path in a home's dotfiles, the system's
// directories, or a repository's .git.
func outsideAnyProject(p string) bool {
	p = filepath.ToSlash(filepath.Clean(p))
	for _, d := range []string{"/etc/", "/usr/", "/bin/", "/sbin/", "/lib", "/boot/", "/var/", "/sys/", "/proc/", "/dev/"} {
		if strings.HasPrefix(p, d) {
			return true
		}
	}
	if strings.Contains(p+"/", "/.git/") {
		return true
	}
	parts := strings.Split(p, "/")
	for i, part := range parts {
		// /root/.x, /home/u/.x, ~/.x: a home's own settings.
		home := i >= 1 && (parts[i-1] == "root" && i == 2 || i == 3 && parts[1] == "home" || parts[i-1] == "~")
		if home && strings.HasPrefix(part, ".") {
			return true
		}
	}
	return false
}

var patchHeader = regexp.MustCompile(`(?m)^\*\*\* (Add File|Update File|Delete File|Move to): (.+)$`)

// patchTargets reads Codex's apply_patch envelope: the files it adds,
// updates, deletes or moves to, those it deletes (or moves away), and the
// lines it adds.
func patchTargets(patch string) (targets, deleted []string, added string) {
	var updated string
	for _, m := range patchHeader.FindAllStringSubmatch(patch, -1) {
		t := strings.TrimSpace(m[2])
		targets = append(targets, t)
		switch m[1] {
		case "Delete File":
			deleted = append(deleted, t)
		case "Update File":
			updated = t
		case "Move to":
			if updated != "" {
				deleted = append(deleted, updated) // the file moved away is gone from where it was
			}
		}
	}
	var b strings.Builder
	for _, line := range strings.Split(patch, "\n") {
		if strings.HasPrefix(line, "+") {
			b.WriteString(line[1:])
			b.WriteByte('\n')
		}
	}
	return targets, deleted, b.String()
}

func ciFile(p string) bool {
	base := path.Base(p)
	return strings.Contains(p, "/.github/workflows/") || strings.Contains(p, "/.github/actions/") ||
		base == ".gitlab-ci.yml" || strings.Contains(p, "/.circleci/") || base == "Jenkinsfile" ||
		base == "azure-pipelines.yml" || base == ".travis.yml" || strings.Contains(p, "/.buildkite/") || base == "bitbucket-pipelines.yml"
}

var shellExt = map[string]bool{".sh": true, ".bash": true, ".zsh": true, ".ksh": true, ".command": true, ".envrc": true}

// contentReasons classifies what a written file would do when run: shell
// scripts with the shell guard, SQL files with the SQL classifier.
func contentReasons(name, content string) []action.Reason {
	if strings.TrimSpace(content) == "" {
		return nil
	}
	ext := strings.ToLower(filepath.Ext(name))
	base := filepath.Base(name)
	var reasons []action.Reason
	switch {
	case shellExt[ext] || base == ".envrc" || strings.HasPrefix(content, "#!") && shebangShell(content) ||
		base == "Makefile" || base == "justfile":
		reasons = classify.Classify(action.KindShell, content).Reasons
	case ext == ".sql" || ext == ".psql":
		reasons = classify.Classify(action.KindSQL, content).Reasons
	case base == "GNUmakefile" || base == "makefile" || ext == ".mk":
		reasons = classify.Classify(action.KindShell, content).Reasons
	case shell.AutoRun(name) != "":
		reasons = shell.AutoRunReasons(name, content)
	default:
		return nil
	}
	var out []action.Reason
	for _, rs := range reasons {
		if rs.Class == action.ClassRead || rs.Class == action.ClassWrite {
			continue
		}
		rs.Message = filepath.Base(name) + " would run: " + rs.Message
		out = append(out, rs)
	}
	return out
}

func shebangShell(content string) bool {
	first, _, _ := strings.Cut(content, "\n")
	for _, sh := range []string{"sh", "bash", "zsh", "ksh", "dash"} {
		if strings.HasSuffix(first, "/"+sh) || strings.HasSuffix(first, " "+sh) || strings.Contains(first, "/"+sh+" ") {
			return true
		}
	}
	return false
}

// fetchAction: fetching a URL goes out through the agent's own network;
// enforced mode's proxy is what decides where it may go. A file URL is a
// read of that file.
func fetchAction(r hook.Request) action.Action {
	a := toolAction(r)
	if len(r.URL) >= 7 && strings.EqualFold(r.URL[:7], "file://") {
		// The path as the agent's fetcher reads it: escapes decoded.
		p := r.URL[7:]
		if d, err := url.PathUnescape(p); err == nil {
			p = d
		}
		return readAction(hook.Request{Kind: action.KindFile, Paths: []string{p}, Cwd: r.Cwd})
	}
	a.Targets = []string{r.URL}
	if r.URL == "" {
		a.AddReason(action.Reason{ID: "hook.fetch-without-url", Class: action.ClassUnknown, Message: r.Tool + " names no URL"})
		return a
	}
	// What curl would be judged for fetching it (the instance metadata
	// service, however its address is written) counts for the tool too.
	for _, rs := range classify.Classify(action.KindShell, argv.Quote([]string{"curl", "--", r.URL})).Reasons {
		if rs.Class == action.ClassCredentialAccess {
			a.AddReason(rs)
		}
	}
	return a
}

// agentAction: a subagent's own tool calls come through the hook, but not
// one started where the hook does not run or with the agent's own prompts
// switched off.
func agentAction(r hook.Request) action.Action {
	a := toolAction(r)
	if m, _ := r.Args["mode"].(string); m == "bypassPermissions" || m == "dontAsk" {
		a.AddReason(action.Reason{ID: "hook.subagent-unprompted", Class: action.ClassUnknown,
			Message: "the subagent would run with its agent's prompts switched off (" + m + ")"})
	}
	if iso, _ := r.Args["isolation"].(string); iso == "remote" {
		a.AddReason(action.Reason{ID: "hook.subagent-remote", Class: action.ClassUnknown,
			Message: "a remote subagent runs where this hook does not"})
	}
	return a
}

// toolAction is the action for a tool call as a whole: its name and its
// arguments in one canonical JSON text, which an approval binds to.
func toolAction(r hook.Request) action.Action {
	args, _ := json.Marshal(r.Args)
	return action.Action{Kind: action.KindTool, Text: r.Tool + " " + string(args), Class: action.ClassRead}
}

func abs(cwd, p string) string {
	if strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			p = filepath.Join(home, p[2:])
		}
	}
	if !filepath.IsAbs(p) && cwd != "" {
		p = filepath.Join(cwd, p)
	}
	return filepath.Clean(p)
}

// The shell guard refuses shell writes to what protected names, too.
func init() { shell.Protected = protected }

// protected says why a path must not be written by an agent: it holds an
// agent's hook settings (or the switch that turns hooks off), or it is
// Chaperone's own config, state or socket.
func protected(p string) string {
	if isHookSettings(p) {
		return "an agent's hook settings"
	}
	slash := filepath.ToSlash(p)
	for _, d := range chaperoneDirs() {
		if d != "" && (slash == d || strings.HasPrefix(slash, strings.TrimSuffix(d, "/")+"/")) {
			return "Chaperone's own configuration or state"
		}
		if d != "" && filepath.IsAbs(slash) && slash != "/" && strings.HasPrefix(d, strings.TrimSuffix(slash, "/")+"/") {
			return "a directory that holds Chaperone's own configuration or state"
		}
	}
	// A directory moved or removed whole takes the settings in it along:
	// one that holds them, on disk.
	if filepath.IsAbs(slash) && slash != "/" {
		for _, f := range []string{"/settings.json", "/settings.local.json", "/hooks.json", "/chaperone.yaml", "/.claude/settings.json", "/.chaperone/chaperone.yaml"} {
			if c := strings.TrimSuffix(slash, "/") + f; (isHookSettings(c) || path.Base(c) == "chaperone.yaml") && fileExists(c) {
				return "a directory that holds an agent's hook settings or Chaperone's configuration"
			}
		}
	}
	base := path.Base(slash)
	if base == "chaperone.yaml" || base == "chaperone.yml" || strings.Contains(slash, "/chaperone/run/") ||
		strings.HasPrefix(slash, "/etc/chaperone/") || strings.HasPrefix(slash, "/var/lib/chaperone/") ||
		strings.Contains(slash, "/.config/chaperone/") {
		return "Chaperone's own configuration or state"
	}
	return ""
}

func chaperoneDirs() []string {
	dirs := append([]string{}, ProtectedDirs...)
	if c := os.Getenv("CHAPERONE_CONFIG"); c != "" {
		if a, err := filepath.Abs(c); err == nil {
			dirs = append(dirs, a)
		}
	}
	if s := os.Getenv("CHAPERONE_HOOK_SOCKET"); s != "" {
		if a, err := filepath.Abs(s); err == nil {
			dirs = append(dirs, filepath.Dir(a))
		}
	}
	for i := range dirs {
		dirs[i] = filepath.ToSlash(filepath.Clean(dirs[i]))
	}
	sort.Strings(dirs)
	return dirs
}

// hookSettingsPattern matches, anywhere in a path, the files in which a
// supported agent keeps its hooks or the switch that turns them off.
var hookSettingsPattern = regexp.MustCompile(`(?i)(` +
	`/\.claude/settings[^/]*\.json$|/claude-?code/managed-settings[^/]*\.json$|/claude-?code/managed-settings\.d/|` +
	`/\.cursor/hooks\.json$|/cursor/hooks\.json$|` +
	`/\.codex/hooks\.json$|/\.codex/config\.toml$|/\.codex/requirements\.toml$|/codex/(hooks\.json|config\.toml|requirements\.toml|managed_config\.toml)$|` +
	`/\.gemini/settings\.json$|/\.gemini/trustedFolders\.json$|/\.gemini/trusted_hooks\.json$|/gemini-cli/settings\.json$|` +
	`/\.github/hooks/[^/]*\.json$|/\.copilot/(hooks/[^/]*\.json|config\.json|settings\.json)$|/\.github/copilot/settings[^/]*\.json$|/github-copilot/policy\.d/|` +
	`/\.windsurf/hooks\.json$|/\.codeium/windsurf/hooks\.json$|/windsurf/hooks\.json$|` +
	`/\.clinerules/hooks/|/cline/rules/hooks/|` +
	`/\.kiro/(agents|hooks|settings)/|` +
	`/\.factory/(hooks\.json|settings[^/]*\.json|hooks/)|` +
	`/\.qwen/settings\.json$|/qwen-code/settings\.json$|` +
	`/\.agents/plugins/|/\.config/goose/)`)

func isHookSettings(p string) bool {
	return hookSettingsPattern.MatchString(filepath.ToSlash(p))
}

// interactive says what a command starts that reads later input: a shell,
// a REPL or a database console with nothing to run.
func interactive(line string) string {
	f := strings.Fields(line)
	for len(f) > 0 && (strings.Contains(f[0], "=") || f[0] == "exec" || f[0] == "sudo" || f[0] == "env" || f[0] == "command") {
		f = f[1:]
	}
	if len(f) == 0 {
		return ""
	}
	prog := path.Base(strings.Trim(f[0], `'"`))
	args := f[1:]
	onlyFlags := func(run ...string) bool {
		for _, a := range args {
			a = strings.Trim(a, `'"`)
			if !strings.HasPrefix(a, "-") {
				return false
			}
			for _, r := range run {
				if a == r || strings.HasPrefix(a, r+"=") || (len(r) == 2 && strings.HasPrefix(a, r) && len(a) > 2) {
					return false
				}
			}
		}
		return true
	}
	switch prog {
	case "bash", "sh", "zsh", "dash", "ksh", "fish", "tcsh", "csh", "pwsh", "powershell":
		if onlyFlags("-c", "-Command", "-File", "-EncodedCommand") {
			return "an interactive " + prog
		}
	case "python", "python3", "python2", "ipython", "node", "deno", "bun", "irb", "ruby", "perl", "php", "lua", "ghci", "R", "julia", "scala", "clojure", "jshell", "erl", "iex":
		if onlyFlags("-c", "-e", "-m", "-r", "--eval", "-E", "-p", "--print") {
			return "an interactive " + prog + " session"
		}
	case "psql", "mysql", "mariadb", "sqlite3", "mongo", "mongosh", "redis-cli", "cqlsh", "clickhouse-client", "sqlcmd", "duckdb":
		for _, a := range args {
			a = strings.Trim(a, `'"`)
			if a == "-c" || a == "-f" || a == "-e" || a == "--command" || a == "--file" || a == "--execute" || a == "--eval" ||
				strings.HasPrefix(a, "--command=") || strings.HasPrefix(a, "--file=") || strings.HasPrefix(a, "-c") && len(a) > 2 {
				return ""
			}
		}
		if strings.ContainsAny(line, "<|") {
			return "" // fed by a pipe or a file: the shell guard reads what runs
		}
		return "a " + prog + " console"
	case "ssh", "docker", "kubectl", "telnet", "nc", "ftp", "sftp":
		if prog == "ssh" && len(nonFlags(args)) == 1 {
			return "an interactive ssh session"
		}
		if (prog == "docker" || prog == "kubectl") && (slices.Contains(args, "-it") || slices.Contains(args, "-ti") || slices.Contains(args, "-i")) {
			return "an interactive " + prog + " session"
		}
	}
	return ""
}

func nonFlags(args []string) []string {
	var out []string
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			out = append(out, a)
		}
	}
	return out
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
