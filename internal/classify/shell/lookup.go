package shell

import (
	"path"
	"slices"
	"strings"
)

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
	case "watchexec", "entr":
		// watchexec CMD (without --) runs CMD through a shell, as entr -s
		// does; with -- the runner table reads the command.
		for i, a := range args {
			if a.s == "--" {
				return
			}
			if !strings.HasPrefix(a.s, "-") && (i == 0 || !strings.Contains(" -w --watch -e --exts -f --filter -i --ignore -d --debounce -s --signal ", " "+args[i-1].s+" ")) {
				w.shellString(a, depth)
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
	case name == "BASH_ALIASES" || strings.HasPrefix(name, "BASH_ALIASES["):
		w.add("shell.lookup-changed", unknown, "BASH_ALIASES defines an alias, a command name that runs a command line")
	case name == "PATH":
		for _, dir := range strings.Split(v, ":") {
			if toolDir(dir) {
				continue
			}
			here := dir == "$PWD" || dir == "$(...)" || dir == "$(pwd)" // the workspace itself, where the line writes
			if dir == "" || here || !strings.HasPrefix(dir, "/") && !strings.HasPrefix(dir, "$") && !strings.HasPrefix(dir, "~") || isTemp(dir) {
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

// gnuNames are the GNU tools that Homebrew installs with a g prefix (grm,
// gcp) beside the system's own.
var gnuNames = map[string]bool{"rm": true, "cp": true, "mv": true, "ln": true, "dd": true, "shred": true, "truncate": true,
	"tee": true, "install": true, "chmod": true, "chown": true, "chgrp": true, "rmdir": true, "unlink": true, "find": true,
	"xargs": true, "sort": true, "split": true, "touch": true, "mkdir": true, "env": true, "timeout": true, "nice": true,
	"nohup": true, "stdbuf": true, "uniq": true, "cat": true}

// coreutilsName is the program a name runs: grm is rm, and the coreutils
// multicall binary runs the one --coreutils-prog names.
func coreutilsName(name string, rest []arg) (string, []arg) {
	if name == "coreutils" && len(rest) > 0 && !rest[0].dyn {
		if p, ok := strings.CutPrefix(rest[0].s, "--coreutils-prog="); ok {
			return p, rest[1:]
		}
	}
	if len(name) > 1 && name[0] == 'g' && gnuNames[name[1:]] {
		return name[1:], rest
	}
	return name, rest
}

// outputOptions name the file a program writes its output to; writing it
// replaces what was there.
var outputOptions = []string{"-o", "--output", "--output-file", "--outfile", "-outfile", "--out", "-out", "--result-file", "--output-document", "--log-file"}

// programOutputs: options of particular programs that name a file (or a
// directory) they write: logs, traces, dumps, cookie jars, targets.
var programOutputs = map[string][]string{
	"curl":      {"--trace", "--trace-ascii", "-c", "--cookie-jar", "-D", "--dump-header", "--stderr", "--libcurl", "--etag-save", "--hsts", "--alt-svc"},
	"psql":      {"-L", "--log-file"},
	"mysql":     {"--tee"},
	"redis-cli": {"--rdb"},
	"mongodump": {"--archive", "--out"},
	"strace":    {"-o"}, "ltrace": {"-o"}, "time": {"-o", "--output"}, "tcpdump": {"-w"},
	"ssh": {"-E"}, "vim": {"-W", "-w"}, "nvim": {"-W", "-w"},
	"tsc": {"--outFile", "--outDir"}, "pip": {"--target", "-t", "--prefix", "--root"}, "pip3": {"--target", "-t", "--prefix", "--root"},
	"csplit": {"-f", "--prefix"}, "zstd": {"--output-dir-flat", "--output-dir-mirror"}, "unsquashfs": {"-d", "-dest"},
	"jar": {"-f", "--file"}, "javac": {"-d", "-h", "-s"}, "openssl": {"-keyout", "-out"},
	"gcc": compilerOutputOpts, "g++": compilerOutputOpts, "cc": compilerOutputOpts, "c++": compilerOutputOpts, "clang": compilerOutputOpts, "clang++": compilerOutputOpts,
	"node": {"--trace-event-file-pattern", "--logfile", "--test-reporter-destination", "--redirect-warnings", "--diagnostic-dir", "--report-directory", "--cpu-prof-dir", "--heap-prof-dir"},
}

var compilerOutputOpts = []string{"-MF", "-aux-info", "-dumpbase", "-save-temps"}

// embeddedOutputs: files a program writes that an option names inside its
// value: java's -Xlog:gc:file=F, -Xloggc:F, -XX:LogFile=F and its kin; a
// compiler's -Wl,-Map=F, -Wl,-Map,F, -Wp,-MD,F.
func embeddedOutputs(c *call) []arg {
	var out []arg
	for i, a := range c.args {
		s := a.s
		switch c.name {
		case "java", "javaw":
			if strings.HasPrefix(s, "-Xlog:") {
				if i := strings.Index(s, "file="); i >= 0 {
					f, _, _ := strings.Cut(s[i+len("file="):], ":")
					out = append(out, arg{s: strings.Trim(f, `"`), dyn: a.dyn})
				}
			}
			for _, p := range []string{"-Xloggc:", "-XX:LogFile=", "-XX:ArchiveClassesAtExit=", "-XX:SharedArchiveFile=", "-XX:HeapDumpPath=", "-XX:ErrorFile=", "-XX:StartFlightRecording:filename=", "-XX:FlightRecorderOptions:repository="} {
				if v, ok := strings.CutPrefix(s, p); ok {
					out = append(out, arg{s: v, dyn: a.dyn})
				}
			}
		case "jar":
			// jar cf FILE ... (or cmf MANIFEST FILE): the letters f, m and
			// e take the words after them in order.
			if i == 0 && !a.dyn && !strings.HasPrefix(s, "-") && isLetters(s) && strings.ContainsAny(s, "cu") {
				n := 0
				for _, l := range s {
					if strings.ContainsRune("fme", l) {
						n++
						if l == 'f' && n < len(c.args) {
							out = append(out, c.args[n])
						}
					}
				}
			}
		case "gcc", "g++", "cc", "c++", "clang", "clang++":
			for _, p := range []string{"-Wl,", "-Wp,", "-Xlinker"} {
				v, ok := strings.CutPrefix(s, p)
				if !ok {
					continue
				}
				parts := strings.Split(v, ",")
				for i, part := range parts {
					switch {
					case strings.HasPrefix(part, "-Map="):
						out = append(out, arg{s: part[len("-Map="):], dyn: a.dyn})
					case (part == "-Map" || part == "-MF" || part == "-MD" || part == "-o") && i+1 < len(parts):
						out = append(out, arg{s: parts[i+1], dyn: a.dyn})
					}
				}
			}
		}
	}
	return out
}

// positionalOutputs are the operands some programs write to: script's
// log file, xxd -r's output, split's prefix, git bundle create's file.
func positionalOutputs(c *call) []arg {
	ops := func() []arg {
		var out []arg
		for _, p := range c.pos {
			if !p.afterFlag {
				out = append(out, p.arg)
			}
		}
		return out
	}
	if strings.HasPrefix(c.name, "python") {
		// python -m zipfile/tarfile -c OUT ..., python -m json.tool IN OUT.
		for i, a := range c.args {
			if a.s != "-m" || i+2 >= len(c.args) {
				continue
			}
			rest := c.args[i+2:]
			switch c.args[i+1].s {
			case "zipfile", "tarfile":
				for j, r := range rest {
					if (r.s == "-c" || r.s == "--create") && j+1 < len(rest) {
						return rest[j+1 : j+2]
					}
				}
			case "json.tool":
				var files []arg
				for _, r := range rest {
					if !strings.HasPrefix(r.s, "-") {
						files = append(files, r)
					}
				}
				if len(files) >= 2 {
					return files[1:2]
				}
			}
			break
		}
	}
	switch c.name {
	case "script":
		if o := ops(); len(o) > 0 {
			return o[len(o)-1:]
		}
	case "xxd":
		// xxd -r [IN|-] OUT patches OUT in place.
		if o := xxdOperands(c.args); c.has("-r", "-revert") && len(o) >= 2 {
			return o[1:2]
		}
	case "cpp":
		// cpp IN OUT writes OUT.
		if o := ops(); len(o) >= 2 {
			return o[1:2]
		}
	case "split":
		// split [OPTION]... [INPUT [PREFIX]]: its files are PREFIX and a
		// suffix, each written over whatever has that name.
		if o := splitOperands(c.args); len(o) >= 2 {
			return o[1:2]
		}
	case "dpkg", "dpkg-deb":
		// dpkg -x DEB DIR unpacks into DIR.
		if c.has("-x", "--extract", "-X", "--vextract") && len(c.pos) >= 1 {
			return []arg{c.pos[len(c.pos)-1].arg}
		}
	case "tmux":
		// tmux save-buffer FILE writes the buffer over FILE.
		if (c.sub("save-buffer") || c.sub("saveb")) && len(c.pos) > 1 {
			return []arg{c.pos[len(c.pos)-1].arg}
		}
	case "git":
		// git merge-file CURRENT BASE OTHER writes the merge over CURRENT.
		if c.sub("merge-file") && !c.has("-p", "--stdout") {
			if o := c.operands(1); len(o) > 0 {
				return []arg{o[0].arg}
			}
		}
		if c.sub("bundle", "create") {
			if o := c.operands(2); len(o) > 0 {
				return []arg{o[0].arg}
			}
		}
	}
	return nil
}

// splitOperands reads split's operands as split does: the value of -a,
// -b, -C, -l, -n and -t is the next word unless glued (-n1), and long
// options take theirs after = or as the next word.
func splitOperands(args []arg) []arg {
	var out []arg
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a.s == "--" && !a.dyn:
			return append(out, args[i+1:]...)
		case a.s == "-" || !strings.HasPrefix(a.s, "-") || a.dyn:
			out = append(out, a)
		case slices.Contains([]string{"-a", "-b", "-C", "-l", "-n", "-t"}, a.s):
			i++
		case strings.HasPrefix(a.s, "--") && !strings.Contains(a.s, "=") &&
			slices.Contains([]string{"--suffix-length", "--bytes", "--line-bytes", "--lines", "--number", "--separator", "--additional-suffix", "--filter"}, a.s):
			i++
		}
	}
	return out
}

// xxdOperands reads xxd's operands as xxd does: -c, -g, -l, -o, -s and
// -n (and their long spellings) take the next word; "-" alone is an
// operand (standard input or output).
func xxdOperands(args []arg) []arg {
	var out []arg
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a.s == "-" || !strings.HasPrefix(a.s, "-") || a.dyn:
			out = append(out, a)
		case slices.Contains([]string{"-c", "-cols", "-g", "-groupsize", "-l", "-len", "-o", "-offset", "-s", "-seek", "-n", "-name"}, a.s):
			i++
		}
	}
	return out
}

