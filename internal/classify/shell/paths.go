package shell

import (
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/chaperone/chaperone/internal/classify/secretname"
)

func isDevice(p string) bool {
	return p == "/dev/null" || p == "/dev/stdout" || p == "/dev/stderr" || p == "/dev/tty" || strings.HasPrefix(p, "/dev/fd/")
}

var tempRoots = []string{"/tmp", "/var/tmp", "/private/tmp", "/dev/shm"}

// isTemp reports whether p is a temporary directory or inside one. A path
// with an expansion in it is not: the value is not known here, `/tmp/$X`
// with X=../etc is /etc, and $TMPDIR is unset on most Linux systems
// (`rm -rf $TMPDIR/work` is `rm -rf /work`) or may have been set to
// anything by an earlier command.
func isTemp(p string) bool {
	if strings.Contains(withoutNumeric(p), "$") {
		return false
	}
	clean := path.Clean(p)
	for _, root := range tempRoots {
		if clean == root || strings.HasPrefix(clean, root+"/") {
			return true
		}
	}
	return false
}

// withoutNumeric is p with the expansions that are only ever digits ($$,
// $!, $#, $?) taken out.
func withoutNumeric(p string) string {
	if !strings.Contains(p, "$") {
		return p
	}
	return numericReplacer.Replace(p)
}

var numericReplacer = func() *strings.Replacer {
	var pairs []string
	for name := range numericParams {
		pairs = append(pairs, "$"+name, "0")
	}
	return strings.NewReplacer(pairs...)
}()

// inWorkspace reports whether p stays inside the working directory: relative,
// not climbing out with .., and with no expansion anywhere in it: a value
// not known here may climb out (`build/$X` with X=../.., or
// `build/${X:-../..}`), and paths render every expansion with a $.
func inWorkspace(p string) bool {
	if p == "" || strings.HasPrefix(p, "/") || strings.HasPrefix(p, "~") || strings.Contains(withoutNumeric(p), "$") {
		return false
	}
	clean := path.Clean(p)
	return clean != ".." && !strings.HasPrefix(clean, "../")
}

// buildDirs are directories a build recreates; deleting them loses nothing.
var buildDirs = []string{
	"node_modules", "dist", "build", "target", "out", ".next", ".nuxt", ".svelte-kit", "coverage",
	"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".cache", ".turbo", ".parcel-cache",
	"tmp", ".tmp", "temp", "obj", ".gradle", ".terraform", "htmlcov", ".tox", ".nox", "bin-debug",
	".venv", "venv", "vendor", ".eggs", ".angular", ".expo", ".docusaurus", ".vite", ".output", ".vercel", ".serverless",
	".dart_tool", ".build", "DerivedData", "Pods", "bower_components", "jspm_packages", ".pnpm-store", ".yarn-cache",
	// Test and tooling output.
	".nyc_output", "storybook-static", "test-results", "playwright-report", "blob-report", ".eslintcache", ".stylelintcache",
	".jest-cache", ".hypothesis", ".benchmarks", "junit-reports",
}

// disposableNames are file patterns that only ever hold build output.
var disposableNames = []string{"*.pyc", "*.pyo", "__pycache__", ".DS_Store", "*.o", "*.class", "*.orig", "*.rej", "*~",
	"*.swp", "*.tmp", "*.log", "*.egg-info", "node_modules", ".pytest_cache", "*.obj", "*.d", "*.tsbuildinfo", "Thumbs.db", ".coverage"}

// isDisposable reports whether deleting p loses nothing a build cannot make
// again: a temp dir, or a build directory (or something inside one) in the
// workspace.
func isDisposable(p string) bool {
	if isTemp(p) {
		return true
	}
	if !inWorkspace(p) {
		return false
	}
	clean := path.Clean(p)
	// A glob may pick files inside a build directory, never the directory.
	if strings.ContainsAny(clean, "*?[") && !isBuildPath(path.Dir(clean)) {
		return false
	}
	return isBuildPath(clean)
}

func isBuildPath(clean string) bool {
	for _, part := range strings.Split(clean, "/") {
		if slices.Contains(buildDirs, part) || strings.HasSuffix(part, ".egg-info") {
			return true
		}
	}
	return false
}

