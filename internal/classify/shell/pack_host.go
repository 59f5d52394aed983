package shell

import (
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

func init() { register(hostPack) }

// dataService: services that hold data, or that others reach it through.
var dataService = regexp.MustCompile(`gunicorn|uwsgi|puma|unicorn|php-fpm|php\d[\d.]*-fpm|supervisor|passenger|tomcat|jetty|wildfly|jboss|postgres|mysql|mariadb|mongo|redis|valkey|elasticsearch|opensearch|clickhouse|cassandra|etcd|kafka|rabbitmq|memcached|minio|docker|containerd|kubelet|nginx|haproxy|consul|vault|zookeeper|sshd?\b|ssh\.service|networking|network-manager|networkmanager|systemd-networkd|firewalld|k3s|k0s|rke2|neo4j|influx|cockroach|nomad|mssql|sqlserver|pgbouncer|pgpool|patroni|apache2|httpd|caddy|traefik|envoy|couchdb|couchbase|scylla|timescale|questdb|nats|pulsar|qdrant|weaviate|milvus|meilisearch|typesense|solr|arangodb|dgraph|tidb|yugabyte|keycloak|rabbit|\bjava\b|beam(?:\.smp)?\b|\berl\b|prometheus|grafana|alertmanager|loki|tempo|mimir|victoria|thanos|kube-apiserver|kube-proxy|kube-scheduler|kube-controller|dockerd|podman|crio|etcd|ceph|osd|glusterd|drbd|riak|hbase|hadoop|namenode|datanode|yarn-resourcemanager|spark|flink|airflow|temporal|celery|sidekiq|resque|foreman`)

// everyProcess are names a pattern that reaches every process, a
// database's or the system's, matches.
var everyProcess = []string{"postgres", "mysqld", "redis-server", "mongod", "sshd", "systemd", "init", "dockerd", "kubelet", "containerd"}

// killsByPattern: pkill, pgrep's killing twin, and killall -r take an
// extended regular expression, matched against names or (-f) whole command
// lines. One that matches a database's or the system's processes (a dot,
// the empty pattern, p.*), one inverted (-v), or a selection by user,
// parent, group, session or terminal instead of a name reaches them; so
// does one Chaperone cannot read.
func killsByPattern(c *call) bool {
	if c.name != "pkill" && !(c.name == "killall" && c.has("-r", "--regexp")) {
		return false
	}
	if c.has("-v", "--inverse", "-U", "--uid", "-P", "--parent", "-g", "--pgroup", "-G", "--group", "-s", "--session", "-t", "--terminal", "--euid") {
		return true
	}
	for _, p := range c.pos {
		if p.afterFlag && (p.flag == "--signal" || p.flag == "-o" || p.flag == "--older" || p.flag == "-n" || p.flag == "--ns") {
			continue
		}
		re, err := regexp.Compile(p.s)
		if p.dyn || err != nil {
			return true
		}
		for _, n := range everyProcess {
			if re.MatchString(n) {
				return true
			}
		}
	}
	return false
}

// powerCall: a D-Bus method that stops, restarts or suspends the machine.
var powerCall = regexp.MustCompile(`(?:^|\.)(?:PowerOff|Reboot|Halt|KExec|Suspend|Hibernate|HybridSleep|SuspendThenHibernate|SoftReboot|PowerOffWithFlags|RebootWithFlags|HaltWithFlags)$`)

// nologin: a login shell that refuses logins.
var nologin = regexp.MustCompile(`(^|/)(nologin|false)$`)

// hostPack: the machine itself: stopping it or its services, its users and
// their logins, its firewall and network, every process, its disks, its
// system packages; also what takes these away without the words other packs
// read (formatting, encrypting or erasing a disk, bulk deleters of logs,
// temp files and packages).
var hostPack = &Pack{Name: "host", Commands: []string{
	"shutdown", "reboot", "poweroff", "halt", "kill", "pkill", "killall", "iptables", "ip6tables", "iptables-legacy", "iptables-nft", "pfctl", "nft", "ufw", "userdel",
	"deluser", "passwd", "pam-auth-update", "usermod", "apt", "apt-get", "dnf", "yum", "apk", "pacman", "brew", "snap", "systemctl", "crontab",
	"mkswap", "mke2fs", "cryptsetup", "nvme", "hdparm", "badblocks", "resize2fs", "debugfs", "xfs_repair", "dcfldd", "ddrescue",
	"mkdosfs", "mkntfs", "mkexfatfs", "mdadm", "xfs_io", "gem", "pipx", "ip", "ifconfig", "ifdown", "nmcli", "firewall-cmd",
	"chage", "chpasswd", "chsh", "init", "telinit", "service", "pg_ctl", "pg_ctlcluster", "mysqladmin", "killall5", "fuser", "skill", "snice",
	"tmpwatch", "tmpreaper", "journalctl", "conda", "dpkg", "rpm",
	"nix-collect-garbage", "pg_resetwal", "pg_resetxlog", "loginctl", "umount", "busctl", "dbus-send", "gdbus", "qdbus",
	"kexec", "mount", "nginx", "openresty", "apachectl", "apache2ctl", "httpd", "caddy", "supervisorctl", "uwsgi", "haproxy",
	"rc-service", "sv", "s6-svc", "initctl", "invoke-rc.d", "gpasswd", "tc", "netsh", "socketfilterfw",
}, Rules: []Rule{
	{ID: "host.stop", When: func(c *call) bool {
		switch c.name {
		case "shutdown", "reboot", "poweroff", "halt":
			return true
		case "systemctl":
			return c.sub("poweroff") || c.sub("reboot") || c.sub("halt") || c.sub("kexec") || c.sub("isolate") || c.sub("rescue") ||
				c.sub("emergency") || c.sub("soft-reboot") || c.sub("suspend") || c.sub("hibernate") || c.sub("hybrid-sleep") ||
				c.sub("suspend-then-hibernate") || c.sub("default") || c.sub("exit")
		case "busctl", "dbus-send", "gdbus", "qdbus":
			// The power calls of logind and systemd over D-Bus.
			for _, a := range c.args {
				if powerCall.MatchString(a.s) {
					return true
				}
			}
		case "kexec":
			// kexec -e boots the kernel kexec -l loaded, at once.
			return c.has("-e", "--exec", "-f", "--force")
		case "loginctl":
			return c.sub("poweroff") || c.sub("reboot") || c.sub("suspend") || c.sub("hibernate") || c.sub("terminate-seat") ||
				c.sub("terminate-user") || c.sub("kill-user")
		case "umount":
			// Every mount, the root filesystem, or one pulled from under
			// what uses it (lazily or by force): a database's disk among them.
			if c.has("-a", "--all", "-A", "--all-targets", "-R", "--recursive", "-l", "--lazy", "-f", "--force") {
				return true
			}
			for _, p := range c.pos {
				if p.dyn || path.Clean(p.s) == "/" {
					return true
				}
			}
		}
		return false
	}, Class: destructive, Reason: "stops or restarts the machine, and everything on it"},
	{ID: "host.kill-all", When: func(c *call) bool {
		for _, p := range c.pos {
			// kill reads its operands as numbers: -01 and -0001 are -1.
			if n, err := strconv.Atoi(p.s); err == nil && (n == -1 || n == 1 && c.name == "kill") {
				return true
			}
		}
		for _, f := range c.flags {
			if n, err := strconv.Atoi(f); err == nil && n == -1 && c.name == "kill" {
				return true
			}
		}
		return (c.name == "killall" || c.name == "pkill") && c.has("-u") || killsByPattern(c)
	}, Class: destructive, Reason: "kills every process it may, databases included"},
	{ID: "host.firewall-flush", When: func(c *call) bool {
		return (c.name == "iptables" || c.name == "ip6tables") && c.has("-F", "--flush", "-X", "--delete-chain") || c.name == "nft" && c.sub("flush") ||
			c.name == "ufw" && (c.sub("reset") || c.sub("disable")) || (c.name == "iptables-legacy" || c.name == "iptables-nft") && c.has("-F", "--flush") ||
			c.name == "pfctl" && (c.has("-d") || c.has("-F")) ||
			// Windows' and macOS's firewalls turned off; a default policy
			// of ACCEPT lets in what no rule names.
			c.name == "netsh" && (c.sub("advfirewall", "set") && slices.ContainsFunc(c.pos, func(p positional) bool { return strings.EqualFold(p.s, "off") }) ||
				c.sub("advfirewall", "reset") || c.sub("firewall", "set", "opmode") && slices.ContainsFunc(c.pos, func(p positional) bool {
				return strings.EqualFold(p.s, "disable") || strings.EqualFold(p.s, "mode=disable")
			})) ||
			c.name == "socketfilterfw" && slices.ContainsFunc(optionValues(c, "--setglobalstate"), func(v arg) bool { return strings.EqualFold(v.s, "off") }) ||
			(c.name == "iptables" || c.name == "ip6tables") && slices.ContainsFunc(optionValues(c, "-P", "--policy"), func(v arg) bool { return strings.EqualFold(v.s, "INPUT") }) &&
				slices.ContainsFunc(c.pos, func(p positional) bool { return strings.EqualFold(p.s, "ACCEPT") })
	}, Class: destructive, Reason: "removes the firewall's rules or turns it off"},
	{ID: "host.user-delete", When: func(c *call) bool {
		return c.name == "userdel" || c.name == "deluser" || c.name == "passwd" && c.has("-d", "--delete", "-l", "--lock") || c.name == "usermod" && c.has("-L", "--lock", "-e")
	}, Class: destructive, Reason: "deletes a user, their home, or their password"},
	{ID: "host.package-remove", When: func(c *call) bool {
		switch c.name {
		case "apt", "apt-get", "dnf", "yum", "snap":
			return c.sub("remove") || c.sub("purge") || c.sub("autoremove") || c.sub("erase")
		case "apk":
			return c.sub("del")
		case "pacman":
			return c.has("-R", "--remove")
		case "brew":
			return (c.sub("uninstall") || c.sub("remove") || c.sub("rm")) && c.has("--zap", "--force")
		}
		return false
	}, Class: destructive, Reason: "removes system packages (a database server's among them) from this machine"},
	{ID: "host.service-stop", When: func(c *call) bool {
		if c.name != "systemctl" || !(c.sub("stop") || c.sub("disable") || c.sub("mask") || c.sub("kill")) {
			return false
		}
		if c.has("--all", "-a") {
			return true
		}
		for _, p := range c.pos[1:] {
			// systemctl matches a glob against every unit: '*' stops them all.
			if p.dyn || dataService.MatchString(strings.ToLower(p.s)) || strings.ContainsAny(p.s, "*?[") {
				return true
			}
		}
		return false
	}, Class: destructive, Reason: "stops a database or a service others depend on"},
	{ID: "host.crontab-remove", When: func(c *call) bool { return c.name == "crontab" && c.has("-r") }, Class: destructive, Reason: "deletes the user's crontab"},
	{ID: "host.disk", When: func(c *call) bool {
		switch c.name {
		case "mkswap", "mke2fs", "dcfldd", "pg_resetwal", "pg_resetxlog", "mkdosfs", "mkntfs", "mkexfatfs":
			return true
		case "mdadm":
			return c.has("--zero-superblock", "--fail", "--remove", "--stop", "-f", "-r", "-S")
		case "xfs_io":
			for _, v := range optionValues(c, "-c") {
				if f := strings.Fields(v.s); v.dyn || len(f) > 0 && (f[0] == "truncate" || f[0] == "pwrite" || f[0] == "fpunch" || f[0] == "zero" || f[0] == "fcollapse") {
					return true
				}
			}
		case "cryptsetup":
			return c.sub("luksFormat") || c.sub("erase") || c.sub("luksErase") || c.sub("reencrypt") || c.sub("luksKillSlot") || c.sub("luksRemoveKey") || c.sub("luksChangeKey") || c.sub("token", "remove")
		case "nvme":
			return c.sub("format") || c.sub("sanitize") || c.sub("delete-ns")
		case "hdparm":
			for _, f := range c.flags {
				if strings.HasPrefix(f, "--security-erase") || strings.HasPrefix(f, "--trim-sector") || f == "--make-bad-sector" || f == "--dco-restore" {
					return true
				}
			}
		case "badblocks":
			return c.has("-w") || c.has("-n")
		case "resize2fs", "xfs_repair":
			return len(c.pos) > 1 || c.has("-L")
		case "debugfs":
			return c.has("-w")
		case "ddrescue":
			return c.has("-f", "--force")
		}
		return false
	}, Class: destructive, Reason: "formats, encrypts, shrinks or erases a disk, or rewrites a database's write-ahead log"},
	{ID: "host.network-down", When: func(c *call) bool {
		switch c.name {
		case "ip":
			return c.sub("link", "set") && hasWord(c, "down") || c.sub("link", "delete") || c.sub("link", "del") || c.sub("route", "flush") || c.sub("addr", "flush")
		case "ifconfig":
			return hasWord(c, "down")
		case "ifdown":
			return true
		case "nmcli":
			return c.sub("networking", "off") || c.sub("radio", "all", "off") || c.sub("connection", "down") || c.sub("con", "down") ||
				c.sub("device", "disconnect") || c.sub("dev", "disconnect")
		case "firewall-cmd":
			v, _ := c.flagValue("--set-default-zone", "--set-target")
			return c.has("--panic-on") || v == "drop" || v == "block" || v == "DROP" || v == "REJECT"
		case "ufw":
			// ufw default deny incoming: every port closed, ssh included,
			// once ufw is enabled; deny outgoing cuts the rest.
			return c.sub("default") && (hasWord(c, "deny") || hasWord(c, "reject"))
		case "nft":
			// A rule or chain policy that drops everything it sees.
			words := argStrings(c.args)
			if len(words) == 0 {
				return false
			}
			last := strings.ToLower(words[len(words)-1])
			if (c.sub("add", "rule") || c.sub("insert", "rule")) && (last == "drop" || last == "reject") && len(c.pos) <= 6 {
				return true
			}
			return (c.sub("add", "chain") || c.sub("create", "chain")) && strings.Contains(strings.ToLower(strings.Join(words, " ")), "policy drop")
		case "iptables", "ip6tables":
			if v, ok := c.flagValue("-P", "--policy"); ok && (v == "INPUT" || v == "OUTPUT") && (hasWord(c, "DROP") || hasWord(c, "REJECT")) {
				return true
			}
			if v, ok := c.flagValue("-j", "--jump"); ok && (v == "DROP" || v == "REJECT") && (c.has("-A", "-I", "--append", "--insert")) {
				_, src := c.flagValue("-s", "--source")
				_, dport := c.flagValue("--dport")
				_, proto := c.flagValue("-p", "--protocol")
				return !src && !dport && !proto
			}
		}
		return false
	}, Class: destructive, Reason: "cuts this machine off the network"},
	{ID: "ops.expose", When: func(c *call) bool {
		// A data service's port opened to every source on this machine's
		// firewall.
		switch c.name {
		case "ufw":
			if c.sub("default", "allow") && !hasWord(c, "outgoing") && !hasWord(c, "routed") {
				return true // every port open to every source
			}
			if !c.sub("allow") {
				return false
			}
			from := -1
			for i, p := range c.pos {
				if p.s == "from" && i+1 < len(c.pos) {
					from = i + 1
				}
			}
			if from >= 0 && c.pos[from].s != "any" && c.pos[from].s != "0.0.0.0/0" {
				return false
			}
			return slices.ContainsFunc(c.pos, func(p positional) bool { return dataPort(p.s) })
		case "firewall-cmd":
			for _, v := range optionValues(c, "--add-port") {
				if dataPort(v.s) {
					return true
				}
			}
		case "iptables", "ip6tables":
			v, _ := c.flagValue("-j", "--jump")
			_, src := c.flagValue("-s", "--source")
			p, _ := c.flagValue("--dport", "--dports")
			return v == "ACCEPT" && !src && c.has("-A", "-I", "--append", "--insert") && dataPort(p)
		}
		return false
	}, Class: destructive, Reason: "opens a data service's port to every network: the database or cache is reachable from anywhere"},
	{ID: "host.lockout", When: func(c *call) bool {
		switch c.name {
		case "usermod", "chsh":
			v, ok := c.flagValue("-s", "--shell")
			return ok && nologin.MatchString(v)
		case "chage":
			v, ok := c.flagValue("-E", "--expiredate")
			return ok && (isZero(v) || v == "1970-01-01" || v == "1970-01-02")
		case "chpasswd":
			return true
		case "passwd":
			// A new password for an account (root's, or another's): whoever
			// signs in with the old one is locked out.
			return !c.has("-S", "--status", "-a", "--all", "-d", "--delete", "-l", "--lock")
		case "pam-auth-update":
			return c.has("--disable", "--remove")
		case "gpasswd":
			return c.has("-d", "--delete", "-M", "--members", "-r", "--remove-password")
		case "firewall-cmd":
			v, _ := c.flagValue("--remove-service", "--remove-port")
			return v == "ssh" || strings.HasPrefix(v, "22/")
		case "iptables", "ip6tables", "iptables-legacy", "iptables-nft", "ip6tables-legacy", "ip6tables-nft":
			v, _ := c.flagValue("-j", "--jump")
			p, _ := c.flagValue("--dport", "--dports")
			return (v == "DROP" || v == "REJECT") && (p == "22" || p == "ssh") && c.has("-A", "-I", "--append", "--insert")
		case "nft":
			words := strings.ToLower(strings.Join(argStrings(c.args), " "))
			return (c.sub("add", "rule") || c.sub("insert", "rule")) && nftSSHDrop.MatchString(words)
		case "ufw":
			// ufw deny 22, ufw deny ssh, ufw reject in on eth0 to any port 22.
			return (c.sub("deny") || c.sub("reject") || c.sub("insert")) && slices.ContainsFunc(c.pos, func(p positional) bool {
				return p.s == "22" || p.s == "ssh" || strings.HasPrefix(p.s, "22/") || p.s == "OpenSSH"
			})
		case "tc":
			// netem loss 100% (or close) drops every packet: the machine is cut off.
			return hasWord(c, "netem") && hasWord(c, "loss") && slices.ContainsFunc(c.pos, func(p positional) bool {
				return strings.HasSuffix(p.s, "%") && len(p.s) >= 3 && (p.s[0] == '9' || strings.HasPrefix(p.s, "100"))
			})
		}
		return false
	}, Class: destructive, Reason: "locks an account out (its shell, expiry, password or group) or cuts the way in"},
	{ID: "host.service-stop", When: func(c *call) bool {
		switch c.name {
		case "init", "telinit":
			return len(c.pos) > 0 && (c.pos[0].s == "0" || c.pos[0].s == "6" || c.pos[0].s == "1" || c.pos[0].dyn)
		case "service":
			return len(c.pos) >= 2 && (c.pos[1].s == "stop" || c.pos[1].s == "restart") && (c.pos[0].dyn || dataService.MatchString(strings.ToLower(c.pos[0].s)))
		case "pg_ctl":
			return c.sub("stop") || c.sub("kill") || c.sub("restart")
		case "pg_ctlcluster":
			return hasWord(c, "stop") || hasWord(c, "restart")
		case "mysqladmin":
			return c.sub("shutdown")
		case "killall5", "fuser":
			return c.name == "killall5" || c.has("-k", "--kill")
		case "pkill", "killall", "skill", "snice":
			if c.name == "skill" && c.has("-u", "-t") {
				return true // every process of a user or terminal
			}
			for _, p := range c.pos {
				if p.dyn || dataService.MatchString(strings.ToLower(p.s)) {
					return true
				}
			}
		case "nginx", "openresty":
			v, ok := c.flagValue("-s")
			return ok && (v == "stop" || v == "quit")
		case "apachectl", "apache2ctl", "httpd":
			v, _ := c.flagValue("-k")
			return c.sub("stop") || c.sub("graceful-stop") || v == "stop" || v == "graceful-stop"
		case "caddy":
			return c.sub("stop")
		case "supervisorctl":
			return c.sub("stop") || c.sub("shutdown") || c.sub("remove") || c.sub("signal")
		case "uwsgi":
			return c.has("--stop", "--halt", "--kill", "--signal")
		case "haproxy":
			return c.has("-st", "-sf") && len(c.pos) == 0
		case "rc-service", "invoke-rc.d":
			return hasWord(c, "stop") || hasWord(c, "restart") || hasWord(c, "zap")
		case "sv", "s6-svc", "initctl":
			return hasWord(c, "stop") || hasWord(c, "down") || hasWord(c, "kill") || hasWord(c, "force-stop") || c.has("-d", "-k")
		}
		return false
	}, Class: destructive, Reason: "stops a database or a service others depend on, or the machine"},
	{ID: "host.mount-over", When: func(c *call) bool {
		if c.name != "mount" {
			return false
		}
		ops := mountOperands(c)
		if len(ops) == 0 {
			return false // lists the mounts
		}
		t := ops[len(ops)-1]
		if c.has("--target") {
			v, _ := c.flagValue("--target")
			t = positional{arg: arg{s: v}}
		}
		return t.dyn || !inWorkspace(t.s) && !isTemp(t.s) && !strings.HasPrefix(path.Clean(t.s), "/mnt/")
	}, Class: destructive, Reason: "mounts over a directory outside the workspace: what is there is hidden from every program that uses it, and what they write next lands elsewhere"},
	{ID: "host.bulk-delete", When: func(c *call) bool {
		switch c.name {
		case "tmpwatch", "tmpreaper", "nix-collect-garbage":
			return c.name != "nix-collect-garbage" || c.has("-d", "--delete-old", "--delete-older-than")
		case "journalctl":
			for _, f := range c.flags {
				if strings.HasPrefix(f, "--vacuum") {
					return true
				}
			}
		case "conda":
			return (c.sub("env", "remove") || c.sub("remove") && c.has("--all")) || c.sub("clean") && c.has("--all", "-a")
		case "dpkg":
			return c.has("-r", "-P", "--remove", "--purge")
		case "gem":
			return c.sub("uninstall") && c.has("-a", "--all")
		case "pipx":
			return c.sub("uninstall-all") || c.sub("reinstall-all")
		case "rpm":
			return c.has("-e", "--erase")
		}
		return false
	}, Class: destructive, Reason: "deletes logs, files, environments or packages in bulk"},
}}

// hasWord: a positional word equal to w.
func hasWord(c *call, w string) bool {
	for _, p := range c.pos {
		if p.s == w {
			return true
		}
	}
	return false
}

// hasWordContaining: some argument holds one of the texts (a structure's
// field, a statement's keyword).
func hasWordContaining(c *call, texts ...string) bool {
	for _, a := range c.args {
		for _, t := range texts {
			if strings.Contains(a.s, t) {
				return true
			}
		}
	}
	return false
}

// dataPort: a port data services listen on (5432, 3306/tcp, 6379...).
func dataPort(s string) bool {
	p, _, _ := strings.Cut(s, "/")
	switch p {
	case "5432", "3306", "6379", "27017", "9200", "9300", "5984", "11211", "2379", "8086", "9042", "1433", "1521", "26257", "8529", "7474", "7687", "28015", "9000", "5433", "6432", "2181", "9092":
		return true
	}
	return false
}

// nftSSHDrop: an nft rule that drops SSH.
var nftSSHDrop = regexp.MustCompile(`dport\s+(?:22|ssh)\b[^;]*\b(?:drop|reject)\b`)
