package shell

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

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
	"mysql":             {inline: []string{"-e", "--execute", "--init-command", "--init-command-add"}, valueOpts: strings.Fields("-h -P -u -p -D -S --host --port --user --database --socket"), lang: "sql"},
	"mariadb":           {inline: []string{"-e", "--execute", "--init-command", "--init-command-add"}, valueOpts: strings.Fields("-h -P -u -p -D -S --host --port --user --database --socket"), lang: "sql"},
	"sqlite3":           {sqlArg: 2, valueOpts: strings.Fields("-cmd -separator -newline -nullvalue"), lang: "sql"},
	"duckdb":            {inline: []string{"-c"}, sqlArg: 2, lang: "sql"},
	"clickhouse-client": {inline: []string{"-q", "--query"}, lang: "sql"},
	"cqlsh":             {inline: []string{"-e", "--execute"}, files: []string{"-f", "--file"}, lang: "sql"},
	"redis-cli":         {valueOpts: strings.Fields("-h -p -a -n -u -s -r -i --user --pass --askpass"), files: []string{"--eval"}, lang: "redis"},
	"valkey-cli":        {valueOpts: strings.Fields("-h -p -a -n -u -s -r -i --user --pass --askpass"), files: []string{"--eval"}, lang: "redis"},
	"keydb-cli":         {valueOpts: strings.Fields("-h -p -a -n -u -s -r -i --user --pass --askpass"), files: []string{"--eval"}, lang: "redis"},
	"mongosh":           {inline: []string{"--eval"}, files: []string{"-f", "--file"}, lang: "mongo"},
	"mongo":             {inline: []string{"--eval"}, lang: "mongo"},
	"usql":              {inline: []string{"-c", "--command"}, files: []string{"-f", "--file"}, lang: "sql"},
	"pgcli":             {inline: []string{"-e", "--execute", "-c", "--command"}, lang: "postgres"},
	"mycli":             {inline: []string{"-e", "--execute", "--init-command"}, valueOpts: strings.Fields("-h -P -u -p -D -S --host --port --user --database --socket"), lang: "sql"},
	"litecli":           {inline: []string{"-e", "--execute"}, lang: "sql"},
	"mssql-cli":         {inline: []string{"-Q", "--query"}, files: []string{"-i", "--input_file"}, lang: "sql"},
	"cockroach":         {inline: []string{"-e", "--execute"}, files: []string{"-f", "--file"}, lang: "postgres"},
	"sqlcmd":            {inline: []string{"-Q", "-q"}, files: []string{"-i"}, lang: "sql"},
	"snowsql":           {inline: []string{"-q", "--query"}, files: []string{"-f", "--filename"}, lang: "sql"},
	"mysqlsh":           {inline: []string{"-e", "--execute"}, files: []string{"-f", "--file"}, lang: "sql"},
	"trino":             {inline: []string{"--execute"}, files: []string{"-f", "--file"}, lang: "sql"},
	"presto":            {inline: []string{"--execute"}, files: []string{"-f", "--file"}, lang: "sql"},
	"spark-sql":         {inline: []string{"-e"}, files: []string{"-f", "-i"}, lang: "sql"},
	"hive":              {inline: []string{"-e"}, files: []string{"-f", "-i"}, lang: "sql"},
	"beeline":           {inline: []string{"-e"}, files: []string{"-f", "-i"}, valueOpts: strings.Fields("-u -n -p -d"), lang: "sql"},
	"impala-shell":      {inline: []string{"-q", "--query"}, files: []string{"-f", "--query_file"}, lang: "sql"},
	"vsql":              {inline: []string{"-c", "--command"}, files: []string{"-f", "--file"}, lang: "sql"},
	"ysqlsh":            {inline: []string{"-c", "--command"}, files: []string{"-f", "--file"}, lang: "postgres"},
	"cypher-shell":      {sqlArg: 1, files: []string{"-f", "--file"}, valueOpts: strings.Fields("-a -u -p -d --address --username --password --database --format"), lang: "sql"},
	"influx":            {inline: []string{"-execute"}, lang: "sql"},
	"sqlplus":           {valueOpts: strings.Fields("-M -MARKUP -R -F -L"), lang: "sql"},
	"asadm":             {inline: []string{"-e", "--execute"}, valueOpts: strings.Fields("-h -p -U -P --host --port --user --password"), lang: "sql"},
	"arangosh":          {inline: []string{"--javascript.execute-string"}, files: []string{"--javascript.execute"}, lang: "arango"},
	"fdbcli":            {inline: []string{"--exec"}, valueOpts: strings.Fields("-C --cluster-file --timeout"), lang: "fdb"},
	// SQL run by a subcommand of a larger CLI: see sqlSubcommands.
	"bq query":                             {sqlArg: 1, valueOpts: strings.Fields("--parameter --destination_table --project_id --dataset_id --location"), lang: "sql"},
	"wrangler d1":                          {inline: []string{"--command"}, files: []string{"--file"}, lang: "sql"},
	"heroku pg:psql":                       {inline: []string{"-c", "--command"}, files: []string{"-f", "--file"}, lang: "postgres"},
	"turso db shell":                       {sqlArg: 2, lang: "sql"},
	"clickhouse client":                    {inline: []string{"-q", "--query"}, files: []string{"--queries-file"}, lang: "sql"},
	"prisma db":                            {inline: []string{"--sql"}, files: []string{"--file"}, lang: "sql"},
	"typeorm query":                        {sqlArg: 1, lang: "sql"},
	"fly postgres":                         {inline: []string{"-c", "--command"}, lang: "postgres"},
	"flyctl postgres":                      {inline: []string{"-c", "--command"}, lang: "postgres"},
	"fly pg":                               {inline: []string{"-c", "--command"}, lang: "postgres"},
	"flyctl pg":                            {inline: []string{"-c", "--command"}, lang: "postgres"},
	"clickhouse local":                     {inline: []string{"-q", "--query"}, files: []string{"--queries-file"}, lang: "sql"},
	"aws rds-data execute-statement":       {inline: []string{"--sql"}, lang: "sql"},
	"aws rds-data batch-execute-statement": {inline: []string{"--sql"}, lang: "sql"},
	"aws redshift-data execute-statement":  {inline: []string{"--sql"}, lang: "sql"},
	"aws redshift-data batch-execute-statement": {inline: []string{"--sqls"}, lang: "sql"},
	"aws athena start-query-execution":          {inline: []string{"--query-string"}, lang: "sql"},
	"aws dynamodb execute-statement":            {inline: []string{"--statement"}, lang: "sql"},
	"aws dynamodb batch-execute-statement":      {inline: []string{"--statements"}, lang: "sql"},
	"aws dynamodb execute-transaction":          {inline: []string{"--transact-statements"}, lang: "sql"},
	"gcloud spanner databases ddl update":       {inline: []string{"--ddl"}, files: []string{"--ddl-file"}, lang: "sql"},
	"gcloud spanner databases execute-sql":      {inline: []string{"--sql"}, lang: "sql"},
	"gcloud sql connect":                        {valueOpts: strings.Fields("--user --database --port"), lang: "sql"},
}

