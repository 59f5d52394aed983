package shell

import (
	"slices"
	"strings"
)

func init() { register(fsPack, writersPack, sedPack, inPlacePack) }

var sedPack = &Pack{Name: "sed", Commands: []string{"sed", "gsed", "yq"}, Rules: []Rule{
	{ID: "fs.edit-outside-workspace", When: func(c *call) bool { return sedInPlace(c) && anyOutside(c) }, Class: destructive,
		Reason: "edits files outside the workspace in place: an empty or wrong script destroys them"},
	{ID: "fs.git-internals", When: func(c *call) bool { return sedInPlace(c) && anyGitInternal(c) }, Class: destructive,
		Reason: "edits a file of the repository's history or state in .git (HEAD, refs, the index) in place"},
	{ID: "fs.edit-in-place", When: sedInPlace, Class: write, Reason: "edits files in place"},
}}

// sedInPlace: -i, -i.bak, -i in a cluster (-ni), --in-place[=suffix].
func sedInPlace(c *call) bool {
	for _, f := range c.flags {
		if strings.HasPrefix(f, "-i") || !strings.HasPrefix(f, "--") && isLetters(f[1:]) && strings.Contains(f, "i") {
			return true
		}
	}
	return c.has("--in-place")
}

// editsInPlace says whether c rewrites the files it is given: sed -i,
// perl or ruby with -i in any short flag (-pi, -i.bak, -i~), an awk with
// -i (gawk -i inplace) or the inplace library named.
func editsInPlace(c *call) bool {
	switch {
	case c.name == "sed" || c.name == "gsed":
		return sedInPlace(c)
	case c.name == "perl" || c.name == "ruby":
		return slices.ContainsFunc(c.flags, func(f string) bool { return !strings.HasPrefix(f, "--") && strings.Contains(f, "i") })
	case slices.Contains(awks, c.name):
		return c.has("-i") || slices.ContainsFunc(c.args, func(a arg) bool { return a.s == "inplace" || a.s == "--include=inplace" })
	}
	return false
}

// inPlacePack: other tools that rewrite the files they are given, or the
// file an option names, and permission changes.
var inPlacePack = &Pack{Name: "in-place", Commands: []string{"sort", "chmod", "chown", "chgrp", "setfacl", "chattr"}, Rules: []Rule{
	{ID: "fs.truncate-outside-workspace", When: func(c *call) bool {
		v, ok := c.flagValue("-o", "--output")
		return c.name == "sort" && ok && c.lands(arg{s: v})
	}, Class: destructive, Reason: "sort -o overwrites a file outside the workspace"},
	{ID: "fs.permissions-outside-workspace", When: func(c *call) bool {
		// chmod 0 /etc/passwd locks everyone out as surely as chmod -R.
		// The first operand is the mode, owner or attribute, except for
		// setfacl, whose ACL is an option's value.
		first := 1
		switch c.name {
		case "setfacl":
			first = 0
		case "chmod", "chown", "chgrp", "chattr":
			if ownModeGiven(c) {
				first = 0
			}
		default:
			return false
		}
		for _, p := range c.operands(first) {
			if p.dyn || !isTemp(p.s) && !inWorkspace(p.s) {
				return true
			}
		}
		return false
	}, Class: destructive, Reason: "changes the ownership, permissions or attributes of files outside the workspace, which can lock everyone out of them"},
}}

// ownModeGiven: the mode or owner is not the first operand when it is taken
// from a file (--reference) or, for chmod and chattr, spelled as an option
// (chmod -R -rwx /, chmod -w f, chattr -i f, chattr +i f is an operand).
func ownModeGiven(c *call) bool {
	for _, a := range c.args {
		if a.s == "--reference" || strings.HasPrefix(a.s, "--reference=") {
			return true
		}
		if (c.name == "chmod" || c.name == "chattr") && len(a.s) > 1 && a.s[0] == '-' && a.s[1] != '-' &&
			strings.Trim(a.s[1:], "rwxXstugoa01234567,+=-AacDdeijPSsTtu") == "" && strings.Trim(a.s[1:], "Rcfv") != "" {
			return true
		}
	}
	return false
}

