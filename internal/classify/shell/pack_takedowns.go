package shell

import (
	"path"
	"slices"
	"strings"
)

func init() { register(takedownsPack) }

// takedownsPack: data or a service taken away by verbs the other packs
// do not list: containers holding data stopped or overwritten, runtimes'
// bulk removals, nodes tainted to evict everything, state overwritten,
// instances reimaged or restored over, secrets overwritten, objects
// overwritten with nothing, backups rewritten, imports that delete.
var takedownsPack = &Pack{Name: "takedowns", Commands: []string{"docker", "podman", "nerdctl", "crictl", "virsh", "kubectl", "oc",
	"terraform", "tofu", "gcloud", "az", "aws", "fly", "flyctl", "heroku", "gh", "doppler", "railway", "rclone", "azcopy", "mc",
	"s3cmd", "borg", "mongoimport", "gsutil", "scp", "rsync", "lxc", "incus", "multipass", "bq"}, Rules: []Rule{
	{ID: "container.stop-data", When: func(c *call) bool {
		if !(c.name == "docker" || c.name == "podman" || c.name == "nerdctl") ||
			!(c.sub("kill") || c.sub("stop") || c.sub("restart") || c.sub("pause") || c.sub("container", "kill") || c.sub("container", "stop")) {
			return false
		}
		n := 1
		if c.sub("container") {
			n = 2
		}
		for _, p := range c.operands(n) {
			// A container named for a data service, or every one
			// (docker kill $(docker ps -q)).
			if p.dyn || dataService.MatchString(strings.ToLower(p.s)) {
				return true
			}
		}
		return c.has("-a", "--all")
	}, Class: destructive, Reason: "stops a container that holds data, or every container"},
	{ID: "container.overwrite", When: func(c *call) bool {
		if !(c.name == "docker" || c.name == "podman" || c.name == "nerdctl") || !(c.sub("cp") || c.sub("container", "cp")) {
			return false
		}
		ops := c.operands(1)
		return len(ops) >= 2 && (ops[len(ops)-2].s == "/dev/null" || ops[len(ops)-2].s == "-")
	}, Class: destructive, Reason: "copies nothing over a file inside a container"},
	{ID: "remote.overwrite", When: func(c *call) bool {
		// scp, rsync, kubectl cp and the like: nothing copied over a file
		// on another machine empties it, as cp /dev/null FILE does here.
		skip, remote := 0, false
		switch {
		case c.name == "scp" || c.name == "rsync":
		case (c.name == "kubectl" || c.name == "oc") && c.sub("cp"):
			skip = 1
		case c.name == "gcloud" && c.sub("compute", "scp"):
			skip = 2
		case (c.name == "lxc" || c.name == "incus") && c.sub("file", "push"):
			skip, remote = 2, true // INSTANCE/PATH
		case c.name == "multipass" && c.sub("transfer"):
			skip = 1
		default:
			return false
		}
		ops := c.operands(skip)
		if len(ops) < 2 {
			return false
		}
		dest := ops[len(ops)-1]
		if !remote && !strings.Contains(dest.s, ":") && !dest.dyn {
			return false
		}
		for _, src := range ops[:len(ops)-1] {
			if src.s == "/dev/null" || src.s == "/dev/zero" {
				return true
			}
		}
		return false
	}, Class: destructive, Reason: "copies nothing over a file on another machine"},
	{ID: "container.swarm-leave", When: func(c *call) bool {
		return (c.name == "docker" || c.name == "podman") && c.sub("swarm", "leave") && c.has("-f", "--force")
	}, Class: destructive, Reason: "a manager leaving the swarm by force can lose the swarm's state and its services"},
	{ID: "container.remove-all", When: func(c *call) bool {
		return c.name == "crictl" && (c.sub("rmp") || c.sub("rm") || c.sub("rmi") || c.sub("stopp") || c.sub("stop")) &&
			c.has("-a", "--all", "--prune")
	}, Class: destructive, Reason: "removes or stops every pod, container or image on the node"},
	{ID: "vm.undefine", When: func(c *call) bool {
		return c.name == "virsh" && (c.sub("undefine") || c.sub("destroy") || c.sub("vol-wipe") || c.sub("reset"))
	}, Class: destructive, Reason: "removes a virtual machine (with --remove-all-storage its disks) or cuts its power"},
	{ID: "k8s.evict", When: func(c *call) bool {
		if c.name != "kubectl" && c.name != "oc" {
			return false
		}
		if c.sub("taint") {
			for _, p := range c.pos {
				if strings.HasSuffix(p.s, ":NoExecute") {
					return true
				}
			}
		}
		if c.sub("patch") && (c.sub("patch", "pv") || c.sub("patch", "persistentvolume")) {
			for _, a := range c.args {
				if strings.Contains(a.s, "persistentVolumeReclaimPolicy") && strings.Contains(a.s, "Delete") {
					return true
				}
			}
		}
		return false
	}, Class: destructive, Reason: "a NoExecute taint evicts every pod from the nodes; a Delete reclaim policy deletes the volume's data with its claim"},
	{ID: "iac.state-overwrite", When: func(c *call) bool {
		return (c.name == "terraform" || c.name == "tofu") && c.sub("init") && c.has("-migrate-state", "--migrate-state") && c.has("-force-copy", "--force-copy")
	}, Class: destructive, Reason: "init -migrate-state -force-copy overwrites the state in the new backend without asking"},
	{ID: "cloud.overwrite", When: func(c *call) bool {
		switch c.name {
		case "gcloud":
			return c.sub("sql", "import") || c.sub("firestore", "import") || c.sub("datastore", "import") || c.sub("spanner", "databases", "execute-sql") && hasWordContaining(c, "DELETE", "delete", "DROP", "drop") ||
				c.sub("sql", "instances", "restore-backup") || c.sub("sql", "backups", "restore") || c.sub("kms", "keys", "versions", "destroy") ||
				c.sub("compute", "instances", "reset") || c.sub("spanner", "databases", "restore")
		case "az":
			return c.sub("vm", "reimage") || c.sub("vmss", "reimage") || c.sub("vmss", "reimage-all") || c.sub("keyvault", "key", "purge")
		case "aws":
			// An object put without a body is an empty one, over what
			// the key held.
			return c.sub("s3api", "put-object") && !c.has("--body")
		case "bq":
			// Copies, loads and query results written over a table.
			return (c.sub("cp") || c.sub("load") || c.sub("query") || c.sub("extract")) &&
				(c.has("-f", "--force", "--replace", "--replace_data", "--noappend_table") || hasWord(c, "WRITE_TRUNCATE")) ||
				c.sub("query") && hasWordContaining(c, "CREATE OR REPLACE", "create or replace")
		}
		return false
	}, Class: destructive, Reason: "replaces a resource's data (a restore over an instance, a reimaged disk, a destroyed key, an object emptied)"},
	{ID: "cloud.secret-overwrite", When: func(c *call) bool {
		switch c.name {
		case "fly", "flyctl":
			return c.sub("secrets", "set") || c.sub("secrets", "import")
		case "heroku":
			return c.sub("config:set") || c.sub("config:add")
		case "gh":
			return c.sub("secret", "set") || c.sub("variable", "set")
		case "az":
			return c.sub("keyvault", "secret", "set") || c.sub("webapp", "config", "appsettings", "set")
		case "aws":
			return c.sub("ssm", "put-parameter") && c.has("--overwrite")
		case "gcloud":
			return c.sub("secrets", "versions", "add")
		case "doppler":
			return c.sub("secrets", "set") || c.sub("secrets", "upload")
		case "railway":
			return c.sub("variables", "set") || c.sub("variables", "--set") || c.has("--set")
		}
		return false
	}, Class: destructive, Reason: "overwrites a secret or setting a running service reads, breaking whatever used the old value"},
	{ID: "ops.protection-off", When: func(c *call) bool {
		switch c.name {
		case "aws":
			return c.has("--no-disable-api-termination", "--no-disable-api-stop")
		case "mc":
			return c.sub("version", "suspend")
		case "gcloud":
			return c.has("--no-versioning")
		case "gsutil":
			return c.sub("versioning", "set", "off")
		}
		return false
	}, Class: destructive, Reason: "turns off a protection against deletion (termination protection, object versioning)"},
	{ID: "ops.scale-to-zero", When: func(c *call) bool {
		v, ok := c.flagValue("--reserved-concurrent-executions")
		return c.name == "aws" && ok && isZero(v)
	}, Class: destructive, Reason: "a reserved concurrency of 0 stops the function from running at all"},
	{ID: "cloud.expire-data", When: func(c *call) bool {
		return c.name == "mc" && c.sub("ilm") && (c.has("--expire-days", "--expiry-days", "--expire-date", "--expiry-date", "--noncurrent-expire-days")) ||
			c.name == "s3cmd" && (c.sub("setlifecycle") || c.sub("expire"))
	}, Class: destructive, Reason: "sets objects to expire, so that they are deleted once their time passes"},
	{ID: "backup.rewrite", When: func(c *call) bool {
		return c.name == "rclone" && c.sub("dedupe") || c.name == "borg" && (c.sub("recreate") || c.sub("compact"))
	}, Class: destructive, Reason: "rewrites stored data or backups, deleting what they decide is redundant"},
	{ID: "db.import-delete", When: func(c *call) bool {
		v, _ := c.flagValue("--mode")
		return c.name == "mongoimport" && (v == "delete" || c.has("--drop"))
	}, Class: destructive, Reason: "mongoimport --mode=delete deletes the documents it is given; --drop drops the collection first"},
}}