// sqlSubcommands: CLIs whose subcommand runs SQL, and the words that
// name it; the rest of the line is read as that client's.
var sqlSubcommands = map[string][][]string{
	"bq": {{"query"}}, "wrangler": {{"d1", "execute"}}, "heroku": {{"pg:psql"}}, "turso": {{"db", "shell"}}, "clickhouse": {{"client"}, {"local"}},
	"prisma": {{"db", "execute"}}, "typeorm": {{"query"}}, "fly": {{"postgres", "connect"}, {"pg", "connect"}}, "flyctl": {{"postgres", "connect"}, {"pg", "connect"}},
	// Cloud APIs that run the SQL (or PartiQL) they are given.
	"aws": {{"rds-data", "execute-statement"}, {"rds-data", "batch-execute-statement"}, {"redshift-data", "execute-statement"},
		{"redshift-data", "batch-execute-statement"}, {"athena", "start-query-execution"}, {"dynamodb", "execute-statement"},
		{"dynamodb", "batch-execute-statement"}, {"dynamodb", "execute-transaction"}},
	"gcloud": {{"spanner", "databases", "ddl", "update"}, {"spanner", "databases", "execute-sql"}, {"sql", "connect"}},
}

// sqlSubcommand judges c as the SQL client its subcommand is, if it is one.
func (w *walker) sqlSubcommand(c *call, in input, depth int) bool {
	sc, ok := sqlSubcall(c)
	if ok {
		w.database(sc, in, depth)
		if c.name == "bq" && (c.has("--replace", "--noappend_table") || hasWordContaining(c, "WRITE_TRUNCATE")) {
			w.add("cloud.overwrite", destructive, "bq query --replace writes the result over the destination table's rows")
		}
	}
	return ok
}

// sqlSubcall returns the call of the SQL client c's subcommand is, if it
// is one.
func sqlSubcall(c *call) (*call, bool) {
	var words []string
	for _, ws := range sqlSubcommands[c.name] {
		if c.sub(ws...) {
			words = ws
			break
		}
	}
	if words == nil {
		return nil, false
	}
	// Everything after the subcommand words, with the options before
	// them kept: they are the CLI's own.
	rest := make([]arg, 0, len(c.args))
	j := 0
	for _, a := range c.args {
		if j < len(words) && !a.dyn && strings.EqualFold(a.s, words[j]) {
			j++
			continue
		}
		rest = append(rest, a)
	}
	name := c.name + " " + strings.Join(words, " ")
	if _, known := dbClients[name]; !known {
		name = c.name + " " + words[0] // wrangler d1 execute: "wrangler d1"
	}
	return parseCall(name, rest), true
}

