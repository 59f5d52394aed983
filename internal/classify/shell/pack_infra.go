package shell

import (
	"regexp"
	"slices"
	"strings"
)

func init() {
	register(containerPack, kubePack, iacPack, cloudPack, appsPack, dbToolsPack, pkgPack, httpPack, ghPack, credsPack)
}

func sub(words ...string) []string { return words }

var containerPack = &Pack{Name: "containers", Commands: []string{"docker", "podman", "nerdctl"}, Rules: []Rule{
	{ID: "docker.prune", When: func(c *call) bool { return c.subAt(1) == "prune" || c.subAt(0) == "prune" }, Class: destructive,
		Reason: "prune deletes containers, images, networks or volumes"},
	{ID: "docker.volume-rm", Sub: sub("volume", "rm"), Class: destructive, Reason: "deletes a volume and its data"},
	{ID: "docker.volume-rm", Sub: sub("volume", "remove"), Class: destructive, Reason: "deletes a volume and its data"},
	{ID: "docker.rm-volumes", Sub: sub("rm"), Any: []string{"-v", "--volumes"}, Class: destructive, Reason: "removes containers with their anonymous volumes"},
	{ID: "docker.compose-down-volumes", Sub: sub("compose", "down"), Any: []string{"-v", "--volumes"}, Class: destructive,
		Reason: "compose down -v deletes the project's volumes and their data"},
	{ID: "docker.read", When: func(c *call) bool {
		return slices.Contains([]string{"ps", "images", "logs", "inspect", "version", "info", "stats", "top", "events", "history", "port", "diff", "search"}, c.subAt(0))
	}, Class: read, Reason: "reads container state"},
}}

var composePack = &Pack{Name: "compose", Commands: []string{"docker-compose", "podman-compose"}, Rules: []Rule{
	{ID: "docker.compose-down-volumes", Sub: sub("down"), Any: []string{"-v", "--volumes"}, Class: destructive, Reason: "compose down -v deletes the project's volumes"},
}}

func init() { register(composePack) }

var kubePack = &Pack{Name: "kubernetes", Commands: []string{"kubectl", "oc", "kubecolor", "helm", "k9s", "kustomize"}, Rules: []Rule{
	{ID: "k8s.delete", When: func(c *call) bool { return c.name != "helm" && c.sub("delete") }, Class: destructive, Reason: "kubectl delete removes cluster resources"},
	{ID: "k8s.drain", Sub: sub("drain"), Class: destructive, Reason: "kubectl drain evicts every pod from a node"},
	{ID: "k8s.replace-force", Sub: sub("replace"), Any: []string{"--force"}, Class: destructive, Reason: "replace --force deletes and recreates resources"},
	{ID: "k8s.apply-prune", Sub: sub("apply"), Any: []string{"--prune"}, Class: destructive, Reason: "apply --prune deletes resources missing from the manifests"},
	{ID: "k8s.scale-zero", Sub: sub("scale"), When: func(c *call) bool { v, ok := c.flagValue("--replicas"); return ok && isZero(v) }, Class: destructive, Reason: "scaling to zero takes the workload down"},
	{ID: "k8s.scale-zero", When: func(c *call) bool {
		if !c.sub("patch") && !c.sub("set") {
			return false
		}
		for _, a := range c.args {
			if replicasZero.MatchString(a.s) {
				return true
			}
		}
		return false
	}, Class: destructive, Reason: "a patch that sets replicas to 0 takes the workload down"},
	{ID: "k8s.secret-read", When: func(c *call) bool {
		return c.sub("get", "secret") || c.sub("get", "secrets") || c.sub("describe", "secret")
	}, Class: credential,
		Reason: "reads Kubernetes secrets"},
	{ID: "k8s.config-raw", Sub: sub("config", "view"), Any: []string{"--raw"}, Class: credential, Reason: "prints cluster credentials"},
	{ID: "helm.uninstall", When: func(c *call) bool {
		return c.name == "helm" && (c.sub("uninstall") || c.sub("delete") || c.sub("del") || c.sub("un") || c.sub("uninstal"))
	}, Class: destructive,
		Reason: "helm uninstall removes a release and its resources"},
	{ID: "helm.rollback", When: func(c *call) bool { return c.name == "helm" && c.sub("rollback") }, Class: write, Reason: "rolls a release back"},
	{ID: "k8s.read", When: func(c *call) bool {
		return slices.Contains([]string{"get", "describe", "logs", "top", "explain", "version", "api-resources", "cluster-info", "diff", "status", "list", "history", "template", "lint", "show", "search", "auth"}, c.subAt(0)) &&
			!(c.sub("get", "secret") || c.sub("get", "secrets"))
	}, Class: read, Reason: "reads cluster state"},
}}

