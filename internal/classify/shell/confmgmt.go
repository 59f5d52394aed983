package shell

import (
	"strings"
)

// Configuration management tools act by desired state and by commands they
// send to their nodes. A resource declared absent is removed however the
// tool spells it (puppet resource file /data ensure=absent, salt
// state.single file.absent, pyinfra files.directory present=False), a
// service declared stopped is stopped as systemctl stop would, and a
// command sent to nodes (bolt command run, mco shell run, mina run) is
// judged as typed. Ruby handed to chef-apply or knife exec is code the
// guard does not read.

// confMgmt judges c when it is one of these; false when it is not.
func (w *walker) confMgmt(c *call, depth int) bool {
	switch {
	case c.name == "bolt" && (c.sub("command", "run") || c.sub("task", "run") && len(c.pos) > 2 && c.pos[2].s == "shell"):
		if len(c.pos) < 3 {
			return false
		}
		w.add("shell.run", write, "bolt runs a command on its targets")
		w.shellString(c.pos[2].arg, depth)
	case c.name == "bolt" && c.sub("script", "run"):
		if len(c.pos) < 3 {
			return false
		}
		w.add("shell.run", write, "bolt runs a script on its targets")
		w.scriptFile(c.pos[2].s, "bolt script run", depth)
	case c.name == "mco" && c.sub("shell", "run"):
		if len(c.pos) < 3 {
			return false
		}
		w.add("shell.run", write, "mco runs a command on its nodes")
		w.shellString(c.pos[2].arg, depth)
	case c.name == "mina" && c.sub("run"):
		if len(c.pos) < 2 {
			return false
		}
		w.add("shell.run", write, "mina runs a command on its server")
		w.shellString(c.pos[1].arg, depth)
	case c.name == "chef-apply" && c.has("-e", "--execute") || c.name == "knife" && c.sub("exec") ||
		c.name == "chef-apply" && len(c.pos) > 0:
		w.add("shell.program-code", unknown, c.name+" runs Ruby, which Chaperone does not read")
	case c.name == "puppet" && c.sub("resource") && len(c.pos) >= 3:
		w.desiredStates(c.pos[1].s, c.pos[2].s, c, depth)
	case c.name == "mco" && c.sub("rpc") && len(c.pos) >= 3:
		// mco rpc service stop service=postgresql
		if target := keyValue(c, "service"); c.pos[1].s == "service" && (c.pos[2].s == "stop" || c.pos[2].s == "disable") && target != "" {
			w.command([]arg{{s: "systemctl"}, {s: "stop"}, {s: target}}, input{}, depth+1)
		}
		if c.pos[2].s == "uninstall" || c.pos[2].s == "purge" || c.pos[2].s == "remove" {
			w.add("config.absent", destructive, "mco rpc "+c.pos[1].s+" "+c.pos[2].s+" removes it from every node")
		}
		return false
	case c.name == "pyinfra":
		for _, p := range c.pos {
			if k, v, ok := strings.Cut(p.s, "="); ok && (k == "present" || k == "running") && isFalseWord(v) {
				w.add("config.absent", destructive, "pyinfra "+p.s+" removes or stops what the operation names")
			}
		}
		return false
	case c.name == "salt" || c.name == "salt-call" || c.name == "salt-ssh":
		for i, p := range c.pos {
			if p.s != "state.single" || i+1 >= len(c.pos) {
				continue
			}
			fn := c.pos[i+1].s
			for _, suf := range []string{".absent", ".removed", ".purged", ".dead", ".disabled", ".dropped"} {
				if strings.HasSuffix(fn, suf) {
					w.add("config.absent", destructive, c.name+" state.single "+fn+" removes or stops what it names")
				}
			}
		}
		return false
	default:
		return false
	}
	return true
}

// desiredStates judges a resource declared with key=value words: absent or
// purged removes it, stopped stops it.
func (w *walker) desiredStates(kind, name string, c *call, depth int) {
	changes := false
	for _, p := range c.pos {
		if strings.Contains(p.s, "=") {
			changes = true
		}
	}
	if !changes {
		return // prints the resource as it is
	}
	w.add("shell.run", write, c.name+" sets "+kind+" "+name)
	if kind == "file" {
		// A file set by content, source or ensure is written as tee
		// would write it.
		w.command([]arg{{s: "tee"}, {s: name}}, input{present: true}, depth+1)
	}
	for _, p := range c.pos {
		k, v, ok := strings.Cut(p.s, "=")
		if !ok {
			continue
		}
		v = strings.ToLower(strings.Trim(v, `"'`))
		switch {
		case (k == "ensure" || k == "state") && (v == "absent" || v == "purged" || v == "removed" || v == "deleted"):
			w.add("config.absent", destructive, c.name+" removes "+kind+" "+name)
		case k == "ensure" && (v == "stopped" || v == "false") || k == "running" && isFalseWord(v):
			w.command([]arg{{s: "systemctl"}, {s: "stop"}, {s: name}}, input{}, depth+1)
		}
	}
}

// keyValue is the value of the first key=VALUE positional of c.
func keyValue(c *call, key string) string {
	for _, p := range c.pos {
		if v, ok := strings.CutPrefix(p.s, key+"="); ok {
			return v
		}
	}
	return ""
}

func isFalseWord(v string) bool {
	switch strings.ToLower(strings.Trim(v, `"'`)) {
	case "false", "no", "0", "off", "n":
		return true
	}
	return false
}
