package shell

import (
	"regexp"
	"slices"
	"strings"
)

// What watches the host and the account is part of what keeps them safe:
// audit daemons, mandatory access control, endpoint agents, the cloud's
// trail of API calls. Turning it off, handing a shell to a network peer,
// adding a root account or loading kernel code are not writes like others.

// securityUnit names the services that watch or protect a host.
var securityUnit = regexp.MustCompile(`(?i)audit|falco|wazuh|ossec|osquery|falcon|crowdstrike|datadog|fail2ban|apparmor|selinux|clamav|clamd|sysdig|tetragon|sentinel|carbonblack|cbagent|elastic-agent|auditbeat|filebeat|splunk|aide|tripwire|suricata|snort|crowdsec|rkhunter|qualys|tanium|cylance|sophos|defender|mdatp|newrelic-infra|amazon-ssm-agent|google-guest-agent|rsyslog|syslog-ng|journald|fluent-?bit|fluentd|promtail|vector`)

// hostSecurity judges a command that turns off, bypasses or takes over
// what protects the host or the cloud account.
func (w *walker) hostSecurity(c *call) {
	off := func(what string) { w.add("host.security-off", destructive, c.name+" "+what) }
	if securityUnit.MatchString(baseName(c.name)) && (stopsUnits(c) || c.has("-d", "--disable", "--uninstall")) {
		off("stops, disables or removes " + baseName(c.name) + ", which watches or protects the host")
		return
	}
	switch c.name {
	case "systemctl", "service", "rc-service", "launchctl", "sv", "update-rc.d", "chkconfig":
		if stopsUnits(c) {
			for _, p := range c.pos {
				if securityUnit.MatchString(p.s) {
					off("stops or disables " + p.s + ", which watches or protects the host")
					return
				}
			}
		}
	case "sysctl":
		if strings.Contains(strings.Join(argStrings(c.args), " "), "randomize_va_space=0") {
			off("turns address space randomisation off")
		}
	case "mysqld", "mariadbd", "mysqld_safe":
		if c.has("--skip-grant-tables") {
			off("starts the server without checking passwords or privileges")
		}
	case "chmod", "install", "mkdir", "rsync":
		if m, ok := setuidMode(c); ok {
			w.add("host.privilege", destructive, c.name+" "+m+" makes a program run as its owner for whoever starts it: a way to root")
		}
	case "setcap":
		w.add("host.privilege", unknown, "setcap gives a program capabilities of root")
	case "auditctl":
		if c.has("-D") || slices.ContainsFunc(c.args, func(a arg) bool { return a.s == "-e0" }) || optionIs(c, "-e", "0") {
			off("deletes the audit rules or turns auditing off")
		}
	case "setenforce":
		if len(c.pos) > 0 && (c.pos[0].s == "0" || strings.EqualFold(c.pos[0].s, "permissive")) {
			off("turns SELinux enforcement off")
		}
	case "aa-teardown", "aa-disable", "aa-complain":
		off("unloads or relaxes AppArmor profiles")
	case "aws":
		args := strings.ToLower(strings.Join(argStrings(c.args), " "))
		switch {
		case c.sub("guardduty", "update-detector") && c.has("--no-enable"),
			c.sub("cloudtrail", "update-trail") && (c.has("--no-include-global-service-events") || c.has("--no-is-multi-region-trail") || c.has("--no-enable-log-file-validation")),
			c.sub("cloudtrail", "put-event-selectors") && (strings.Contains(args, `"none"`) || slices.ContainsFunc(c.args, func(a arg) bool { return strings.TrimSpace(a.s) == "[]" })),
			c.sub("s3api", "put-bucket-logging") && !strings.Contains(args, "loggingenabled"),
			c.sub("securityhub", "disable-security-hub"), c.sub("config", "stop-configuration-recorder"):
			off(c.subAt(0) + " " + c.subAt(1) + " turns off or narrows the account's record of what is done in it")
		}
	case "useradd", "adduser", "usermod":
		if slices.ContainsFunc(optionValues(c, "-u", "--uid"), func(a arg) bool { return a.s != "" && strings.TrimLeft(a.s, "0") == "" }) {
			w.add("host.root-account", destructive, c.name+" makes an account with user id 0: a second root")
			return
		}
		if c.name == "usermod" && slices.ContainsFunc(optionValues(c, "-p", "--password"), func(a arg) bool { return a.s == "" }) {
			w.add("host.root-account", destructive, "usermod -p '' leaves the account without a password")
			return
		}
		for _, g := range privilegedGroups {
			if groupsGiven(c, g) {
				w.add("host.privilege", unknown, c.name+" puts an account in the "+g+" group, which acts as root")
				return
			}
		}
	case "gpasswd":
		for _, g := range privilegedGroups {
			// gpasswd -a USER GROUP: the group is the last operand.
			if c.has("-a", "--add", "-M", "--members") && len(c.pos) > 0 && c.pos[len(c.pos)-1].s == g {
				w.add("host.privilege", unknown, "gpasswd adds an account to the "+g+" group, which acts as root")
				return
			}
		}
	case "insmod", "modprobe", "rmmod":
		w.add("host.kernel", unknown, c.name+" changes the code the kernel runs")
	case "grub-install", "efibootmgr", "update-grub", "grub-mkconfig":
		if c.name != "efibootmgr" || c.has("-B", "--delete-bootnum", "-o", "--bootorder", "-c", "--create") {
			w.add("host.boot", destructive, c.name+" rewrites how the machine boots: a mistake leaves it unable to start")
		}
	case "socat":
		w.remoteShell(c)
	case "websocat":
		if slices.ContainsFunc(c.args, func(a arg) bool {
			l := strings.ToLower(a.s)
			return strings.HasPrefix(l, "sh-c:") || strings.HasPrefix(l, "exec:") || strings.HasPrefix(l, "cmd:")
		}) {
			w.add("net.remote-shell", unknown, "websocat joins a program to a network peer: whoever is at the other end runs it")
		}
	case "dockerd":
		if slices.ContainsFunc(optionValues(c, "-H", "--host"), func(a arg) bool {
			return strings.HasPrefix(a.s, "tcp://") && !strings.HasPrefix(a.s, "tcp://127.") && !strings.HasPrefix(a.s, "tcp://localhost")
		}) {
			w.add("net.remote-shell", unknown, "dockerd listens on the network: whoever reaches it runs containers as root here")
		}
	case "jupyter", "jupyter-notebook", "jupyter-lab":
		if text := strings.Join(argStrings(c.args), " "); strings.Contains(text, "0.0.0.0") && (strings.Contains(text, "token=''") || strings.Contains(text, `token=""`) || strings.HasSuffix(text, "token=")) {
			w.add("net.remote-shell", unknown, c.name+" serves notebooks on every interface without a token: whoever reaches it runs code here")
		}
	case "gotty", "ttyd", "tmate", "upterm", "sshx":
		w.add("net.remote-shell", unknown, c.name+" serves a terminal over the network: whoever reaches it runs commands here")
	}
}