var iacPack = &Pack{Name: "iac", Commands: []string{"terraform", "tofu", "terragrunt", "pulumi", "cdk", "cdktf", "serverless", "sls"}, Rules: []Rule{
	{ID: "iac.destroy", Sub: sub("destroy"), Class: destructive, Reason: "destroys every resource the configuration manages"},
	{ID: "iac.destroy", Sub: sub("run-all", "destroy"), Class: destructive, Reason: "destroys every resource in every module"},
	{ID: "iac.destroy", When: func(c *call) bool { return c.name == "pulumi" && (c.sub("down") || c.sub("dn")) }, Class: destructive, Reason: "pulumi down destroys every resource of the stack"},
	{ID: "iac.plan-destroy", When: func(c *call) bool {
		return c.sub("plan") && c.has("-destroy", "--destroy") && c.has("-out", "--out")
	}, Class: destructive, Reason: "writes a plan that destroys every resource, for an apply to carry out"},
	{ID: "iac.apply-destroy", When: func(c *call) bool {
		return c.sub("apply") && c.has("-destroy", "--destroy")
	}, Class: destructive,
		Reason: "apply -destroy destroys every resource"},
	{ID: "iac.state-rm", Sub: sub("state", "rm"), Class: destructive, Reason: "removes resources from state, so the next apply may recreate or orphan them"},
	{ID: "iac.state-rm", Sub: sub("stack", "rm"), Class: destructive, Reason: "deletes a stack and its history"},
	{ID: "iac.replace", When: func(c *call) bool {
		for _, f := range c.flags {
			if strings.HasPrefix(f, "-replace") || strings.HasPrefix(f, "--replace") || strings.HasPrefix(f, "--target-replace") {
				return true
			}
		}
		return false
	}, Class: destructive, Reason: "-replace destroys a resource and creates it anew, its data gone"},
	{ID: "iac.replace", Sub: sub("taint"), Class: destructive, Reason: "a tainted resource is destroyed and created anew by the next apply, its data gone"},
	{ID: "iac.state-push", Sub: sub("state", "push"), Class: destructive, Reason: "overwrites the recorded state, so the next apply may recreate or orphan resources"},
	{ID: "iac.auto-approve", Sub: sub("apply"), Any: []string{"-auto-approve", "--auto-approve", "--yes", "-y"}, Class: write, Reason: "applies changes without review"},
	{ID: "iac.read", When: func(c *call) bool {
		return slices.Contains([]string{"plan", "show", "output", "validate", "fmt", "version", "providers", "graph", "preview", "stack", "whoami", "synth", "diff", "init", "ls", "list"}, c.subAt(0)) && !c.has("-destroy")
	}, Class: read, Reason: "reads infrastructure state"},
}}