// oldStyleValue: the value a letter of tar's dashless first word takes
// (tar cbf 20 x.tar: b takes 20, f x.tar), in the order of the letters.
func oldStyleValue(c *call, letter byte) (arg, bool) {
	if !oldStyleTar(c, letter) {
		return arg{}, false
	}
	n := 0
	for i := 0; i < len(c.args[0].s); i++ {
		l := c.args[0].s[i]
		if !strings.ContainsRune("bCfFgHKLNTVX", rune(l)) {
			continue
		}
		n++
		if l == letter {
			if n < len(c.args) {
				return c.args[n], true
			}
			return arg{}, false
		}
	}
	return arg{}, false
}

// wgetCommands: -e output_document=F (a .wgetrc command) writes F as -O
// does; a --config file can say the same, unread here.
func (w *walker) wgetCommands(c *call) {
	for _, v := range optionValues(c, "-e", "--execute") {
		k, f, ok := strings.Cut(v.s, "=")
		k = strings.ReplaceAll(strings.ReplaceAll(strings.ToLower(strings.TrimSpace(k)), "_", ""), "-", "")
		if ok && (k == "outputdocument" || k == "logfile" || k == "dirprefix") {
			w.overwritesOutput(c, arg{s: strings.TrimSpace(f), dyn: v.dyn})
		}
	}
	if cf := optionValues(c, "--config"); len(cf) > 0 {
		w.add("shell.preload", unknown, "wget reads its settings, which can name the files it writes, from "+cf[0].s)
	}
}

