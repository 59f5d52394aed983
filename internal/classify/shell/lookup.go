package shell

import "strings"

// How bash finds the program a name runs, and the settings programs take
// from the environment, can be changed so that a harmless-looking command
// runs another: hash -p, BASH_CMDS, exported functions, a PATH that
// searches the workspace; mapfile's callback runs text.
func (w *walker) lookupChanges(name string, args []arg, depth int) {
	switch name {
	case "hash":
		for _, a := range args {
			if a.dyn || strings.HasPrefix(a.s, "-") && strings.Contains(a.s, "p") {
				w.add("shell.lookup-changed", unknown, "hash -p makes a command name run another program")
				return
			}
		}
	case "mapfile", "readarray":
		for i, a := range args {
			if a.s == "-C" && i+1 < len(args) {
				if args[i+1].dyn {
					w.add("shell.dynamic-eval", unknown, name+" -C runs a callback only known at run time")
				} else {
					w.script(args[i+1].s+" 0 x", depth+1)
				}
			} else if strings.HasPrefix(a.s, "-C") && len(a.s) > 2 {
				w.script(a.s[2:]+" 0 x", depth+1)
			}
		}
	case "env", "export", "declare", "typeset", "local", "readonly":
		for _, a := range args {
			if k, v, ok := strings.Cut(a.s, "="); ok && !strings.HasPrefix(a.s, "-") {
				if strings.HasPrefix(k, "BASH_FUNC_") {
					w.add("shell.exported-function", unknown, "an exported function's definition replaces a command for the shells started after it")
				}
				w.environment(k, v)
			}
		}
	}
}

// environment judges a variable set to v for the commands after it.
func (w *walker) environment(name, v string) {
	switch {
	case name == "BASH_CMDS" || strings.HasPrefix(name, "BASH_CMDS["):
		w.add("shell.lookup-changed", unknown, "BASH_CMDS makes a command name run another program")
	case name == "PATH":
		for _, dir := range strings.Split(v, ":") {
			if toolDir(dir) {
				continue
			}
			if dir == "" || !strings.HasPrefix(dir, "/") && !strings.HasPrefix(dir, "$") && !strings.HasPrefix(dir, "~") || isTemp(dir) {
				w.add("shell.lookup-changed", unknown, "PATH searches "+dir+" for commands: a name may run a file the command line or the agent put there")
				return
			}
		}
	case strings.HasPrefix(name, "TF_CLI_ARGS"):
		if strings.Contains(v, "destroy") || strings.Contains(v, "-replace") {
			w.add("iac.destroy", destructive, name+" adds "+v+" to terraform's commands")
		}
	}
}

// toolDir: the workspace directories package managers put their tools in,
// which a PATH commonly names (PATH=node_modules/.bin:$PATH).
func toolDir(dir string) bool {
	dir = strings.TrimSuffix(strings.TrimPrefix(dir, "./"), "/")
	for _, d := range []string{"node_modules/.bin", ".venv/bin", "venv/bin", "vendor/bin", "bin", ".bin"} {
		if dir == d {
			return true
		}
	}
	return false
}
