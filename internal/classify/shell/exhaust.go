package shell

import (
	"regexp"
	"slices"

	"mvdan.cc/sh/v3/syntax"
)

// What multiplies without bound takes the host down with everything on
// it (its databases among them): a function that calls itself in the
// background or a pipeline (:(){ :|:& };:), a loop that never ends
// starting background jobs, code that forks in a loop, and load
// generators. None is bounded by anything Chaperone can read.

// recursion judges a function that calls itself.
func (w *walker) recursion(f *syntax.FuncDecl) {
	if f.Name == nil {
		return
	}
	self, spawns := false, false
	syntax.Walk(f.Body, func(n syntax.Node) bool {
		switch n := n.(type) {
		case *syntax.CallExpr:
			if len(n.Args) > 0 && n.Args[0].Lit() == f.Name.Value {
				self = true
			}
		case *syntax.Stmt:
			spawns = spawns || n.Background || n.Coprocess
		case *syntax.BinaryCmd:
			spawns = spawns || n.Op == syntax.Pipe || n.Op == syntax.PipeAll
		}
		return true
	})
	switch {
	case self && spawns:
		w.add("host.exhaust", destructive, "function "+f.Name.Value+" calls itself in the background or a pipeline: a fork bomb, which takes the host and everything on it down")
	case self:
		w.add("shell.recursive-function", unknown, "function "+f.Name.Value+" calls itself: how often it runs is not known before it does")
	}
}

// endlessSpawning judges a loop whose condition is always true and whose
// body starts background jobs.
func (w *walker) endlessSpawning(c *syntax.WhileClause) {
	if c.Until || len(c.Cond) != 1 {
		return
	}
	call, ok := c.Cond[0].Cmd.(*syntax.CallExpr)
	if !ok || len(call.Args) != 1 || call.Args[0].Lit() != "true" && call.Args[0].Lit() != ":" {
		return
	}
	spawns, waits := false, false
	for _, st := range c.Do {
		syntax.Walk(st, func(n syntax.Node) bool {
			switch n := n.(type) {
			case *syntax.Stmt:
				spawns = spawns || n.Background || n.Coprocess
			case *syntax.CallExpr:
				// wait bounds the jobs to the ones started since.
				waits = waits || len(n.Args) > 0 && n.Args[0].Lit() == "wait"
			}
			return true
		})
	}
	if spawns && !waits {
		w.add("host.exhaust", destructive, "a loop that never ends starts background jobs without bound, until the host runs out of processes or memory")
	}
}

// codeForks: code that forks in a loop (perl's fork while fork, a Python
// comprehension over an endless iterator).
var codeForks = regexp.MustCompile(`\bfork\b[^;\n]*\b(?:while|until|for|iter|loop)\b|\b(?:while|until|for|loop)\b[^;\n]*\bfork\b|\bfork\s+while\b`)

// unboundedParallel: xargs -P 0 and parallel -j 0 start as many processes
// as their input has lines, all at once.
func unboundedParallel(c *call) bool {
	switch c.name {
	case "xargs":
		return slices.ContainsFunc(optionValues(c, "-P", "--max-procs"), func(a arg) bool { return a.s == "0" })
	case "parallel":
		return slices.ContainsFunc(optionValues(c, "-j", "--jobs", "-P", "--max-procs"), func(a arg) bool { return a.s == "0" })
	}
	return false
}

// loadGenerators load a host until what else runs there may be killed.
var loadGenerators = []string{"stress", "stress-ng", "memtester", "fio"}