// perlInPlace: -i, -i.bak, or i in a cluster before any e (-pi, -pie).
func perlInPlace(c *call) bool {
	for _, f := range c.flags {
		if strings.HasPrefix(f, "-i") || !strings.HasPrefix(f, "--") && strings.Contains(strings.SplitN(f, "e", 2)[0], "i") {
			return true
		}
	}
	return false
}

var fsPack = &Pack{Name: "filesystem", Exclusive: true,
	Commands: []string{"rm", "rmdir", "shred", "truncate", "fallocate", "dd", "wipefs", "mkfs", "mkfs.ext4", "mkfs.xfs", "mkfs.vfat", "mkfs.btrfs", "rsync", "srm", "unlink", "fdisk", "parted", "sgdisk", "sfdisk", "cfdisk", "gdisk", "blkdiscard"},
	Rules: []Rule{
		{ID: "fs.rm-recursive", When: func(c *call) bool { return c.name == "rm" && c.has("-r", "-R", "--recursive") && !allDisposable(c) }, Class: destructive,
			Reason: "rm -r deletes a directory tree outside the workspace's build and temp directories"},
		{ID: "fs.rm-outside-workspace", When: func(c *call) bool {
			return (c.name == "rm" || c.name == "unlink" || c.name == "srm") && !c.has("-r", "-R", "--recursive") && anyOutside(c)
		}, Class: destructive,
			Reason: "rm deletes files outside the workspace"},
		{ID: "fs.rm-git-internals", When: func(c *call) bool {
			if c.name != "rm" && c.name != "unlink" {
				return false
			}
			return touchesGit(operandsOf(c))
		}, Class: destructive, Reason: "deleting files inside .git destroys the repository's history or state"},
		{ID: "fs.rm", When: func(c *call) bool { return c.name == "rm" || c.name == "unlink" || c.name == "rmdir" }, Class: write, Reason: "deletes workspace files"},
		{ID: "fs.shred", When: func(c *call) bool { return c.name == "shred" || c.name == "srm" }, Class: destructive, Reason: "shred destroys file contents beyond recovery"},
		{ID: "fs.truncate", When: func(c *call) bool { return c.name == "truncate" && (anyOutside(c) || anyGitInternal(c)) }, Class: destructive, Reason: "truncate cuts files outside the workspace short"},
		{ID: "fs.truncate-workspace", When: func(c *call) bool { return c.name == "truncate" && !allDisposable(c) }, Class: write, Reason: "truncate cuts workspace files short"},
		{ID: "fs.fallocate", When: func(c *call) bool { return c.name == "fallocate" && (anyOutside(c) || anyGitInternal(c)) }, Class: destructive,
			Reason: "fallocate fills, punches or collapses a file outside the workspace: a disk filled takes down what writes there"},
		{ID: "fs.fallocate-workspace", When: func(c *call) bool { return c.name == "fallocate" }, Class: write, Reason: "fallocate writes a workspace file"},
		{ID: "fs.dd", When: func(c *call) bool { return c.name == "dd" && ddWritesDevice(c) }, Class: destructive, Reason: "dd overwrites a device or a file outside the workspace"},
		{ID: "fs.dd-workspace", When: func(c *call) bool { return c.name == "dd" && ddOutput(c) != nil }, Class: write, Reason: "dd writes a workspace file"},
		{ID: "fs.format", When: func(c *call) bool {
			return strings.HasPrefix(c.name, "mkfs") || c.name == "wipefs" || c.name == "fdisk" || c.name == "parted" || c.name == "sgdisk" || c.name == "blkdiscard" ||
				(c.name == "sfdisk" || c.name == "cfdisk" || c.name == "gdisk") && !c.has("-l", "--list", "-d", "--dump", "-s", "--show-size", "-V", "--verify")
		}, Class: destructive, Reason: "formats or wipes a disk"},
		{ID: "fs.rsync-delete", When: func(c *call) bool {
			if c.name != "rsync" {
				return false
			}
			for _, f := range c.flags {
				if strings.HasPrefix(f, "--del") || f == "--remove-source-files" {
					return true
				}
			}
			return false
		}, Class: destructive, Reason: "rsync --delete removes destination files missing from the source"},
	}}

