package shell

import (
	"strings"
)

// shell handles sh/bash/zsh...: -c STRING is parsed as a script; a shell fed
// on standard input runs that input.
func (w *walker) shell(c *call, in input, depth int) {
	for i, a := range c.args {
		if a.dyn {
			break
		}
		if a.s == "-c" || (strings.HasPrefix(a.s, "-") && !strings.HasPrefix(a.s, "--") && strings.Contains(a.s, "c")) {
			if i+1 >= len(c.args) {
				w.add("shell.parse-error", unknown, c.name+" -c without a command")
				return
			}
			script := c.args[i+1]
			if script.dyn {
				w.add("shell.dynamic-script", unknown, c.name+" -c runs a command only known at run time")
				return
			}
			w.script(script.s, depth+1)
			return
		}
		if !strings.HasPrefix(a.s, "-") && !strings.HasPrefix(a.s, "+") {
			w.add("shell.run-script", write, c.name+" runs the script file "+a.s)
			return
		}
	}
	w.stdinProgram(c.name, in, depth, func(text string) { w.script(text, depth+1) })
}

// stdinProgram classifies a program read from standard input by run.
func (w *walker) stdinProgram(name string, in input, depth int, run func(string)) {
	switch {
	case in.present && in.known:
		run(in.text)
	case in.present:
		w.add("shell.pipe-to-shell", unknown, "output of "+in.from+" is run by "+name+": what it runs is only known at run time")
	default:
		w.add("shell.interactive", write, "starts an interactive "+name)
	}
}

func (w *walker) eval(args []arg, depth int) {
	w.joinedScript(args, depth, "shell.dynamic-eval", "eval runs text only known at run time")
}

// joinedScript runs words joined with spaces as a script, as eval, watch and
// ssh do; any word only known at run time makes the whole script unknown.
func (w *walker) joinedScript(args []arg, depth int, id, msg string) {
	parts := make([]string, len(args))
	for i, a := range args {
		if a.dyn {
			w.add(id, unknown, msg)
			return
		}
		parts[i] = a.s
	}
	w.script(strings.Join(parts, " "), depth+1)
}

var xargsValueOpts = strings.Fields("-I -L -l -n -P -d -E -e -s -a --max-args --max-procs --delimiter --replace --arg-file --max-lines --eof --max-chars --process-slot-var -j --jobs -S --sshlogin --results --joblog --colsep")

// xargs and parallel run a command with arguments that arrive at run time.
func (w *walker) xargs(name string, args []arg, depth int) {
	i := 0
	for i < len(args) && strings.HasPrefix(args[i].s, "-") && !args[i].dyn {
		if takesValue(xargsValueOpts, args[i].s) {
			i++
		}
		i++
	}
	cmd := tail(args, i)
	if name == "parallel" {
		for j, a := range cmd {
			if a.s == ":::" || a.s == "::::" {
				cmd = cmd[:j]
				break
			}
		}
	}
	if len(cmd) == 0 {
		return // xargs alone echoes its input
	}
	inner := append(append([]arg{}, cmd...), arg{s: "$ARGS", dyn: true})
	w.command(inner, input{}, depth)
}

// find: -delete deletes what matches; -exec and friends run a command.
func (w *walker) find(c *call, depth int) {
	var roots []string
	for _, a := range c.args {
		if strings.HasPrefix(a.s, "-") || a.s == "(" || a.s == "!" {
			break
		}
		roots = append(roots, a.s)
	}
	disposable, local := len(roots) > 0, len(roots) > 0
	for _, r := range roots {
		disposable = disposable && isDisposable(r)
		local = local && inWorkspace(r)
	}
	for i := 0; i < len(c.args); i++ {
		switch c.args[i].s {
		case "-delete":
			if !disposable {
				w.add("fs.find-delete", destructive, "find -delete removes every file that matches")
				w.targets(roots)
			} else {
				w.add("fs.write", write, "find -delete removes build or temporary files")
			}
		case "-exec", "-execdir", "-ok", "-okdir":
			j := i + 1
			var cmd []arg
			for ; j < len(c.args) && c.args[j].s != ";" && c.args[j].s != "+"; j++ {
				a := c.args[j]
				if strings.Contains(a.s, "{}") {
					// What find finds lies under its roots.
					a = arg{s: strings.ReplaceAll(a.s, "{}", "$FOUND"), dyn: true}
					if local {
						a = arg{s: strings.ReplaceAll(a.s, "$FOUND", roots[0]+"/found")}
					}
				}
				cmd = append(cmd, a)
			}
			w.command(cmd, input{}, depth)
			i = j
		case "-fprint", "-fprintf", "-fls":
			if i+1 < len(c.args) {
				w.truncates(c.args[i+1].s, c.args[i+1].dyn, "find "+c.args[i].s)
			}
		}
	}
}

func (w *walker) targets(ts []string) {
	for _, t := range ts {
		w.target(t)
	}
}

var watchValueOpts = []string{"-n", "--interval", "-q", "--equexit"}

// watch runs its arguments through sh -c (or directly with -x).
func (w *walker) watch(args []arg, depth int) {
	exec := false
	i := 0
	for i < len(args) && strings.HasPrefix(args[i].s, "-") {
		if args[i].s == "-x" || args[i].s == "--exec" {
			exec = true
		}
		if takesValue(watchValueOpts, args[i].s) {
			i++
		}
		i++
	}
	w.joined(tail(args, i), exec, depth)
}

var sshValueOpts = strings.Fields("-p -i -l -o -F -J -L -R -D -b -c -E -e -m -O -Q -S -W -w -B -I")

// ssh HOST CMD runs CMD in a shell on HOST.
func (w *walker) ssh(args []arg, depth int) {
	i := 0
	for i < len(args) && strings.HasPrefix(args[i].s, "-") {
		if takesValue(sshValueOpts, args[i].s) {
			i++
		}
		i++
	}
	if i >= len(args)-1 {
		w.add("shell.ssh-session", write, "opens a shell on a remote host")
		return
	}
	w.joined(args[i+1:], false, depth)
}

// joined runs words as a shell would after joining them with spaces, or as a
// command line when exec is set.
func (w *walker) joined(args []arg, exec bool, depth int) {
	if len(args) == 0 {
		return
	}
	if exec {
		w.command(args, input{}, depth)
		return
	}
	w.joinedScript(args, depth, "shell.dynamic-script", "runs a command only known at run time")
}
