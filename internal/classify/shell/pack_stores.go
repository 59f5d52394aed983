package shell

import (
	"regexp"
	"slices"
	"strings"
)

func init() { register(storesPack) }

// storesPack: secret stores, platforms and configuration managers beyond
// the big clouds, each with its own words for printing a secret, putting
// an old state back, or opening something to everyone.
var storesPack = &Pack{Name: "stores", Commands: []string{"glab", "cf", "conjur", "azd", "git-crypt", "transcrypt", "blackbox_cat",
	"blackbox_decrypt_all_files", "blackbox_decrypt_file", "blackbox_view", "berglas", "aws", "gcloud", "airflow", "dokku", "firebase",
	"salt", "salt-call", "salt-ssh", "npm", "cargo", "tarsnap", "wrangler", "rpk", "cli53", "octodns-sync", "bconsole", "puppet", "vault", "bao", "openbao", "ngrok", "socat", "ssh", "autossh", "lt", "zrok", "devtunnel", "cloudflared", "bore", "tailscale", "velero", "pgbackrest", "pg_archivecleanup", "patronictl", "systemctl", "launchctl", "heroku", "firebase", "supabase", "neonctl", "neon", "pscale", "convex", "upstash", "turso", "gitleaks", "trufflehog", "detect-secrets", "ggshield", "kafka-acls", "kafka-acls.sh", "rabbitmqctl", "kafka-configs", "kafka-configs.sh"},
	Partial: true, Rules: []Rule{
		{ID: "creds.secret-store-read", When: func(c *call) bool {
			switch c.name {
			case "glab":
				return c.sub("var", "get") || c.sub("var", "export") || c.sub("var", "list") || c.sub("variable", "get") || c.sub("variable", "export") || c.sub("variable", "list") || c.sub("api") && slices.ContainsFunc(c.pos, func(p positional) bool {
					return strings.Contains(p.s, "/variables")
				})
			case "cf":
				return c.sub("env") || c.sub("service-key") || c.sub("curl") && slices.ContainsFunc(c.pos, func(p positional) bool { return strings.HasSuffix(p.s, "/env") })
			case "conjur":
				return c.sub("variable", "get") || c.sub("variable", "value") || c.sub("variable", "values")
			case "azd":
				return c.sub("env", "get-values") || c.sub("env", "get-value")
			case "git-crypt":
				return c.sub("export-key")
			case "gitleaks":
				// -v prints each finding with the secret itself.
				return c.has("-v", "--verbose") && !c.has("--redact")
			case "trufflehog":
				return !c.sub("--help") && len(c.pos) > 0
			case "detect-secrets":
				return c.sub("audit") && c.has("--display-results", "--report")
			case "ggshield":
				return c.has("--show-secrets")
			case "convex":
				return c.sub("env", "get") || c.sub("env", "list")
			case "upstash":
				return c.sub("redis", "get") || c.sub("kafka", "get") || c.sub("vector", "get")
			case "transcrypt":
				return c.has("-d", "--display")
			case "blackbox_cat", "blackbox_decrypt_all_files", "blackbox_decrypt_file", "blackbox_view":
				return true
			case "berglas":
				return c.sub("access")
			case "aws":
				return c.sub("lightsail", "get-instance-access-details") || c.sub("lightsail", "download-default-key-pair") ||
					c.sub("elasticbeanstalk", "describe-configuration-settings") || c.sub("apprunner", "describe-service") ||
					c.sub("codebuild", "batch-get-projects") || c.sub("amplify", "get-app") || c.sub("amplify", "get-branch")
			case "gcloud":
				return (c.sub("run", "services", "describe") || c.sub("functions", "describe") || c.sub("run", "jobs", "describe"))
			case "airflow":
				return c.sub("connections", "get") || c.sub("connections", "export") || c.sub("connections", "list") || c.sub("variables", "get") || c.sub("variables", "export")
			case "dokku":
				s := c.subAt(0)
				return s == "config" || s == "config:show" || s == "config:get" || s == "config:export" || strings.HasSuffix(s, ":info") && c.has("--dsn") ||
					strings.HasSuffix(s, ":credentials")
			case "firebase":
				return c.sub("auth:export")
			case "salt", "salt-call", "salt-ssh":
				f := saltFunction(c)
				return f == "pillar.items" || f == "pillar.get" || f == "pillar.raw" || f == "pillar.item" || f == "pillar.data" ||
					f == "config.get" || f == "shadow.info" || f == "environ.items" || f == "environ.get"
			}
			return false
		}, Class: credential, Reason: "prints secrets a store or platform keeps (variables, keys, connection strings, decrypted files)"},
		{ID: "creds.secret-store-read", When: func(c *call) bool {
			// vault write to a path that mints or exports a secret prints it.
			p := vaultPath(c)
			return isVault(c.name) && (c.sub("write") || c.sub("read")) && (vaultMints.MatchString(p) || strings.HasPrefix(p, "transit/decrypt/")) ||
				isVault(c.name) && c.sub("operator", "generate-root")
		}, Class: credential, Reason: "has Vault mint or export a secret (a token, a secret ID, a private key) and print it"},
		{ID: "cloud.lockout", When: func(c *call) bool {
			p := vaultPath(c)
			return isVault(c.name) && c.sub("write") && (strings.Contains(p, "/rotate-root") || strings.HasPrefix(p, "auth/userpass/users/") && slices.ContainsFunc(c.args, func(a arg) bool { return strings.HasPrefix(a.s, "password=") }))
		}, Class: destructive, Reason: "changes a password or root credential others sign in with: they are locked out"},
		{ID: "ops.expose", When: func(c *call) bool {
			switch c.name {
			case "ngrok":
				// A raw TCP tunnel, or one to a data service's port, from the
				// internet.
				// A file:// or unix:// target serves the file system or a
				// socket (the container runtime's) to the internet.
				return c.sub("tcp") || (c.sub("http") || c.sub("tls")) && slices.ContainsFunc(c.pos, func(p positional) bool {
					return dataPort(lastPort(p.s)) || localTarget(p.s)
				})
			case "cloudflared":
				u, _ := c.flagValue("--url")
				return strings.HasPrefix(u, "tcp://") || strings.HasPrefix(u, "ssh://") || dataPort(lastPort(u)) || localTarget(u)
			case "socat":
				return socatExposes(c)
			case "bore":
				return c.sub("local")
			case "ssh", "autossh":
				// A remote forward bound on every interface, or to a public
				// relay (serveo, localhost.run, pinggy).
				for _, v := range optionValues(c, "-R") {
					if strings.HasPrefix(v.s, "0.0.0.0:") || strings.HasPrefix(v.s, "*:") || strings.HasPrefix(v.s, "[::]:") {
						return true
					}
				}
				return len(optionValues(c, "-R")) > 0 && slices.ContainsFunc(c.pos, func(p positional) bool {
					return strings.Contains(p.s, "serveo.net") || strings.Contains(p.s, "localhost.run") || strings.Contains(p.s, "pinggy.io") || strings.Contains(p.s, "localtunnel.me")
				})
			case "lt":
				return c.has("--port", "-p")
			case "zrok":
				return c.sub("share", "public")
			case "devtunnel":
				return c.has("--allow-anonymous", "-a")
			case "tailscale":
				return c.sub("funnel") && !slices.Contains(c.flags, "--bg=false") && !slices.ContainsFunc(c.pos, func(p positional) bool { return p.s == "off" || p.s == "status" || p.s == "reset" })
			}
			return false
		}, Class: destructive, Reason: "opens a tunnel from the internet to a port on this machine"},
		{ID: "backup.stop", When: func(c *call) bool {
			switch c.name {
			case "systemctl":
				return (c.sub("stop") || c.sub("mask") || c.sub("disable") || c.sub("kill")) && slices.ContainsFunc(c.pos[1:], func(p positional) bool { return backupUnit.MatchString(p.s) })
			case "launchctl":
				return (c.sub("unload") || c.sub("bootout") || c.sub("disable") || c.sub("remove")) && slices.ContainsFunc(c.pos[1:], func(p positional) bool { return backupUnit.MatchString(p.s) })
			case "velero":
				return c.sub("schedule", "pause")
			case "pgbackrest":
				return c.sub("stop") || c.sub("expire") && (c.has("--set") || slices.ContainsFunc(c.flags, func(f string) bool { return strings.Contains(f, "retention") }))
			case "pg_archivecleanup":
				return true
			case "heroku":
				return c.sub("pg:backups:unschedule") || c.sub("pg:backups:cancel")
			case "patronictl":
				return c.sub("reinit") || c.sub("remove")
			}
			return false
		}, Class: destructive, Reason: "stops or deletes backups or the write-ahead log they are restored from"},
		{ID: "salt.destructive", When: func(c *call) bool {
			if c.name != "salt" && c.name != "salt-call" && c.name != "salt-ssh" {
				return false
			}
			full := saltFunction(c)
			if full == "iptables.set_policy" || full == "iptables.flush" || full == "nftables.flush" {
				return true
			}
			_, fn, ok := strings.Cut(full, ".")
			return ok && slices.ContainsFunc(strings.Split(strings.ToLower(fn), "_"), func(p string) bool {
				return slices.Contains(destructiveVerbs, p) || slices.Contains(saltStops, p)
			})
		}, Class: destructive, Reason: "runs a Salt function that removes, overwrites or stops what it names on every minion it targets"},
		{ID: "ops.expose", When: func(c *call) bool {
			switch c.name {
			case "glab":
				v, _ := c.flagValue("--visibility")
				return c.sub("repo", "edit") && strings.EqualFold(v, "public")
			case "npm":
				return c.sub("access", "public") || c.sub("access", "set") && slices.ContainsFunc(c.pos, func(p positional) bool { return p.s == "status=public" })
			case "wrangler":
				return c.sub("r2", "bucket", "dev-url", "enable")
			}
			return false
		}, Class: destructive, Reason: "makes private code, a package or a bucket public"},
		{ID: "state.restore", When: func(c *call) bool {
			switch c.name {
			case "supabase":
				return c.sub("backups", "restore") || c.sub("db", "restore")
			case "neonctl", "neon":
				return c.sub("branches", "restore") || c.sub("branch", "restore")
			case "pscale":
				return c.sub("database", "restore-dump") || c.sub("backup", "restore")
			case "firebase":
				return c.sub("database:set") || c.sub("database:remove") || c.sub("firestore:delete") && (c.has("--all-collections") || c.has("-r", "--recursive"))
			case "aws":
				return c.sub("rds", "backtrack-db-cluster") || c.sub("ec2", "create-replace-root-volume-task")
			case "wrangler":
				return c.sub("d1", "time-travel", "restore")
			}
			return false
		}, Class: destructive, Reason: "puts an earlier state back over the live one: everything written since is lost"},
		{ID: "db.clean", When: func(c *call) bool {
			return c.name == "airflow" && (c.sub("db", "clean") || c.sub("db", "reset") || c.sub("db", "drop-archived"))
		}, Class: destructive, Reason: "deletes Airflow's metadata (runs, logs, history) or resets its database"},
		{ID: "backup.delete", When: func(c *call) bool {
			return c.name == "tarsnap" && (c.has("-d", "--nuke", "--fsck-prune"))
		}, Class: destructive, Reason: "deletes archives from the backup service"},
		{ID: "cloud.dns-delete", When: func(c *call) bool {
			return c.name == "cli53" && (c.sub("rrdelete") || c.sub("rrpurge") || c.sub("delete") || c.sub("import") && c.has("--replace")) ||
				c.name == "octodns-sync" && c.has("--doit")
		}, Class: destructive, Reason: "deletes DNS records, or replaces a zone's records with a file's: whatever they named stops resolving"},
		{ID: "ops.seek", When: func(c *call) bool {
			return c.name == "rpk" && c.sub("group", "seek")
		}, Class: destructive, Reason: "moves a consumer group's offsets: messages are skipped or delivered again"},
		{ID: "cloud.lockout", When: func(c *call) bool {
			switch c.name {
			case "aws":
				return c.sub("iam", "deactivate-mfa-device") || c.sub("iam", "delete-virtual-mfa-device")
			case "kafka-acls", "kafka-acls.sh":
				return c.has("--deny-principal")
			case "turso":
				return c.sub("db", "tokens", "invalidate") || c.sub("org", "members", "rm")
			case "rabbitmqctl":
				return c.sub("change_password") || c.sub("clear_password") || c.sub("delete_user")
			case "cargo":
				return c.sub("owner") && c.has("--remove", "-r")
			}
			return false
		}, Class: destructive, Reason: "takes access away from people or services (a password, an owner, an MFA device, a deny rule)"},
		{ID: "data.retention-cut", When: func(c *call) bool {
			switch c.name {
			case "kafka-configs", "kafka-configs.sh":
				return c.has("--alter") && slices.ContainsFunc(c.args, func(a arg) bool {
					return strings.Contains(a.s, "cleanup.policy=compact") && !strings.Contains(a.s, "delete")
				})
			case "wrangler":
				v, ok := c.flagValue("--expire-days")
				return c.sub("r2", "bucket", "lifecycle", "add") && ok && v != "" && len(v) <= 1
			}
			return false
		}, Class: destructive, Reason: "has stored data deleted: compaction keeps only each key's last value, a lifecycle rule expires objects within days"},
	}}

