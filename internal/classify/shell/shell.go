// Package shell classifies shell commands with a real POSIX/Bash parser. It
// walks the whole syntax tree, unwraps whatever runs other commands (sudo,
// env, xargs, bash -c, eval, interpreters, shells fed by pipes and heredocs),
// and matches every command that would run against typed rule packs. What it
// cannot see statically (a dynamic command name, unknown code piped into a
// shell) is unknown: it never guesses in the agent's favour.
package shell

import (
	"fmt"
	"net/url"
	"os"
	"path"
	"strings"

	"mvdan.cc/sh/v3/syntax"

	"github.com/chaperone/chaperone/internal/action"
)

// MaxInput is the largest command text classified; anything longer is unknown.
const MaxInput = 64 << 10

// maxDepth bounds nesting of shells inside shells (bash -c "bash -c ...").
const maxDepth = 8

// Result is what the classifier found.
type Result struct {
	Reasons []action.Reason
	Targets []string
	// Ran reports whether any command at all would run (an empty or
	// comment-only input runs nothing).
	Ran bool
}

// Class is the most severe class among the findings; read when none.
func (r Result) Class() action.Class {
	return action.Highest(r.Reasons)
}

// SQLClassifier classifies PostgreSQL statements that shell commands carry
// (psql -c, psql <<EOF ...).
type SQLClassifier func(sql string) []action.Reason

// Classifier holds the options; its zero value is usable.
type Classifier struct {
	// SQL classifies psql's SQL; nil, and other clients' dialects, use a
	// conservative keyword check.
	SQL SQLClassifier
	// Dir is the directory commands run in; scripts they run are read
	// from the workspace there. Empty means the process's own.
	Dir string
	// REST classifies a request to a provider's REST API (provider,
	// method, path under the API's base, query, body) exactly as the
	// gateway does; nil holds such requests as unknown.
	REST RESTClassifier
	// Remote says the commands run on another machine (a Fly machine's
	// exec, a Railway start command): no file there can be read here, so
	// a script, a package.json or a link they name is unknown, and no
	// path there is the agent's workspace.
	Remote bool
	// ServiceFiles, with Remote, says the files the commands name are the
	// service's own program, deployed from its repository (a start
	// command's server.js): judged by the command line alone, as a file
	// not there is, rather than unknown.
	ServiceFiles bool
}

// ClassifyRemote classifies a command line run on another machine, in
// its home directory, where a file it runs may be anything an earlier
// command left there (a machine's exec): see Remote.
func (c Classifier) ClassifyRemote(text string) Result {
	c.Remote, c.ServiceFiles, c.Dir = true, false, ""
	return c.ClassifyIn("cd ~ && "+text, "")
}

// ClassifyService classifies a command a service runs as its own program
// (a start, build or init command), on its machine: see ServiceFiles.
func (c Classifier) ClassifyService(text string) Result {
	c.Remote, c.ServiceFiles, c.Dir = true, true, ""
	return c.ClassifyIn("cd ~ && "+text, "")
}

// RESTClassifier judges a request to a provider's REST API.
type RESTClassifier func(provider, method, path string, query url.Values, body []byte) []action.Reason

// Classify classifies one command line (or script) run in the working
// directory Dir (the process's own when empty).
func (c *Classifier) Classify(text string) Result {
	dir := c.Dir
	if dir == "" {
		dir, _ = os.Getwd()
	}
	return c.ClassifyIn(text, dir)
}

// ClassifyIn classifies a command line run in dir, where the scripts it
// runs (bash x.sh, npm run, make) are read from.
func (c *Classifier) ClassifyIn(text, dir string) Result {
	return c.walk(dir, func(w *walker) {
		w.viaGateway = strings.Contains(text, "chp_")
		w.script(text, 0)
	})
}

// walk runs judge over a walker fresh for one classification in dir.
func (c *Classifier) walk(dir string, judge func(*walker)) (res Result) {
	w := &walker{c: c, seen: map[string]bool{}, ws: workspace{dir: dir, written: map[string]file{}}, cwd: cwd{here: "."}}
	if dir != "" {
		w.ws.root = path.Clean(dir)
	}
	defer func() {
		// A command the classifier cannot get through is held, never allowed.
		if p := recover(); p != nil {
			w.add("shell.internal-error", action.ClassUnknown, fmt.Sprintf("the command could not be classified: %v", p))
			res = w.res
		}
	}()
	judge(w)
	if w.xtrace && (w.secretSeen || len(w.secretCopies) > 0) {
		w.add("creds.print-secret-var", action.ClassCredentialAccess, "the shell's trace (set -x, bash -x) prints each command with its expansions, a credential's among them")
	}
	return w.res
}

