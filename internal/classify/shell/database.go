package shell

import (
	"regexp"
	"slices"
	"strings"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/classify/keyword"
)

// dbClient says where a database client takes statements from.
type dbClient struct {
	inline    []string // options whose value is a statement
	files     []string // options whose value is a file of statements
	valueOpts []string // other options that take a value
	sqlArg    int      // positional index holding a statement, 0 for none
	lang      string   // "postgres", "sql" (other dialects), "redis" or "mongo"
}

var dbClients = map[string]*dbClient{
	"psql":              {inline: []string{"-c", "--command"}, files: []string{"-f", "--file"}, valueOpts: strings.Fields("-h -p -U -d -v --set -o -L -P -T -F -R"), lang: "postgres"},
	"mysql":             {inline: []string{"-e", "--execute"}, valueOpts: strings.Fields("-h -P -u -p -D -S --host --port --user --database --socket"), lang: "sql"},
	"mariadb":           {inline: []string{"-e", "--execute"}, valueOpts: strings.Fields("-h -P -u -p -D -S --host --port --user --database --socket"), lang: "sql"},
	"sqlite3":           {sqlArg: 2, valueOpts: strings.Fields("-cmd -separator -newline -nullvalue"), lang: "sql"},
	"duckdb":            {inline: []string{"-c"}, sqlArg: 2, lang: "sql"},
	"clickhouse-client": {inline: []string{"-q", "--query"}, lang: "sql"},
	"cqlsh":             {inline: []string{"-e", "--execute"}, files: []string{"-f", "--file"}, lang: "sql"},
	"redis-cli":         {valueOpts: strings.Fields("-h -p -a -n -u -s -r -i --user --pass --askpass"), lang: "redis"},
	"mongosh":           {inline: []string{"--eval"}, files: []string{"-f", "--file"}, lang: "mongo"},
	"mongo":             {inline: []string{"--eval"}, lang: "mongo"},
}

func (w *walker) database(c *call, in input, depth int) {
	db := dbClients[c.name]
	for i, a := range c.args {
		if i+1 < len(c.args) && takesValue(db.inline, a.s) {
			w.statements(db.lang, c.name, c.args[i+1])
			return
		}
		for _, f := range db.inline {
			if v, ok := strings.CutPrefix(a.s, f+"="); ok && strings.HasPrefix(f, "--") {
				w.statements(db.lang, c.name, arg{s: v, dyn: a.dyn})
				return
			}
		}
		if takesValue(db.files, a.s) || hasPrefixAny(a.s, db.files, "=") {
			w.add("db.run-file", unknown, c.name+" runs statements from a file Chaperone cannot see")
			return
		}
	}
	var pos []arg
	for i := 0; i < len(c.args); i++ {
		a := c.args[i]
		if strings.HasPrefix(a.s, "-") && !a.dyn {
			if takesValue(db.valueOpts, a.s) {
				i++
			}
			continue
		}
		pos = append(pos, a)
	}
	if db.lang == "redis" && len(pos) > 0 {
		w.redis(pos)
		return
	}
	if db.sqlArg > 0 && len(pos) >= db.sqlArg {
		w.statements(db.lang, c.name, pos[db.sqlArg-1])
		return
	}
	switch {
	case in.present && in.known:
		if db.lang == "redis" {
			for _, line := range strings.Split(in.text, "\n") {
				if f := strings.Fields(line); len(f) > 0 {
					args := make([]arg, len(f))
					for i, s := range f {
						args[i] = arg{s: s}
					}
					w.redis(args)
				}
			}
			return
		}
		w.statements(db.lang, c.name, arg{s: in.text})
	case in.present:
		w.add("db.dynamic-input", unknown, "statements piped into "+c.name+" from "+in.from+" are only known at run time")
	default:
		w.add("db.session", write, "opens a "+c.name+" session")
	}
}