var privilegedGroups = []string{"sudo", "wheel", "admin", "root", "docker", "lxd", "disk", "shadow", "adm"}

// groupsGiven: an account added to group g (usermod -aG g, useradd -G g,
// adduser NAME g).
func groupsGiven(c *call, g string) bool {
	for _, v := range optionValues(c, "-G", "--groups", "-aG", "-g", "--gid") {
		if slices.Contains(strings.Split(v.s, ","), g) {
			return true
		}
	}
	return c.name == "adduser" && len(c.pos) == 2 && c.pos[1].s == g
}

func optionIs(c *call, name, value string) bool {
	v, ok := c.flagValue(name)
	return ok && v == value
}

// stopsUnits: systemctl stop|disable|mask|kill, service X stop, and the like.
func stopsUnits(c *call) bool {
	return slices.ContainsFunc(c.pos, func(p positional) bool { return slices.Contains(stopVerbs, strings.ToLower(p.s)) })
}

// remoteShell: socat joining a program to a network peer hands that
// program, a shell as often as not, to whoever is at the other end.
func (w *walker) remoteShell(c *call) {
	program, network := false, false
	for _, a := range c.args {
		l := strings.ToLower(a.s)
		program = program || strings.HasPrefix(l, "exec:") || strings.HasPrefix(l, "system:")
		for _, n := range []string{"tcp", "udp", "sctp", "openssl", "ssl", "socks", "proxy"} {
			network = network || strings.HasPrefix(l, n)
		}
	}
	if program && network {
		w.add("net.remote-shell", unknown, "socat joins a program to a network peer: whoever is at the other end runs it")
	}
}

// socketShell: code that joins a shell to a socket (os.dup2 of a
// socket, perl's open(STDIN, ">&S"), awk's /inet/tcp).
var socketShell = regexp.MustCompile(`(?s)socket.*(?:dup2|>&\s*[A-Z$])|\bnet\b["')\]]*\.(?:connect|createServer|createConnection).*(?:child_process|spawn\(|exec\()|(?:child_process|spawn\()[\s\S]*\bnet\b["')\]]*\.(?:connect|createServer|createConnection)|/inet/(?:tcp|udp)/|\bpty\.spawn\b.*socket|socket.*\bpty\.spawn\b|TCPSocket.*(?:exec|spawn|system)|fsockopen.*(?:exec|shell_exec|system|proc_open)`)

