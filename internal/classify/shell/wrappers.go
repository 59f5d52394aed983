package shell

import (
	"slices"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// wrapper describes a command that runs another: which of its options take a
// value, and how many positionals come before the wrapped command.
type wrapper struct {
	valueOpts []string
	skip      int  // positionals before the command (timeout DURATION)
	assigns   bool // NAME=VALUE words may precede the command (env)
}

var wrappers = map[string]wrapper{
	"sudo":         {valueOpts: strings.Fields("-u -g -C -D -h -p -r -t -U -T --user --group --chdir --host --prompt --role --type --other-user --close-from --command-timeout")},
	"doas":         {valueOpts: []string{"-u", "-C"}},
	"env":          {valueOpts: strings.Fields("-u -C --unset --chdir"), assigns: true},
	"nice":         {valueOpts: []string{"-n", "--adjustment"}},
	"nohup":        {},
	"xterm":        {valueOpts: strings.Fields("-T -title -n -geometry -g -fg -bg -fn -fa -fs -bd -bw -class -name -xrm -cr -ms")},
	"mosh":         {valueOpts: strings.Fields("-p --port --ssh --server --predict --family"), skip: 1},
	"timeout":      {valueOpts: strings.Fields("-s -k --signal --kill-after"), skip: 1},
	"time":         {valueOpts: strings.Fields("-f -o --format --output")},
	"command":      {},
	"builtin":      {},
	"exec":         {valueOpts: []string{"-a"}},
	"stdbuf":       {valueOpts: strings.Fields("-i -o -e --input --output --error")},
	"ionice":       {valueOpts: strings.Fields("-c -n -p -P -u -t --class --classdata")},
	"chrt":         {skip: 1},
	"taskset":      {skip: 1},
	"setsid":       {},
	"unbuffer":     {},
	"chronic":      {},
	"caffeinate":   {valueOpts: []string{"-t", "-w"}},
	"flock":        {valueOpts: strings.Fields("-w -E --timeout --conflict-exit-code"), skip: 1},
	"busybox":      {},
	"retry":        {valueOpts: strings.Fields("-t -d --times --delay")},
	"dotenv":       {valueOpts: []string{"-e", "-v", "-f", "-c"}},
	"with-contenv": {},
	"catchsegv":    {},
	"strace":       {valueOpts: strings.Fields("-e -o -p -s -u")},
	"ltrace":       {valueOpts: strings.Fields("-e -o -p -s -u")},
	"torsocks":     {},
	"proxychains":  {valueOpts: []string{"-f"}},
	"proxychains4": {valueOpts: []string{"-f"}},
	"su":           {valueOpts: []string{"-s", "--shell", "-g", "-G"}},
	"trickle":      {valueOpts: strings.Fields("-d -u -w -t -l -n")},
	"daemonize":    {valueOpts: strings.Fields("-a -c -e -o -p -l -u -E")},
}

// unwrap returns the command a wrapper runs. env with no command prints the
// environment, which is not unwrapping: it is left to the credential pack.
func unwrap(name string, args []arg) ([]arg, bool) {
	wr, ok := wrappers[name]
	if !ok {
		return nil, false
	}
	if name == "command" && len(args) > 0 && (args[0].s == "-v" || args[0].s == "-V") {
		return nil, false
	}
	if name == "su" || name == "runuser" && !slices.ContainsFunc(args, func(a arg) bool {
		return a.s == "-u" || a.s == "--user" || strings.HasPrefix(a.s, "--user=")
	}) {
		return suCommand(args), true
	}
	i, skipped := 0, 0
	for i < len(args) {
		a := args[i]
		switch {
		case a.s == "--" && !a.dyn:
			i++
			if skipped < wr.skip {
				i += wr.skip - skipped
			}
			if name == "env" && i >= len(args) {
				return nil, false // env -- alone prints the environment
			}
			return tail(args, i), true
		case strings.HasPrefix(a.s, "-") && len(a.s) > 1 && !a.dyn:
			if name == "env" && (a.s == "-S" || a.s == "--split-string" || envSplitCluster(a.s)) && i+1 < len(args) {
				// env -S "cmd args" splits one string into the command line;
				// so does a cluster ending in S (env -iS "..."). The words
				// after it are the command's further arguments.
				return []arg{{s: "sh"}, {s: "-c"}, joinedCommand(args[i+1], args[i+2:])}, true
			}
			if v, ok := strings.CutPrefix(a.s, "--split-string="); name == "env" && ok {
				return []arg{{s: "sh"}, {s: "-c"}, {s: v, dyn: a.dyn}}, true
			}
			if j := strings.IndexByte(a.s, 'S'); name == "env" && !strings.HasPrefix(a.s, "--") && j > 0 && j < len(a.s)-1 && isLetters(a.s[1:j]) {
				return []arg{{s: "sh"}, {s: "-c"}, {s: a.s[j+1:], dyn: a.dyn}}, true // -S"cmd", -iS"cmd"
			}
			if takesValue(wr.valueOpts, a.s) {
				i++
			} else if _, next := shortFlags(a.s, wr.valueOpts); next && !strings.HasPrefix(a.s, "--") {
				i++ // sudo -iu root CMD: root is -u's
			}
			i++
		case wr.assigns && isAssignment(a.s):
			i++
		case skipped < wr.skip:
			skipped++
			i++
		default:
			if name == "dotenv" && (a.s == "list" || a.s == "get") {
				return nil, false // python-dotenv's list and get print the file's values
			}
			return args[i:], true
		}
	}
	if name == "env" {
		return nil, false // bare env prints the environment
	}
	return []arg{}, true
}

func tail(args []arg, i int) []arg {
	if i >= len(args) {
		return []arg{}
	}
	return args[i:]
}

func takesValue(opts []string, flag string) bool {
	for _, o := range opts {
		if flag == o {
			return true
		}
	}
	return false
}

func isAssignment(s string) bool {
	name, _, ok := strings.Cut(s, "=")
	if !ok || name == "" {
		return false
	}
	for i, r := range name {
		if !(r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// envSplitCluster: a cluster of env's short options that ends in S
// (-iS, -vS, -0S), whose value is the next word.
func envSplitCluster(a string) bool {
	return len(a) > 2 && a[0] == '-' && a[1] != '-' && strings.HasSuffix(a, "S") && isLetters(a[1:])
}

// joinedCommand is a command line made of a string the shell will split
// and words that follow it as they are.
func joinedCommand(head arg, rest []arg) arg {
	out := head
	for _, r := range rest {
		q, err := syntax.Quote(r.s, syntax.LangBash)
		if err != nil {
			q = r.s
		}
		out.s += " " + q
		out.dyn = out.dyn || r.dyn
	}
	return out
}

// suCommand is what su [options] [-] [user [argument...]] runs: the user's
// shell (or -s SHELL) with -c CMD, or with the arguments after the user.
// It is empty when the shell is started with neither.
func suCommand(args []arg) []arg {
	sh, ok := suShell(args)
	if !ok {
		sh = arg{s: "sh"}
	}
	var pos []arg
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a.dyn || a.s == "-" || !strings.HasPrefix(a.s, "-"):
			pos = append(pos, a)
		case strings.HasPrefix(a.s, "--shell="):
		case (a.s == "-s" || a.s == "--shell") && i+1 < len(args):
			i++
		case a.s == "--command" || !strings.HasPrefix(a.s, "--") && isLetters(a.s[1:]) && strings.HasSuffix(a.s, "c"):
			// -c CMD, and a cluster ending in it (-lc CMD).
			if i+1 < len(args) {
				return []arg{sh, {s: "-c"}, args[i+1]}
			}
		case strings.HasPrefix(a.s, "--command="):
			return []arg{sh, {s: "-c"}, {s: a.s[len("--command="):], dyn: a.dyn}}
		case slices.Contains([]string{"-g", "-G", "--group", "--supp-group", "-w", "--whitelist-environment"}, a.s):
			i++
		}
	}
	if len(pos) > 0 && pos[0].s == "-" && !pos[0].dyn {
		pos = pos[1:]
	}
	if len(pos) > 1 {
		return append([]arg{sh}, pos[1:]...)
	}
	return []arg{}
}

// suShell is the shell su's (or runuser's) -s SHELL names, the last one
// given, as su reads its options.
func suShell(args []arg) (arg, bool) {
	var sh arg
	found := false
	for i, a := range args {
		if v, ok := strings.CutPrefix(a.s, "--shell="); ok {
			sh, found = arg{s: v, dyn: a.dyn}, true
		} else if (a.s == "-s" || a.s == "--shell") && i+1 < len(args) {
			sh, found = args[i+1], true
		}
	}
	return sh, found
}

// commandlessShell classifies a wrapper given no command but fed standard
// input: sudo -s, sudo -i, su, runuser, doas -s, run0, chroot DIR,
// nsenter, unshare, sg, newgrp, pkexec and fakeroot then start a shell (the
// user's, or su's -s SHELL), and that shell runs what it is fed, as bash
// alone would. Wrappers that given no command start nothing are read the
// same way: an input that is a harmless script stays harmless.
func (w *walker) commandlessShell(name string, args []arg, in input, depth int) {
	if sh, ok := suShell(args); ok && (name == "su" || name == "runuser") {
		w.command([]arg{sh}, in, depth+1)
		return
	}
	w.stdinProgram(name, in, depth, func(text string) { w.script(text, depth+1) })
}

// startsShell reports whether a wrapper given no command starts a shell:
// su, runuser, sudo -s/-i, doas -s, run0, pkexec, chroot, nsenter,
// unshare, sg, newgrp and fakeroot do.
func startsShell(name string, args []arg) bool {
	switch name {
	case "su", "runuser", "run0", "pkexec", "chroot", "nsenter", "unshare", "sg", "newgrp", "fakeroot":
		return true
	case "doas":
		return slices.ContainsFunc(args, func(a arg) bool { return a.s == "-s" })
	}
	return shellOf(name, args)
}