var cloudPack = &Pack{Name: "cloud", Commands: []string{"aws", "gcloud", "gsutil", "az", "railway", "fly", "flyctl", "heroku", "vercel", "supabase", "neonctl", "neon", "render", "doctl", "netlify", "wrangler", "s3cmd", "rclone", "mc", "bq"}, Rules: []Rule{
	{ID: "cloud.delete", When: func(c *call) bool {
		// Short and other names for delete: doctl's d and rm, helm un.
		if c.name == "doctl" {
			for _, p := range c.pos {
				if p.s == "d" || p.s == "rm" || p.s == "del" {
					return true
				}
			}
		}
		return false
	}, Class: destructive, Reason: "deletes a cloud resource"},
	{ID: "cloud.scale-zero", When: func(c *call) bool {
		if c.name == "aws" && c.sub("autoscaling") {
			for _, o := range []string{"--desired-capacity", "--max-size"} {
				if v, ok := c.flagValue(o); ok && isZero(v) {
					return true
				}
			}
		}
		if (c.name == "fly" || c.name == "flyctl") && c.sub("scale", "count") {
			for _, p := range c.operands(2) {
				if isZero(p.s) || endsZero(p.s) {
					return true
				}
			}
		}
		return false
	}, Class: destructive, Reason: "scaling to zero terminates every instance"},
	{ID: "cloud.complete-mode", When: func(c *call) bool {
		// A deployment in Complete mode deletes every resource of its
		// scope that the template does not name.
		if c.name != "az" || !(c.sub("deployment") || c.sub("group", "deployment")) {
			return false
		}
		v, ok := c.flagValue("--mode")
		return ok && (v == "" || strings.EqualFold(v, "complete") || strings.ContainsAny(v, "$`"))
	}, Class: destructive, Reason: "a Complete-mode deployment deletes every resource the template leaves out"},
	{ID: "cloud.expire-data", When: func(c *call) bool {
		switch c.name {
		case "bq":
			// Expiry set on a dataset, table or partitions deletes the
			// data once it passes.
			for _, f := range c.flags {
				f = strings.TrimLeft(f, "-")
				if strings.HasPrefix(f, "expiration") || strings.HasPrefix(f, "default_table_expiration") ||
					strings.HasPrefix(f, "default_partition_expiration") || strings.HasPrefix(f, "time_partitioning_expiration") {
					return true
				}
			}
		case "aws":
			// logs put-retention-policy is read for its value (retention.go).
			return c.sub("dynamodb", "update-time-to-live") || c.sub("s3api", "put-bucket-lifecycle")
		case "gcloud":
			return c.sub("storage", "buckets", "update") && c.has("--lifecycle-file")
		}
		return false
	}, Class: destructive, Reason: "sets data to expire, so that it is deleted once its time passes"},
	{ID: "cloud.remote-command", When: func(c *call) bool {
		return c.name == "aws" && c.sub("ssm", "send-command") || c.name == "aws" && c.sub("ssm", "start-session")
	}, Class: unknown, Reason: "runs a command on instances, which Chaperone cannot read from here"},
	{ID: "cloud.boot-script", When: func(c *call) bool {
		switch c.name {
		case "gcloud":
			if !(c.sub("compute", "instances", "add-metadata") || c.sub("compute", "instances", "set-metadata") || c.sub("compute", "project-info", "add-metadata") ||
				c.sub("compute", "project-info", "set-metadata") || c.sub("compute", "instance-templates", "create")) {
				return false
			}
			for _, v := range optionValues(c, "--metadata", "--metadata-from-file") {
				if v.dyn || strings.Contains(v.s, "startup-script") || strings.Contains(v.s, "shutdown-script") || strings.Contains(v.s, "user-data") {
					return true
				}
			}
		case "aws":
			return c.sub("ec2", "modify-instance-attribute") && (c.has("--user-data") || hasWord(c, "userData")) ||
				c.sub("ec2", "create-launch-template-version") || c.sub("autoscaling", "create-launch-configuration") && c.has("--user-data")
		case "az":
			return (c.sub("vm", "update") || c.sub("vmss", "update")) && hasWordContaining(c, "customData", "userData", "user-data", "custom-data") ||
				(c.sub("vm", "user", "update") || c.sub("vm", "user", "reset-ssh"))
		}
		return false
	}, Class: unknown, Reason: "gives machines a script they run at boot or a new way in, which Chaperone cannot read from here"},
	{ID: "cloud.lockout", When: func(c *call) bool {
		switch c.name {
		case "gcloud":
			return c.sub("sql", "users", "set-password") || c.sub("iam", "service-accounts", "disable") || c.sub("iam", "service-accounts", "keys", "disable") ||
				c.sub("sql", "instances", "patch") && c.has("--authorized-networks", "--clear-authorized-networks", "--no-assign-ip", "--require-ssl", "--ssl-mode")
		case "aws":
			return (c.sub("rds", "modify-db-instance") || c.sub("rds", "modify-db-cluster") || c.sub("docdb", "modify-db-cluster") ||
				c.sub("neptune", "modify-db-cluster") || c.sub("redshift", "modify-cluster") || c.sub("lightsail", "update-relational-database")) &&
				c.has("--master-user-password", "--manage-master-user-password", "--rotate-master-user-password") ||
				c.sub("cognito-idp", "admin-set-user-password") || c.sub("cognito-idp", "admin-reset-user-password") || c.sub("cognito-idp", "admin-disable-user") ||
				c.sub("iam", "update-access-key") && hasWord(c, "Inactive") || c.sub("iam", "delete-login-profile") ||
				c.sub("elasticache", "modify-user") && c.has("--passwords", "--authentication-mode") ||
				c.sub("ec2", "revoke-security-group-ingress") || c.sub("rds", "modify-db-instance") && c.has("--no-publicly-accessible")
		case "az":
			return (c.sub("postgres", "flexible-server", "update") || c.sub("postgres", "server", "update") || c.sub("mysql", "flexible-server", "update") ||
				c.sub("mysql", "server", "update") || c.sub("sql", "server", "update")) && c.has("--admin-password", "-p") ||
				c.sub("redis", "regenerate-keys") || c.sub("storage", "account", "keys", "renew") || c.sub("cosmosdb", "keys", "regenerate") ||
				c.sub("ad", "user", "update") && c.has("--password", "--account-enabled") || c.sub("ad", "sp", "credential", "reset") ||
				c.sub("ad", "app", "credential", "reset")
		case "doctl":
			return c.sub("databases", "user", "reset")
		case "heroku":
			return c.sub("pg:credentials:rotate")
		}
		return false
	}, Class: destructive, Reason: "changes or revokes a credential or access that running applications and people sign in with, locking them out"},
	{ID: "cloud.expire-objects", When: func(c *call) bool {
		if !(c.name == "aws" && c.sub("s3api", "put-bucket-lifecycle-configuration")) && !(c.name == "gsutil" && c.sub("lifecycle", "set")) {
			return false
		}
		return true
	}, Class: destructive, Reason: "a lifecycle rule can expire every object in the bucket"},
	{ID: "cloud.rebuild", When: func(c *call) bool {
		return c.name == "doctl" && (c.sub("compute", "droplet-action", "rebuild") || c.sub("compute", "droplet-action", "restore")) ||
			c.name == "heroku" && (c.sub("pg:copy") || c.sub("pg:backups:restore") || c.sub("pg:reset"))
	}, Class: destructive, Reason: "replaces a server's disk or a database's data"},
	{ID: "cloud.s3-remove-bucket", Sub: sub("s3", "rb"), Class: destructive, Reason: "aws s3 rb deletes a bucket (with --force, its objects too)"},
	{ID: "cloud.remove-bucket", When: func(c *call) bool { return (c.name == "gsutil" || c.name == "mc" || c.name == "s3cmd") && c.sub("rb") }, Class: destructive,
		Reason: "removes a bucket"},
	{ID: "cloud.input-unknown", When: func(c *call) bool {
		if c.name != "aws" {
			return false
		}
		for _, v := range optionValues(c, "--cli-input-json", "--cli-input-yaml") {
			if v.dyn || !strings.HasPrefix(strings.TrimSpace(v.s), "{") {
				return true
			}
		}
		return false
	}, Class: unknown, Reason: "the AWS CLI reads the request's parameters from input Chaperone cannot read now"},
	{ID: "cloud.backups-off", When: func(c *call) bool {
		v, ok := c.flagValue("--backup-retention-period")
		return c.name == "aws" && ok && isZero(v)
	}, Class: destructive, Reason: "a backup retention of 0 turns automated backups off and deletes the existing ones"},
	{ID: "cloud.s3-sync-delete", When: func(c *call) bool { return c.sub("s3", "sync") && c.has("--delete") }, Class: destructive,
		Reason: "aws s3 sync --delete removes destination objects missing from the source"},
	{ID: "cloud.s3-move", When: func(c *call) bool {
		if !c.sub("s3", "mv") && !(c.name == "gsutil" && (c.sub("mv") || c.sub("-m", "mv"))) && !(c.name == "mc" && c.sub("mv")) {
			return false
		}
		for _, p := range c.pos {
			if strings.HasPrefix(p.s, "s3://") || strings.HasPrefix(p.s, "gs://") || c.name == "mc" && strings.Contains(p.s, "/") {
				return true
			}
		}
		return false
	}, Class: destructive, Reason: "moving objects out of a bucket deletes them there"},
	{ID: "cloud.secret-overwrite", When: func(c *call) bool {
		s := c.subAt(1)
		return c.subAt(0) == "secretsmanager" && (s == "update-secret" || s == "put-secret-value")
	}, Class: destructive, Reason: "overwrites a secret's value, breaking whatever used the old one"},
	{ID: "cloud.instances-terminate", When: func(c *call) bool {
		return strings.HasPrefix(c.subAt(1), "terminate") || strings.HasPrefix(c.subAt(1), "stop")
	}, Class: destructive,
		Reason: "terminates or stops instances"},
	{ID: "cloud.rclone-sync", When: func(c *call) bool {
		return c.name == "rclone" && (c.sub("sync") || c.sub("move") || c.sub("purge") || c.sub("cleanup"))
	}, Not: []string{"--dry-run", "-n"}, Class: destructive,
		Reason: "rclone sync/move/purge deletes files at the destination or source"},
	{ID: "cloud.gsutil-rm", When: func(c *call) bool { return c.name == "gsutil" && (c.sub("rm") || c.sub("rsync") && c.has("-d")) }, Class: destructive,
		Reason: "gsutil rm deletes objects"},
	{ID: "cloud.railway-down", When: func(c *call) bool { return c.name == "railway" && (c.sub("down") || c.sub("volume", "delete")) }, Class: destructive,
		Reason: "removes a Railway deployment or volume"},
	{ID: "cloud.fly-destroy", When: func(c *call) bool {
		return (c.name == "fly" || c.name == "flyctl") && (c.sub("destroy") || c.sub("apps", "destroy") || c.sub("volumes", "destroy") || c.sub("machine", "destroy") || c.sub("postgres", "destroy"))
	}, Class: destructive, Reason: "destroys a Fly app, machine or volume"},
	{ID: "cloud.db-reset", When: func(c *call) bool {
		// supabase stop --no-backup drops the local stack's data volumes.
		return c.name == "supabase" && (c.sub("db", "reset") || c.sub("stop") && c.has("--no-backup")) || c.name == "heroku" && c.sub("pg:reset")
	}, Class: destructive,
		Reason: "resets a database, deleting all its data"},
	{ID: "cloud.token", When: func(c *call) bool {
		return c.name == "gcloud" && c.sub("auth", "print-access-token") || c.name == "gcloud" && c.sub("auth", "print-identity-token") ||
			c.name == "az" && c.sub("account", "get-access-token") || c.name == "heroku" && c.sub("auth:token") ||
			c.name == "aws" && (c.sub("configure", "get") || c.sub("configure", "export-credentials") || c.sub("sts", "get-session-token")) ||
			c.name == "railway" && c.sub("variables") || c.name == "fly" && c.sub("auth", "token") || c.name == "flyctl" && c.sub("auth", "token")
	}, Class: credential, Reason: "prints a credential"},
	{ID: "cloud.read", When: func(c *call) bool {
		for i := 0; i < 3; i++ {
			s := c.subAt(i)
			for _, p := range []string{"list", "ls", "describe", "get", "show", "status", "logs", "info", "whoami", "version"} {
				if s == p || strings.HasPrefix(s, p+"-") {
					return !strings.HasPrefix(s, "get-secret") && !strings.HasPrefix(s, "get-parameter")
				}
			}
		}
		return false
	}, Class: read, Reason: "reads cloud state"},
}}

