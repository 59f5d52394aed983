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
	if (c.name == "git" && c.sub("apply") || c.name == "patch") && c.has("-R", "--reverse") && in.present && in.from == "git" {
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
