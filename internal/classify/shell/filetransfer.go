package shell

import (
	"slices"
	"strings"
)

// File-transfer shells (sftp, ftp, lftp, smbclient) run a script of their
// own commands on another machine: given on the line (lftp -c|-e,
// smbclient -c), in a batch file (sftp -b, lftp -f) or on standard input.
// Their deletes are read from that script; a line that starts with ! runs
// on this machine, as a shell command.

var transferShells = []string{"sftp", "ftp", "tnftp", "lftp", "smbclient", "ncftp"}

var remoteDeletes = []string{"rm", "rmdir", "del", "deltree", "delete", "mdelete", "mdel", "mrm", "rmr", "glob"}

func (w *walker) transferScript(c *call, in input, depth int) {
	if !slices.Contains(transferShells, c.name) {
		return
	}
	var scripts []string
	for _, v := range optionValues(c, "-c", "-e", "--command") {
		if c.name == "lftp" || c.name == "smbclient" && v.s != "" {
			if v.dyn {
				w.add("shell.dynamic-script", unknown, c.name+" runs commands only known at run time: "+v.s)
				continue
			}
			scripts = append(scripts, v.s)
		}
	}
	files := optionValues(c, "-b")
	if c.name == "lftp" {
		files = optionValues(c, "-f")
	}
	stdin := c.name != "lftp" || len(scripts) == 0 && len(files) == 0
	for _, f := range files {
		if f.s == "-" {
			stdin = true
			continue
		}
		if text, ok := w.readWorkspace(f.s); ok && !f.dyn {
			scripts = append(scripts, text)
		} else {
			w.add("shell.program-code", unknown, c.name+" runs the commands in "+f.s+", which Chaperone cannot read here")
		}
	}
	if stdin && in.present {
		if !in.known {
			w.add("shell.program-code", unknown, c.name+" runs commands fed from "+in.from+", only known at run time")
		} else {
			scripts = append(scripts, in.text)
		}
	}
	for _, s := range scripts {
		for _, line := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == ';' }) {
			w.transferCommand(c.name, strings.TrimSpace(line), depth)
		}
	}
}

func (w *walker) transferCommand(shell, line string, depth int) {
	if rest, ok := strings.CutPrefix(line, "!"); ok {
		w.script(rest, depth+1) // runs here
		return
	}
	f := strings.Fields(strings.TrimLeft(line, "-@"))
	if len(f) == 0 {
		return
	}
	verb := strings.ToLower(f[0])
	if (verb == "glob" || verb == "local") && len(f) > 1 {
		// glob rm *, and lftp's local rm, which deletes on this side.
		verb = strings.ToLower(f[1])
	}
	if verb == "source" || verb == "shell" {
		w.add("shell.program-code", unknown, shell+" runs commands Chaperone does not read here: "+firstLine(line))
		return
	}
	mirrorDeletes := verb == "mirror" && slices.ContainsFunc(f[1:], func(s string) bool {
		return s == "--delete" || s == "-e" || strings.HasPrefix(s, "--delete") || len(s) > 1 && s[0] == '-' && s[1] != '-' && strings.Contains(s, "e")
	})
	if slices.Contains(remoteDeletes, verb) && verb != "glob" || mirrorDeletes {
		w.add("ftp.remote-delete", destructive, shell+" deletes files on the other machine: "+firstLine(line))
	}
}
