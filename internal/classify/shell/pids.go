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