func init() { register(replacersPack) }

// compressors replace the files they are given with compressed (or
// decompressed) ones, unless told to keep them or write to standard output.
var compressors = []string{"gzip", "gunzip", "bzip2", "bunzip2", "xz", "unxz", "lzma", "zstd", "unzstd", "lz4", "compress", "pigz", "pbzip2", "lzip", "brotli"}

// replacersPack: tools that take files away by replacing them, linking
// them in, or unpacking over them where their options send them.
var replacersPack = &Pack{Name: "replacers", Commands: append([]string{"ln", "git", "unzip", "cpio", "bsdcpio", "pax", "tar", "gtar", "bsdtar"}, compressors...), Rules: []Rule{
	{ID: "fs.compress-replaces", When: func(c *call) bool {
		if !slices.Contains(compressors, c.name) || c.has("-c", "--stdout", "--to-stdout", "-k", "--keep", "-l", "--list", "-t", "--test") {
			return false
		}
		for _, p := range c.pos {
			if p.dyn || gitInternal(strings.TrimSuffix(p.s, "/")+"/") || c.lands(p.arg) {
				return true
			}
		}
		return false
	}, Class: destructive, Reason: "replaces files of the repository's .git, or outside the workspace, with compressed ones"},
	{ID: "fs.hardlink-outside", When: func(c *call) bool {
		if c.name != "ln" || c.has("-s", "--symbolic") || len(c.pos) < 2 {
			return false
		}
		for _, p := range c.pos[:len(c.pos)-1] {
			if c.lands(p.arg) {
				return true
			}
		}
		return false
	}, Class: destructive, Reason: "a hard link to a file outside the workspace makes every later write in the workspace a write to it"},
	{ID: "git.push-force", When: func(c *call) bool {
		return c.name == "git" && (c.sub("http-push") && c.has("--force", "-f") || c.sub("annex", "drop") && c.has("--force") || c.sub("annex", "dropunused"))
	}, Class: destructive, Reason: "overwrites the remote's history, or drops annexed content without checking other copies"},
	{ID: "fs.extract-anywhere", When: func(c *call) bool {
		switch c.name {
		case "unzip":
			return c.has("-:")
		case "cpio", "bsdcpio":
			// GNU cpio restores absolute names as they are.
			return (c.has("-i", "--extract") || c.sub("-i")) && !c.has("--no-absolute-filenames")
		case "pax":
			return c.has("-r") && (c.has("-s") || !c.has("-k"))
		case "tar", "gtar", "bsdtar":
			extract := c.has("-x", "--extract", "--get") || shortBundle(c, 'x') || oldStyleTar(c, 'x')
			return extract && (c.has("--transform", "--xform", "-s") || slicesAnyPrefix(c, "--transform=", "--xform="))
		}
		return false
	}, Class: destructive, Reason: "unpacks entries wherever their names (or a rewrite of them) say, outside the workspace included"},
}}

