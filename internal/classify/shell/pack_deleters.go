package shell

func init() { register(deletersPack, volumesPack) }

// deletersPack: programs besides rm that delete files, judged like rm -r:
// destruction unless everything they name is a build or temp directory.
var deletersPack = &Pack{Name: "deleters",
	Commands: []string{"rimraf", "del", "del-cli", "trash", "trash-put", "gio", "wipe", "fdupes", "jdupes", "zip", "tar", "gtar", "bsdtar"},
	Rules: []Rule{
		{ID: "fs.rm-recursive", When: func(c *call) bool {
			switch c.name {
			case "rimraf", "del", "del-cli", "trash", "trash-put":
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
			}
			return false
		}, Class: destructive, Reason: "deletes the files it puts in the archive"},
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
