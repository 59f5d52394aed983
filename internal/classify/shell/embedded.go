package shell

import (
	"path"
	"slices"
)

// embeddedCommand judges the command line a program no rule describes may
// run from its own arguments. Launchers come and go faster than any list of
// wrappers (ip netns exec NS CMD, ip vrf exec, vendor CLIs' "exec" and
// "run" subcommands), so a word naming a program Chaperone knows, with the
// words after it, is judged as the command it would be: a program that
// only takes names loses nothing, and one that runs them is caught.
func (w *walker) embeddedCommand(c *call, depth int) {
	if depth >= maxDepth || c.name == "git" && c.sub("rm") {
		// git rm's operands are paths, and what it deletes its own rules judge.
		return
	}
	for i, a := range c.args {
		if a.dyn || !knownProgram(path.Base(a.s)) {
			continue
		}
		saved := w.guessing
		w.guessing = true
		w.command(c.args[i:], input{}, depth+1)
		w.guessing = saved
		return
	}
}

// knownProgram: a name some rule, wrapper or interpreter handles.
func knownProgram(name string) bool {
	if len(packIndex[name]) > 0 || gnuNames[name] || dbClients[name] != nil || isShell(name) {
		return true
	}
	if _, ok := wrappers[name]; ok {
		return true
	}
	return slices.Contains(interpreters, name) || slices.Contains([]string{"exec", "eval", "xargs", "find", "git", "sudo", "env"}, name)
}