// secretBases are file names that hold credentials (compared in lower case).
var secretBases = []string{
	".env", ".envrc", ".netrc", "_netrc", ".npmrc", ".pypirc", ".pgpass", ".git-credentials", ".vault-token",
	"credentials", "credentials.json", "credentials.db", "access_tokens.db", "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519",
	"hosts.yml", "kubeconfig", "terraform.tfstate", "terraform.tfstate.backup", "secrets.yml", "secrets.yaml",
	"secrets.json", "secrets.toml", "service-account.json", "master.key", "credentials.yml.enc", ".htpasswd", "wp-config.php",
	".my.cnf", ".mylogin.cnf", ".bash_history", ".zsh_history", ".sh_history", ".history", ".python_history",
	".psql_history", ".mysql_history", ".node_repl_history", ".sqlite_history", ".rediscli_history", ".lesshst",
	".credentials.json", "auth.json", "oauth_creds.json", "application_default_credentials.json", "accesstokens.json",
	"msal_token_cache.json", "credentials.tfrc.json", ".dev.vars", ".s3cfg", ".boto", "rclone.conf", ".dockercfg",
	"shadow", "gshadow", "credentials.toml", ".secrets", "token.json", ".token", "id_ed25519_sk", "id_ecdsa_sk",
	"deploy_key", "deploy_key.pem", "backup-identity.txt", "chaperone.yaml", "chaperone.yml", "local.settings.json", ".flaskenv", ".viminfo", "service-account.json", "service_account.json", "serviceaccount.json", "client_secret.json",
	"serviceaccountkey.json", "gcp-key.json", "gcp-credentials.json", "kubeconfig.yaml", "kubeconfig.yml", "vault_pass.txt",
	"vault-pass.txt", ".vault_pass.txt", "vault_password", "vault_password.txt", ".pg_service.conf", "pg_service.conf",
	// Database clients' saved logins.
	".rediscli_auth", ".cqlshrc", ".mongoshrc.js", ".mongorc.js", ".clickhouse-client/config.xml", ".influxdbv2/configs",
	// Servers' first passwords, cluster cookies and system secret files.
	"initialadminpassword", "initial_root_password", ".erlang.cookie", "ldap.secret", "sasl_passwd", "chap-secrets", "pap-secrets",
	"opasswd", "msmtprc", "wpa_supplicant.conf", "sssd.conf", ".ansible_vault_pass", ".consul-token", ".nomad-token", ".civo.json",
	"ovf-env.xml", ".openai", "credentials.xml", "master.key.enc", "secrets.env", "userlist.txt",
}

var (
	procRoot       = regexp.MustCompile(`^/proc/[^/]+/(root|cwd)(?:/|$)`)
	backupSuffixes = []string{".bak", ".backup", ".old", ".orig", ".save", ".swp", "~", "-", ".1", ".prev"}
)

