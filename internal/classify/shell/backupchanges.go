package shell

import (
	"slices"
	"strings"
	"time"
)

// Backups are undone without deleting one: a volume labelled out of the
// backup tool's reach, a plan or a vault's policy replaced by one read from
// a file, a bucket's replication replaced, the locks of running backups
// removed. What the new settings say is not read here, so they are unknown.

// backupChanges judges changes to what backups take and keep.
func (w *walker) backupChanges(c *call) {
	switch {
	case (c.name == "kubectl" || c.name == "oc") && (c.sub("label") || c.sub("annotate")):
		for _, a := range c.args {
			l := strings.ToLower(a.s)
			if strings.Contains(l, "velero.io/exclude-from-backup=") && !strings.HasSuffix(l, "=false") ||
				strings.Contains(l, "backup.velero.io/backup-volumes-excludes=") {
				w.add("backup.stop", destructive, c.name+" "+c.subAt(0)+" "+a.s+" keeps the backup tool away from the object and its volumes: they are no longer backed up")
				return
			}
		}
	case c.name == "aws" && c.sub("backup") && slices.Contains([]string{"update-backup-plan", "put-backup-vault-access-policy",
		"put-backup-vault-notifications", "update-region-settings", "update-recovery-point-lifecycle", "delete-backup-vault-lock-configuration"}, c.subAt(1)):
		w.add("backup.policy", unknown, "aws backup "+c.subAt(1)+" replaces what backups are taken, kept or protected with settings Chaperone does not read")
	case c.name == "az" && c.sub("backup", "policy", "set"):
		w.add("backup.policy", unknown, "az backup policy set replaces a backup policy with one Chaperone does not read")
	case c.name == "aws" && c.sub("s3api", "put-bucket-replication"):
		w.add("backup.policy", unknown, "aws s3api put-bucket-replication replaces where the bucket's objects are copied: an off-site copy may stop")
	case c.name == "aws" && c.sub("ec2", "modify-instance-attribute") && strings.Contains(strings.ToLower(strings.Join(argStrings(c.args), " ")), "shutdown-behavior") &&
		strings.Contains(strings.ToLower(strings.Join(argStrings(c.args), " ")), "terminate"):
		w.add("cloud.shutdown-terminates", destructive, "aws ec2 modify-instance-attribute makes a shutdown from inside the instance terminate it, with its instance-store and delete-on-termination volumes")
	case c.name == "rdiff-backup" && (c.has("--remove-older-than") || c.sub("remove", "increments")),
		c.name == "borgmatic" && (c.has("--prune", "-p") || c.sub("prune") || c.sub("compact")),
		c.name == "barman" && (c.sub("delete") || c.sub("keep") && c.has("--release")):
		w.add("backup.delete", destructive, c.name+" deletes backups, or lets them be deleted")
	case c.name == "kopia" && c.sub("policy", "set") && (optionIs(c, "--snapshot-time", "none") || slices.ContainsFunc(optionValues(c, "--add-ignore"), func(a arg) bool { return a.s == "*" || a.s == "/" })),
		c.name == "velero" && c.sub("backup-location", "set") && optionIs(c, "--access-mode", "ReadOnly"),
		c.name == "velero" && (c.sub("schedule", "create") || c.sub("backup", "create")) && shortTTL(c):
		w.add("backup.stop", destructive, c.name+" stops backups being taken or kept")
	case c.name == "restic" && c.sub("unlock") && c.has("--remove-all"):
		w.add("backup.stop", destructive, "restic unlock --remove-all removes the locks of backups and prunes still running, which then corrupt or fail")
	}
}

// shortTTL: a backup kept less than a day.
func shortTTL(c *call) bool {
	v, ok := c.flagValue("--ttl")
	if !ok {
		return false
	}
	d, err := time.ParseDuration(v)
	return err == nil && d < 24*time.Hour
}

// storageChanges judges volume managers' and clustered stores' commands
// that destroy or cut off what they hold.
func (w *walker) storageChanges(c *call) {
	destroys := func(what string) { w.add("storage.destroy", destructive, c.name+" "+what) }
	switch {
	case c.name == "zpool" && (c.sub("export") || c.sub("offline") || c.sub("detach") || c.sub("split")):
		destroys(c.subAt(0) + " takes a pool, or one of its disks, away from what uses it")
	case c.name == "ceph" && c.sub("osd", "set") && slices.ContainsFunc(c.pos, func(p positional) bool {
		return p.s == "pause" || p.s == "pauserd" || p.s == "pausewr" || p.s == "full"
	}):
		destroys("osd set " + c.pos[len(c.pos)-1].s + " stops the cluster's reads or writes")
	case c.name == "zfs" && (c.sub("recv") || c.sub("receive")) && c.has("-F"):
		destroys("receive -F rolls the dataset back and destroys snapshots and data newer than the stream")
	case c.name == "zfs" && c.sub("rollback") && c.has("-r", "-R"):
		destroys("rollback -r destroys every snapshot newer than the one rolled back to")
	case c.name == "rbd" && c.sub("resize") && c.has("--allow-shrink"):
		destroys("resize --allow-shrink cuts the image short, and the data past its new end")
	case c.name == "drbdadm" && (c.sub("invalidate") || c.sub("invalidate-remote") || c.sub("down") || c.sub("disconnect") || c.sub("wipe-md") || c.sub("create-md") && c.has("--force")):
		destroys(c.subAt(0) + " discards a replica's data or takes the resource down")
	case (c.name == "vgreduce" && c.has("--removemissing")) || c.name == "lvreduce" || c.name == "pvmove" && c.has("--abort") ||
		(c.name == "vgchange" || c.name == "lvchange") && slices.ContainsFunc(optionValues(c, "-a", "--activate"), func(a arg) bool { return strings.HasPrefix(a.s, "n") }):
		destroys("removes or shrinks what logical volumes stand on")
	case c.name == "gluster" && c.sub("volume") && (c.sub("volume", "stop") || c.sub("volume", "delete") || c.sub("volume", "remove-brick")):
		destroys("takes a Gluster volume down or removes its bricks")
	case c.name == "ceph" && (c.sub("osd", "pool", "set") && slices.ContainsFunc(c.pos, func(p positional) bool { return p.s == "size" || p.s == "min_size" }) ||
		c.sub("config", "set") && strings.Contains(strings.Join(argStrings(c.args), " "), "allow_pool_delete")):
		w.add("storage.protection-off", unknown, "ceph "+strings.Join(argStrings(c.args), " ")+" changes how many copies a pool keeps, or whether pools may be deleted")
	case c.name == "ceph" && c.sub("auth", "get") || c.name == "ceph" && c.sub("auth", "export") || c.name == "ceph" && c.sub("auth", "print-key"):
		w.add("creds.cloud-secret-read", credential, "ceph auth prints a client's key")
	case c.name == "btrfs" && c.sub("check") && c.has("--repair", "--init-csum-tree", "--init-extent-tree"):
		destroys("check --repair rewrites the filesystem's trees, and may lose what it cannot repair")
	case (c.name == "zkCli.sh" || c.name == "zkcli" || c.name == "zookeeper-shell") && slices.ContainsFunc(c.args, func(a arg) bool { return a.s == "deleteall" || a.s == "rmr" || a.s == "delete" }):
		destroys("deletes znodes, and what the services using them keep there")
	case c.name == "redis-server" && len(optionValues(c, "--dir", "--dbfilename")) > 0:
		w.add("fs.truncate-dynamic", unknown, "redis-server writes its database where --dir and --dbfilename say, over whatever is there")
	}
}