// writersPack: tools that overwrite their destination.
var writersPack = &Pack{Name: "writers", Exclusive: true, Commands: []string{"mv", "cp", "tee", "ln", "install"},
	Rules: []Rule{
		{ID: "fs.rm-git-internals", When: func(c *call) bool {
			if c.name != "mv" || len(c.pos) < 2 {
				return false
			}
			srcs := c.pos[:len(c.pos)-1]
			if _, ok := targetDir(c); ok {
				srcs = c.pos
			}
			return touchesGit(srcs)
		}, Class: destructive, Reason: "moving .git, or files out of it, takes the repository's history or state away"},
		{ID: "git.config-loads", When: func(c *call) bool {
			if c.name != "tee" || !c.has("-a", "--append") {
				return false
			}
			for _, p := range c.pos {
				if gitInternal(p.s) {
					return true
				}
			}
			return false
		}, Class: unknown, Reason: "appending to .git changes what git does, or runs"},
		{ID: "fs.git-internals", When: func(c *call) bool {
			if t, ok := targetDir(c); ok {
				return gitInternal(t.s + "/x")
			}
			if c.name == "tee" {
				for _, p := range c.pos {
					if gitInternal(p.s) && !c.has("-a", "--append") {
						return true
					}
				}
				return false
			}
			return len(c.pos) >= 2 && gitInternal(c.pos[len(c.pos)-1].s)
		}, Class: destructive, Reason: "overwrites a file of the repository's history or state in .git"},
		{ID: "fs.append-outside-workspace", When: func(c *call) bool { return c.name == "tee" && c.has("-a", "--append") && anyOutside(c) },
			Class: destructive, Reason: "appends to files outside the workspace"},
		{ID: "fs.mv-to-null", When: func(c *call) bool { return c.name == "mv" && len(c.pos) > 0 && c.pos[len(c.pos)-1].s == "/dev/null" }, Class: destructive,
			Reason: "moving a file onto /dev/null destroys it"},
		{ID: "fs.overwrite-outside-workspace", When: func(c *call) bool {
			if c.name == "tee" {
				return !c.has("-a", "--append") && anyOutside(c)
			}
			if t, ok := targetDir(c); ok {
				return c.lands(t)
			}
			if len(c.pos) < 2 {
				return false
			}
			d := c.pos[len(c.pos)-1]
			return d.s != "/dev/null" && !isTemp(d.s) && (!inWorkspace(d.s) || d.dyn)
		}, Class: destructive, Reason: "overwrites files outside the workspace"},
		{ID: "fs.mv-outside-workspace", When: func(c *call) bool {
			if c.name != "mv" {
				return false
			}
			srcs := c.pos[:max(len(c.pos)-1, 0)]
			if _, ok := targetDir(c); ok {
				srcs = c.pos
			}
			for _, p := range srcs {
				if !inWorkspace(p.s) && !isTemp(p.s) {
					return true
				}
			}
			return false
		}, Class: destructive, Reason: "moves files away from outside the workspace"},
	}}

