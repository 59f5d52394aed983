// Package shell classifies shell commands with a real POSIX/Bash parser. It
// walks the whole syntax tree, unwraps whatever runs other commands (sudo,
// env, xargs, bash -c, eval, interpreters, shells fed by pipes and heredocs),
// and matches every command that would run against typed rule packs. What it
// cannot see statically (a dynamic command name, unknown code piped into a
// shell) is unknown: it never guesses in the agent's favour.
package shell

import (
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
	c := action.ClassRead
	for _, x := range r.Reasons {
		c = action.Max(c, x.Class)
	}
	return c
}

// SQLClassifier classifies PostgreSQL statements that shell commands carry
// (psql -c, psql <<EOF ...).
type SQLClassifier func(sql string) []action.Reason

// Classifier holds the options; its zero value is usable.
type Classifier struct {
	// SQL classifies psql's SQL; nil, and other clients' dialects, use a
	// conservative keyword check.
	SQL SQLClassifier
}

// Classify classifies one command line (or script).
func (c *Classifier) Classify(text string) Result {
	w := &walker{c: c, seen: map[string]bool{}}
	w.script(text, 0)
	return w.res
}

// walker accumulates findings over one classification.
type walker struct {
	c    *Classifier
	res  Result
	seen map[string]bool // reason id + detail, to report each finding once
	// renderOnly > 0 while re-rendering words already walked.
	renderOnly int
	visits     int // statements walked: linear in the input, never more
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
	if len(text) > MaxInput {
		w.add("shell.too-large", action.ClassUnknown, "the command is too large to inspect")
		return
	}
	if depth > maxDepth {
		w.add("shell.too-deep", action.ClassUnknown, "shells nested too deeply to inspect")
		return
	}
	f, err := syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(strings.NewReader(text), "")
	if err != nil {
		w.add("shell.parse-error", action.ClassUnknown, "the command does not parse as shell: "+err.Error())
		return
	}
	w.stmts(f.Stmts, input{}, depth)
}
