package shell

import (
	"regexp"
	"slices"
	"strings"
)

func init() { register(secretStoresPack) }

// secretStoresPack: commands that print secrets held by a cloud, a secret
// store or infrastructure state. Listing names is fine; values are not.
var secretStoresPack = &Pack{Name: "secret-stores",
	Commands: []string{"aws", "gcloud", "az", "heroku", "railway", "fly", "flyctl", "terraform", "tofu", "terragrunt", "pulumi",
		"kubectl", "oc", "vault", "doppler", "sops", "ansible-vault", "gpg", "age", "secret-tool", "keyctl", "supabase", "netlify",
		"vercel", "infisical", "chamber", "bws", "akeyless", "conjur", "kubeseal", "gopass", "op", "doctl", "glab", "gh", "dotenvx",
		"etcdctl", "consul", "nomad", "aws-vault", "mc", "composer", "tctl"},
	Rules: []Rule{
		{ID: "creds.cloud-secret-read", When: func(c *call) bool {
			s0, s1 := c.subAt(0), c.subAt(1)
			switch c.name {
			case "aws":
				return s0 == "secretsmanager" && (s1 == "get-secret-value" || s1 == "batch-get-secret-value") ||
					s0 == "ssm" && strings.HasPrefix(s1, "get-parameter") && c.has("--with-decryption") ||
					s0 == "kms" && s1 == "decrypt" || s0 == "sts" && (s1 == "assume-role" || s1 == "get-federation-token" || s1 == "assume-role-with-web-identity") ||
					s0 == "ecr" && s1 == "get-login-password" || s0 == "iam" && s1 == "create-access-key" ||
					s0 == "codeartifact" && s1 == "get-authorization-token" || s0 == "rds" && s1 == "generate-db-auth-token" ||
					s0 == "lightsail" && (strings.Contains(s1, "password") || s1 == "download-default-key-pair") ||
					s0 == "ecr" && s1 == "get-authorization-token" || s0 == "acm" && s1 == "export-certificate" ||
					s0 == "redshift" && s1 == "get-cluster-credentials" || s0 == "redshift" && s1 == "get-cluster-credentials-with-iam" ||
					s0 == "redshift-serverless" && s1 == "get-credentials" || s0 == "cognito-identity" && s1 == "get-credentials-for-identity" ||
					s0 == "iam" && (s1 == "create-service-specific-credential" || s1 == "reset-service-specific-credential" || s1 == "create-login-profile" || s1 == "update-login-profile") ||
					s0 == "glue" && (s1 == "get-connection" || s1 == "get-connections") && !c.has("--hide-password")
			case "doctl":
				return c.sub("auth", "token") || c.sub("databases", "connection") || c.sub("databases", "user", "get") ||
					c.sub("databases", "user", "reset") || c.sub("registry", "docker-config") || c.sub("registry", "login") && c.has("--expiry-seconds")
			case "glab", "gh":
				return c.sub("auth", "status") && c.has("-t", "--show-token") || c.sub("auth", "token")
			case "dotenvx":
				return c.sub("decrypt") || c.sub("get")
			case "gcloud":
				return c.sub("config", "config-helper") || c.sub("auth", "print-access-token") || c.sub("auth", "print-identity-token") || c.sub("secrets", "versions", "access") || c.sub("auth", "application-default", "print-access-token") ||
					c.sub("iam", "service-accounts", "keys", "create") || c.sub("sql", "generate-login-token") || c.sub("container", "clusters", "get-credentials") && false
			case "az":
				return c.sub("keyvault", "secret", "show") || c.sub("keyvault", "secret", "download") || c.sub("keyvault", "key", "download") ||
					c.sub("storage", "account", "keys", "list") || c.sub("ad", "sp", "credential", "reset") || c.sub("ad", "sp", "create-for-rbac") ||
					c.sub("acr", "credential", "show") || c.sub("cosmosdb", "keys", "list") || c.sub("redis", "list-keys") ||
					strings.Contains(strings.Join([]string{s0, s1, c.subAt(2)}, " "), "connection-string")
			case "heroku":
				return s0 == "config" || strings.HasPrefix(s0, "config:get") || s0 == "pg:credentials:url" || s0 == "auth:token" || s0 == "redis:credentials"
			case "railway":
				return s0 == "variables" || s0 == "vars" || s0 == "variable" && (s1 == "list" || s1 == "get" || s1 == "") || s0 == "env"
			case "fly", "flyctl":
				return c.sub("auth", "token") || c.sub("tokens", "create") || c.sub("postgres", "connect") && false
			case "terraform", "tofu", "terragrunt":
				// A named output is printed in full even when it is
				// sensitive: judged by its name here, and by its
				// declaration where the configuration is at hand.
				return s0 == "output" && (c.has("-raw", "-json", "--raw", "--json") || s1 != "" && secretName(s1)) ||
					c.sub("state", "pull") || c.sub("state", "show") || s0 == "show" && c.has("-json")
			case "pulumi":
				return c.has("--show-secrets") || c.sub("config", "get") || c.sub("stack", "export")
			case "kubectl", "oc":
				return c.sub("create", "token") || (s0 == "get" || s0 == "describe" || s0 == "edit") && secretResource(c)
			case "vault":
				return c.sub("kv", "get") || c.sub("read") || c.sub("kv", "export") || c.sub("token", "create") || c.sub("login") && c.has("-token-only")
			case "doppler":
				// secrets list prints the table the original pack lets through; bare
				// secrets, get and download print values.
				return s0 == "secrets" && (s1 == "" || s1 == "get" || s1 == "download") || s0 == "configs" && s1 == "tokens"
			case "sops":
				return c.has("-d", "--decrypt") || s0 == "decrypt"
			case "ansible-vault":
				return s0 == "view" || s0 == "decrypt"
			case "gpg":
				return c.has("-d", "--decrypt", "--export-secret-keys", "--export-secret-subkeys")
			case "age":
				return c.has("-d", "--decrypt")
			case "secret-tool":
				return s0 == "lookup"
			case "keyctl":
				return s0 == "print" || s0 == "pipe" || s0 == "read"
			case "supabase":
				return c.sub("projects", "api-keys") || c.sub("status") && c.has("-o", "--output")
			case "netlify":
				return strings.HasPrefix(s0, "env:get") || s0 == "env:list" && c.has("--plain", "--json")
			case "vercel":
				return c.sub("env", "pull")
			case "infisical":
				return s0 == "secrets" && (s1 == "" || s1 == "get") || s0 == "export"
			case "chamber":
				return s0 == "read" || s0 == "export" || s0 == "env"
			case "bws":
				return s0 == "secret" && (s1 == "get" || s1 == "list")
			case "akeyless":
				return s0 == "get-secret-value"
			case "etcdctl":
				// Kubernetes keeps its Secrets in etcd; a prefix of "" or
				// / is everything.
				if s0 == "get" || s0 == "watch" {
					for _, p := range c.operands(1) {
						k := strings.ToLower(p.s)
						if p.dyn || strings.Contains(k, "secret") || strings.Trim(k, "/") == "" || k == "/registry" || strings.Contains(k, "token") || strings.Contains(k, "password") {
							return true
						}
					}
				}
				return false
			case "tctl":
				// Teleport's join tokens are the secret a listing shows;
				// auth sign mints an identity, export --keys the CA's keys.
				return c.sub("tokens", "ls") || c.sub("tokens", "list") || c.sub("auth", "sign") || c.sub("auth", "export") && c.has("--keys") ||
					c.sub("get", "tokens") || c.sub("get", "token") || strings.HasPrefix(c.subAt(1), "token/")
			case "consul":
				// bootstrap prints the management token; token read|list
				// print SecretIDs; keyring -list the gossip keys.
				// kv get -recurse and kv export print every value under a
				// prefix, secrets among them, as etcdctl get --prefix does.
				return c.sub("acl", "bootstrap") || c.sub("acl", "token", "read") || c.sub("acl", "token", "list") || c.sub("acl", "token", "create") ||
					c.sub("keyring") && c.has("-list") || c.sub("kv", "export") || c.sub("kv", "get") && (c.has("-recurse", "--recurse") || secretName(c.subAt(2)))
			case "nomad":
				// Variables are Nomad's secrets.
				return c.sub("var", "get") || c.sub("var", "list") && c.has("-out") || c.sub("acl", "bootstrap") || c.sub("acl", "token", "info") ||
					c.sub("acl", "token", "self") || c.sub("acl", "token", "list") || c.sub("acl", "token", "create")
			case "aws-vault":
				return s0 == "export" || s0 == "exec" && (c.has("--json") || slices.Contains(c.flags, "-j")) || s0 == "login" && c.has("--stdout", "-s")
			case "mc":
				// An alias holds its access and secret keys.
				return c.sub("alias", "list") || c.sub("alias", "ls") || c.sub("alias", "export") || c.sub("config", "host", "list") ||
					c.sub("admin", "user", "svcacct", "info") || c.sub("admin", "config", "get") || c.sub("admin", "config", "export")
			case "composer":
				// config with a key and no value prints it.
				if s0 == "config" {
					ops := c.operands(1)
					if len(ops) == 1 && ops[0].s != "" && authKey(ops[0].s) {
						return true
					}
					return c.has("--list", "-l") && c.has("--global", "-g") || c.has("--auth", "-a") && len(ops) <= 1
				}
				return false
			case "gopass", "op":
				return s0 == "show" || s0 == "cat" || c.name == "op" && (s0 == "inject" || c.sub("item", "get") && c.has("--reveal"))
			}
			return false
		}, Class: credential, Reason: "prints secret values"},
	}}

