package shell

import "slices"

func init() { register(restoresPack) }

// restoresPack: putting a snapshot back over live state loses everything
// written since, and locking a backup repository or pruning it unsafely
// loses the backups themselves. No delete word says so.
var restoresPack = &Pack{Name: "restores", Commands: []string{"consul", "nomad", "vault", "etcdctl", "etcdutl", "pgbackrest", "wal-g", "barman", "velero",
	"xtrabackup", "mariabackup", "gitlab-backup", "lvconvert", "virsh", "VBoxManage", "vboxmanage", "restic", "borg", "borg2", "kopia", "docker", "podman", "docker-compose", "podman-compose", "vmrun", "qemu-img", "prlctl", "lxc", "incus", "multipass"}, Partial: true, Rules: []Rule{
	{ID: "state.restore", When: func(c *call) bool {
		switch c.name {
		case "consul":
			return c.sub("snapshot", "restore")
		case "nomad":
			return c.sub("operator", "snapshot", "restore")
		case "vault":
			return c.sub("operator", "raft", "snapshot", "restore")
		case "etcdctl", "etcdutl":
			return c.sub("snapshot", "restore")
		case "pgbackrest":
			return c.sub("restore")
		case "wal-g":
			return c.sub("backup-fetch")
		case "barman":
			return c.sub("recover") || c.sub("restore")
		case "velero":
			v, _ := c.flagValue("--existing-resource-policy")
			return c.sub("restore", "create") && v == "update"
		case "xtrabackup", "mariabackup":
			return c.has("--copy-back", "--move-back")
		case "gitlab-backup":
			return c.sub("restore")
		case "lvconvert":
			return c.has("--merge", "--mergesnapshot")
		case "virsh":
			return c.sub("snapshot-revert")
		case "VBoxManage", "vboxmanage":
			return c.sub("snapshot") && (c.subAt(2) == "restore" || c.subAt(2) == "restorecurrent")
		case "vmrun":
			return c.sub("revertToSnapshot")
		case "qemu-img":
			return c.sub("snapshot") && c.has("-a")
		case "prlctl":
			return c.sub("snapshot-switch")
		case "lxc", "incus":
			return c.sub("restore") || c.sub("snapshot", "restore")
		case "multipass":
			return c.sub("restore")
		case "restic":
			// Restored over a place outside the workspace: what is there now
			// is replaced by the snapshot's files.
			return c.sub("restore") && slices.ContainsFunc(optionValues(c, "--target", "-t"), c.lands)
		case "kopia":
			ops := c.operands(2)
			return (c.sub("snapshot", "restore") || c.sub("restore")) && len(ops) > 1 && c.lands(ops[len(ops)-1].arg)
		}
		return false
	}, Class: destructive, Reason: "puts a snapshot back over the live state: everything written since it was taken is lost"},
	{ID: "backup.lockout", When: func(c *call) bool {
		switch c.name {
		case "restic":
			return c.sub("key", "passwd") || c.sub("key", "password") || c.sub("key", "remove")
		case "borg", "borg2":
			return c.sub("key", "change-passphrase") || c.sub("change-passphrase")
		case "kopia":
			return c.sub("repository", "change-password") || c.sub("repo", "change-password")
		case "vault":
			// New unseal keys: whoever holds the old shares cannot unseal.
			return c.sub("operator", "rekey") && !c.has("-status", "-cancel")
		}
		return false
	}, Class: destructive, Reason: "changes or removes the key a backup repository or a vault opens with: whoever holds the old one can no longer restore or unseal"},
	{ID: "backup.unsafe-prune", When: func(c *call) bool {
		v, _ := c.flagValue("--safety")
		return c.name == "kopia" && c.sub("maintenance") && v == "none"
	}, Class: destructive, Reason: "maintenance with --safety=none deletes unreferenced data at once, what running snapshots still write included"},
	{ID: "docker.volume-renew", When: func(c *call) bool {
		compose := c.name == "docker-compose" || c.name == "podman-compose" || c.sub("compose")
		up := c.sub("up") || c.sub("compose", "up") || c.sub("create") || c.sub("compose", "create") || c.sub("run") || c.sub("compose", "run")
		return compose && up && c.has("--renew-anon-volumes", "-V")
	}, Class: destructive, Reason: "recreates anonymous volumes instead of keeping them: the data in them is discarded"},
}}