var appsPack = &Pack{Name: "frameworks", Commands: []string{"prisma", "rails", "rake", "artisan", "manage.py", "django-admin", "sequelize", "knex", "typeorm", "drizzle-kit", "alembic", "flask", "mix", "dotnet", "ef",
	"flyway", "atlas", "goose", "dbmate", "migrate", "sqlx", "liquibase", "pg_dropcluster", "convex", "bin/rails", "sequelize-cli", "sqitch", "dbt",
	"php", "hasura", "diesel", "mikro-orm", "sea-orm-cli"}, Rules: []Rule{
	{ID: "app.migrate-undo-all", When: func(c *call) bool {
		// More frameworks' ways to roll every migration back or drop the
		// database: Laravel's through php artisan, EF Core's, Ecto's,
		// Hasura's, Diesel's and MikroORM's.
		if c.name == "php" && c.sub("artisan") && len(c.pos) > 1 {
			switch c.pos[1].s {
			case "migrate:rollback", "migrate:reset", "migrate:fresh", "migrate:refresh", "db:wipe":
				return true
			}
		}
		switch {
		case c.name == "artisan" && c.sub("migrate:rollback"):
		case c.name == "dotnet" && (c.sub("ef", "database", "drop") || c.sub("ef", "database", "update") && len(c.pos) > 3 && c.pos[3].s == "0"):
		case c.name == "mix" && c.sub("ecto.rollback") && c.has("--all"):
		case c.name == "hasura" && c.sub("migrate", "apply") && c.has("--down"):
		case c.name == "diesel" && (c.sub("migration", "redo") && c.has("--all", "-a") || c.sub("migration", "revert") && c.has("--all", "-a") || c.sub("database", "reset") || c.sub("database", "drop")):
		case c.name == "mikro-orm" && (c.sub("schema:fresh") || c.sub("schema:drop") || c.sub("migration:fresh") || c.sub("database:drop")):
		case c.name == "sea-orm-cli" && (c.sub("migrate", "fresh") || c.sub("migrate", "reset") || c.sub("migrate", "refresh") || c.sub("migrate", "down") && !c.has("-n", "--num")):
		default:
			return false
		}
		return true
	}, Class: destructive, Reason: "rolls back every migration or drops the database"},
	{ID: "app.migrate-undo-all", When: func(c *call) bool {
		switch c.name {
		case "flyway":
			return c.sub("clean")
		case "atlas":
			return c.sub("schema", "clean") || c.sub("migrate", "down")
		case "goose":
			return c.sub("reset") || c.sub("down-to") || c.sub("down")
		case "dbmate":
			return c.sub("drop") || c.sub("rollback") || c.sub("down")
		case "migrate":
			return c.sub("drop") || c.sub("down") || c.sub("force")
		case "sqlx":
			return c.sub("database", "drop") || c.sub("database", "reset") || c.sub("migrate", "revert")
		case "liquibase":
			return c.sub("drop-all") || c.sub("dropAll") || c.sub("rollback") || c.sub("rollback-count") || c.sub("rollbackCount")
		case "pg_dropcluster":
			return true
		case "convex":
			return c.sub("import") && c.has("--replace", "--replace-all")
		case "manage.py", "django-admin":
			// migrate APP zero (or an earlier migration) unapplies them.
			return c.sub("migrate") && len(c.pos) >= 3
		case "typeorm":
			return c.sub("schema:drop") || c.sub("migration:revert")
		}
		for _, p := range c.pos {
			switch {
			case p.s == "db:rollback" || p.s == "db:migrate:down" || p.s == "db:seed:replant" || p.s == "db:schema:load" || p.s == "db:migrate:redo":
				return true
			case p.s == "VERSION=0" || strings.HasPrefix(p.s, "STEP="):
				return true
			}
		}
		return false
	}, Class: destructive, Reason: "rolls back migrations, empties the schema or replaces the data"},
	{ID: "app.prisma-reset", When: func(c *call) bool {
		return c.name == "prisma" && (c.sub("migrate", "reset") || c.sub("db", "push") && c.has("--force-reset", "--accept-data-loss"))
	}, Class: destructive, Reason: "prisma migrate reset / db push --force-reset drops the database's data"},
	{ID: "app.rails-db-drop", When: func(c *call) bool {
		for _, p := range c.pos {
			if slices.Contains([]string{"db:drop", "db:reset", "db:schema:load", "db:purge", "db:truncate_all", "db:migrate:reset", "db:setup", "db:drop:all"}, p.s) {
				return true
			}
		}
		return false
	}, Class: destructive, Reason: "drops, resets or truncates the database"},
	{ID: "app.artisan-fresh", When: func(c *call) bool {
		return c.name == "artisan" && (c.sub("migrate:fresh") || c.sub("migrate:reset") || c.sub("migrate:refresh") || c.sub("db:wipe"))
	}, Class: destructive, Reason: "drops every table"},
	{ID: "app.django-flush", When: func(c *call) bool {
		return (c.name == "manage.py" || c.name == "django-admin") && (c.sub("flush") || c.sub("reset_db") || c.sub("sqlflush"))
	}, Class: destructive, Reason: "deletes all data from the database"},
	{ID: "app.migrate-undo-all", When: func(c *call) bool {
		return c.sub("db:migrate:undo:all") || c.sub("migrate:rollback") && c.has("--all") || c.sub("downgrade", "base") || c.sub("db", "downgrade") ||
			c.sub("ecto.drop") || c.sub("ecto.reset") || c.sub("database", "drop") || c.name == "sqitch" && c.sub("revert") ||
			c.name == "drizzle-kit" && c.sub("push") && c.has("--force") || c.name == "dbt" && c.has("--full-refresh") ||
			c.name == "atlas" && c.sub("schema", "apply") && c.has("--auto-approve")
	}, Class: destructive,
		Reason: "rolls back every migration or drops the database"},
}}