// secretFragments are paths (or path parts) that hold credentials.
var secretFragments = []string{".kube/config", ".railway/config", ".aws/config", ".aws/credentials", ".docker/config.json",
	".config/gcloud/", ".azure/", ".fly/config", ".config/gh/hosts", ".ssh/", ".config/railway/", ".config/flyctl/",
	".config/doppler/", ".config/op/", ".gnupg/", ".password-store/", ".config/github-copilot/", ".claude/.credentials",
	".codex/auth", ".gemini/oauth", ".config/hub", ".config/glab-cli/", ".cargo/credentials", ".gem/credentials",
	".m2/settings", ".terraform.d/credentials", ".pulumi/credentials", ".config/heroku", ".config/netlify/", ".vercel/auth",
	".config/supabase/", ".config/neonctl/", ".wrangler/config", ".oci/config", ".config/doctl/", ".config/rclone/",
	".mc/config", ".config/git/credentials", "/run/secrets/", "/var/run/secrets/", "/etc/ssl/private/", ".config/vercel/auth",
	// Agents' and tools' own keys and tokens.
	".claude.json", ".cursor/mcp.json", ".codeium/", ".config/claude/", ".ansible/vault_pass", ".vault-token", ".vault_pass",
	".sentryclirc", ".snowsql/config", ".config/twilio-cli/", ".config/helm/repositories.yaml", ".config/fish/fish_variables",
	".dbshell", ".local/share/fish/fish_history", ".age/", "/atuin/history.db", ".config/age/", ".pgpass", ".my.cnf", ".netrc", ".git-credentials",
	// More CLIs', browsers' and servers' credential stores.
	".databrickscfg", ".ngrok2/", ".config/ngrok/", ".supabase/access-token", ".terraformrc", ".config/hcloud/",
	// Where orchestrators mount secrets into containers, and hosts keep them.
	"/etc/secrets/", "/etc/secret-volume/", "/mnt/secrets-store/", "/home/runner/.credentials", "/etc/vault.d/", "/vault/secrets/", "/var/secrets/", "/etc/vault/token", "kubernetes.io~secret/",
	"/var/lib/docker/containers/", "/etc/rancher/rke2/rke2.yaml", "/etc/rancher/k3s/k3s.yaml", "/etc/grafana/grafana.ini",
	"/var/lib/cloud/instance/user-data", "/var/lib/cloud/instances/", ".config/tea/config.yml", "/etc/gitlab-runner/config.toml",
	"/logins.json", "/key4.db", "/login data", "/cookies", ".local/share/keyrings/", "/legacy_credentials/", ".kube/cache/oidc-login/",
	".gradle/gradle.properties", ".ivy2/.credentials", ".nuget/nuget/nuget.config", ".config/sops/age/", "/huggingface/token",
	".kaggle/kaggle.json", ".config/stripe/", ".twilio-cli/", ".jfrog/", ".circleci/cli.yml", ".travis/config.yml",
	".render/config", "/svn.simple/", "/etc/ssh/ssh_host_", "/etc/kubernetes/admin.conf", "/etc/kubernetes/pki/", "/k3s.yaml",
	"gitlab-secrets.json", "/etc/mysql/debian.cnf", ".config/openai/", "/globalstorage/state.vscdb", ".config/configstore/",
	".vault-token", ".config/gcloud/", ".huggingface/token", ".local/share/containers/auth.json", "/containers/auth.json", ".config/pypoetry/auth",
	".config/rubygems/credentials", ".npm/_auth", ".yarnrc", ".bundle/config", ".config/composer/auth.json", ".composer/auth.json",
	// Cached cloud sessions, other kubeconfigs, cluster and runner tokens,
	// Kerberos, VPN and network secrets, shadow backups.
	".aws/sso/cache/", ".aws/cli/cache/", ".kube/", ".talos/config", "/rancher/k3s/server/token", "/rancher/k3s/server/node-token",
	"/etc/gitlab-runner/config.toml", ".keytab", "/krb5cc_", "/etc/wireguard/", "/etc/ipsec.secrets", "/etc/networkmanager/system-connections/",
	"/var/backups/shadow", "/var/backups/gshadow", "/etc/shadow-", "/etc/gshadow-",
	".dbt/profiles.yml", ".netlify/config.json", "pip/pip.conf", "/local.settings.json",
	".snowflake/connections.toml", ".snowflake/config.toml", ".tsh/", ".lpass/", "/bitwarden cli/data.json", ".config/bw/",
	// Other clouds' and tunnels' command-line sign-ins, mail and database
	// client passwords, cluster components' kubeconfigs.
	".aliyun/", ".cloudflared/", ".config/scw/", ".scw/", ".linode-cli", ".config/linode-cli", ".vultr-cli.yaml", ".ibmcloud/",
	".bluemix/", ".config/exoscale/", ".tccli/", ".tencentcloud/", ".huaweicloud/", ".volcengine/", ".ovh.conf", "clouds.yaml",
	"clouds-public.yaml", "secure.yaml", ".config/openstack/", ".upcloud", ".config/upcloud/", ".config/turso/", ".config/planetscale/",
	".config/argocd/", ".argocd/", ".config/fastly/", ".fastly/", ".serverlessrc", ".config/configstore/firebase-tools.json",
	"firebase-adminsdk", ".local/share/com.vercel.cli/", ".local/share/supabase/", ".expo/state.json", ".config/cachix/",
	".passwd-s3fs", "/etc/passwd-s3fs", ".authinfo", ".msmtprc", ".fetchmailrc", ".cassandra/cqlshrc", ".influxdbv2/",
	".config/influxdb2/", ".clickhouse-client/", ".sbt/.credentials", ".lein/credentials", ".m2/settings-security.xml",
	"/etc/kubernetes/kubelet.conf", "/etc/kubernetes/controller-manager.conf", "/etc/kubernetes/scheduler.conf",
	"/etc/kubernetes/super-admin.conf", "/var/lib/kubelet/pki/", "/pgbouncer/userlist.txt", "/etc/pgbouncer/", ".wrangler/",
	".config/.wrangler/", ".config/tailscale/", "/var/lib/tailscale/", ".config/sentry/", ".config/hetzner/", ".terraform.d/",
	".config/ngrok/", ".config/render/", ".railway/", ".config/heroku/", ".local/share/heroku/", ".netrc.gpg",
	".config/b2/", ".config/anthropic/", "/opt/vault/data/", ".teleport/", "/jenkins/secrets/", "/etc/letsencrypt/live/",
	"/etc/letsencrypt/archive/", "/etc/letsencrypt/keys/", "/etc/openvpn/", "/etc/ppp/"}

