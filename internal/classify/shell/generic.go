package shell

import (
	"regexp"
	"slices"
	"strings"
)

// destructiveVerbs, standing as a subcommand (or part of one: delete-secret,
// delete_vhost, apps:destroy), mark a command that deletes, for the many
// CLIs no pack describes one by one.
var destructiveVerbs = []string{
	"delete", "del", "destroy", "remove", "rm", "rmdir", "purge", "terminate", "drop", "prune", "wipe",
	"erase", "truncate", "flush", "flushall", "flushdb", "reset", "uninstall", "unregister", "deregister",
	"forget", "revoke", "nuke", "clear", "unsubscribe", "archive", "disable", "rdelete", "compact", "deletefile",
	"unset", "detach-policy", "empty", "cleanup", "teardown", "decommission", "evict", "deletion", "undefine", "reimage", "implode",
	"deleteall", "rmr", "rb", "expunge", "trim", "shred", "overwrite", "rewrite",
	// Verbs that end or replace what they name without deleting it by
	// that word: the data or the service is gone all the same.
	"obliterate", "deprovision", "zap", "scrub", "dispose", "retire", "deallocate", "reinit", "recreate", "unpublish",
	"expire", "abandon", "seal", "poweroff", "shutdown", "halt", "kill", "suspend", "deactivate", "failover",
	// A node or an agent leaving its cluster, or a daemon told to end.
	"leave", "drain", "quit", "stopdaemon", "stopp", "detach", "evacuate", "cordon", "stop_app",
	// Deployments and installations undone, migrations run backwards.
	"undeploy", "unprovision", "cleanse", "dismiss", "killall", "downgrade", "yank", "down",
}

// composeDown: docker compose down removes containers and networks, not
// volumes (its own rule judges -v); other CLIs' down takes down what they
// deployed (terraspace down, knex migrate:down, pulumi down).
var composeDown = []string{"docker", "docker-compose", "podman", "podman-compose", "nerdctl", "finch", "colima", "lima", "vagrant"}

// namedVerbs: programs whose whole name is a destructive verb (a project's
// own destroy script on the PATH).
var namedVerbs = []string{"destroy", "nuke", "wipe", "teardown", "obliterate", "purge", "deprovision", "undeploy"}

// machineCLIs stop what they name as they say: a cloud's instances, a
// container or VM manager's machines.
var machineCLIs = []string{"gcloud", "az", "aws", "doctl", "linode-cli", "hcloud", "scw", "oci", "ibmcloud", "aliyun",
	"lxc", "incus", "virsh", "multipass", "vagrant", "crictl", "ctr", "nerdctl", "fly", "flyctl", "heroku", "railway", "render",
	"rabbitmqctl", "nomad", "cockroach", "consul", "etcdctl", "nodetool"}

// machineStops: stop, restart, reset or maintenance of what a machine CLI
// names takes it down.
var machineStops = []string{"stop", "restart", "reset", "reboot", "stop_app", "maintenance:on"}

var terminalMultiplexers = []string{"tmux", "screen", "zellij", "byobu"}

// serverStopScript: a server's own stop script (kafka-server-stop.sh,
// catalina.sh stop's shutdown.sh, zookeeper-server-stop.sh).
var serverStopScript = regexp.MustCompile(`(?i)(?:^|[-_])(?:stop|shutdown)(?:[-_]\w+)?(?:\.sh)?$`)