// authKey: composer's authentication settings.
func authKey(k string) bool {
	for _, p := range []string{"github-oauth", "gitlab-oauth", "gitlab-token", "http-basic", "bearer", "bitbucket-oauth"} {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

// secretResource: kubectl get secret x, get secrets, get secret/x,
// get secrets.v1, get -n ns secret.
func secretResource(c *call) bool {
	for _, p := range c.pos[1:] {
		r := strings.ToLower(p.s)
		for _, part := range strings.Split(r, ",") {
			part, _, _ = strings.Cut(part, "/")
			part, _, _ = strings.Cut(part, ".")
			if part == "secret" || part == "secrets" {
				return true
			}
		}
	}
	return false
}

func init() { register(configPrintersPack) }

// configPrintersPack: tools that print the credentials in their own
// configuration or in what they manage, with options or subcommands that
// do not look like secret reads.
var configPrintersPack = &Pack{Name: "config-printers",
	Commands: []string{"kubectl", "oc", "docker", "podman", "docker-compose", "podman-compose", "launchctl", "systemctl", "security", "helm", "terraform", "tofu", "aws", "gcloud", "firebase", "git", "dotenv", "docker-credential-osxkeychain",
		"docker-credential-pass", "docker-credential-secretservice", "docker-credential-desktop", "docker-credential-wincred", "docker-credential-ecr-login", "docker-credential-gcloud",
		"rails", "dotnet", "console", "symfony"},
	Rules: []Rule{
		{ID: "creds.config-print", When: func(c *call) bool {
			switch c.name {
			case "rails": // and bin/rails: the decrypted credentials file
				return c.sub("credentials:show") || c.sub("credentials:edit") || c.sub("encrypted:show")
			case "dotnet":
				return c.sub("user-secrets", "list")
			case "console", "symfony": // Symfony's bin/console, symfony console
				for _, w := range []string{"secrets:reveal", "debug:dotenv"} {
					if c.sub(w) || c.sub("console", w) {
						return true
					}
				}
				return (c.sub("secrets:list") || c.sub("console", "secrets:list")) && c.has("--reveal") ||
					(c.sub("debug:container") || c.sub("console", "debug:container")) && c.has("--env-vars", "--env-var")
			case "kubectl", "oc":
				if v, ok := c.flagValue("--raw"); ok && strings.Contains(strings.ToLower(v), "secret") {
					return true // get --raw /api/v1/namespaces/x/secrets
				}
				return c.sub("config", "view") && c.has("--raw", "--flatten") || c.sub("create", "token") || c.sub("set", "env") && c.has("--list")
			case "docker", "podman":
				if c.sub("compose", "config") || c.sub("inspect") || c.sub("container", "inspect") {
					// compose config prints the resolved environment; inspect
					// prints each container's, unless a format leaves it out.
					f, ok := c.flagValue("--format", "-f")
					return c.sub("compose", "config") || !ok || strings.Contains(f, "Env") || strings.Contains(f, "json .") || strings.Contains(f, "{{json .}}")
				}
			case "docker-compose", "podman-compose":
				// The standalone compose prints the resolved environment too.
				return c.sub("config") || c.sub("convert")
			case "launchctl":
				return c.sub("getenv") || c.sub("export")
			case "systemctl":
				// A unit's Environment= holds its credentials.
				return c.sub("show") && (!c.has("--property", "-p") || strings.Contains(strings.ToLower(strings.Join(argStrings(c.args), " ")), "environment")) ||
					c.sub("show-environment")
			case "security":
				// Keychains dumped with their secrets (-d), or a password printed.
				return c.sub("dump-keychain") && c.has("-d") || (c.sub("find-generic-password") || c.sub("find-internet-password")) && c.has("-w", "-g")
			case "helm":
				return c.sub("get", "values") || c.sub("get", "all") || c.sub("get", "manifest")
			case "terraform", "tofu":
				return c.sub("console")
			case "aws":
				return c.sub("lambda", "get-function-configuration") || c.sub("lambda", "get-function") || c.sub("ecs", "describe-task-definition") ||
					c.sub("ec2", "describe-instance-attribute") && strings.Contains(strings.ToLower(strings.Join(argStrings(c.args), " ")), "userdata") ||
					c.sub("eks", "get-token") || c.sub("ecr", "get-login-password") || c.sub("sts", "get-session-token") ||
					c.sub("secretsmanager", "get-secret-value") || c.sub("ssm", "get-parameter") && c.has("--with-decryption") ||
					c.sub("ssm", "get-parameters") && c.has("--with-decryption") || c.sub("configure", "export-credentials")
			case "firebase":
				return c.sub("functions:config:get") || c.sub("functions:secrets:access")
			case "gcloud":
				return c.sub("auth", "print-access-token") || c.sub("auth", "print-identity-token") || c.sub("secrets", "versions", "access")
			case "git":
				if v, ok := c.flagValue("--get-regexp", "--get", "--get-all"); ok {
					lv := strings.ToLower(v)
					// credential.helper names a program, not a secret.
					return strings.Contains(lv, "extraheader") || strings.Contains(lv, "token") || strings.Contains(lv, "password") ||
						strings.HasPrefix(lv, "http") && !strings.Contains(lv, "proxy")
				}
			case "dotenv":
				return true
			default: // docker-credential-*
				return c.sub("get") || c.sub("list")
			}
			return false
		}, Class: credential, Reason: "prints credentials held in a configuration or the environment it manages"},
	}}

func init() { register(envDumpersPack) }

// wholeEnv: jq's env or $ENV on its own, not one member of it ($ENV.HOME,
// env.PATH).
var wholeEnv = regexp.MustCompile(`(^|[^.\w$])\$?(env|ENV)\b($|[^.\w\[])`)

// envDumpersPack: programs that print the whole environment, tokens
// included, in ways of their own.
var envDumpersPack = &Pack{Name: "env-dumpers", Commands: []string{"jq", "gojq", "yq", "make", "gmake", "toybox", "tmux", "compgen"},
	Rules: []Rule{
		{ID: "creds.env-dump", When: func(c *call) bool {
			switch c.name {
			case "jq", "gojq", "yq":
				for _, p := range c.pos {
					if p.dyn || wholeEnv.MatchString(p.s) {
						return true
					}
				}
			case "make", "gmake":
				return c.has("-p", "--print-data-base") || shortBundle(c, 'p')
			case "toybox":
				return c.sub("env") || c.sub("printenv")
			case "tmux":
				return c.sub("show-environment") || c.sub("showenv")
			case "compgen":
				return c.has("-e", "-v")
			}
			return false
		}, Class: credential, Reason: "prints every environment variable, tokens included"},
		{ID: "creds.print-secret-var", When: func(c *call) bool {
			if c.name != "jq" && c.name != "gojq" && c.name != "yq" {
				return false
			}
			for _, p := range c.pos {
				for _, m := range envMember.FindAllStringSubmatch(p.s, -1) {
					if secretName(m[1] + m[2]) {
						return true
					}
				}
			}
			return false
		}, Class: credential, Reason: "prints an environment variable that holds a credential"},
	}}

// envMember: one variable of jq's environment ($ENV.X, env.X, $ENV["X"]).
var envMember = regexp.MustCompile(`\$?(?:env|ENV)\s*(?:\.\s*"?(\w+)|\[\s*"(\w+)"\s*\])`)

// optionFilePrintersPack: MySQL's clients print the options they read from
// their option files, the client password among them.
var optionFilePrintersPack = &Pack{Name: "option-file-printers", Commands: []string{"my_print_defaults", "mysql", "mariadb", "mysqldump", "mariadb-dump", "mysqladmin", "mysqlshow"},
	Rules: []Rule{
		{ID: "creds.option-file", When: func(c *call) bool {
			return c.name == "my_print_defaults" || c.has("--print-defaults")
		}, Class: credential, Reason: "prints the options in the MySQL option files, the client password among them"},
	}}

func init() { register(optionFilePrintersPack) }