// adminGrant: a role, policy or permission that gives everything.
var adminGrant = regexp.MustCompile(`(?i)AdministratorAccess|IAMFullAccess|PowerUserAccess|"Action"\s*:\s*(?:"\*"|\[\s*"\*"\s*\])|"Action"\s*:\s*"iam:\*"|roles/(?:owner|editor|resourcemanager\.organizationAdmin|iam\.securityAdmin)\b|--role[= ]["']?(?:Owner|Contributor|User Access Administrator)\b|\bcluster-admin\b|"verbs"\s*:\s*\[\s*"\*"|--privileged\b|--clusterrole[= ]["']?admin\b|permission=(?:admin|maintain)\b|access_level=(?:50|40)\b|\brole=(?:admin|owner)\b|enforce_admins=false|required_pull_request_reviews=null|system:(?:anonymous|unauthenticated)\b|--member[= ]["']?allUsers\b|allAuthenticatedUsers|serviceAccount(?:TokenCreator|User|KeyAdmin)\b|ssh-keys=|sshKeys=|enable-oslogin=FALSE|--allow-principal[= ]User:\*|read_only=false|visibility=public|--permissions[= ]\S*manage`)

// accessGrants judges a command that gives an account, a key or the
// public administrative access, or takes a protection of the code away.
func (w *walker) accessGrants(c *call) {
	if m := shareLink(c); m != "" {
		w.add("iam.escalation", unknown, c.name+" "+m+" makes a link or key that lets whoever holds it read or write the objects, with no account")
		return
	}
	if text := strings.Join(argStrings(c.args), " "); !readsOnly(c) {
		switch {
		case c.name == "ssh-copy-id":
			w.add("iam.escalation", unknown, "ssh-copy-id installs a key on the host: whoever holds it logs in there as that account")
			return
		case c.name == "gh" && c.sub("repo", "transfer"):
			w.add("iam.escalation", destructive, "gh repo transfer hands the repository, its issues and its secrets to another owner")
			return
		case c.name == "cargo" && c.sub("owner") && c.has("--add", "-a"), c.name == "gem" && c.sub("owner") && c.has("-a", "--add"),
			c.name == "mix" && c.sub("hex.owner", "add"), c.name == "npm" && c.sub("access", "grant"):
			w.add("iam.escalation", unknown, c.name+" gives another account the right to publish the package")
			return
		case adminAccount.MatchString(text):
			w.add("iam.escalation", unknown, c.name+" gives an account administrative access ("+strings.TrimSpace(adminAccount.FindString(text))+")")
			return
		}
	}
	switch c.name {
	case "aws", "gcloud", "az", "kubectl", "oc", "gh", "glab", "doctl", "oci", "gsutil", "heroku", "kafka-acls", "kafka-acls.sh", "op", "vault", "rabbitmqctl", "npm":
	default:
		return
	}
	switch {
	case c.name == "aws" && (c.sub("route53domains", "transfer-domain-to-another-aws-account") || c.sub("route53domains", "update-domain-nameservers") ||
		c.sub("route53domains", "disable-domain-transfer-lock")),
		c.name == "gcloud" && c.sub("domains", "registrations") && (c.sub("domains", "registrations", "configure") || c.sub("domains", "registrations", "transfer")):
		w.add("dns.hijack", destructive, c.name+" hands a domain, or where its names resolve, elsewhere: every service under it follows")
		return
	case c.name == "az" && slices.ContainsFunc(c.pos, func(p positional) bool { return p.s == "keys" }) && slices.ContainsFunc(c.pos, func(p positional) bool { return p.s == "list" }):
		w.add("creds.cloud-secret-read", credential, "az … keys list prints the resource's access keys")
		return
	}
	if c.name == "heroku" && c.sub("apps:transfer") {
		w.add("iam.escalation", destructive, "heroku apps:transfer hands the app, its add-ons and their data to another account")
		return
	}
	text := strings.Join(argStrings(c.args), " ")
	switch {
	case adminGrant.MatchString(text):
		w.add("iam.escalation", unknown, c.name+" grants administrative access ("+adminGrant.FindString(text)+"): whoever holds it can do anything, destruction included")
	case (c.name == "kubectl" || c.name == "oc") && c.sub("certificate", "approve"):
		w.add("iam.escalation", unknown, c.name+" certificate approve signs a client certificate: whoever holds its key acts as the identity it names")
	case c.name == "gh" && c.sub("repo", "deploy-key", "add") && c.has("--allow-write"):
		w.add("iam.escalation", unknown, "gh adds a deploy key that can push: whoever holds it writes to the repository")
	case c.name == "aws" && (c.sub("iam", "create-user") || c.sub("iam", "add-user-to-group") || c.sub("iam", "create-login-profile")):
		w.add("iam.escalation", unknown, "aws iam "+c.subAt(1)+" gives a new identity access to the account")
	case c.name == "aws" && (c.sub("iam", "upload-ssh-public-key") || c.sub("kms", "create-grant") || c.sub("ec2", "modify-snapshot-attribute") ||
		(c.sub("iam", "put-role-policy") || c.sub("iam", "put-user-policy") || c.sub("iam", "put-group-policy") || c.sub("iam", "create-policy-version")) &&
			slices.ContainsFunc(c.args, func(a arg) bool { return strings.HasPrefix(a.s, "file://") || strings.HasPrefix(a.s, "fileb://") })):
		// A policy document read from the workspace is judged by its
		// text above; one that could not be read is not known.
		w.add("iam.escalation", unknown, "aws "+c.subAt(0)+" "+c.subAt(1)+" gives access with a policy or grant Chaperone does not read")
	case c.name == "vault" && (c.sub("policy", "write") || c.sub("write") && len(c.pos) > 1 && strings.HasPrefix(c.pos[1].s, "sys/policy")):
		w.add("iam.escalation", unknown, "vault writes a policy, which says what its tokens may do")
	case c.name == "rabbitmqctl" && c.sub("set_user_tags") && strings.Contains(strings.Join(argStrings(c.args), " "), "administrator"),
		c.name == "npm" && (c.sub("owner", "add") || c.sub("access", "set") && strings.Contains(strings.Join(argStrings(c.args), " "), "mfa=none")),
		c.name == "az" && c.sub("ad", "group", "member", "add"):
		w.add("iam.escalation", unknown, c.name+" gives an account more access ("+strings.Join(argStrings(c.args), " ")+")")
	case c.name == "aws" && c.sub("s3api", "put-bucket-policy"):
		w.add("iam.escalation", unknown, "aws s3api put-bucket-policy replaces who may read and write the bucket, with a policy Chaperone does not read")
	}
}