var saltStops = []string{"stop", "reboot", "halt", "shutdown", "poweroff", "kill", "write", "absent", "disable", "lvremove", "vgremove", "pvremove", "password", "umount", "dropdb"}

// saltFunctionName: a module.function word (file.remove, pillar.items).
var saltFunctionName = regexp.MustCompile(`^[a-z_][\w]*\.[a-z_]\w*$`)

// saltFunction: the module.function salt is told to run.
func saltFunction(c *call) string {
	for i, p := range c.pos {
		if c.name == "salt" && i == 0 {
			continue // the target
		}
		if saltFunctionName.MatchString(p.s) {
			return p.s
		}
	}
	return ""
}

// vaultMints: paths where a write (or read) creates and returns a secret.
var vaultMints = regexp.MustCompile(`^(?:auth/token/create|auth/[^/]+/role/[^/]+/secret-id|pki[^/]*/(?:root/generate/exported|intermediate/generate/exported|issue/)|transit/export/|[^/]+/creds/|aws/sts/|gcp/(?:token|key)/|ssh/creds/)`)

// vaultPath: the path vault read|write is given.
func vaultPath(c *call) string {
	for _, p := range c.pos[min(1, len(c.pos)):] {
		if (!p.afterFlag || strings.Contains(p.s, "/")) && !strings.Contains(p.s, "=") {
			return strings.TrimPrefix(p.s, "/")
		}
	}
	return ""
}