func (w *walker) database(c *call, in input, depth int) {
	db := dbClients[c.name]
	w.applyPacks(c) // rules that hold for any client (--print-defaults)
	if slices.Contains(db.valueOpts, "--database") {
		saved := w.useDB
		w.useDB = startDatabase(c)
		defer func() { w.useDB = saved }()
	}
	if c.name == "sqlite3" {
		// -cmd runs its text before anything else, and may be given
		// several times; the statements after the database run too.
		for i, a := range c.args {
			if (a.s == "-cmd" || a.s == "--cmd") && i+1 < len(c.args) {
				w.statements(db.lang, c.name, c.args[i+1])
			}
			if v, ok := strings.CutPrefix(a.s, "-A"); ok && !a.dyn {
				// Archive mode: -Ax -C DIR extracts as .ar -x does.
				var words []string
				if v != "" {
					words = append(words, "-"+v)
				}
				for _, b := range c.args[i+1:] {
					words = append(words, b.s)
				}
				if opts := strings.Join(words, " "); archiveExtracts(opts) {
					w.archiveExtract("sqlite3 -A", opts)
				}
			}
		}
	}
	// Every -c (and --command=) runs, in order: each is judged.
	inline := false
	for i := 0; i < len(c.args); i++ {
		a := c.args[i]
		if i+1 < len(c.args) && takesValue(db.inline, a.s) {
			w.statements(db.lang, c.name, c.args[i+1])
			inline = true
			i++
			continue
		}
		for _, f := range db.inline {
			if v, ok := strings.CutPrefix(a.s, f+"="); ok && strings.HasPrefix(f, "--") {
				w.statements(db.lang, c.name, arg{s: v, dyn: a.dyn})
				inline = true
			}
		}
		if takesValue(db.files, a.s) || hasPrefixAny(a.s, db.files, "=") {
			w.add("db.run-file", unknown, c.name+" runs statements from a file Chaperone cannot see")
			return
		}
		// A cluster of short options (-tAc SQL, -Bse SQL, -c'SQL').
		switch glued, kind := db.shortCluster(a.s); {
		case a.dyn || kind == "":
		case kind == "file":
			w.add("db.run-file", unknown, c.name+" runs statements from a file Chaperone cannot see")
			return
		case glued != "":
			w.statements(db.lang, c.name, arg{s: glued})
			inline = true
		case i+1 < len(c.args):
			w.statements(db.lang, c.name, c.args[i+1])
			inline = true
			i++
		}
	}
	if inline {
		return
	}
	var pos []arg
	for i := 0; i < len(c.args); i++ {
		a := c.args[i]
		// redis-cli ACL SETUSER app -@all: after the command, every word is
		// the command's.
		if strings.HasPrefix(a.s, "-") && !a.dyn && !(db.lang == "redis" && len(pos) > 0) {
			if takesValue(db.valueOpts, a.s) {
				i++
			}
			continue
		}
		pos = append(pos, a)
	}
	if c.name == "sqlplus" && slices.ContainsFunc(pos, func(p arg) bool { return strings.HasPrefix(p.s, "@") }) {
		// sqlplus user@db @script runs the script's statements.
		w.add("db.run-file", unknown, c.name+" runs statements from a file Chaperone cannot see")
		return
	}
	if db.lang == "redis" && len(pos) > 0 && c.has("--cluster") {
		// --cluster call HOST:PORT CMD... runs CMD on every node.
		switch strings.ToLower(pos[0].s) {
		case "call":
			if len(pos) > 2 {
				w.redis(pos[2:])
			}
		case "del-node", "import":
			if strings.EqualFold(pos[0].s, "del-node") || c.has("--cluster-replace") {
				w.add("redis.destructive", destructive, c.name+" --cluster "+pos[0].s+" removes a node or overwrites keys")
			} else {
				w.add("redis.write", write, c.name+" --cluster "+pos[0].s+" changes the cluster")
			}
		case "check", "info", "help":
			w.add("db.read", read, c.name+" --cluster "+pos[0].s+" reads")
		default:
			w.add("redis.write", write, c.name+" --cluster "+pos[0].s+" changes the cluster")
		}
		return
	}
	if db.lang == "redis" && len(pos) > 0 {
		w.redis(pos)
		return
	}
	if db.lang == "mongo" {
		// mongosh DB script.js...: each script runs; read when it is there.
		for _, p := range pos {
			if !strings.HasSuffix(p.s, ".js") && !strings.HasSuffix(p.s, ".mongodb") || p.dyn {
				continue
			}
			if text, ok := w.readWorkspace(p.s); ok {
				w.statements(db.lang, c.name, arg{s: text})
			} else {
				w.add("db.run-file", unknown, c.name+" runs the script "+p.s+", which Chaperone cannot see")
			}
		}
	}
	if db.sqlArg > 0 && len(pos) >= db.sqlArg {
		// sqlite3 DB 'SQL' 'SQL'...: every argument after the database runs.
		for _, p := range pos[db.sqlArg-1:] {
			w.statements(db.lang, c.name, p)
		}
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
		w.add("db.session", write, "opens an interactive session of "+c.name)
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

// startDatabase: the database a MySQL-like client starts in, by option or
// as its first operand.
func startDatabase(c *call) string {
	if v, ok := c.flagValue("-D", "--database"); ok {
		return v
	}
	for _, p := range c.pos {
		if !p.afterFlag && !p.dyn {
			return p.s
		}
	}
	return ""
}

// statements classifies statement text a client will run.
func (w *walker) statements(lang, client string, a arg) {
	if a.dyn {
		w.add("db.dynamic-statement", unknown, client+" runs a statement only known at run time")
		return
	}
	if lang == "postgres" || client == "sqlite3" || client == "duckdb" {
		a.s = w.metaCommands(client, a.s)
		if strings.TrimSpace(a.s) == "" {
			return
		}
	}
	if m := sqlFileIO.FindString(a.s); m != "" && lang != "mongo" && lang != "redis" {
		w.add("db.file-io", unknown, client+": "+strings.TrimSpace(m)+" reads, writes or runs files on this machine")
	}
	if slices.Contains(localEngines, client) {
		// An engine in this process reads any file a string names
		// (read_text('.env'), FROM '.env', file('.env')): each string is
		// a path it may read.
		for _, m := range sqlStrings.FindAllStringSubmatch(a.s, -1) {
			if p := strings.ReplaceAll(m[1], "''", "'"); isSecretPath(p) {
				w.add("creds.read-secret-file", credential, client+" reads "+p+", which holds credentials, in its own process")
				break
			}
		}
	}
	switch lang {
	case "mongo":
		w.mongo(a.s)
	case "arango":
		// arangosh runs JavaScript: a drop, truncate or remove (or AQL's
		// REMOVE) deletes; anything else is code Chaperone does not read.
		if arangoDestructive.MatchString(a.s) {
			w.add("db.client-destructive", destructive, client+" drops, truncates or removes data")
		} else {
			w.add("shell.program-code", unknown, client+" runs JavaScript, which Chaperone does not read")
		}
	case "fdb":
		// fdbcli's commands, separated by ';': clear and clearrange
		// delete keys (clearrange "" \xff is every key), kill and
		// suspend stop processes.
		for _, cmd := range strings.Split(a.s, ";") {
			f := strings.Fields(strings.ToLower(cmd))
			if len(f) > 0 && slices.Contains([]string{"clear", "clearrange", "kill", "suspend", "exclude", "coordinators", "configure", "tenant", "snapshot"}, f[0]) {
				if f[0] == "clear" || f[0] == "clearrange" || f[0] == "kill" || f[0] == "suspend" || f[0] == "exclude" || f[0] == "tenant" && len(f) > 1 && f[1] == "delete" {
					w.add("db.client-destructive", destructive, client+" "+strings.TrimSpace(cmd)+" deletes keys or stops the cluster's processes")
				} else {
					w.add("db.write", write, client+" "+strings.TrimSpace(cmd)+" changes the cluster")
				}
			}
		}
	default:
		sql := func(text string) []action.Reason { return keyword.Classify(action.KindSQL, text) }
		if lang == "postgres" && w.c.SQL != nil {
			sql = w.c.SQL
			if w.viaGateway {
				sql = func(text string) []action.Reason {
					return slices.DeleteFunc(w.c.SQL(text), func(r action.Reason) bool { return r.ID == "sql.reach-unknown" })
				}
			}
		}
		text := a.s
		if lang == "sql" && strings.EqualFold(w.useDB, "mysql") {
			// Its tables named bare are the accounts' (SELECT * FROM user).
			text = "USE mysql;\n" + text
		}
		rs := sql(text)
		if lang == "sql" && w.c.SQL != nil {
			// Other dialects share what makes a statement reach every row
			// (UPDATE ... WHERE 1, WHERE id IS NOT NULL): where PostgreSQL's
			// parser reads the text, its destructive findings count too. Its
			// other findings do not: a function it does not know may be
			// the dialect's own.
			for _, r := range w.c.SQL(a.s) {
				if r.Class == destructive || r.ID == "sql.reach-unknown" {
					rs = append(rs, r)
				}
			}
		}
		if len(rs) == 0 {
			w.add("db.read", read, client+" runs a read-only statement")
		}
		for _, r := range rs {
			w.add(r.ID, r.Class, client+": "+r.Message)
		}
	}
}

// arangoDestructive: arangosh's calls that delete, and AQL's REMOVE.
var arangoDestructive = regexp.MustCompile(`(?i)\._?(?:drop|dropdatabase|truncate|remove|removebyexample|removebykeys|dropindex|dropview|dropgraph)\s*\(|\bREMOVE\b[^;]*\bIN\b|\["_?(?:drop|truncate|remove)`)

var (
	redisDestructive  = []string{"FLUSHALL", "FLUSHDB", "DEL", "UNLINK", "SHUTDOWN", "SWAPDB", "GETDEL", "HDEL", "SREM", "ZREM", "LTRIM", "XTRIM", "XDEL", "ZREMRANGEBYSCORE", "ZREMRANGEBYRANK", "ZREMRANGEBYLEX"}
	redisRunsAnything = []string{"EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO", "DEBUG", "MODULE", "REPLICAOF", "SLAVEOF", "MIGRATE", "RESTORE", "FAILOVER"}
	redisRead         = []string{"GET", "MGET", "KEYS", "SCAN", "INFO", "PING", "TTL", "PTTL", "TYPE", "EXISTS", "HGET", "HGETALL", "HKEYS", "HLEN", "HMGET", "LRANGE", "LLEN", "SMEMBERS", "SCARD", "SISMEMBER", "ZRANGE", "ZCARD", "ZSCORE", "DBSIZE", "STRLEN", "MONITOR", "SLOWLOG", "CLIENT", "MEMORY", "OBJECT", "XRANGE", "XLEN", "XINFO", "HSCAN", "SSCAN", "ZSCAN", "LINDEX", "ECHO", "TIME", "LASTSAVE", "ROLE", "COMMAND"}
	// A destructive method called by name (drop(), ["drop"]()) or named as
	// a database command (runCommand({drop: ...}), adminCommand({dropDatabase: 1})).
	// sqlFileIO: SQLite's and DuckDB's functions that touch files or run
	// programs, and COPY ... TO a file.
	// localEngines run SQL in their own process, with this machine's files.
	localEngines = []string{"duckdb", "sqlite3", "litecli", "clickhouse local", "clickhouse-local", "datafusion-cli"}
	sqlStrings   = regexp.MustCompile(`'((?:[^']|'')*)'`)
	sqlFileIO    = regexp.MustCompile(`(?i)\b(?:writefile|readfile|edit|load_extension|fts5_tokenizer)\s*\(|\bCOPY\b[^;]*\bTO\s+'|\bEXPORT\s+DATABASE\b|\bATTACH\b`)
	// mongoWholeCollection: an update or replace with an empty filter
	// reaches every document; renameCollection(x, true) drops x first; an
	// aggregation's $out or $merge replaces its target collection.
	// The legacy update({}, ...) replaces the first document whole, or
	// with multi every one.
	mongoWholeCollection = regexp.MustCompile(`\b(?:updateMany|replaceOne|updateOne|findOneAndReplace|findOneAndUpdate|update)\s*\(\s*\{\s*\}|\b(?:filter|q)["']?\s*:\s*\{\s*\}|\brenameCollection\s*\([^)]*,\s*true|\$out\b|\$merge\b|\bconvertToCapped\b|["']?\bcapped["']?\s*:\s*true`)
	// mongoExpiry: a TTL (expireAfterSeconds, on an index or by collMod)
	// has the server delete documents as they pass it.
	mongoExpiry = regexp.MustCompile(`\bexpireAfterSeconds\b`)
	mongoOplog  = regexp.MustCompile(`\breplSetResizeOplog\b|\boplogMinRetentionHours\b`)
	// mongoCredentials: the accounts' password hashes and the cluster's
	// signing keys.
	mongoCredentials = regexp.MustCompile(`\bsystem\s*\.\s*(?:users|keys)\b|["'` + "`" + `]system\.(?:users|keys)["'` + "`" + `]|\bshowCredentials["']?\s*:\s*(?:true|1|["']true["'])`)
	// mongoLockout: an account's password or rights changed.
	mongoLockout = regexp.MustCompile(`(?:\b|["'` + "`" + `])(?:changeUserPassword|updateUser|updateRole|revokeRolesFromUser|revokePrivilegesFromRole|revokeRolesFromRole|dropAllUsersFromDatabase|dropAllRolesFromDatabase)(?:\s*\(|["'` + "`" + `]\s*\]\s*\(|["'` + "`" + `]?\s*:)`)
	// mongoLoad: load() runs another file's code in the shell.
	mongoLoad = regexp.MustCompile(`\bload\s*\(`)
	// mongoMapReduce: mapReduce writes its result over a collection
	// unless it is returned inline.
	mongoMapReduce   = regexp.MustCompile(`\bmapReduce\b`)
	mongoInline      = regexp.MustCompile(`["']?\bout["']?\s*:\s*\{\s*["']?inline["']?\s*:`)
	mongoDestructive = regexp.MustCompile(`(?:\b|["'` + "`" + `])(?:fsyncLock|dropDatabase|drop|dropIndex(?:es)?|dropSearchIndex|deleteMany|deleteOne|delete|remove|findOneAndDelete|findAndModify|dropUser|dropAllUsers|dropRole|dropAllRoles|shutdown|shutdownServer)(?:\s*\(|["'` + "`" + `]\s*\]\s*\(|["'` + "`" + `]?\s*:)`)
	// A method called by a name computed at run time.
	mongoComputedCall = regexp.MustCompile(`\]\s*\(`)
	mongoWrite        = regexp.MustCompile(`\b(?:insert\w*|update\w*|replaceOne|bulkWrite|createCollection|createIndex|renameCollection|save)\s*\(`)
)

func (w *walker) redis(args []arg) {
	cmd := strings.ToUpper(args[0].s)
	sub := ""
	if len(args) > 1 {
		sub = strings.ToUpper(args[1].s)
	}
	// EXPIRE key 0 (or less, or a time past) deletes the key at once;
	// RENAME, COPY ... REPLACE and RESTORE ... REPLACE overwrite their
	// target; ACL DELUSER removes an account.
	expiresNow := false
	// after: a's number, read now, is past t. A timeout not read here (a
	// negative one reads as an option) is taken as now.
	after := func(a arg, t int64) bool {
		n, err := strconv.ParseInt(a.s, 10, 64)
		return !a.dyn && err == nil && n > t
	}
	// A second (or a thousand milliseconds) is as good as now.
	switch cmd {
	case "EXPIRE":
		expiresNow = len(args) < 3 || !after(args[2], 1)
	case "PEXPIRE":
		expiresNow = len(args) < 3 || !after(args[2], 1000)
	case "SET", "GETEX":
		// EX and PX count from now, EXAT and PXAT name a time.
		now := time.Now().Unix()
		for i, a := range args[:len(args)-1] {
			switch u := strings.ToUpper(a.s); {
			case u == "EX" && !after(args[i+1], 1), u == "PX" && !after(args[i+1], 1000),
				u == "EXAT" && !after(args[i+1], now+1), u == "PXAT" && !after(args[i+1], (now+1)*1000):
				expiresNow = true
			}
		}
	case "EXPIREAT", "PEXPIREAT":
		now := time.Now().Unix()
		if cmd == "PEXPIREAT" {
			now *= 1000
		}
		expiresNow = len(args) < 3 || !after(args[2], now)
	}
	// A pop with a count removes that many members at once, as SREM or
	// LTRIM would: SPOP s 100000000 empties the set.
	popsMany := false
	switch cmd {
	case "SPOP", "LPOP", "RPOP", "ZPOPMIN", "ZPOPMAX":
		popsMany = len(args) > 2 && (args[2].dyn || after(args[2], 1))
	case "LMPOP", "ZMPOP", "BLMPOP", "BZMPOP":
		for i, a := range args[:len(args)-1] {
			if strings.EqualFold(a.s, "COUNT") && (args[i+1].dyn || after(args[i+1], 1)) {
				popsMany = true
			}
		}
	}
	// Taking a node or every client out of service: an outage, not a change.
	outage := cmd == "CLIENT" && sub == "PAUSE" || cmd == "CLUSTER" && slices.Contains([]string{"FAILOVER", "FORGET", "DELSLOTS", "DELSLOTSRANGE", "FLUSHSLOTS", "SETSLOT", "REPLICATE"}, sub)
	// Commands that store their result over a destination key.
	stores := strings.HasSuffix(cmd, "STORE") || cmd == "BITOP" || cmd == "SORT" && slices.ContainsFunc(args, func(a arg) bool { return strings.EqualFold(a.s, "STORE") }) ||
		(cmd == "GEORADIUS" || cmd == "GEORADIUSBYMEMBER" || cmd == "GEOSEARCHSTORE") && slices.ContainsFunc(args, func(a arg) bool { return strings.HasPrefix(strings.ToUpper(a.s), "STORE") })
	replace := slices.ContainsFunc(args, func(a arg) bool { return strings.EqualFold(a.s, "REPLACE") })
	switch {
	case args[0].dyn:
		w.add("db.dynamic-statement", unknown, "redis-cli runs a command only known at run time")
	case cmd == "ACL" && (sub == "LIST" || sub == "GETUSER") || cmd == "CONFIG" && sub == "GET" && (len(args) < 3 || redisSecretSetting(args[2:])):
		w.add("redis.read-credentials", credential, "redis "+cmd+" "+sub+" prints passwords or their hashes")
	case cmd == "ACL" && (sub == "LOAD" || sub == "SETUSER" && (len(args) < 3 || redisLocksOut(args[2:]))):
		w.add("redis.lockout", destructive, "redis ACL "+sub+" changes an account's password, rights or state: whatever logs in with it is locked out")
	case popsMany:
		w.add("redis.destructive", destructive, "redis "+cmd+" with a count removes that many members at once")
	case outage:
		w.add("redis.destructive", destructive, "redis "+strings.TrimSpace(cmd+" "+sub)+" takes a node or every client out of service")
	case expiresNow || stores || cmd == "RENAME" || (cmd == "COPY" || cmd == "RESTORE") && replace || cmd == "ACL" && sub == "DELUSER" || cmd == "CLIENT" && sub == "KILL":
		w.add("redis.destructive", destructive, "redis "+strings.TrimSpace(cmd+" "+sub)+" deletes or overwrites a key, or removes an account")
	case slices.Contains(redisDestructive, cmd), (cmd == "SCRIPT" || cmd == "FUNCTION") && sub == "FLUSH", cmd == "CLUSTER" && sub == "RESET", cmd == "CONFIG" && (sub == "SET" || sub == "RESETSTAT"),
		// A script, a module or DEBUG can run anything, FLUSHALL included;
		// a replica drops its data set for its primary's.
		slices.Contains(redisRunsAnything, cmd), cmd == "FUNCTION" && (sub == "LOAD" || sub == "RESTORE"), cmd == "FCALL" || cmd == "FCALL_RO":
		w.add("redis.destructive", destructive, "redis "+strings.TrimSpace(cmd+" "+sub)+" removes data")
	case slices.Contains(redisRead, cmd) || cmd == "CONFIG" && sub == "GET" || cmd == "ACL" && slices.Contains([]string{"WHOAMI", "CAT", "USERS", "GENPASS", "LOG", "DRYRUN", "HELP"}, sub):
		w.add("db.read", read, "redis "+cmd+" reads")
	default:
		w.add("redis.write", write, "redis "+cmd+" changes data")
	}
}

// redisSecretSetting: CONFIG GET of a password setting, or of a pattern
// that may match one (*, masterauth, requirepass).
func redisSecretSetting(pats []arg) bool {
	return slices.ContainsFunc(pats, func(a arg) bool {
		p := strings.ToLower(a.s)
		return a.dyn || strings.ContainsAny(p, "*?[") || strings.Contains(p, "pass") || strings.Contains(p, "auth") || strings.Contains(p, "tls-key") || strings.Contains(p, "user")
	})
}

// redisLocksOut: ACL SETUSER given the default user (every client that
// does not log in), or a rule that turns an account off, resets it,
// removes a password (<pw, !hash) or takes rights away (-@all). Adding a
// password (>pw) or rights leaves the old ways in.
func redisLocksOut(rest []arg) bool {
	if rest[0].dyn || strings.EqualFold(rest[0].s, "default") {
		return true
	}
	return slices.ContainsFunc(rest[1:], func(a arg) bool {
		r := strings.ToLower(a.s)
		return a.dyn || slices.Contains([]string{"off", "reset", "resetpass", "nopass", "nocommands", "resetkeys", "resetchannels"}, r) ||
			r != "" && strings.ContainsRune("<!-", rune(r[0]))
	})
}

func (w *walker) mongo(code string) {
	// The shell is JavaScript with Node's modules (mongosh) or its own
	// process helpers (runProgram, run): read as node code too.
	if m := mongoProcess.FindString(code); m != "" {
		w.add("inline.dynamic-exec", unknown, "mongo code runs a program ("+m+")")
	}
	if strings.Contains(code, "require(") || strings.Contains(code, "process.") || strings.Contains(code, "fs.") {
		w.code("node", arg{s: code}, 1)
	}
	if m := mongoAdmin.FindString(code); m != "" {
		w.add("mongo.admin", unknown, "mongo: "+strings.TrimRight(m, "(: ")+" changes the server, its users, its replica set or its shards, in ways Chaperone does not read")
	}
	if mongoLoad.MatchString(code) {
		w.add("mongo.dynamic", unknown, "mongo code loads and runs a script file Chaperone does not read here")
	}
	if m := mongoCredentials.FindString(code); m != "" {
		w.add("mongo.read-credentials", credential, "mongo: "+m+" holds the accounts' password hashes or the cluster's keys")
	}
	if m := mongoLockout.FindString(code); m != "" {
		w.add("mongo.lockout", destructive, "mongo: "+strings.TrimRight(m, "(: ")+" changes an account's password or rights: whatever logs in with it is locked out")
		return
	}
	if m := mongoOplog.FindString(code); m != "" {
		w.add("mongo.destructive", destructive, "mongo: "+m+" shortens the oplog, which replicas and recovery to a point in time read")
		return
	}
	if mongoExpiry.MatchString(code) {
		w.add("mongo.destructive", destructive, "mongo: expireAfterSeconds has the server delete documents as they expire")
		return
	}
	if mongoMapReduce.MatchString(code) && !mongoInline.MatchString(code) {
		w.add("mongo.destructive", destructive, "mongo: mapReduce writes its result over a collection")
		return
	}
	if m := mongoWholeCollection.FindString(code); m != "" {
		w.add("mongo.destructive", destructive, "mongo: "+m+" reaches every document, or replaces a collection")
	}
	switch {
	case mongoDestructive.MatchString(code):
		w.add("mongo.destructive", destructive, "mongo: "+mongoDestructive.FindString(code)+" removes data")
	case mongoWrite.MatchString(code):
		w.add("mongo.write", write, "mongo: "+mongoWrite.FindString(code)+" changes data")
	case mongoComputedCall.MatchString(code):
		w.add("mongo.dynamic", unknown, "mongo code calls a method whose name Chaperone cannot read")
	default:
		w.add("db.read", read, "mongo code reads")
	}
}

var (
	// mongoProcess: the legacy shell's and mongosh's ways to run a program.
	mongoProcess = regexp.MustCompile(`\b(?:_?run\w*Program\w*|_?startMongoProgram\w*|run|removeFile|resetDbpath|copyDbpath)\s*\(`)
	// mongoAdmin: commands and helpers that administer rather than read.
	mongoAdmin    = regexp.MustCompile(`\b(?:adminCommand|runCommand|createUser|updateUser|grantRolesToUser|grantPrivilegesToRole|createRole|updateRole|hideIndex|reconfig|stepDown|removeShard|addShard|fsyncLock|killOp|setParameter|shutdownServer|setFeatureCompatibilityVersion|collMod|enableSharding|shardCollection|moveChunk)\s*\(`)
	psqlBackquote = regexp.MustCompile("`([^`]*)`")
	psqlRead      = strings.Fields(`d dt dt+ d+ di ds dv dm df dn du dg dp dx dT dD dE dF dl dL dO dy db dC dc dd ddp des det deu dew drds l l+ list conninfo c connect q quit x timing pset set unset echo qecho warn encoding sf sv ? h help t a H f C T z prompt errverbose p r reset print cd setenv getenv if elif else endif restrict unrestrict`)
	sqliteRead    = strings.Fields(`.tables .table .schema .indexes .indices .headers .header .mode .dump .show .databases .timer .width .help .quit .exit .print .nullvalue .separator .explain .eqp .stats .dbinfo .fullschema .lint .expert .changes .echo .bail .prompt .parameter .scanstats .vfsinfo .vfslist .version .dbconfig .limit .progress .trace .crnl .binary .log .selftest .sha3sum .check .testcase .iotrace`)
)

// metaCommands runs psql's backslash commands and sqlite's dot commands,
// which are the client's own and not SQL, and returns the SQL around them.
func (w *walker) metaCommands(client, text string) string {
	var sql []string
	for _, line := range strings.Split(text, "\n") {
		t := strings.TrimSpace(line)
		switch {
		case client == "psql" && strings.Contains(t, `\`):
			i := strings.Index(t, `\`)
			if s := strings.TrimSpace(t[:i]); s != "" {
				sql = append(sql, s)
			}
			w.psqlMeta(t[i+1:])
		case (client == "sqlite3" || client == "duckdb") && strings.HasPrefix(t, "."):
			w.sqliteDot(t)
		default:
			sql = append(sql, line)
		}
	}
	return strings.Join(sql, "\n")
}

func (w *walker) psqlMeta(m string) {
	name, arg, _ := strings.Cut(m, " ")
	arg = strings.TrimSpace(arg)
	// psql runs a backquoted word in a meta-command's arguments as a shell
	// command and puts its output in its place (\echo `cmd`, \set x `cmd`).
	for _, b := range psqlBackquote.FindAllStringSubmatch(arg, -1) {
		w.script(b[1], 1)
	}
	fileArg := func(i int) (string, bool) {
		f := strings.Fields(arg)
		if i >= len(f) {
			return "", false
		}
		return strings.Trim(f[i], `'"`), true
	}
	switch {
	case (name == "o" || name == "out" || name == "g" || name == "gx" || name == "w" || name == "write") && arg != "" && !strings.HasPrefix(arg, "|") && !strings.HasPrefix(arg, "("):
		// The file it names is overwritten with the output.
		f, _ := fileArg(0)
		w.truncates(f, strings.ContainsAny(f, "$`:"), "psql \\"+name)
		return
	case name == "lo_export":
		if f, ok := fileArg(1); ok {
			w.truncates(f, strings.ContainsAny(f, "$`:"), "psql \\lo_export")
			return
		}
	}
	switch {
	case name == "!":
		w.script(arg, 1)
	case name == "i" || name == "ir" || name == "include" || name == "include_relative" || name == "gexec":
		w.add("db.run-file", unknown, "psql \\"+name+" runs statements Chaperone cannot see")
	case (name == "o" || name == "out" || name == "g" || name == "gx" || name == "w" || name == "write") && strings.HasPrefix(arg, "|"):
		w.pipedOutput("psql \\"+name, strings.TrimPrefix(arg, "|"))
	case name == "o" || name == "out" || name == "w" || name == "write" || name == "copy" || name == "lo_import" || name == "lo_export" || name == "e" || name == "edit" || name == "ef" || name == "ev" || name == "g" || name == "gx":
		if name == "copy" && strings.Contains(strings.ToLower(arg), "program") {
			w.add("db.copy-program", unknown, "psql \\copy runs a program")
			return
		}
		if name == "copy" {
			// \copy ... TO 'file' writes the client's file, over what is there.
			if f, ok := copyTarget(arg); ok {
				w.truncates(f, strings.ContainsAny(f, "$`:"), "psql \\copy")
				return
			}
		}
		w.add("db.meta-write", write, "psql \\"+name+" writes a file or runs the query buffer")
	case name == "lo_unlink":
		w.add("db.meta-destructive", destructive, "psql \\lo_unlink deletes a large object")
	case slices.Contains(psqlRead, name) || strings.HasPrefix(name, "d"):
		w.add("db.read", read, "psql \\"+name+" describes the database")
	default:
		w.add("db.meta-unknown", unknown, "psql \\"+name+" is not a command Chaperone knows")
	}
}

// pipedOutput judges a client's output piped to a command: the command as
// written, and, when it runs what it reads (a shell, an interpreter,
// xargs), the query's output as commands Chaperone cannot see
// (sqlite3 ".once |sh" "SELECT 'rm -rf ~'").
func (w *walker) pipedOutput(what, cmd string) {
	w.fedCommand(what+" |", cmd, 1)
}

// fedCommand judges a command another program runs and feeds data to (a
// pager, split --filter, tar --to-command, awk's print | "cmd", a query's
// output): the command as written, and, when it runs what it reads (a
// shell, an interpreter, xargs), the data as commands Chaperone cannot see.
func (w *walker) fedCommand(what, cmd string, depth int) {
	w.script(cmd, depth)
	if f := strings.Fields(cmd); len(f) > 0 {
		if n := baseName(strings.Trim(f[0], `"'`)); isShell(n) || slices.Contains(interpreters, n) || strings.HasPrefix(n, "python") ||
			n == "xargs" || n == "parallel" || n == "source" || n == "eval" || slices.Contains(awks, n) {
			w.add("db.pipe-to-shell", unknown, what+" "+cmd+" runs what it is fed as commands")
		}
	}
}

// copyTarget: the file \copy writes, when it copies TO one (not STDOUT).
func copyTarget(arg string) (string, bool) {
	rest := arg
	if strings.HasPrefix(strings.TrimSpace(rest), "(") {
		// \copy (query) to ...: skip the query, which may say "to" too.
		depth := 0
		for i, r := range rest {
			if r == '(' {
				depth++
			} else if r == ')' {
				if depth--; depth == 0 {
					rest = rest[i+1:]
					break
				}
			}
		}
	}
	m := copyTo.FindStringSubmatch(rest)
	if m == nil {
		return "", false
	}
	f := m[1] + m[2] + m[3]
	if u := strings.ToLower(f); m[3] != "" && (u == "stdout" || u == "pstdout") {
		return "", false
	}
	return f, true
}

var copyTo = regexp.MustCompile(`(?i)\bto\s+(?:'([^']*)'|"([^"]*)"|(\S+))`)

// archiveExtracts: sqlite's archive mode told to extract (-x, --extract,
// or a cluster with x: -xv).
func archiveExtracts(arg string) bool {
	for _, f := range strings.Fields(arg) {
		if f == "--extract" || len(f) > 1 && f[0] == '-' && f[1] != '-' && strings.Contains(f, "x") {
			return true
		}
	}
	return false
}

// archiveExtract judges an extraction by where it puts the files (-C DIR,
// --directory DIR), as tar -x -C is.
func (w *walker) archiveExtract(what, arg string) {
	f := strings.Fields(arg)
	dir := "."
	for i, a := range f {
		if (a == "-C" || a == "--directory") && i+1 < len(f) {
			dir = strings.Trim(f[i+1], `"'`)
		} else if v, ok := strings.CutPrefix(a, "--directory="); ok {
			dir = strings.Trim(v, `"'`)
		}
	}
	if !isTemp(dir) && !inWorkspace(dir) {
		w.add("fs.extract-outside-workspace", destructive, what+" extracts files over "+dir+", outside the workspace")
		return
	}
	w.add("db.meta-write", write, what+" extracts files into the workspace")
}

func (w *walker) sqliteDot(t string) {
	name, arg, _ := strings.Cut(t, " ")
	arg = strings.TrimSpace(arg)
	switch {
	case name == ".shell" || name == ".system":
		w.script(arg, 1)
	case (name == ".output" || name == ".once") && strings.HasPrefix(strings.Trim(arg, `"'`), "|"):
		w.pipedOutput("sqlite "+name, strings.TrimPrefix(strings.Trim(arg, `"'`), "|"))
	case name == ".read" || name == ".load":
		w.add("db.run-file", unknown, "sqlite "+name+" runs what Chaperone cannot see")
	case name == ".restore":
		w.add("db.meta-destructive", destructive, "sqlite .restore replaces the database's contents")
	case name == ".output" || name == ".once" || name == ".backup" || name == ".save" || name == ".log" || name == ".trace":
		// They overwrite the file they name (.backup's is its last word),
		// judged as a redirection to it would be.
		f := strings.Fields(arg)
		switch {
		case len(f) == 0:
			w.add("db.meta-write", write, "sqlite "+name+" writes a file")
		case strings.HasPrefix(f[len(f)-1], "-"):
			w.add("db.meta-unknown", unknown, "sqlite "+name+" with options Chaperone does not read")
		default:
			w.truncates(strings.Trim(f[len(f)-1], `"'`), false, "sqlite "+name)
		}
	case name == ".import" && len(strings.Fields(arg)) > 0 && isSecretPath(strings.Trim(strings.Fields(arg)[0], `"'`)):
		// Its lines become rows and its first line the columns' names,
		// which .schema and any SELECT print.
		w.add("creds.read-secret-file", credential, "sqlite .import reads "+strings.Fields(arg)[0]+", which holds credentials, into a table")
	case name == ".import" && strings.HasPrefix(strings.Trim(arg, `"'`), "|"):
		// .import "|cmd" table reads the output of a command it runs.
		src := strings.Fields(arg)
		w.script(strings.TrimPrefix(strings.Trim(strings.Join(src[:max(len(src)-1, 1)], " "), `"'`), "|"), 1)
	case name == ".open" && (strings.Contains(arg, "--new") || strings.Contains(arg, "--deserialize")):
		// .open --new FILE empties FILE first.
		f := strings.Fields(arg)
		w.truncates(strings.Trim(f[len(f)-1], `"'`), false, "sqlite .open --new")
	case (name == ".archive" || name == ".ar") && archiveExtracts(arg):
		w.archiveExtract("sqlite "+name, arg)
	case name == ".import" || name == ".clone" || name == ".open" || name == ".excel" || name == ".archive" || name == ".ar" || name == ".recover":
		w.add("db.meta-write", write, "sqlite "+name+" writes a file")
	case slices.Contains(sqliteRead, name):
		w.add("db.read", read, "sqlite "+name+" describes the database")
	default:
		w.add("db.meta-unknown", unknown, "sqlite "+name+" is not a command Chaperone knows")
	}
}

// shortCluster reads one word as a cluster of short options: kind is
// "inline" when it reaches an option whose value is a statement (glued
// after it, or "" for the next word), "file" for one that names a file of
// statements, "" when it is no such cluster or another option takes the
// rest as its value first.
func (db *dbClient) shortCluster(a string) (glued, kind string) {
	if len(a) < 2 || a[0] != '-' || a[1] == '-' {
		return "", ""
	}
	for i := 1; i < len(a); i++ {
		l := "-" + a[i:i+1]
		switch {
		case slices.Contains(db.inline, l):
			return a[i+1:], "inline"
		case slices.Contains(db.files, l):
			return "", "file"
		case slices.Contains(db.valueOpts, l):
			return "", ""
		}
	}
	return "", ""
}