// zipArchive: zip's first operand, the archive it writes, as zip reads
// its options (-b, -n, -t, -tt, -P, -Z, -s, -O take the next word).
func zipArchive(args []arg) (arg, bool) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a.dyn:
			return a, true
		case slices.Contains([]string{"-b", "-n", "-t", "-tt", "-P", "-Z", "-s", "-sp", "-O", "--out"}, a.s):
			i++
		case a.s == "-" || !strings.HasPrefix(a.s, "-"):
			if a.s == "-" {
				return arg{}, false // to standard output
			}
			return a, true
		}
	}
	return arg{}, false
}

// notOutput: programs whose -o or --output is no file to write.
var notOutput = map[string]bool{"grep": true, "egrep": true, "fgrep": true, "rg": true, "ag": true, "ssh": true, "scp": true, "sftp": true,
	"mount": true, "ps": true, "lsblk": true, "findmnt": true, "sort": true, "sed": true, "7z": true, "7za": true, "7zr": true, "7zz": true,
	"unzip": true}

// outputFiles judges the file a program is told to write its output to
// (curl -o, wget -O, pg_dump -f, openssl -out, tar -cf, ssh-keygen -f...):
// outside the workspace and temp, it is overwritten.
func (w *walker) outputFiles(c *call, in input) {
	for _, v := range optionValues(c, programOutputs[c.name]...) {
		w.overwritesOutput(c, v)
	}
	for _, v := range embeddedOutputs(c) {
		w.overwritesOutput(c, v)
	}
	for _, v := range positionalOutputs(c) {
		w.overwritesOutput(c, v)
	}
	if notOutput[c.name] {
		return
	}
	opts := outputOptions
	switch c.name {
	case "wget":
		opts = append(opts, "-O")
		w.wgetCommands(c)
	case "pg_dump", "pg_dumpall", "pg_basebackup":
		opts = append(opts, "-f", "--file", "-D", "--pgdata")
	case "git":
		if c.sub("fast-export") || c.sub("fast-import") {
			opts = append(opts, "--export-marks") // a marks file, written over
		}
		if c.sub("config") {
			opts = append(opts, "-f", "--file") // the file git config writes
		}
	case "ssh-keygen":
		// -f names the key it makes; over an existing one only once its
		// question is answered, on standard input (<<< y, yes |).
		if in.present && !c.has("-l", "-y", "-F", "-e", "-B", "-L", "-Q", "-D", "-i") {
			opts = append(opts, "-f")
		}
		// -p (a new passphrase) and -c (a new comment) rewrite the key in
		// place: with a passphrase nobody keeps, the key is lost.
		if c.has("-p", "-c") {
			opts = append(opts, "-f")
		}
	case "zip":
		// zip writes (and with -d, -FS, -m, -u updates) its archive.
		if a, ok := zipArchive(c.args); ok {
			w.overwritesOutput(c, a)
		}
	case "tar", "gtar", "bsdtar":
		if tarCreates(c) {
			opts = append(opts, "-f", "--file")
			if v, ok := bundleValue(c, 'f'); ok {
				w.overwritesOutput(c, arg{s: v})
			}
			if v, ok := oldStyleValue(c, 'f'); ok {
				w.overwritesOutput(c, v) // tar cf ARCHIVE FILES...
			}
		}
	}
	for _, v := range optionValues(c, opts...) {
		w.overwritesOutput(c, v)
	}
	// A directory option places the files named (or named by the URL)
	// there: curl -o .bashrc --output-dir ~ writes ~/.bashrc.
	var dirs, names []arg
	switch c.name {
	case "curl":
		dirs, names = optionValues(c, "--output-dir"), optionValues(c, "-o", "--output")
		if c.has("-O", "--remote-name", "--remote-name-all") {
			names = append(names, urlNames(c)...)
		}
	case "wget":
		if c.has("-N", "--timestamping", "-r", "--recursive", "-p", "--page-requisites", "-m", "--mirror") {
			dirs, names = optionValues(c, "-P", "--directory-prefix"), urlNames(c)
		}
	case "aria2c":
		dirs, names = optionValues(c, "-d", "--dir"), append(optionValues(c, "-o", "--out"), urlNames(c)...)
	}
	for _, d := range dirs {
		for _, n := range names {
			w.overwritesOutput(c, arg{s: path.Join(d.s, n.s), dyn: d.dyn || n.dyn})
		}
	}
}