// genericDestruction applies the verb and flag heuristics; it reports
// whether it found anything.
func (w *walker) genericDestruction(c *call) bool {
	found := false
	n := 0
	if pathsOnly[c.name] {
		// mkdir empty, touch cleanup.log: names, not verbs.
		return w.httpMethod(c)
	}
	if serverStopScript.MatchString(baseName(c.name)) && c.name != "shutdown" {
		w.add("cli.destructive-verb", destructive, c.name+" stops the server it belongs to")
		found = true
	}
	depth := 3
	if deepCLIs[c.name] {
		depth = 5 // gcloud kms keys versions destroy, doctl compute domain records delete
	}
	for _, p := range c.pos {
		if n >= depth {
			break
		}
		if p.afterFlag && n == 0 || p.dyn {
			continue
		}
		n++
		if !isWordish(p.s) || strings.Contains(p.s, "::") { // repo::archive names a thing
			continue
		}
		parts := verbParts(p.s)
		if slices.Contains(machineCLIs, c.name) && slices.Contains(machineStops, strings.ToLower(p.s)) {
			w.add("cli.destructive-verb", destructive, c.name+" "+p.s+" takes down what it names")
			w.target(c.name + " " + p.s)
			found = true
		}
		for _, part := range parts {
			if part == "kill" && slices.Contains(terminalMultiplexers, c.name) {
				continue // tmux kill-session ends a terminal, not a service
			}
			if part == "down" && slices.Contains(composeDown, c.name) {
				continue
			}
			if slices.Contains(destructiveVerbs, part) || slices.Contains(subcommandVerbs, part) {
				w.add("cli.destructive-verb", destructive, c.name+" "+p.s+" deletes or destroys")
				w.target(c.name + " " + p.s)
				found = true
			}
		}
		has := func(words ...string) bool {
			return slices.ContainsFunc(parts, func(s string) bool { return slices.Contains(words, s) })
		}
		switch {
		case has("backup", "backups", "snapshot", "snapshots") && has("cancel", "stop", "pause", "suspend", "off", "unschedule"):
			// linode-cli linodes backups-cancel, doctl … backups-cancel:
			// the backup service ends, and with it the backups taken.
			w.add("backup.stop", destructive, c.name+" "+p.s+" stops backups (and may delete those taken)")
			found = true
		case has("versioning") && slices.ContainsFunc(c.args, func(a arg) bool {
			v := strings.ToLower(a.s)
			return v == "suspended" || v == "suspend" || v == "disabled" || v == "off"
		}):
			// ossutil bucket-versioning --method put oss://b suspended
			w.add("ops.protection-off", destructive, c.name+" "+p.s+" suspends versioning: overwritten and deleted objects are no longer kept")
			found = true
		case has("power") && has("off"):
			// doctl compute droplet-action power-off, az vm power-off.
			w.add("cli.destructive-verb", destructive, c.name+" "+p.s+" powers off what it names")
			found = true
		case has("offline") && has("isolated"):
			// Tencent Cloud's OfflineIsolated*: an isolated (recycled)
			// resource destroyed for good.
			w.add("cli.destructive-verb", destructive, c.name+" "+p.s+" destroys isolated resources for good")
			found = true
		}
	}
	if v := optionVerb(c); v != "" {
		w.add("cli.destructive-verb", destructive, c.name+" "+v+" deletes or destroys")
		w.target(c.name + " " + v)
		found = true
	}
	if strings.ContainsAny(c.name, "-_.") || slices.Contains(namedVerbs, c.name) {
		// k3s-uninstall.sh, drop_db.py, destroy: a program named for it.
		for _, part := range verbParts(c.name) {
			if slices.Contains(destructiveVerbs, part) {
				w.add("cli.destructive-verb", destructive, c.name+" deletes or destroys")
				found = true
			}
		}
	}
	for _, f := range c.flags {
		name, _, _ := strings.Cut(strings.ToLower(f), "=")
		if strings.HasPrefix(name, "--delete") || strings.HasPrefix(name, "--force-delete") || name == "--purge" ||
			name == "--remove-source-files" || name == "--remove" || strings.HasPrefix(name, "--wipe") || name == "--destroy" || strings.HasPrefix(name, "--drop") {
			w.add("cli.destructive-flag", destructive, c.name+" "+f+" deletes")
			found = true
		}
	}
	return w.httpMethod(c) || found
}

// optionVerbs name a deletion when a CLI takes its verb as a single-dash
// option (hdfs dfs -rm, hadoop fs -expunge, hdfs namenode -format).
var optionVerbs = []string{"rm", "rmr", "rmdir", "delete", "del", "deleteall", "remove", "erase", "expunge", "truncate", "purge",
	"drop", "destroy", "wipe", "format", "nuke"}

