package shell

import (
	"strings"
)

func init() { register(opsPack) }

// opsPack: operations that take a service down or its protection away
// without a delete word.
var opsPack = &Pack{Name: "operations", Commands: []string{"aws", "gcloud", "az", "heroku", "argocd", "nomad", "vault", "gh", "hub", "sl", "sapling", "terraform", "tofu",
	"pulumi", "docker", "podman", "influx", "cypher-shell", "zkCli.sh", "zkcli", "kafka-consumer-groups.sh", "kafka-consumer-groups", "consul", "dvc", "mlflow"}, Rules: []Rule{
	{ID: "ops.expose", When: func(c *call) bool {
		v, ok := c.flagValue("--visibility")
		return c.name == "gh" && c.sub("repo", "edit") && ok && strings.EqualFold(v, "public")
	}, Class: destructive, Reason: "makes a private repository public: its code and history, secrets committed to it included"},
	{ID: "creds.cli-credential", When: func(c *call) bool {
		return c.name == "argocd" && c.sub("admin", "export")
	}, Class: credential, Reason: "exports Argo CD's state with its secrets (repository and cluster credentials, the admin password's hash) in clear"},
	{ID: "cloud.detach-force", When: func(c *call) bool {
		return c.name == "aws" && c.sub("ec2", "detach-volume") && c.has("--force")
	}, Class: destructive, Reason: "forces a volume off its instance while it may be written: its filesystem can be left corrupt"},
	{ID: "ops.seek", When: func(c *call) bool {
		return c.name == "gcloud" && c.sub("pubsub", "subscriptions", "seek")
	}, Class: destructive, Reason: "moves a subscription to a time or snapshot: every message before it is acknowledged and dropped, or delivered again"},
	{ID: "ops.gc", When: func(c *call) bool {
		return c.name == "dvc" && c.sub("gc") && c.has("-f", "--force") || c.name == "mlflow" && c.sub("gc")
	}, Class: destructive, Reason: "garbage-collects data or runs for good (dvc gc -f, mlflow gc)"},
	{ID: "ops.scale-to-zero", When: func(c *call) bool {
		// Each is read on its own: --min-size 0 --max-size 4 is autoscaling,
		// not a stop.
		for _, o := range []string{"--desired-count", "--desired-capacity", "--max-size"} {
			if v, ok := c.flagValue(o); ok && isZero(v) {
				return true
			}
		}
		// gcloud's node pools and instance groups, az's node pools, scale
		// sets and container apps.
		if c.name == "gcloud" || c.name == "az" {
			if v, ok := c.flagValue("--num-nodes", "--size", "--max-nodes", "--node-count", "--max-count", "--new-capacity", "--max-replicas"); ok && isZero(v) {
				return true
			}
		}
		if c.name == "heroku" && (c.sub("ps:scale") || c.sub("ps:stop")) {
			for _, p := range c.pos {
				if endsZero(p.s) {
					return true
				}
			}
		}
		return false
	}, Class: destructive, Reason: "scales a service to zero: it stops serving"},
	{ID: "ops.protection-off", When: func(c *call) bool {
		for _, f := range c.flags {
			lf := strings.ToLower(f)
			if strings.HasPrefix(lf, "--no-deletion-protection") || lf == "--no-backup" || strings.HasPrefix(lf, "--no-point-in-time") ||
				strings.HasPrefix(lf, "--no-enable-bin-log") || strings.HasPrefix(lf, "--no-enable-point-in-time") {
				return true
			}
		}
		for _, a := range c.args {
			if strings.Contains(a.s, "Status=Suspended") || strings.EqualFold(a.s, "--deletion-protection=false") {
				return true
			}
		}
		if v, ok := c.flagValue("--activation-policy"); ok && strings.EqualFold(v, "NEVER") {
			return true // a Cloud SQL instance that never runs
		}
		return c.name == "aws" && c.sub("organizations", "leave-organization")
	}, Class: destructive, Reason: "turns off what keeps data from being lost (deletion protection, backups, versioning)"},
	{ID: "ops.prune", When: func(c *call) bool {
		return c.name == "argocd" && c.sub("app", "sync") && c.has("--prune") || c.name == "nomad" && c.sub("job", "stop") && c.has("-purge") ||
			c.name == "argocd" && (c.sub("app", "set") || c.sub("app", "create") || c.sub("app", "patch")) && (c.has("--auto-prune") || strings.Contains(strings.Join(argStrings(c.args), " "), `"prune":true`)) ||
			c.name == "vault" && c.sub("operator", "seal")
	}, Class: destructive, Reason: "deletes what the sync no longer names, purges a job, or seals the vault"},
	{ID: "git.force-push", When: func(c *call) bool {
		return c.name == "gh" && c.sub("repo", "sync") && c.has("--force") || (c.name == "hub" || c.name == "sl" || c.name == "sapling") && c.sub("push") && c.has("-f", "--force")
	}, Class: destructive, Reason: "force-updates a remote branch, dropping the commits only it held"},
	{ID: "iac.state-mv", When: func(c *call) bool { return (c.name == "terraform" || c.name == "tofu") && c.sub("state", "mv") }, Class: destructive,
		Reason: "moves a resource's address in state: the next apply destroys what the old address held"},
	{ID: "docker.rmi", When: func(c *call) bool {
		return (c.name == "docker" || c.name == "podman") && (c.sub("rmi") || c.sub("image", "rm")) && c.has("-f", "--force")
	}, Class: destructive, Reason: "force-deletes images, those running containers use included"},
	{ID: "db.client-destructive", When: func(c *call) bool {
		text := strings.ToUpper(strings.Join(argStrings(c.args), " "))
		switch c.name {
		case "influx":
			return strings.Contains(text, "DROP ") || strings.Contains(text, "DELETE ")
		case "cypher-shell":
			return strings.Contains(text, "DELETE") || strings.Contains(text, "DROP ")
		case "zkCli.sh", "zkcli":
			return strings.Contains(text, "DELETEALL") || strings.Contains(text, "RMR")
		case "kafka-consumer-groups.sh", "kafka-consumer-groups":
			return c.has("--reset-offsets", "--delete") && c.has("--execute", "--delete")
		case "consul":
			return c.sub("kv", "delete")
		}
		return false
	}, Class: destructive, Reason: "deletes data through its client"},
}}
