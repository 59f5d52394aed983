package shell

import (
	"slices"
	"strings"
)

func init() { register(archivePack) }

// archivePack: unpacking an archive writes every member over whatever has
// its name, and a patch rewrites (or deletes) the files it names: into the
// workspace that is a write like any other, anywhere else it overwrites
// files the task does not own. Where they land is the -C/-d/-o/-D
// directory, else where the command runs (cwd.go).
var archivePack = &Pack{Name: "archive",
	Commands: []string{"tar", "gtar", "bsdtar", "unzip", "7z", "7za", "7zr", "7zz", "cpio", "pax", "patch", "unrar", "cabextract",
		"unar", "lha", "arj", "bsdcpio"},
	Rules: []Rule{
		{ID: "fs.extract-outside-workspace", When: extractsOutside, Class: destructive,
			Reason: "unpacks an archive over files outside the workspace"},
		{ID: "fs.extract-absolute-names", When: func(c *call) bool {
			return tarExtracts(c) && (c.has("-P", "--absolute-names") || oldStyleTar(c, 'P') || shortBundle(c, 'P'))
		}, Class: destructive, Reason: "tar -P unpacks members with absolute names wherever they point, outside the workspace included"},
		{ID: "git.hook-unknown", When: extractsIntoHooks, Class: unknown,
			Reason: "unpacks an archive into .git/hooks: git runs what lands there, which Chaperone cannot read now"},
		{ID: "fs.edit-outside-workspace", When: patchesOutside, Class: destructive,
			Reason: "patch edits (and may delete) files outside the workspace"},
	}}

// extractsOutside: an extraction that may overwrite, into a directory
// outside the workspace.
func extractsOutside(c *call) bool {
	var dirs []arg
	switch c.name {
	case "tar", "gtar", "bsdtar":
		if !tarExtracts(c) || c.has("-O", "--to-stdout", "--to-command", "-k", "--keep-old-files", "--skip-old-files") || oldStyleTar(c, 'O') || oldStyleTar(c, 'k') {
			return false
		}
		dirs = optionValues(c, "-C", "--directory", "--cd", "--one-top-level")
	case "unzip":
		if c.has("-l", "-t", "-v", "-Z", "-p", "-c", "-n") || shortBundle(c, 'l') || shortBundle(c, 't') || shortBundle(c, 'p') || shortBundle(c, 'n') {
			return false // lists, tests or prints; or never overwrites
		}
		dirs = optionValues(c, "-d")
	case "7z", "7za", "7zr", "7zz":
		if len(c.pos) == 0 || c.pos[0].s != "x" && c.pos[0].s != "e" || c.has("-aos", "-aou", "-so") {
			return false
		}
		for _, f := range c.flags {
			if v, ok := strings.CutPrefix(f, "-o"); ok {
				dirs = append(dirs, arg{s: v})
			}
		}
	case "cpio":
		if !c.has("-i", "--extract") && !shortBundle(c, 'i') || c.has("-t", "--list", "--to-stdout") || shortBundle(c, 't') {
			return false
		}
		dirs = optionValues(c, "-D", "--directory")
	case "pax":
		if !c.has("-r") && !shortBundle(c, 'r') || c.has("-k") || shortBundle(c, 'k') {
			return false
		}
	case "unrar", "lha", "arj":
		// unrar x|e [-o+] ARCHIVE [FILES] [DEST/]: the last word ending in
		// a slash is where members land.
		if len(c.pos) == 0 || c.pos[0].s != "x" && c.pos[0].s != "e" || c.has("-o-") {
			return false
		}
		if last := c.pos[len(c.pos)-1]; len(c.pos) > 2 && (strings.HasSuffix(last.s, "/") || last.dyn) {
			dirs = append(dirs, last.arg)
		}
	case "cabextract", "unar":
		if c.has("-l", "--list", "-t", "--test", "-p", "--pipe", "-s", "-no-recursion") && c.name == "cabextract" {
			return false
		}
		dirs = optionValues(c, "-d", "--directory", "-o", "-output-directory")
	default:
		return false
	}
	if len(dirs) == 0 {
		dirs = []arg{{s: "."}}
	}
	for _, d := range dirs {
		if c.lands(d) {
			return true
		}
	}
	return false
}

// extractsIntoHooks: an extraction whose directory is a repository's
// hooks directory (git runs its files), or where the command runs from
// there.
func extractsIntoHooks(c *call) bool {
	var dirs []arg
	switch c.name {
	case "tar", "gtar", "bsdtar":
		if !tarExtracts(c) || c.has("-O", "--to-stdout") || oldStyleTar(c, 'O') {
			return false
		}
		dirs = optionValues(c, "-C", "--directory", "--cd")
	case "unzip":
		dirs = optionValues(c, "-d")
	case "cpio":
		dirs = optionValues(c, "-D", "--directory")
	default:
		return false
	}
	dirs = append(dirs, arg{s: c.here})
	for _, d := range dirs {
		if s := strings.TrimSuffix(d.s, "/") + "/"; !d.dyn && strings.Contains("/"+strings.TrimPrefix(s, "./"), "/.git/hooks/") {
			return true
		}
	}
	return false
}