// optionVerb returns the option standing as the verb: the first word, or
// the one after a first subcommand word (dfs, fs), when it is a
// single-dash word that deletes (-rm, -deleteSnapshot). Further along it
// is an ordinary option (convert in.png -trim out.png).
func optionVerb(c *call) string {
	args := c.args
	// hdfs --loglevel DEBUG dfs -rm, hadoop --config dir fs -rm
	for len(args) > 1 && !args[0].dyn && (strings.HasPrefix(args[0].s, "--loglevel") || strings.HasPrefix(args[0].s, "--config")) {
		if strings.Contains(args[0].s, "=") {
			args = args[1:]
		} else {
			args = args[2:]
		}
	}
	if len(args) > 1 && !args[0].dyn && isWordish(args[0].s) && !strings.HasPrefix(args[0].s, "-") {
		args = args[1:]
	}
	// Hadoop's generic options come before the verb: -Dk=v, -D k=v,
	// -fs uri, -conf file.
	for len(args) > 0 && !args[0].dyn {
		if strings.HasPrefix(args[0].s, "-D") && len(args[0].s) > 2 {
			args = args[1:]
			continue
		}
		if slices.Contains([]string{"-D", "-fs", "-conf", "-jt", "-files", "-libjars", "-archives", "-loglevel"}, args[0].s) && len(args) > 1 {
			args = args[2:]
			continue
		}
		break
	}
	if len(args) == 0 || args[0].dyn {
		return ""
	}
	word, _, _ := strings.Cut(args[0].s, "=")
	if !strings.HasPrefix(word, "-") || strings.HasPrefix(word, "--") || len(word) < 3 {
		return ""
	}
	for _, part := range camelParts(word[1:]) {
		if slices.Contains(optionVerbs, part) {
			return word
		}
	}
	return ""
}

// camelParts splits deleteSnapshot into delete and snapshot, lower-cased.
func camelParts(s string) []string {
	var parts []string
	start := 0
	for i := 1; i < len(s); i++ {
		if s[i] >= 'A' && s[i] <= 'Z' && s[i-1] >= 'a' && s[i-1] <= 'z' {
			parts = append(parts, strings.ToLower(s[start:i]))
			start = i
		}
	}
	return append(parts, strings.ToLower(s[start:]))
}

// deepCLIs nest their verbs under several nouns.
var deepCLIs = map[string]bool{"gcloud": true, "az": true, "doctl": true, "linode-cli": true, "oci": true, "ibmcloud": true, "aliyun": true,
	"tccli": true, "hcloud": true, "scw": true, "exo": true, "vultr-cli": true, "upcloud": true, "civo": true, "ksc": true, "hwcloud": true, "koocli": true}

// subcommandVerbs delete or wipe as a subcommand, but are ordinary words
// in a program's own name (electron-rebuild).
var subcommandVerbs = []string{"rebuild", "reinstall", "isolate", "clearsnapshot", "compaction", "removenode", "assassinate", "decommission", "disablebackup", "resetdisk", "replacesystemdisk"}

// verbParts splits a subcommand into its words, the API's CamelCase
// actions too (DeleteInstance, TerminateInstances, ScheduleKeyDeletion).
func verbParts(s string) []string {
	var out []string
	for _, piece := range strings.FieldsFunc(s, func(r rune) bool { return r == '-' || r == '_' || r == ':' || r == '.' }) {
		out = append(out, strings.ToLower(piece))
		if parts := camelParts(piece); len(parts) > 1 {
			out = append(out, parts...)
		}
	}
	return out
}

// camelWords splits a subcommand into its words by separators and by
// case (Get-SecretValue: get, secret, value), lower-cased.
func camelWords(s string) []string {
	var out []string
	for _, piece := range strings.FieldsFunc(s, func(r rune) bool { return r == '-' || r == '_' || r == ':' || r == '.' }) {
		out = append(out, camelParts(piece)...)
	}
	return out
}

// subParts splits a subcommand into its words (delete-secret,
// apps:destroy, mysql_creds.view), lower-cased.
func subParts(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return r == '-' || r == '_' || r == ':' || r == '.' })
}

// pathsOnly are programs whose operands are only ever paths or names.
var pathsOnly = map[string]bool{"mkdir": true, "touch": true, "mktemp": true, "mkfifo": true, "chmod": true, "chown": true, "chgrp": true,
	"cd": true, "pushd": true, "stat": true, "file": true, "realpath": true, "readlink": true, "basename": true, "dirname": true, "which": true, "type": true}