// extglob is one of bash's extended glob groups: ?(…), *(…), +(…), @(…),
// !(…).
var extglob = regexp.MustCompile(`[?*+@!]\([^()]*\)`)

// secretTemplates look like .env files but hold no secrets by convention.
var secretTemplates = []string{".example", ".sample", ".template", ".dist", ".defaults", ".schema", ".tmpl", ".tpl"}

// isSecretPath reports whether p names a file that holds credentials. Case
// does not matter (.ENV is .env on case-insensitive filesystems), and a
// glob counts when it could match such a file.
func isSecretPath(p string) bool {
	p = strings.Trim(p, `"'`)
	if strings.HasPrefix(p, "/") || strings.HasPrefix(p, "~/") {
		p = path.Clean(p) // /etc//secrets, /vault/./secrets
	}
	// /proc/1/root/etc/shadow is /etc/shadow; /proc/self/cwd/.env is .env.
	if m := procRoot.FindStringSubmatch(p); m != nil {
		if m[1] == "root" {
			p = "/" + p[len(m[0]):]
		} else {
			p = p[len(m[0]):]
		}
	}
	// A copy kept beside the original holds what it holds (shadow.bak,
	// .env~, id_rsa.old).
	for _, suf := range backupSuffixes {
		if t := strings.TrimSuffix(p, suf); t != p && t != "" && !strings.HasSuffix(t, "/") && isSecretPath(t) {
			return true
		}
	}
	// Bash's extended globs (cred+(e)ntials, @(id_rsa|x)) match as much
	// as a * there does, at least.
	p = extglob.ReplaceAllString(p, "*")
	if strings.ContainsAny(p, "*?[") {
		return globMaySecret(p)
	}
	lp := strings.ToLower(p)
	base := path.Base(lp)
	for _, t := range secretTemplates {
		if strings.HasSuffix(base, t) || strings.Contains(base, t+".") {
			return false
		}
	}
	switch {
	case slices.Contains(secretBases, base):
		switch base {
		case "hosts.yml":
			return strings.Contains(lp, "gh/") || strings.Contains(lp, "hub")
		case "credentials":
			return strings.Contains(lp, ".aws") || strings.Contains(lp, ".config") || strings.Contains(lp, "/")
		case "auth.json", "token.json", ".token", "shadow", "gshadow", ".history":
			return strings.Contains(lp, "/") && (base != "shadow" && base != "gshadow" || strings.HasPrefix(lp, "/etc/"))
		}
		return true
	case strings.HasPrefix(base, ".env.") || strings.HasPrefix(base, ".env-") || strings.HasPrefix(base, ".env_"),
		strings.HasSuffix(base, ".env") && base != ".env",
		base == "environ" && strings.HasPrefix(lp, "/proc/"):
		return true
	case strings.HasSuffix(base, ".pem"), strings.HasSuffix(base, ".key"), strings.HasSuffix(base, ".p12"),
		strings.HasSuffix(base, ".pfx"), strings.HasSuffix(base, ".keystore"), strings.HasSuffix(base, ".jks"),
		strings.HasSuffix(base, ".kdbx"), strings.HasSuffix(base, ".ppk"), strings.HasSuffix(base, ".tfvars") && !strings.Contains(base, "example"):
		if !strings.HasSuffix(base, ".pub.pem") && !strings.HasSuffix(base, ".crt.pem") && !strings.HasSuffix(base, "cert.pem") && !strings.HasSuffix(base, "chain.pem") {
			return true
		}
		// A certificate, unless it lives where keys do (~/.cloudflared/cert.pem).
	case strings.HasPrefix(base, "id_") && !strings.HasSuffix(base, ".pub") && strings.Contains(lp, ".ssh"):
		return true
	case strings.HasSuffix(base, "_history") && strings.HasPrefix(base, "."):
		return true
	}
	if strings.HasPrefix(lp, "/secrets/") {
		return true // a secrets volume mounted at the root
	}
	for _, frag := range secretFragments {
		if strings.Contains(lp, frag) && !strings.HasSuffix(lp, ".pub") && !strings.HasSuffix(lp, "known_hosts") && !strings.HasSuffix(lp, ".ssh/config") && !strings.HasSuffix(lp, "/") && !strings.HasSuffix(lp, "authorized_keys") {
			return true
		}
	}
	return false
}

