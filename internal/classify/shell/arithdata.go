package shell

import (
	"slices"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

func (s *scope) markData(name string) {
	name, _, _ = strings.Cut(name, "=")
	name, _, _ = strings.Cut(name, "[")
	if s.data == nil {
		s.data = map[string]bool{}
	}
	s.data[name] = true
}

// numericProducers print only numbers, whatever their input holds.
var numericProducers = []string{"wc", "seq", "date", "expr", "nproc", "getconf", "id", "stat", "du", "od", "cksum", "jobs", "ulimit"}

// carriesData: a word whose value comes from a command substitution whose
// output is not known to be a number ($(<f), $(head -1 f), $(cat f)).
func carriesData(wd *syntax.Word) bool {
	found := false
	syntax.Walk(wd, func(n syntax.Node) bool {
		if cs, ok := n.(*syntax.CmdSubst); ok {
			if !printsNumber(cs.Stmts) {
				found = true
			}
			return false
		}
		return !found
	})
	return found
}

func printsNumber(stmts []*syntax.Stmt) bool {
	if len(stmts) == 0 {
		return false
	}
	cmd := stmts[len(stmts)-1].Cmd
	for {
		b, ok := cmd.(*syntax.BinaryCmd)
		if !ok || b.Op != syntax.Pipe && b.Op != syntax.PipeAll {
			break
		}
		cmd = b.Y.Cmd
	}
	c, ok := cmd.(*syntax.CallExpr)
	if !ok || len(c.Args) == 0 {
		return false // $(<f) has no command: the file's text
	}
	name, ok := literal(c.Args[0])
	if name == "git" && len(c.Args) > 1 {
		sub, _ := literal(c.Args[1])
		return sub == "rev-list" && slices.ContainsFunc(c.Args, func(a *syntax.Word) bool { return a.Lit() == "--count" })
	}
	return ok && slices.Contains(numericProducers, name)
}

// arithData: a variable holding file or program data, used where bash
// evaluates it as arithmetic, runs any a[$(cmd)] the data holds.
func (w *walker) arithData(name string) {
	if w.scope != nil && w.scope.data[name] {
		w.add("shell.arith-data", unknown, "bash evaluates $"+name+", which holds text read from a file or a program, as arithmetic: a value such as a[$(cmd)] runs cmd")
	}
}

// soleParam: the variable a word expands, when it is nothing else ($x,
// "${x}").
func soleParam(wd *syntax.Word) (string, bool) {
	parts := wd.Parts
	if len(parts) == 1 {
		if dq, ok := parts[0].(*syntax.DblQuoted); ok {
			parts = dq.Parts
		}
	}
	if len(parts) != 1 {
		return "", false
	}
	pe, ok := parts[0].(*syntax.ParamExp)
	if !ok || pe.Param == nil || pe.Exp != nil || pe.Repl != nil || pe.Slice != nil || pe.Excl || pe.Length {
		return "", false
	}
	return pe.Param.Value, true
}