func hasPrefixAny(s string, opts []string, sep string) bool {
	for _, o := range opts {
		if strings.HasPrefix(s, o+sep) {
			return true
		}
	}
	return false
}

// statements classifies statement text a client will run.
func (w *walker) statements(lang, client string, a arg) {
	if a.dyn {
		w.add("db.dynamic-statement", unknown, client+" runs a statement only known at run time")
		return
	}
	switch lang {
	case "mongo":
		w.mongo(a.s)
	default:
		sql := func(text string) []action.Reason { return keyword.Classify(action.KindSQL, text) }
		if lang == "postgres" && w.c.SQL != nil {
			sql = w.c.SQL
		}
		rs := sql(a.s)
		if len(rs) == 0 {
			w.add("db.read", read, client+" runs a read-only statement")
		}
		for _, r := range rs {
			w.add(r.ID, r.Class, client+": "+r.Message)
		}
	}
}

var (
	redisDestructive = []string{"FLUSHALL", "FLUSHDB", "DEL", "UNLINK", "SHUTDOWN", "SWAPDB", "GETDEL", "HDEL", "SREM", "ZREM", "LTRIM", "XTRIM", "XDEL", "ZREMRANGEBYSCORE", "ZREMRANGEBYRANK", "ZREMRANGEBYLEX"}
	redisRead        = []string{"GET", "MGET", "KEYS", "SCAN", "INFO", "PING", "TTL", "PTTL", "TYPE", "EXISTS", "HGET", "HGETALL", "HKEYS", "HLEN", "HMGET", "LRANGE", "LLEN", "SMEMBERS", "SCARD", "SISMEMBER", "ZRANGE", "ZCARD", "ZSCORE", "DBSIZE", "STRLEN", "MONITOR", "SLOWLOG", "CLIENT", "MEMORY", "OBJECT", "XRANGE", "XLEN", "XINFO", "HSCAN", "SSCAN", "ZSCAN", "LINDEX", "ECHO", "TIME", "LASTSAVE", "ROLE", "COMMAND"}
	mongoDestructive = regexp.MustCompile(`\b(?:dropDatabase|drop|dropIndex(?:es)?|deleteMany|deleteOne|remove|findOneAndDelete|findAndModify|dropUser|dropAllUsers|dropRole)\s*\(`)
	mongoWrite       = regexp.MustCompile(`\b(?:insert\w*|update\w*|replaceOne|bulkWrite|createCollection|createIndex|renameCollection|save)\s*\(`)
)

func (w *walker) redis(args []arg) {
	cmd := strings.ToUpper(args[0].s)
	sub := ""
	if len(args) > 1 {
		sub = strings.ToUpper(args[1].s)
	}
	switch {
	case args[0].dyn:
		w.add("db.dynamic-statement", unknown, "redis-cli runs a command only known at run time")
	case slices.Contains(redisDestructive, cmd), (cmd == "SCRIPT" || cmd == "FUNCTION") && sub == "FLUSH", cmd == "CLUSTER" && sub == "RESET", cmd == "CONFIG" && (sub == "SET" || sub == "RESETSTAT"):
		w.add("redis.destructive", destructive, "redis "+strings.TrimSpace(cmd+" "+sub)+" removes data")
	case slices.Contains(redisRead, cmd) || cmd == "CONFIG" && sub == "GET":
		w.add("db.read", read, "redis "+cmd+" reads")
	default:
		w.add("redis.write", write, "redis "+cmd+" changes data")
	}
}

func (w *walker) mongo(code string) {
	switch {
	case mongoDestructive.MatchString(code):
		w.add("mongo.destructive", destructive, "mongo: "+mongoDestructive.FindString(code)+" removes data")
	case mongoWrite.MatchString(code):
		w.add("mongo.write", write, "mongo: "+mongoWrite.FindString(code)+" changes data")
	default:
		w.add("db.read", read, "mongo code reads")
	}
}