func isWordish(s string) bool {
	if s == "" || strings.ContainsAny(s, "/=@ ") {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' || r == '_' || r == ':' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// httpMethod flags HTTP clients sending DELETE.
func (w *walker) httpMethod(c *call) bool {
	method, ok := c.flagValue("-X", "--request", "--method", "-m")
	if !ok && (c.name == "http" || c.name == "https" || c.name == "xh") && len(c.pos) > 0 {
		method = c.pos[0].s
	}
	if m := methodOverride(c); m != "" {
		method = m
	}
	if strings.EqualFold(strings.Trim(method, `"'`), "DELETE") {
		w.add("http.delete", destructive, c.name+" sends an HTTP DELETE")
		return true
	}
	// RPC-style endpoints name the deletion in the path: /job/x/doDelete.
	if strings.EqualFold(method, "POST") {
		for _, p := range c.pos {
			if u := strings.ToLower(p.s); strings.Contains(u, "://") {
				last := u[strings.LastIndex(strings.TrimRight(u, "/"), "/")+1:]
				for _, v := range []string{"delete", "destroy", "remove", "purge", "wipe"} {
					if strings.Contains(last, v) {
						w.add("http.delete-endpoint", destructive, c.name+" posts to a deleting endpoint ("+last+")")
						return true
					}
				}
			}
		}
	}
	return false
}

// runnerTool returns the tool a package runner invokes, if any.
func runnerTool(name string, args []arg) ([]arg, bool) {
	skipFlags := func(a []arg) []arg {
		for len(a) > 0 && strings.HasPrefix(a[0].s, "-") {
			a = a[1:]
		}
		if len(a) > 0 && !a[0].dyn {
			// A package named with its version (rimraf@latest, @scope/x@1)
			// runs the package's program.
			if at := strings.LastIndex(a[0].s, "@"); at > 0 {
				a = append([]arg{{s: a[0].s[:at]}}, a[1:]...)
			}
			if i := strings.LastIndex(a[0].s, "/"); i >= 0 && strings.HasPrefix(a[0].s, "@") {
				a = append([]arg{{s: a[0].s[i+1:]}}, a[1:]...)
			}
		}
		return a
	}
	switch name {
	case "npx", "bunx", "pnpx", "uvx", "pipx":
		if name == "pipx" {
			if len(args) == 0 || args[0].s != "run" {
				return nil, false
			}
			args = args[1:]
		}
		return skipFlags(args), true
	case "pnpm", "yarn", "bun":
		if len(args) > 0 && (args[0].s == "dlx" || args[0].s == "exec" || args[0].s == "x") {
			return skipFlags(args[1:]), true
		}
	case "bundle", "poetry", "uv", "pipenv", "pdm", "hatch", "rye", "conda", "mamba", "micromamba", "pixi":
		if len(args) > 0 && (args[0].s == "exec" || args[0].s == "run") {
			// Options that take a value (uv run --env-file .env CMD).
			rest := args[1:]
			for len(rest) > 0 && strings.HasPrefix(rest[0].s, "-") && !rest[0].dyn {
				if slices.Contains(runnerValueOpts, rest[0].s) && len(rest) > 1 {
					rest = rest[1:]
				}
				rest = rest[1:]
			}
			return skipFlags(rest), true
		}
	case "npm":
		if len(args) > 0 && (args[0].s == "exec" || args[0].s == "x") {
			return skipFlags(args[1:]), true
		}
	case "perf":
		// perf stat|record|trace CMD runs CMD.
		if len(args) > 0 && (args[0].s == "stat" || args[0].s == "record" || args[0].s == "trace") {
			return skipFlags(args[1:]), true
		}
		return []arg{}, true
	}
	return nil, false
}

// methodOverride is the method a method-override header asks the server
// to run instead of the one sent (a POST that deletes), or "".
func methodOverride(c *call) string {
	method := ""
	for i, a := range c.args {
		h := ""
		switch {
		case (a.s == "-H" || a.s == "--header") && i+1 < len(c.args):
			h = c.args[i+1].s
		case strings.HasPrefix(a.s, "--header="):
			h = strings.TrimPrefix(a.s, "--header=")
		case c.name != "curl" && c.name != "wget" && strings.Contains(a.s, ":") && !strings.Contains(a.s, "://"):
			h = a.s // httpie: Name:value
		}
		if k, v, ok := strings.Cut(h, ":"); ok {
			switch strings.ToLower(strings.TrimSpace(k)) {
			case "x-http-method-override", "x-http-method", "x-method-override", "x-original-method":
				method = strings.TrimSpace(v)
			}
		}
	}
	return method
}

// runnerValueOpts are package runners' options that take the next word as
// their value, not as the command.
var runnerValueOpts = strings.Fields("--env-file --with --with-requirements --python -p --directory --project --package --group --extra " +
	"--index --index-url --extra-index-url --from -n --name --prefix -e --environment --manifest-path --gemfile --config -C --cwd")