var dbToolsPack = &Pack{Name: "database-tools", Commands: []string{"dropdb", "dropuser", "pg_dump", "pg_restore", "pg_dumpall", "mysqladmin", "mongorestore", "redis-server"}, Rules: []Rule{
	{ID: "db.dropdb", When: func(c *call) bool { return c.name == "dropdb" || c.name == "dropuser" }, Class: destructive, Reason: "drops a database or role"},
	{ID: "db.restore-clean", When: func(c *call) bool { return (c.name == "pg_restore" || c.name == "pg_dump") && c.has("--clean", "-c") }, Class: destructive,
		Reason: "--clean drops objects before recreating them"},
	{ID: "db.mysqladmin-drop", When: func(c *call) bool { return c.name == "mysqladmin" && c.sub("drop") }, Class: destructive, Reason: "drops a database"},
	{ID: "db.lockout", When: func(c *call) bool {
		return c.name == "mysqladmin" && slices.ContainsFunc(c.pos, func(p positional) bool { return p.s == "password" || p.s == "old-password" })
	}, Class: destructive, Reason: "changes an account's password: whatever logs in with the old one is locked out"},
	{ID: "db.mongorestore-drop", When: func(c *call) bool { return c.name == "mongorestore" && c.has("--drop") }, Class: destructive, Reason: "drops collections before restoring"},
	{ID: "db.dump", When: func(c *call) bool { return c.name == "pg_dump" || c.name == "pg_dumpall" }, Class: read, Reason: "reads a database"},
}}