// slicesAnyPrefix: an argument starting with one of the prefixes.
func slicesAnyPrefix(c *call, prefixes ...string) bool {
	for _, a := range c.args {
		for _, p := range prefixes {
			if strings.HasPrefix(a.s, p) {
				return true
			}
		}
	}
	return false
}

// holdsHostSecrets: a directory above the host's credentials (/, /etc,
// /root, /home, a home, kubelet's and Docker's state): mounted whole,
// every key under it is readable.
func holdsHostSecrets(src string) bool {
	p := src
	if strings.HasPrefix(p, "/") {
		p = path.Clean(p) // /., /tmp/..
	}
	p = strings.TrimRight(p, "/")
	switch p {
	case "", "/etc", "/root", "/home", "/Users", "/proc", "/var", "/var/lib", "/run", "/var/run", "/var/lib/kubelet", "/etc/kubernetes", "/var/lib/docker", "/srv", "/opt", "/usr/local/etc",
		"~", "$HOME", "${HOME}":
		return src != ""
	}
	return strings.HasPrefix(p, "/home/") && strings.Count(p, "/") == 2 || strings.HasPrefix(p, "/Users/") && strings.Count(p, "/") == 2
}

// containerMounts judges what a container is given to see: a place that
// holds credentials (-v ~/.aws:/d) mounted into it is read by whatever
// the container runs.
func (w *walker) containerMounts(c *call) {
	if !(c.sub("run") || c.sub("create") || c.sub("container", "run") || c.sub("container", "create")) {
		return
	}
	for _, v := range optionValues(c, "-v", "--volume", "--mount") {
		src := v.s
		if strings.Contains(src, "source=") || strings.Contains(src, "src=") {
			for _, kv := range strings.Split(src, ",") {
				if k, val, _ := strings.Cut(kv, "="); k == "source" || k == "src" {
					src = val
				}
			}
		} else {
			src, _, _ = strings.Cut(src, ":")
		}
		if isSecretPath(src) || isSecretDir(src) || isSecretPath(src+"/x") || holdsHostSecrets(src) {
			w.add("creds.mounted", credential, c.name+" mounts "+src+", which holds credentials, into a container whose command can print them")
			w.target(src)
		}
	}
}