func operandsOf(c *call) []positional {
	if c.name == "sed" || c.name == "gsed" {
		// The script is not a file: -e SCRIPT and -f FILE's values, or,
		// without them, the first operand (/foo/d is no path).
		var out []positional
		scripted := c.has("-e", "--expression", "-f", "--file")
		for _, p := range c.pos {
			switch {
			case p.afterFlag && (p.flag == "-e" || p.flag == "--expression" || p.flag == "-f" || p.flag == "--file" || p.flag == "-l" || p.flag == "--line-length"):
			case !scripted:
				scripted = true
			default:
				out = append(out, p)
			}
		}
		return out
	}
	if c.name == "fallocate" {
		// -l LENGTH and -o OFFSET take the next word.
		var out []positional
		for _, p := range c.pos {
			if f := p.flag; f == "-l" || f == "-o" || f == "--length" || f == "--offset" {
				continue
			}
			out = append(out, p)
		}
		return out
	}
	if c.name == "truncate" {
		// -s SIZE and -r FILE take the next word (alone or ending a
		// cluster, -cs); -s0, --size=0 and -c do not.
		var out []positional
		for _, p := range c.pos {
			f := p.flag
			if f == "--size" || f == "--reference" || len(f) >= 2 && f[1] != '-' && isLetters(f[1:]) && strings.ContainsAny(f[len(f)-1:], "sr") {
				continue
			}
			out = append(out, p)
		}
		return out
	}
	return c.pos
}

func allDisposable(c *call) bool {
	ops := operandsOf(c)
	for _, p := range ops {
		// A path placed only at run time (after cd $X, cd .., cd -) is
		// not the workspace's build directory it looks like.
		if p.dyn || !isDisposable(p.s) {
			return false
		}
	}
	return len(ops) > 0
}

func anyOutside(c *call) bool {
	for _, p := range operandsOf(c) {
		if p.s == "" && !p.dyn {
			continue // sed -i '' (BSD sed's empty backup suffix)
		}
		if !isTemp(p.s) && !isDevice(p.s) && (!inWorkspace(p.s) || p.dyn || p.s == "." || p.s == "*" || p.s == ".*") {
			return true
		}
	}
	return false
}

// ddWritesDevice: dd's of= is a device, or lands outside the workspace.
func ddWritesDevice(c *call) bool {
	of := ddOutput(c)
	if of == nil {
		return false
	}
	return of.dyn || strings.HasPrefix(of.s, "/dev/") && !isDevice(of.s) || c.lands(*of)
}

// ddOutput is dd's of= operand, if it has one.
func ddOutput(c *call) *arg {
	for _, a := range c.args {
		if v, ok := strings.CutPrefix(a.s, "of="); ok {
			return &arg{s: v, dyn: a.dyn}
		}
	}
	return nil
}

func anyGitInternal(c *call) bool {
	for _, p := range operandsOf(c) {
		if !p.dyn && gitInternal(p.s) {
			return true
		}
	}
	return false
}

// targetDir is the directory cp, mv, ln and install put everything in when
// they are given one (-t DIR, -tDIR, -vt DIR, --target-directory=DIR):
// their operands are then all sources.
func targetDir(c *call) (arg, bool) {
	for i, a := range c.args {
		if a.dyn || !strings.HasPrefix(a.s, "-") || a.s == "-" {
			continue
		}
		if a.s == "--" {
			break
		}
		if strings.HasPrefix(a.s, "--") {
			name, v, eq := strings.Cut(a.s, "=")
			if name != "--target-directory" && !abbreviates(name, "--target-directory") {
				continue
			}
			if eq {
				return arg{s: v}, true
			}
		} else if k := strings.IndexByte(a.s, 't'); k < 0 || strings.ContainsAny(a.s[1:k], valueLetters(c.name)) {
			continue // an option before it takes the rest as its value
		} else if k+1 < len(a.s) {
			return arg{s: a.s[k+1:]}, true
		}
		if i+1 < len(c.args) {
			return c.args[i+1], true
		}
		return arg{}, false
	}
	return arg{}, false
}

// valueLetters are the short options of cp, mv, ln and install that take
// a value.
func valueLetters(name string) string {
	if name == "install" {
		return "gmoS"
	}
	return "S"
}

// touchesGit reports whether a path is .git or inside it.
func touchesGit(ps []positional) bool {
	for _, p := range ps {
		if s := strings.TrimPrefix(globbedGit(p.s), "./"); s == ".git" || strings.HasPrefix(s, ".git/") || strings.Contains(s, "/.git/") || strings.HasSuffix(s, "/.git") {
			return true
		}
	}
	return false
}