// pkgPack: package managers install and remove dependencies; that is a
// write, however it is worded.
var pkgPack = &Pack{Name: "packages", Exclusive: true, Commands: []string{"npm", "yarn", "pnpm", "pip", "pip3", "uv", "cargo", "go", "gem", "bundle", "composer", "poetry", "brew", "apt", "apt-get", "dnf", "yum", "apk", "pacman", "mvn", "gradle", "make", "cmake", "bun", "conda", "mamba", "pipx", "dotnet", "swift", "deno"},
	Rules: []Rule{
		{ID: "pkg.read", When: func(c *call) bool {
			if c.subAt(0) == "config" {
				// config set (a registry, an index URL) changes where
				// packages come from.
				return slices.Contains([]string{"", "get", "list", "ls", "debug"}, c.subAt(1))
			}
			return slices.Contains([]string{"list", "ls", "show", "info", "view", "search", "outdated", "audit", "why", "version", "env", "doctor", "help", "tree", "check", "vet", "fmt"}, c.subAt(0))
		}, Class: read, Reason: "reads package state"},
		{ID: "pkg.registry-delete", When: func(c *call) bool {
			return c.sub("unpublish") || c.sub("yank") || c.sub("owner", "rm") || c.sub("deprecate") || c.sub("nuget", "delete") ||
				c.name == "gem" && c.sub("owner") && c.has("--remove", "-r")
		}, Class: destructive,
			Reason: "removes a published package for everyone who depends on it"},
		{ID: "pkg.token", When: func(c *call) bool {
			return c.sub("token") || c.sub("config", "get") && strings.Contains(strings.ToLower(c.subAt(2)), "token")
		}, Class: credential,
			Reason: "prints a registry token"},
	}}

var httpPack = &Pack{Name: "http", Commands: []string{"curl", "wget", "http", "https", "xh", "httpie"}, Rules: []Rule{
	{ID: "http.graphql-destructive", When: archivesRepository, Class: destructive, Reason: "archives a GitHub repository (archived true), as gh repo archive does"},
	{ID: "http.graphql-mutation", When: postsMutation(false), Class: write, Reason: "posts a GraphQL mutation"},
	{ID: "http.graphql-destructive", When: postsMutation(true), Class: destructive, Reason: "posts a GraphQL mutation that deletes"},
	{ID: "http.read", When: func(c *call) bool {
		m, ok := c.flagValue("-X", "--request", "--method")
		_, data := c.flagValue("-d", "--data", "--data-raw", "--data-binary", "--data-urlencode", "--json", "-F", "--form", "-T", "--upload-file", "--post-data", "--post-file")
		return !data && (!ok || strings.EqualFold(m, "GET") || strings.EqualFold(m, "HEAD"))
	}, Class: read, Reason: "fetches a URL"},
}}

// ghMutation: gh api graphql with a query field (-f/-F/--field/--raw-field
// query=...) that is a mutation; deletes says whether it names a deletion.
func ghMutation(deletes bool) func(*call) bool {
	return func(c *call) bool {
		if c.name != "gh" || !c.sub("api") {
			return false
		}
		for i, a := range c.args {
			if i == 0 || !slices.Contains([]string{"-f", "-F", "--field", "--raw-field"}, c.args[i-1].s) {
				continue
			}
			k, v, _ := strings.Cut(a.s, "=")
			b := strings.ToLower(v)
			if k != "query" || !strings.Contains(b, "mutation") {
				continue
			}
			if deletingMutation(b) == deletes {
				return true
			}
		}
		return false
	}
}

// githubFileBodies judges GraphQL bodies given as files, as ghMutation
// and postsMutation judge those on the command line: gh api graphql -F
// query=@file or --input file, curl -d @file to a GraphQL URL. The file is
// read from the workspace (as the same line left it); one that cannot be
// read now (outside the workspace, standard input not known) is unknown.
func (w *walker) githubFileBodies(c *call, in input) {
	var files []string
	switch c.name {
	case "gh":
		if !c.sub("api") {
			return
		}
		if !operandContains(c, "graphql") {
			var fields []string
			for i, a := range c.args {
				if i > 0 && (c.args[i-1].s == "-F" || c.args[i-1].s == "--field" || c.args[i-1].s == "-f" || c.args[i-1].s == "--raw-field") {
					fields = append(fields, strings.ToLower(a.s))
				}
			}
			if len(fields) > 0 || operandContains(c, "/transfer") {
				w.githubREST(c, strings.Join(fields, "\n"))
			}
		}
		for i, a := range c.args {
			if i == 0 {
				continue
			}
			switch prev := c.args[i-1].s; {
			case prev == "-F" || prev == "--field":
				if k, v, _ := strings.Cut(a.s, "="); k == "query" && strings.HasPrefix(v, "@") {
					files = append(files, v[1:])
				}
			case prev == "--input":
				files = append(files, a.s)
			}
		}
	case "curl":
		if !operandContains(c, "graphql") {
			return
		}
		for _, v := range optionValues(c, "-d", "--data", "--data-binary", "--data-ascii", "--json") {
			if f, ok := strings.CutPrefix(v.s, "@"); ok {
				files = append(files, f)
			}
		}
	}
	for _, f := range files {
		text, ok := "", false
		if f == "-" {
			text, ok = in.text, in.present && in.known
		} else {
			text, ok = w.readWorkspace(f)
		}
		if !ok {
			w.add("http.graphql-unknown", unknown, c.name+" sends a GraphQL body from "+f+", which cannot be read now")
			continue
		}
		b := strings.ToLower(text)
		if c.name == "gh" && !operandContains(c, "graphql") {
			w.githubREST(c, b)
			continue
		}
		if !strings.Contains(b, "mutation") {
			continue
		}
		if deletingMutation(b) {
			w.add("http.graphql-destructive", destructive, c.name+" sends a GraphQL mutation that deletes, archives or transfers (from "+f+")")
		} else {
			w.add("http.graphql-mutation", write, c.name+" sends a GraphQL mutation (from "+f+")")
		}
	}
}