// urlNames are the last parts of the URLs among c's operands: the names a
// downloader saves them under.
func urlNames(c *call) []arg {
	var out []arg
	for _, p := range c.pos {
		if i := strings.Index(p.s, "://"); i > 0 {
			u := strings.SplitN(strings.SplitN(p.s[i+3:], "?", 2)[0], "#", 2)[0]
			if j := strings.LastIndexByte(u, '/'); j >= 0 && j+1 < len(u) {
				out = append(out, arg{s: u[j+1:], dyn: p.dyn})
			}
		}
	}
	return out
}

func (w *walker) overwritesOutput(c *call, v arg) {
	if !v.dyn && !isDevice(v.s) && v.s != "-" && v.s != "" {
		w.wrote(v.s, "", false, false) // what the program writes is not followed
	}
	if v.s != "-" && v.s != "" && !isDevice(v.s) {
		w.edited(v.s, v.dyn) // curl -o main.tf: an apply after it applies what was fetched
	}
	at := *c
	at.here, at.root = w.outside(), w.ws.root
	if to, dyn, changed := w.through(v.s, true); changed && !v.dyn {
		v = arg{s: to, dyn: dyn} // a link: where it leads
		at.here = ""
	}
	if v.s == "-" || v.s == "" || !at.lands(v) {
		return
	}
	w.add("fs.overwrite-outside-workspace", destructive, c.name+" writes its output over "+v.s+", outside the workspace")
	w.target(v.s)
}

// bundleValue is the value of a short option given last in a cluster
// (tar -czf FILE): the word after the cluster.
func bundleValue(c *call, letter byte) (string, bool) {
	for i, a := range c.args {
		if len(a.s) > 2 && a.s[0] == '-' && a.s[1] != '-' && a.s[len(a.s)-1] == letter && isLetters(a.s[1:]) && i+1 < len(c.args) {
			return c.args[i+1].s, true
		}
	}
	return "", false
}
