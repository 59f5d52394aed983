package shell

func init() { register(deletersPack, volumesPack) }

// deletersPack: programs besides rm that delete files, judged like rm -r:
// destruction unless everything they name is a build or temp directory.
var deletersPack = &Pack{Name: "deleters",
	Commands: []string{"rimraf", "premove", "del", "del-cli", "trash", "trash-put", "gio", "wipe", "fdupes", "jdupes", "zip", "tar", "gtar", "bsdtar",
		"7z", "7za", "7zz", "gzip", "bzip2", "xz", "zstd", "lz4", "fallocate", "sponge", "uniq"},
	Rules: []Rule{
		{ID: "fs.rm-recursive", When: func(c *call) bool {
			switch c.name {
			case "rimraf", "premove", "del", "del-cli", "trash", "trash-put":
			case "gio":
				if !c.sub("trash") && !c.sub("remove") {
					return false
				}
				return !allDisposable(&call{name: c.name, pos: c.operands(1)})
			default:
				return false
			}
			return !allDisposable(c)
		}, Class: destructive, Reason: "deletes files and directory trees outside the workspace's build and temp directories"},
		{ID: "fs.shred", When: func(c *call) bool { return c.name == "wipe" }, Class: destructive, Reason: "wipe destroys file contents beyond recovery"},
		{ID: "fs.dedupe-delete", When: func(c *call) bool {
			return (c.name == "fdupes" || c.name == "jdupes") && (c.has("-d", "--delete") || shortBundle(c, 'd'))
		}, Class: destructive, Reason: "deletes every copy of a duplicate but one, whichever it keeps"},
		{ID: "fs.archive-remove", When: func(c *call) bool {
			switch c.name {
			case "zip":
				return c.has("-m", "--move") || shortBundle(c, 'm')
			case "tar", "gtar", "bsdtar":
				return c.has("--remove-files")
			case "7z", "7za", "7zz":
				return c.has("-sdel")
			}
			return false
		}, Class: destructive, Reason: "deletes the files it puts in the archive"},
		{ID: "fs.compress-outside-workspace", When: func(c *call) bool {
			// gzip FILE replaces FILE with FILE.gz: outside the workspace
			// the original is gone from where its users look.
			switch c.name {
			case "gzip", "bzip2", "xz", "zstd", "lz4":
			default:
				return false
			}
			if c.has("-k", "--keep", "-c", "--stdout", "-t", "--test", "-l", "--list") || c.name == "zstd" && !c.has("--rm") {
				return false
			}
			return anyOutside(c)
		}, Class: destructive, Reason: "replaces files outside the workspace with compressed copies"},
		{ID: "fs.punch-hole", When: func(c *call) bool {
			return c.name == "fallocate" && (c.has("--punch-hole", "-p", "--collapse-range", "-c", "--zero-range", "-z", "--insert-range", "-i") || shortBundle(c, 'p') || shortBundle(c, 'c') || shortBundle(c, 'z') || shortBundle(c, 'i'))
		}, Class: destructive, Reason: "fallocate deallocates or shifts a file's data"},
		{ID: "fs.overwrite-outside-workspace", When: func(c *call) bool {
			// sponge FILE and uniq IN OUT write FILE/OUT.
			var dst []positional
			switch c.name {
			case "sponge":
				dst = c.pos
			case "uniq":
				if len(c.pos) == 2 {
					dst = c.pos[1:]
				}
			}
			for _, p := range dst {
				if p.dyn || !isTemp(p.s) && !isDevice(p.s) && !inWorkspace(p.s) {
					return true
				}
			}
			return false
		}, Class: destructive, Reason: "overwrites files outside the workspace"},
	}}

// volumesPack: logical volumes, ZFS and btrfs datasets.
var volumesPack = &Pack{Name: "volumes",
	Commands: []string{"lvremove", "vgremove", "pvremove", "zfs", "zpool", "btrfs", "lvreduce", "lvresize"},
	Rules: []Rule{
		{ID: "fs.format", When: func(c *call) bool {
			switch c.name {
			case "lvremove", "vgremove", "pvremove":
				return true
			case "zfs", "zpool":
				return c.sub("destroy") || c.sub("rollback") || c.name == "zpool" && c.sub("labelclear")
			case "btrfs":
				return c.sub("subvolume", "delete") || c.sub("sub", "del") || c.sub("subvolume", "del")
			case "lvreduce", "lvresize":
				return true
			}
			return false
		}, Class: destructive, Reason: "removes or shrinks a volume, and the data on it"},
	}}