func postsMutation(deletes bool) func(*call) bool {
	return func(c *call) bool {
		body, ok := c.flagValue("-d", "--data", "--data-raw", "--data-binary", "--json")
		if !ok {
			return false
		}
		b := strings.ToLower(body)
		if !strings.Contains(b, "mutation") {
			return false
		}
		return deletingMutation(b) == deletes
	}
}

// githubRESTBody: what a REST body (or -f/-F fields, as key=value) says
// that takes a repository or its history away: archived, a force update
// of a ref, made public.
var githubRESTBody = regexp.MustCompile(`"?archived"?\s*[:=]\s*"?true|"?force"?\s*[:=]\s*"?true|"?visibility"?\s*[:=]\s*"?public|"?private"?\s*[:=]\s*"?false`)

// githubREST judges a gh api REST call by its endpoint and its body b
// (lower case): a transfer, a ref forced, a repository archived or made
// public.
func (w *walker) githubREST(c *call, b string) {
	switch m := githubRESTBody.FindString(b); {
	case operandContains(c, "/transfer"):
		w.add("http.graphql-destructive", destructive, "gh api transfers a repository to another owner")
	case strings.Contains(m, "visibility") || strings.Contains(m, "private"):
		w.add("ops.expose", destructive, "gh api makes a repository public: its code and history, secrets committed to it included")
	case strings.Contains(m, "force") && operandContains(c, "git/refs"):
		w.add("git.push-force", destructive, "gh api force-updates a branch, dropping the commits only it held")
	case strings.Contains(m, "archived"):
		w.add("http.graphql-destructive", destructive, "gh api archives a repository, as gh repo archive does")
	}
}

// archivesRepository: a REST write of a repository with archived true, as
// gh repo archive does (gh api -F archived=true, curl -d '{"archived":
// true}' to api.github.com/repos/...).
func archivesRepository(c *call) bool {
	switch c.name {
	case "gh":
		for i, a := range c.args {
			if i > 0 && (c.args[i-1].s == "-F" || c.args[i-1].s == "--field") && strings.EqualFold(a.s, "archived=true") {
				return true
			}
		}
	case "curl":
		if !operandContains(c, "api.github.com/repos/") {
			return false
		}
		for _, v := range optionValues(c, "-d", "--data", "--data-raw", "--data-binary", "--json") {
			if strings.Contains(strings.ReplaceAll(strings.ToLower(v.s), " ", ""), `"archived":true`) {
				return true
			}
		}
	}
	return false
}

// operandContains says whether an operand of c (a URL) contains s, case
// folded.
func operandContains(c *call, s string) bool {
	return slices.ContainsFunc(c.pos, func(p positional) bool { return strings.Contains(strings.ToLower(p.s), s) })
}

var ghPack = &Pack{Name: "github", Commands: []string{"gh"}, Rules: []Rule{
	{ID: "http.graphql-destructive", When: archivesRepository, Class: destructive, Reason: "archives a GitHub repository (archived true), as gh repo archive does"},
	{ID: "http.graphql-destructive", When: ghMutation(true), Class: destructive, Reason: "sends GitHub a GraphQL mutation that deletes, archives or transfers"},
	{ID: "http.graphql-mutation", When: ghMutation(false), Class: write, Reason: "sends GitHub a GraphQL mutation"},
}}