// setuidMode returns the mode of a chmod, install -m or rsync --chmod that
// sets the set-user-ID bit: an octal mode with 4 in its fourth digit from
// the right (4755, 6711, 04755), or a symbolic one giving u or a the s.
func setuidMode(c *call) (string, bool) {
	var modes []arg
	switch c.name {
	case "chmod":
		if len(c.pos) > 0 {
			modes = append(modes, c.pos[0].arg)
		}
	case "rsync":
		modes = optionValues(c, "--chmod")
	default:
		modes = optionValues(c, "-m", "--mode")
	}
	for _, m := range modes {
		if m.dyn {
			continue
		}
		for _, part := range strings.Split(m.s, ",") {
			if setuidOctal.MatchString(part) || setuidSymbolic.MatchString(part) {
				return m.s, true
			}
		}
	}
	return "", false
}

var (
	setuidOctal    = regexp.MustCompile(`^0*[4-7][0-7]{3}$`)
	setuidSymbolic = regexp.MustCompile(`^(?:[DF])?[ugoa]*[ua][ugoa]*[+=][rwxXst]*s|^[+=][rwxXt]*s`)
)

// adminAccount: an account created or given an administrator's role, in
// the shapes CLIs spell it (--admin, --role=administrator, -r Admin,
// tags=administrator, 'Domain Admins', consoleAdmin, superuser create).
var adminAccount = regexp.MustCompile(`(?i)(?:^|\s)--(?:admin|superuser|is-admin|is_superuser|make-admin)(?:=true)?(?:\s|$)|--role(?:name)?[= ]["']?(?:admin|administrator|superuser|owner|super_admin)\b|(?:^|\s)-r\s+["']?(?:admin|administrator)\b|\btags=["']?administrator|\bDomain Admins\b|\bEnterprise Admins\b|\bconsoleAdmin\b|\bsuperuser\s+(?:create|upsert)\b|\bgroup-add-member\s+admins\b|\bgrant-permission\b.*\breadwrite\b|--operation[= ]all\b|"roles"\s*:\s*\[[^\]]*"superuser"`)

// shareLink returns the subcommand of a command that makes a bearer link
// or key to stored objects (aws s3 presign, gsutil signurl, mc share,
// rclone link, b2 get-download-auth, oci os preauth-request create), or "".
func shareLink(c *call) string {
	switch {
	case c.name == "aws" && c.sub("s3", "presign"):
		return "s3 presign"
	case c.name == "gsutil" && c.sub("signurl"):
		return "signurl"
	case c.name == "gcloud" && c.sub("storage", "sign-url"):
		return "storage sign-url"
	case c.name == "mc" && c.sub("share"):
		return "share"
	case c.name == "rclone" && c.sub("link"):
		return "link"
	case c.name == "b2" && (c.sub("get-download-auth") || c.sub("get-download-url-with-auth")):
		return c.pos[0].s
	case c.name == "oci" && c.sub("os", "preauth-request", "create"):
		return "os preauth-request create"
	}
	return ""
}