// secretFiles are whole paths of credentials a glob is tried against.
var secretFiles = []string{"/etc/shadow", "/etc/gshadow", "/etc/shadow-", "/etc/shadow.bak", "/etc/security/opasswd",
	"/etc/ssh/ssh_host_rsa_key", "/etc/ssh/ssh_host_ed25519_key", "/etc/ssh/ssh_host_ecdsa_key",
	"/etc/letsencrypt/live/example.com/privkey.pem", "/etc/ssl/private/server.key", "/etc/kubernetes/admin.conf",
	"/etc/kubernetes/pki/ca.key", "/etc/rancher/k3s/k3s.yaml", "/etc/ipsec.secrets", "/etc/wireguard/wg0.conf",
	"/etc/ldap.secret", "/etc/postfix/sasl_passwd", "/etc/ppp/chap-secrets", "/etc/gitlab/initial_root_password",
	"/var/lib/jenkins/secrets/initialadminpassword", "/var/lib/rabbitmq/.erlang.cookie", "/run/secrets/db",
	"/var/run/secrets/kubernetes.io/serviceaccount/token", "/proc/1/environ", "/root/.ssh/id_rsa", "/root/.aws/credentials",
	"/home/user/.ssh/id_rsa", "/home/user/.aws/credentials", "/var/backups/shadow.bak"}

// secretSamples are concrete names a glob is tried against.
var secretSamples = []string{".env", ".env.local", ".env.production", "prod.env", "id_rsa", "id_ed25519", "id_ecdsa",
	"keystore.p12", "cert.pfx", "keystore.jks", "privkey.pem", "shadow",
	"credentials", "config", "config.json", "hosts.yml", "server.key", "key.pem", "token", "auth.json", ".credentials.json",
	".netrc", ".npmrc", ".pgpass", ".pypirc", ".bash_history", ".zsh_history", "secrets.json", "secrets.yml", "master.key",
	"terraform.tfstate", "application_default_credentials.json", "config.yml", "environ", "kubeconfig", ".git-credentials"}

// globSample turns a pattern's wildcards into a name they match.
var globSample = strings.NewReplacer("*", "x", "?", "x", "[", "", "]", "")