// walker accumulates findings over one classification.
type walker struct {
	// guessing: the command walked is a word of another's arguments that
	// may be a command (embeddedCommand), not one known to run.
	guessing bool
	c        *Classifier
	// extracted are the places this line unpacks archives into, whose
	// members (links among them) are only known when it runs.
	extracted map[string]bool
	// inRepoConfig is set while the repository's config is judged.
	inRepoConfig bool
	res          Result
	seen         map[string]bool // reason id + detail, to report each finding once
	// renderOnly > 0 while re-rendering words already walked.
	renderOnly int
	visits     int // statements walked: linear in the input, never more
	scope      *scope
	ws         workspace
	cwd        cwd
	links      links // links this line makes (links.go)
	// secretVars are arrays given credential files (F=(~/.ssh/*)).
	secretVars map[string]string
	// secretCopies are variables given a secret's value (x=$GITHUB_TOKEN).
	secretCopies map[string]bool
	// xtrace: the line turns on the shell's trace (set -x, bash -x), which
	// prints each command with its expansions; secretSeen: a credential's
	// variable is expanded somewhere in it (secretuse.go).
	xtrace, secretSeen bool
	req                parsedRequest          // the last call's HTTP request (requests.go)
	outputs            map[*syntax.Stmt]input // what each pipeline stage writes
	// pidLists are the processes substitutions list ($(pgrep x)), as
	// the kill-by-name command that reaches the same ones (pids.go).
	pidLists [][]arg
	// fed is the standard input of the command being classified: a
	// script it runs (sh -c, ssh HOST CMD, eval) hands it to its own
	// commands, so `echo CMD | ssh host bash` runs CMD.
	fed input
	// useDB is the database a MySQL-like client was started in (-D
	// mysql): its statements name that database's tables bare.
	useDB string
	// viaGateway: the line carries a Chaperone token (PGPASSWORD=chp_…, a
	// DSN with one), so its database clients reach Chaperone's gateway,
	// which asks the data what a filtered write reaches.
	viaGateway bool
}

func (w *walker) add(id string, class action.Class, msg string) {
	key := id + "\x00" + msg
	if w.seen[key] {
		return
	}
	w.seen[key] = true
	w.res.Reasons = append(w.res.Reasons, action.Reason{ID: id, Class: class, Message: msg})
}

func (w *walker) target(t string) {
	if t != "" && len(w.res.Targets) < 32 {
		w.res.Targets = append(w.res.Targets, t)
	}
}

// script parses text as a shell program and walks it.
func (w *walker) script(text string, depth int) {
	w.scriptLimit(text, depth, MaxInput, false)
}

// scriptSized runs a script file, which may be larger than a command line.
func (w *walker) scriptSized(text string, depth int) { w.scriptLimit(text, depth, MaxScript, false) }

func (w *walker) scriptSameSized(text string, depth int) { w.scriptLimit(text, depth, MaxScript, true) }

func (w *walker) scriptLimit(text string, depth, limit int, same bool) {
	if len(text) > limit {
		w.add("shell.too-large", action.ClassUnknown, "the command is too large to inspect")
		return
	}
	if depth > maxDepth {
		w.add("shell.too-deep", action.ClassUnknown, "shells nested too deeply to inspect")
		return
	}
	w.run(text, depth, same)
}

// scriptSame runs text in the current shell (eval, trap, aliases, source):
// it shares the caller's variables and aliases.
func (w *walker) scriptSame(text string, depth int) {
	if len(text) > MaxInput {
		w.add("shell.too-large", action.ClassUnknown, "the command is too large to inspect")
		return
	}
	if depth > maxDepth {
		w.add("shell.too-deep", action.ClassUnknown, "shells nested too deeply to inspect")
		return
	}
	w.run(text, depth, true)
}

func (w *walker) run(text string, depth int, same bool) {
	f, err := parse(text)
	if err != nil {
		w.add("shell.parse-error", action.ClassUnknown, "the command does not parse as shell: "+err.Error())
		return
	}
	// A new process sees none of its parent's unexported variables.
	if !same || w.scope == nil {
		saved := w.scope
		w.scope = newScope()
		defer func() { w.scope = saved }()
	}
	w.scope.prescan(f, depth)
	w.stmts(f.Stmts, w.fed, depth)
}
