package shell

import (
	"strconv"
	"strings"
)

// equivalents classifies what a call amounts to besides itself: kill
// $(pgrep x) is pkill x; terragrunt run-all apply (and run --all --
// apply) is terragrunt apply in every module; scp's and sftp's -o and -F
// are ssh's; git apply -R of git's own diff is a checkout of the paths.
func (w *walker) equivalents(c *call, in input, depth int) {
	// A reversed patch of the working tree's own changes discards them:
	// git diff | git apply -R is git checkout -- . by another name.
	fromGit := in.present && in.from == "git"
	for _, p := range c.pos {
		if p.proc != nil && w.procOutput(p.proc, depth).from == "git" {
			fromGit = true // git apply -R <(git diff)
		}
	}
	if (c.name == "git" && c.sub("apply") || c.name == "patch") && c.has("-R", "--reverse") && fromGit {
		w.add("git.checkout-discard", destructive, c.name+" -R of git's own diff discards uncommitted changes")
	}
	switch c.name {
	case "scp", "sftp":
		// Their -o and -F are ssh's.
		for i, a := range c.args {
			if strings.HasPrefix(a.s, "-o") || strings.HasPrefix(a.s, "-F") {
				w.sshOption(c.args, i, depth)
			}
		}
	case "kill":
		for _, a := range c.args {
			n, ok := strings.CutPrefix(a.s, "$(pids")
			if !ok || !a.dyn {
				continue
			}
			if i, err := strconv.Atoi(strings.TrimSuffix(n, ")")); err == nil && i < len(w.pidLists) {
				w.command(w.pidLists[i], input{}, depth+1)
			}
		}
	case "terragrunt":
		args := c.args
		for len(args) > 0 && strings.HasPrefix(args[0].s, "-") {
			args = args[1:]
		}
		if len(args) == 0 || args[0].s != "run-all" && args[0].s != "run" {
			return
		}
		args = args[1:]
		for len(args) > 0 && (args[0].s == "--all" || args[0].s == "-a" || args[0].s == "--" || strings.HasPrefix(args[0].s, "--queue-") || args[0].s == "--non-interactive") {
			args = args[1:]
		}
		if len(args) > 0 {
			w.command(append([]arg{{s: "terragrunt"}}, args...), in, depth+1)
		}
	}
}

// shellBuiltins judges bash's builtins that run, write or print what
// their words do not show: fc re-runs history, history -w writes it over a
// file, compgen -C runs a command, set -k makes assignments after a
// command its environment, declare -p prints a variable.
func (w *walker) shellBuiltins(c *call, depth int) {
	switch c.name {
	case "fc":
		if !c.has("-l") {
			w.add("shell.history-run", unknown, "fc runs commands from the shell's history, which this line does not show")
		}
	case "history":
		if c.has("-w", "-a", "-r", "-n") {
			for _, p := range c.pos {
				if c.has("-w", "-a") {
					w.truncates(p.s, p.dyn, "history -w")
				}
			}
		}
	case "compgen", "complete":
		for _, v := range optionValues(c, "-C") {
			w.shellString(v, depth)
		}
	case "set":
		for _, a := range c.args {
			if a.s == "-k" || len(a.s) > 1 && a.s[0] == '-' && isLetters(a.s[1:]) && strings.ContainsRune(a.s, 'k') || a.s == "keyword" {
				w.add("shell.keyword-assignments", unknown, "set -k makes NAME=value words anywhere on a command line its environment, which can make programs run commands")
			}
		}
	case "declare", "typeset", "local", "export", "readonly":
		if c.has("-p") {
			for _, p := range c.pos {
				if p.dyn || secretName(p.s) {
					w.add("creds.printenv", credential, c.name+" -p prints "+p.s+", which holds a credential")
				}
			}
		}
	}
}