var credsPack = &Pack{Name: "credentials", Commands: []string{"printenv", "env", "set", "gh", "vault", "op", "security", "git-credential", "docker-credential-desktop", "pass", "gopass", "aws-vault", "doppler", "bw", "lpass",
	"rclone", "aws", "az", "pulumi", "dotenv", "dotenvx", "netlify", "stripe", "poetry", "firebase", "glab", "influx"}, Rules: []Rule{
	{ID: "creds.cli-secrets", When: func(c *call) bool {
		return c.name == "az" && c.sub("acr", "login") && c.has("--expose-token", "-t") ||
			c.name == "firebase" && c.sub("login:ci") ||
			c.name == "glab" && c.sub("config", "get") && len(c.pos) > 2 && strings.Contains(strings.ToLower(c.pos[2].s), "token") ||
			c.name == "bw" && (c.sub("list", "items") || c.sub("get", "password") || c.sub("get", "item") || c.sub("export"))
	}, Class: credential, Reason: "prints a token, a password or a vault's items"},
	{ID: "creds.cli-secrets", When: func(c *call) bool {
		switch c.name {
		case "gh":
			return c.sub("config", "get") && slices.ContainsFunc(c.pos, func(p positional) bool { return strings.Contains(strings.ToLower(p.s), "token") })
		case "rclone":
			return c.sub("config", "show") || c.sub("config", "dump")
		case "aws":
			return c.sub("sso", "get-role-credentials") || c.sub("configure", "export-credentials") || c.sub("sts", "get-session-token") ||
				c.sub("ecr", "get-login-password") || c.sub("codeartifact", "get-authorization-token")
		case "az":
			return c.sub("webapp", "config", "appsettings", "list") || c.sub("functionapp", "config", "appsettings", "list") ||
				c.sub("webapp", "config", "connection-string", "list") || c.sub("storage", "account", "keys", "list") ||
				c.sub("account", "get-access-token") || c.sub("acr", "credential", "show") || c.sub("cosmosdb", "keys", "list")
		case "pulumi":
			return c.sub("env", "open") || c.sub("stack", "output") && c.has("--show-secrets") || c.sub("config") && c.has("--show-secrets")
		case "netlify":
			return c.sub("env:list") || c.sub("env:get")
		case "stripe":
			return c.sub("config") && c.has("--list")
		case "poetry":
			return c.sub("config") && slicesAnyPrefixPos(c, "http-basic.", "pypi-token.")
		case "influx":
			return c.sub("auth", "create") || c.sub("auth", "list") || c.sub("auth", "ls") || c.sub("config", "ls") || c.sub("config", "list")
		case "dotenv", "dotenvx":
			return slices.ContainsFunc(c.pos, func(p positional) bool { return p.s == "list" || p.s == "get" || p.s == "decrypt" })
		}
		return false
	}, Class: credential, Reason: "prints tokens, keys or the settings that hold them"},
	{ID: "creds.printenv", When: func(c *call) bool {
		if c.name != "printenv" {
			return false
		}
		if len(c.pos) == 0 {
			return true
		}
		for _, p := range c.pos {
			if p.dyn || secretName(p.s) {
				return true
			}
		}
		return false
	}, Class: credential, Reason: "prints environment variables that hold credentials"},
	{ID: "creds.env-dump", When: func(c *call) bool { return c.name == "env" && envPrints(c) || c.name == "set" && len(c.args) == 0 }, Class: credential,
		Reason: "prints every environment variable, tokens included"},
	{ID: "creds.gh-token", When: func(c *call) bool {
		return c.name == "gh" && (c.sub("auth", "token") || c.sub("auth", "status") && c.has("--show-token", "-t"))
	}, Class: credential,
		Reason: "prints the GitHub token"},
	{ID: "creds.secret-store-read", When: func(c *call) bool {
		return c.name == "vault" && (c.sub("read") || c.sub("kv", "get") || c.sub("print", "token")) || c.name == "op" && (c.sub("read") || c.sub("item", "get") || c.sub("document", "get")) ||
			c.name == "security" && strings.HasPrefix(c.subAt(0), "find-") && c.has("-w", "-g") || c.name == "git-credential" || strings.HasPrefix(c.name, "docker-credential-") ||
			(c.name == "pass" || c.name == "gopass") && (c.subAt(0) == "show" || len(c.pos) == 1) || c.name == "aws-vault" && c.sub("exec") ||
			c.name == "doppler" && (c.sub("secrets", "get") || c.sub("secrets") && len(c.pos) == 1 || c.sub("secrets", "download")) || c.name == "bw" && c.sub("get") || c.name == "lpass" && c.sub("show")
	}, Class: credential, Reason: "reads secrets from a secret store"},
}}

var replicasZero = regexp.MustCompile(`"?replicas"?\s*:\s*0\b|replicas=0\b`)

// deletingMutation: a mutation (its text lower-cased) that deletes,
// destroys, wipes, archives or transfers, or forces a ref. The command
// line's bodies (gh api -f query=, curl -d) and those read from files are
// judged by this one list.
func deletingMutation(lowerBody string) bool {
	for _, w := range []string{"delete", "destroy", "remove", "wipe", "purge", "archive", "transfer"} {
		if strings.Contains(lowerBody, w) {
			return true
		}
	}
	return forcedMutation(lowerBody)
}

// forcedMutation: a mutation asked to force (updateRef(... force: true)),
// which moves a branch over commits only it held.
func forcedMutation(lowerBody string) bool {
	return strings.Contains(strings.NewReplacer(" ", "", "\t", "", "\n", "", `\"`, "", `"`, "").Replace(lowerBody), "force:true")
}

// envPrints: env with no command to run prints the environment; the
// values of -u NAME and -C DIR are not commands.
func envPrints(c *call) bool {
	for _, p := range c.pos {
		if p.afterFlag && (p.flag == "-u" || p.flag == "--unset" || p.flag == "-C" || p.flag == "--chdir" || p.flag == "-S" || p.flag == "--split-string") {
			continue
		}
		if !strings.Contains(p.s, "=") || p.dyn {
			return false
		}
	}
	return true
}

// slicesAnyPrefixPos: an operand that starts with one of the prefixes.
func slicesAnyPrefixPos(c *call, prefixes ...string) bool {
	for _, p := range c.pos {
		for _, pre := range prefixes {
			if strings.HasPrefix(p.s, pre) {
				return true
			}
		}
	}
	return false
}
