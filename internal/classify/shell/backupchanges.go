package shell

import (
	"slices"
	"strings"
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
	case c.name == "restic" && c.sub("unlock") && c.has("--remove-all"):
		w.add("backup.stop", destructive, "restic unlock --remove-all removes the locks of backups and prunes still running, which then corrupt or fail")
	}
}