// lands reports whether a directory or file a tool writes, as written on
// its command line, is outside the workspace from where the tool runs, or
// in the repository's own .git (unpacked there, an archive replaces its
// history and refs).
func (c *call) lands(a arg) bool {
	if !a.dyn && gitInternal(strings.TrimSuffix(a.s, "/")+"/") {
		return true
	}
	s, dyn := placeFrom(c.here, a.s, a.dyn)
	s, dyn = rootedIn(c.root, s, dyn)
	return dyn || !isTemp(s) && !isDevice(s) && !inWorkspace(s)
}

// patchesOutside: patch -d DIR, or patch FILE, outside the workspace; a
// patch read from standard input with neither names its files itself,
// relative to where it runs.
func patchesOutside(c *call) bool {
	if c.name != "patch" && c.name != "gpatch" || c.has("--dry-run", "-C", "--check") {
		return false
	}
	if dirs := optionValues(c, "-d", "--directory"); len(dirs) > 0 {
		for _, d := range dirs {
			if c.lands(d) {
				return true
			}
		}
		return false
	}
	if ops := patchOperands(c); len(ops) > 0 {
		return c.lands(ops[0]) // patch ORIGFILE [PATCHFILE]
	}
	return c.lands(arg{s: "."})
}

// patchValueOpts are patch's options that take a value.
var patchValueOpts = strings.Fields("-d -i -o -r -D -F -z -B -V -Y -g -p --directory --input --output --reject-file --ifdef --fuzz --suffix --prefix --basename-prefix --version-control --get --strip --quoting-style --read-only --backup-if-mismatch")

// patchOperands: patch's ORIGFILE and PATCHFILE, its options (and their
// values) left out.
func patchOperands(c *call) []arg {
	var out []arg
	for i := 0; i < len(c.args); i++ {
		a := c.args[i]
		switch {
		case a.s == "--":
			return append(out, c.args[i+1:]...)
		case strings.HasPrefix(a.s, "-") && len(a.s) > 1:
			if slices.Contains(patchValueOpts, a.s) {
				i++ // -p 1, -i file
			}
		default:
			out = append(out, a)
		}
	}
	return out
}

// tarExtracts: -x, --extract, --get, x in a bundle (-xzf), or the old
// style's first word (tar xzf a.tgz).
func tarExtracts(c *call) bool {
	return c.has("-x", "--extract", "--get") || shortBundle(c, 'x') || oldStyleTar(c, 'x')
}

// oldStyleTar: tar's first argument without a dash is a bundle of options.
func oldStyleTar(c *call, letter byte) bool {
	if len(c.args) == 0 || c.args[0].dyn || strings.HasPrefix(c.args[0].s, "-") || !isLetters(c.args[0].s) {
		return false
	}
	return strings.IndexByte(c.args[0].s, letter) >= 0
}

// shortBundle: a cluster of short options (-xzvf) that holds letter.
func shortBundle(c *call, letter byte) bool {
	for _, f := range c.flags {
		if len(f) > 2 && f[0] == '-' && f[1] != '-' && isLetters(f[1:]) && strings.IndexByte(f, letter) > 0 {
			return true
		}
	}
	return false
}

// optionValues is every value an option is given: -C DIR, -CDIR, --directory=DIR.
func optionValues(c *call, names ...string) []arg {
	var out []arg
	dashed := !slices.ContainsFunc(names, func(n string) bool { return !strings.HasPrefix(n, "-") })
	for i, a := range c.args {
		if dashed && !a.dyn && !strings.HasPrefix(a.s, "-") {
			continue // every form below then starts with a dash
		}
		for _, n := range names {
			switch {
			case len(a.s) > len(n) && a.s[len(n)] == '=' && strings.HasPrefix(a.s, n):
				// --output=$X: a value known only at run time is still
				// the option's value.
				out = append(out, arg{s: a.s[len(n)+1:], dyn: a.dyn})
			case a.dyn:
			case a.s == n || strings.HasPrefix(n, "--") && abbreviates(a.s, n) && !strings.Contains(a.s, "="):
				if i+1 < len(c.args) {
					out = append(out, c.args[i+1])
				}
			case len(n) == 2 && n[1] != '-' && strings.HasPrefix(a.s, "-") && !strings.HasPrefix(a.s, "--"):
				// -Ofile, and the end of a cluster of flags: -qO file,
				// -qO/etc/passwd.
				at := strings.IndexByte(a.s[1:], n[1]) + 1
				if at == 0 || at > 1 && (!isLetters(a.s[1:at]) || longSingleDash[c.name] || strings.Contains(a.s[at:], "=")) {
					continue // -count=1, -timeout: one option, not a cluster
				}
				if at+1 < len(a.s) {
					out = append(out, arg{s: a.s[at+1:]})
				} else if i+1 < len(c.args) {
					out = append(out, c.args[i+1])
				}
			}
		}
	}
	return out
}

// longSingleDash programs spell long options with one dash and never
// cluster short ones: go's -timeout is not -t -i -m -e -o ut.
var longSingleDash = map[string]bool{"go": true, "gofmt": true, "java": true, "javac": true, "find": true, "ffmpeg": true,
	"ffprobe": true, "terraform": true, "tofu": true, "gcc": true, "g++": true, "cc": true, "c++": true, "clang": true,
	"clang++": true, "ld": true, "openssl": true, "qemu-system-x86_64": true, "qemu-img": true, "xcodebuild": true}
