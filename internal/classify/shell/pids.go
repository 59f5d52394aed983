package shell

import (
	"strconv"
	"strings"
)

// databasePorts are the ports data services listen on, by the name their
// processes go by.
var databasePorts = map[string]string{
	"5432": "postgres", "6432": "pgbouncer", "3306": "mysqld", "6379": "redis-server", "27017": "mongod", "9200": "elasticsearch",
	"5672": "rabbitmq", "9092": "kafka", "2379": "etcd", "11211": "memcached", "26257": "cockroach", "8086": "influxd",
	"7687": "neo4j", "1433": "sqlservr", "9042": "cassandra", "8123": "clickhouse", "4222": "nats-server", "8500": "consul",
	"8200": "vault", "9000": "minio", "2181": "zookeeper",
}

// pidLister returns the kill-by-name command that reaches the processes a
// command lists, or nil: pgrep ARGS lists what pkill ARGS kills, pidof
// NAMES what killall NAMES kills; a service's pid file or a database's
// port names that service. kill $(pgrep postgres) is judged as pkill
// postgres.
func pidLister(name string, args []arg) []arg {
	switch name {
	case "pgrep":
		return append([]arg{{s: "pkill"}}, args...)
	case "pidof":
		return append([]arg{{s: "killall"}}, args...)
	case "cat", "head", "tail":
		for _, a := range args {
			if !strings.HasPrefix(a.s, "-") && strings.HasSuffix(a.s, ".pid") {
				return []arg{{s: "killall"}, {s: a.s, dyn: a.dyn}}
			}
		}
	case "lsof", "fuser", "ss":
		for _, a := range args {
			if a.dyn {
				continue
			}
			// lsof -i :5432, -i tcp:5432, -ti:5432; fuser 5432/tcp.
			s := strings.TrimSuffix(strings.TrimSuffix(a.s, "/tcp"), "/udp")
			if i := strings.LastIndexByte(s, ':'); i >= 0 {
				s = s[i+1:]
			}
			if svc, ok := databasePorts[s]; ok {
				return []arg{{s: "killall"}, {s: svc}}
			}
		}
	}
	return nil
}

// pidMarker stands for a substitution that lists processes, in the word
// it is expanded into: a word without spaces, so that field splitting
// keeps it whole.
func (w *walker) pidMarker(pids []arg) string {
	w.pidLists = append(w.pidLists, pids)
	return "$(pids" + strconv.Itoa(len(w.pidLists)-1) + ")"
}

// equivalents classifies the commands a call amounts to, besides itself:
// kill $(pgrep x) is pkill x; terragrunt run-all apply (and run --all --
// apply) is terragrunt apply in every module.
func (w *walker) equivalents(c *call, in input, depth int) {
	// A reversed patch of the working tree's own changes discards them:
	// git diff | git apply -R is git checkout -- . by another name.
	if (c.name == "git" && c.sub("apply") || c.name == "patch") && c.has("-R", "--reverse") && in.present && in.from == "git" {
		w.add("git.checkout-discard", destructive, c.name+" -R of git's own diff discards uncommitted changes")
	}
	switch c.name {
	case "scp", "sftp":
		// Their -o and -F are ssh's.
		for i, a := range c.args {
			if strings.HasPrefix(a.s, "-o") || strings.HasPrefix(a.s, "-F") {
				w.sshOption(c.args, i, depth)
			}
		}
	case "kill":
		for _, a := range c.args {
			n, ok := strings.CutPrefix(a.s, "$(pids")
			if !ok || !a.dyn {
				continue
			}
			if i, err := strconv.Atoi(strings.TrimSuffix(n, ")")); err == nil && i < len(w.pidLists) {
				w.command(w.pidLists[i], input{}, depth+1)
			}
		}
	case "terragrunt":
		args := c.args
		for len(args) > 0 && strings.HasPrefix(args[0].s, "-") {
			args = args[1:]
		}
		if len(args) == 0 || args[0].s != "run-all" && args[0].s != "run" {
			return
		}
		args = args[1:]
		for len(args) > 0 && (args[0].s == "--all" || args[0].s == "-a" || args[0].s == "--" || strings.HasPrefix(args[0].s, "--queue-") || args[0].s == "--non-interactive") {
			args = args[1:]
		}
		if len(args) > 0 {
			w.command(append([]arg{{s: "terragrunt"}}, args...), in, depth+1)
		}
	}
}
