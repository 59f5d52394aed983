package shell

import (
	"regexp"
	"slices"
	"strings"
)

// File-transfer shells (sftp, ftp, lftp, smbclient) run a script of their
// own commands on another machine: given on the line (lftp -c|-e,
// smbclient -c), in a batch file (sftp -b, lftp -f) or on standard input.
// Their deletes are read from that script; a line that starts with ! runs
// on this machine, as a shell command.

var transferShells = []string{"sftp", "ftp", "tnftp", "lftp", "smbclient", "ncftp"}

var remoteDeletes = []string{"rm", "rmdir", "del", "deltree", "delete", "mdelete", "mdel", "mrm", "rmr", "rd", "unlink", "posix_unlink", "posix_rmdir", "dele", "rmd", "xrmd"}

// transferPrefixes run the command after them (lftp's glob, local, eval,
// command, queue, repeat; a raw FTP command by quote or site).
var transferPrefixes = []string{"glob", "local", "eval", "command", "queue", "repeat", "quote", "site", "raw", "literal"}

// transferSeparators: what ends one of these shells' commands.
var transferSeparators = regexp.MustCompile(`\n|;|&&|\|\||&|[()]`)

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
	if c.name == "smbclient" && slices.ContainsFunc(c.flags, func(f string) bool { return strings.HasPrefix(f, "-T") && strings.Contains(f, "x") }) {
		w.add("ftp.remote-delete", destructive, c.name+" -Tx extracts a tar over the share, replacing what is there")
	}
	for _, s := range scripts {
		for _, line := range transferSeparators.Split(s, -1) {
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
	// Prefixes that run what follows them: glob rm *, local rm (on this
	// side), eval rm, quote DELE f.
	for len(f) > 1 && slices.Contains(transferPrefixes, strings.ToLower(f[0])) {
		f = f[1:]
		for len(f) > 1 && (strings.HasPrefix(f[0], "-") || strings.Trim(f[0], "0123456789.smhd") == "") {
			f = f[1:] // repeat -d 5 rm f, repeat 10s rm f
		}
	}
	verb := strings.ToLower(f[0])
	if verb == "source" || verb == "shell" {
		w.add("shell.program-code", unknown, shell+" runs commands Chaperone does not read here: "+firstLine(line))
		return
	}
	if verb == "alias" && len(f) > 2 {
		// An alias for a delete deletes when used.
		w.transferCommand(shell, strings.Join(f[2:], " "), depth)
		return
	}
	opts := f[1:]
	flag := func(short byte, long ...string) bool {
		return slices.ContainsFunc(opts, func(s string) bool {
			for _, l := range long {
				if strings.EqualFold(s, l) || strings.HasPrefix(strings.ToLower(s), strings.ToLower(l)+"=") {
					return true
				}
			}
			return len(s) > 1 && s[0] == '-' && s[1] != '-' && strings.IndexByte(s, short) > 0
		})
	}
	deletesSource := (verb == "get" || verb == "mget" || verb == "put" || verb == "mput" || verb == "pget") && flag('E', "--delete-source", "--Remove-source-files") ||
		verb == "mirror" && slices.ContainsFunc(opts, func(s string) bool {
			l := strings.ToLower(s)
			return strings.HasPrefix(l, "--remove-source") || strings.HasPrefix(l, "--delete") || s == "-e" || len(s) > 1 && s[0] == '-' && s[1] != '-' && strings.Contains(s, "e")
		})
	if slices.Contains(remoteDeletes, verb) || deletesSource {
		w.add("ftp.remote-delete", destructive, shell+" deletes files on the other machine: "+firstLine(line))
	}
}