// backupUnit: a service, timer or job named for backups.
var backupUnit = regexp.MustCompile(`(?i)backup|snapshot|snapper|timeshift|duplicity|bacula|pgbackrest|wal-g|barman|restic|borg|kopia|velero|dump|archiv|^cron(?:d|ie)?(?:\.service)?$|^anacron`)

// lastPort: the port at the end of a host:port, a URL or a bare number.
func lastPort(s string) string {
	s = strings.TrimSuffix(s, "/")
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// isVault: Vault's CLI, or OpenBao's, which takes the same commands.
func isVault(name string) bool { return name == "vault" || name == "bao" || name == "openbao" }

// localTarget: a tunnel target that is the file system or a local socket.
func localTarget(s string) bool {
	s = strings.ToLower(s)
	return strings.HasPrefix(s, "file:") || strings.HasPrefix(s, "unix:")
}

// socatExposes: socat listening on every interface (no bind= to a
// loopback address) and passing what it accepts to a shell, a local
// socket or a data service's port.
func socatExposes(c *call) bool {
	var listen, other []string
	for _, p := range c.pos {
		addr := strings.ToUpper(p.s)
		if strings.Contains(addr, "-LISTEN:") || strings.HasPrefix(addr, "TCP-L:") || strings.HasPrefix(addr, "TCP4-L:") || strings.HasPrefix(addr, "TCP6-L:") {
			listen = append(listen, p.s)
		} else {
			other = append(other, p.s)
		}
	}
	for _, l := range listen {
		if b := strings.Index(strings.ToLower(l), "bind="); b >= 0 {
			host := strings.ToLower(l[b+5:])
			if strings.HasPrefix(host, "127.") || strings.HasPrefix(host, "localhost") || strings.HasPrefix(host, "[::1]") || strings.HasPrefix(host, "::1") {
				continue
			}
		}
		for _, o := range other {
			u := strings.ToUpper(o)
			if strings.HasPrefix(u, "EXEC:") || strings.HasPrefix(u, "SYSTEM:") || strings.HasPrefix(u, "UNIX") || strings.HasPrefix(u, "OPEN:") ||
				strings.HasPrefix(u, "GOPEN:") || strings.HasPrefix(u, "FILE:") || dataPort(lastPort(strings.Split(o, ",")[0])) {
				return true
			}
		}
		if dataPort(lastPort(strings.Split(l, ",")[0])) {
			return true
		}
	}
	return false
}