// globMaySecret: cat .e*, cat ~/.ssh/*, cat .[e]nv. The shell expands the
// glob against whatever is there when it runs, so what matters is whether
// it could match a credential file.
func globMaySecret(p string) bool {
	lp := strings.ToLower(p)
	for _, c := range secretFiles {
		// The whole pattern against where credentials are known to be:
		// /etc/sh*, /e*/shadow, /etc/ssh/ssh_host_*_key.
		if globMatch(lp, c) {
			return true
		}
	}
	dir, base := path.Split(lp)
	if !strings.ContainsAny(base, "*?[") {
		// A known name in any directory the pattern picks
		// (~/.mozilla/firefox/*/logins.json): judged in one of them.
		if isSecretPath(globSample.Replace(dir) + base) {
			return true
		}
	}
	if strings.ContainsAny(dir, "*?[") && strings.HasPrefix(dir, "/") {
		// A directory pattern that can pick a directory of secrets
		// (/etc/secret*/db, /run/secre?s/x, /*/secrets/x).
		for _, d := range secretFragments {
			if !strings.HasPrefix(d, "/") || !strings.HasSuffix(d, "/") {
				continue
			}
			// The pattern's directory, or any leading part of it, may
			// be that directory (/var/run/s*/kubernetes.io/…).
			parts := strings.Split(strings.Trim(dir, "/"), "/")
			// A bare * in the place of the secrets directory's own name
			// (/etc/*/nginx.conf) picks any directory: not counted.
			for k := 1; k <= len(parts); k++ {
				if strings.Trim(parts[k-1], "*?[]!") != "" && globMatch("/"+strings.Join(parts[:k], "/"), strings.TrimSuffix(d, "/")) {
					return true
				}
			}
		}
	}
	if strings.Trim(base, "*?[]!") == "" {
		// * picks every file of the directory: it matters where.
		if strings.ContainsAny(dir, "*?[") {
			return globMaySecret(dir + "id_rsa")
		}
		return dir != "" && (isSecretPath(dir+"x") || isSecretDir(dir))
	}
	for _, s := range secretSamples {
		if ok := globMatch(base, s); !ok || strings.HasPrefix(s, ".") && !strings.HasPrefix(base, ".") {
			continue
		}
		if strings.ContainsAny(dir, "*?[") {
			// Any directory: try the directories credentials live in, in
			// every home (/home/*/.ssh, /*/*/.aws).
			for _, d := range []string{".ssh/", ".aws/", ".kube/", ".docker/", ".config/gh/", ".railway/", ".fly/", ".config/gcloud/", ""} {
				for _, home := range []string{"~/", "/home/user/", "/root/", "/users/user/", "/var/lib/postgresql/"} {
					c := home + d
					if ok := globMatch(strings.TrimSuffix(dir, "/"), strings.TrimSuffix(c, "/")); ok && isSecretPath(c+s) {
						return true
					}
				}
			}
			for _, d := range []string{"/proc/1/", "./"} {
				if ok := globMatch(strings.TrimSuffix(dir, "/"), strings.TrimSuffix(d, "/")); ok && isSecretPath(d+s) {
					return true
				}
			}
			continue
		}
		if isSecretPath(dir + s) {
			return true
		}
	}
	return false
}

// secretName reports whether an environment variable's name says it holds a
// credential.
func secretName(name string) bool { return secretname.Is(name) }

// IsSecretPath reports whether a path names a file that holds credentials.
func IsSecretPath(p string) bool { return isSecretPath(p) }

// SecretName reports whether an environment variable's name says it holds a
// credential.
func SecretName(name string) bool { return secretName(name) }

// secretDirs hold nothing but credentials: copying or archiving one
// reads them all.
var secretDirs = []string{".ssh", ".aws", ".gnupg", ".kube", ".docker", ".config/gh", ".railway", ".fly", ".config/gcloud", ".azure",
	".password-store", "/run/secrets", "/var/run/secrets", ".config/railway", ".config/flyctl", ".claude", ".codex", ".talos",
	"/etc/wireguard", "/etc/networkmanager/system-connections", ".aws/sso/cache", "/etc/secrets", "/mnt/secrets-store", "/vault/secrets",
	"/var/secrets", "/secrets"}

func isSecretDir(p string) bool {
	lp := strings.TrimSuffix(strings.ToLower(strings.Trim(p, `"'`)), "/")
	for _, d := range secretDirs {
		if lp == d || strings.HasSuffix(lp, "/"+d) || strings.HasPrefix(d, "/") && strings.HasSuffix(lp, d) {
			return true
		}
	}
	return false
}
