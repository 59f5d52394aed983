package shell

import (
	"encoding/json"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// What an HTTP request does is in more than its method: databases and
// services take deletions as a POST to an endpoint that names them
// (/idx/_delete_by_query, /points/delete), SQL in a parameter or the body
// (ClickHouse's ?query=DROP TABLE, InfluxDB's q=, Hasura's run_sql), and
// GitHub force-moves a branch with a PATCH of its ref. Every HTTP client
// the guard reads (curl, wget, httpie, xh, gh api) is judged by these.

// deletingSegment: a path segment that names a deletion (_delete_by_query,
// doDelete, drop, dropTable) or a rebuild that wipes a disk
// (servers/1/actions/rebuild), not one that only contains the letters
// (dropbox, dropdown).
var deletingSegment = regexp.MustCompile(`(?i:delete|destroy|remove|purge|prune|wipe|truncate|erase|nuke|rebuild|reimage|reinstall|factory|restore|_close)|(?i:(?:^|[^a-z])drop(?:[^a-z]|$))|drop[A-Z]`)

// sqlShape: text shaped like a statement, not like a search for words
// (?q=delete+old+files): a verb and what it needs after it.
var sqlShape = regexp.MustCompile(`(?is)^\s*(?:\(\s*)*(?:` +
	`(?:DROP|UNDROP|DETACH|ATTACH|OPTIMIZE|EXCHANGE|RENAME)\s+(?:TEMPORARY\s+)?(?:TABLE|TABLES|DATABASE|SCHEMA|VIEW|INDEX|DICTIONARY|MEASUREMENT|SERIES|RETENTION|USER|ROLE|FUNCTION|SEQUENCE|MATERIALIZED|CONTINUOUS|SHARD|PARTITION|IF)\b` +
	`|TRUNCATE\s+\w|DELETE\s+(?:FROM|WHERE)\b|UPDATE\s+\S+\s+SET\b|INSERT\s+(?:INTO|OVERWRITE)\b|MERGE\s+INTO\b` +
	`|ALTER\s+(?:TABLE|DATABASE|SCHEMA|USER|ROLE|VIEW|SYSTEM|RETENTION)\b|CREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMPORARY\s+)?(?:TABLE|DATABASE|SCHEMA|VIEW|INDEX|USER|ROLE|FUNCTION|RETENTION)\b` +
	`|GRANT\s|REVOKE\s|SYSTEM\s+\w|KILL\s+(?:QUERY|MUTATION)\b|SET\s+\w+\s*=|COPY\s+\S+\s+(?:FROM|TO)\b` +
	`|SELECT\b[\s\S]*\bFROM\b|WITH\s+\w+\s+AS\s*\()`)

// cypherChange: a graph query that deletes, or writes.
var (
	cypherDelete = regexp.MustCompile(`(?is)^\s*(?:OPTIONAL\s+)?(?:MATCH|UNWIND|CALL|WITH)\b.*\b(?:DELETE|DROP)\b|^\s*DROP\s+(?:CONSTRAINT|INDEX|DATABASE)\b`)
	cypherWrite  = regexp.MustCompile(`(?is)^\s*(?:OPTIONAL\s+)?(?:MATCH|UNWIND|CALL|WITH|MERGE|CREATE)\b.*\b(?:SET|REMOVE|MERGE|CREATE)\b`)
)

// sqlKeys name parameters and JSON members that carry a statement.
var sqlKeys = map[string]bool{"query": true, "q": true, "sql": true, "statement": true, "stmt": true, "command": true, "commands": true, "stream.body": true}

// requestEffect judges what a request sends besides its method.
func (w *walker) requestEffect(c *call, in input) {
	if c.name == "curl" {
		for _, q := range optionValues(c, "-Q", "--quote") {
			// Commands curl sends to an FTP or SFTP server around the
			// transfer: rm, rmdir, DELE, RMD remove the server's files.
			switch {
			case q.dyn:
				w.add("net.remote-command", unknown, "curl sends the server a command only known at run time: "+q.s)
			case quoteDeletes.MatchString(q.s):
				w.add("net.remote-delete", destructive, "curl "+q.s+" removes files on the server")
			}
		}
	}
	r, ok := w.request(c, in)
	if !ok || r.url == nil {
		return
	}
	w.dockerAPI(c, r)
	u := *r.url // read below as the request line typed into a raw connection says
	r.url = &u
	r.method = strings.ToUpper(r.method)
	if r.method == "RAW" && r.readable {
		// A request typed into a raw connection: DELETE /logs HTTP/1.1.
		if m := rawRequestLine.FindStringSubmatch(r.body); m != nil {
			r.method = strings.ToUpper(m[1])
			if u, err := url.Parse(m[2]); err == nil {
				r.url.Path, r.url.RawQuery = u.Path, u.RawQuery
			}
			if i := strings.Index(r.body, "\r\n\r\n"); i >= 0 {
				r.body = r.body[i+4:]
			} else if i := strings.Index(r.body, "\n\n"); i >= 0 {
				r.body = r.body[i+2:]
			}
		}
	}
	if r.readable && methodInBody.MatchString(r.body) {
		r.method = "DELETE" // _method=DELETE: the framework's override
	}
	if r.method == "DELETE" {
		w.add("http.delete", destructive, c.name+" sends an HTTP DELETE")
		w.target(r.url.Host + r.url.Path)
	}
	if r.readable && (!reads(r.method) || r.method == "RAW") && deletingBody.MatchString(r.body) {
		w.add("http.delete-endpoint", destructive, c.name+" sends a body that deletes ("+deletingBody.FindString(r.body)+")")
	}
	w.metadataRequest(c, r)
	w.getEffects(c, r)
	if r.method == "PUT" && objectStore(r.url.Hostname()) && (!r.hasBody || r.readable && strings.TrimSpace(r.body) == "") {
		// An object stored with no bytes: the one it replaces is emptied.
		w.add("cloud.overwrite-with-nothing", destructive, c.name+" PUTs an empty body to "+r.url.Host+r.url.Path+": the object it replaces is emptied")
		w.target(r.url.Host + r.url.Path)
	}
	if !reads(r.method) && r.method != "RAW" && r.readable {
		w.bodySettings(c, r)
		w.bodyCommands(r)
	}
	if !reads(r.method) {
		for _, seg := range strings.Split(r.url.Path, "/") {
			if seg != "" && deletingSegment.MatchString(seg) {
				w.add("http.delete-endpoint", destructive, c.name+" sends "+r.method+" to "+seg+", an endpoint that deletes")
				w.target(r.url.Host + r.url.Path)
				break
			}
		}
	}
	var texts []string
	for k, vs := range r.url.Query() {
		if sqlKeys[strings.ToLower(k)] {
			texts = append(texts, vs...)
		}
	}
	if r.readable && r.body != "" {
		texts = append(texts, bodyStatements(r.body)...)
	}
	for _, t := range texts {
		if deletingBody.MatchString(t) && t != r.body {
			w.add("http.delete-endpoint", destructive, c.name+" sends a parameter that deletes ("+deletingBody.FindString(t)+")")
		}
		switch {
		case sqlShape.MatchString(t):
			w.statements("sql", c.name+" (SQL sent over HTTP)", arg{s: t})
		case cypherDelete.MatchString(t):
			w.add("http.query-delete", destructive, c.name+" sends a graph query that deletes")
		case cypherWrite.MatchString(t):
			w.add("http.query-write", write, c.name+" sends a graph query that writes")
		}
	}
	if strings.Contains(r.url.Path, "/git/refs/") && (r.method == "PATCH" || r.method == "POST") && forced(r.body) {
		w.add("git.force-push", destructive, c.name+" force-moves "+r.url.Path[strings.Index(r.url.Path, "/git/refs/")+len("/git/"):]+", dropping the commits only it held")
		w.target(r.url.Host + r.url.Path)
	}
}

// bodyStatements are the texts of a body that may be statements: the body
// itself, its form values under a statement's name, and its JSON members
// under one, at any depth.
func bodyStatements(body string) []string {
	out := []string{body}
	var v any
	if json.Unmarshal([]byte(body), &v) == nil {
		var walk func(any, int)
		walk = func(v any, depth int) {
			if depth > 8 {
				return
			}
			switch x := v.(type) {
			case map[string]any:
				for k, m := range x {
					if s, ok := m.(string); ok && sqlKeys[strings.ToLower(k)] {
						out = append(out, s)
					}
					walk(m, depth+1)
				}
			case []any:
				for _, m := range x {
					if s, ok := m.(string); ok {
						out = append(out, s)
					}
					walk(m, depth+1)
				}
			}
		}
		walk(v, 0)
		return out
	}
	for _, part := range strings.Split(body, "&") {
		k, v, ok := strings.Cut(part, "=")
		if !ok || !sqlKeys[strings.ToLower(k)] {
			continue
		}
		if u, err := url.QueryUnescape(v); err == nil {
			v = u
		}
		out = append(out, v)
	}
	return out
}

// forced: a body that asks for a forced update.
func forced(body string) bool {
	var v map[string]any
	if json.Unmarshal([]byte(body), &v) == nil {
		f, ok := v["force"]
		return ok && f != false && f != "false"
	}
	for _, part := range strings.Split(body, "&") {
		if k, v, _ := strings.Cut(part, "="); k == "force" && v != "false" {
			return true
		}
	}
	return false
}

// Requests made by inline code: a DELETE by any client library, a method
// override to DELETE, or a URL whose path names a deletion.
var (
	codeDelete = regexp.MustCompile(`(?i)\b(?:requests|httpx|session|client|axios|got|superagent|ky|http|https|faraday|httparty|rest-client|restclient|Net::HTTP|ua|lwp|\$http|\$ua|HTTP)\s*(?:\.|->|::)\s*(?:delete|del)\s*\(|method\s*[:=]>?\s*['"\x60]DELETE\b|\.request\s*\(\s*['"]DELETE\b|Net::HTTP::Delete|HTTP::Request->new\(\s*['"]?DELETE|X-HTTP-Method(?:-Override)?['"]?\s*[:=,]>?\s*['"]DELETE|\bcurl_setopt\([^)]*CUSTOMREQUEST[^)]*DELETE|['"]DEL['"]\s*\+\s*['"]ETE|(?:\.|->)\s*delete\s*\(\s*['"](?:/|https?://)`)
	codeURL    = regexp.MustCompile(`https?://[^\s'"\x60)]+`)
)

// codeRequests judges the HTTP requests inline code makes.
func (w *walker) codeRequests(lang, text string) bool {
	if m := codeDelete.FindString(text); m != "" {
		w.add("http.delete", destructive, lang+" code sends an HTTP DELETE ("+m+")")
		return true
	}
	for _, u := range codeURL.FindAllString(text, -1) {
		pu, err := url.Parse(u)
		if err != nil {
			continue
		}
		for _, seg := range strings.Split(pu.Path, "/") {
			if seg != "" && deletingSegment.MatchString(seg) {
				w.add("http.delete-endpoint", destructive, lang+" code calls "+seg+", an endpoint that deletes")
				return true
			}
		}
		for k, vs := range pu.Query() {
			for _, v := range vs {
				if sqlKeys[strings.ToLower(k)] && sqlShape.MatchString(v) {
					w.statements("sql", lang+" code (SQL sent over HTTP)", arg{s: v})
					return true
				}
			}
		}
	}
	return false
}

func reads(method string) bool { return method == "GET" || method == "HEAD" || method == "OPTIONS" }

var (
	rawRequestLine = regexp.MustCompile(`(?i)^\s*(GET|POST|PUT|PATCH|DELETE)\s+(\S+)\s+HTTP/`)
	methodInBody   = regexp.MustCompile(`(?i)(?:^|&)_method=DELETE\b|"_method"\s*:\s*"DELETE"`)
	// deletingBody: bodies that delete whatever the endpoint (Elasticsearch
	// bulk deletes and alias removals, a script setting ctx.op to delete,
	// Solr's delete query).
	deletingBody = regexp.MustCompile(`"remove_index"|"Verb"\s*:\s*"delete(?:-tree|-cas)?"|\{\s*"delete"\s*:\s*\{|ctx\.op\s*=\s*\\?["']delete|<delete>|"type"\s*:\s*"(?:rebuild|restore|power_off|shutdown|destroy)"|pending_deletion|(?m)^\s*(?:flush_all|FLUSHALL|FLUSHDB)\b`)
)

// parsedRequest is the request of one call, read once.
type parsedRequest struct {
	c  *call
	r  request
	ok bool
}

// request is c's HTTP request, parsed once per call: the provider check
// and requestEffect both judge it, and a body in a file is read from disk
// (and counted against the classification's budget) once.
func (w *walker) request(c *call, in input) (request, bool) {
	if w.req.c != c {
		r, ok := w.httpRequest(c, in)
		w.req = parsedRequest{c: c, r: r, ok: ok}
	}
	return w.req.r, w.req.ok
}

// quoteDeletes: a curl --quote command that removes (its optional prefix
// says when it is sent, or that its failure is ignored).
var quoteDeletes = regexp.MustCompile(`(?i)^[-+*]*\s*(rm|rmdir|dele|rmd|xrmd)(\s|$)`)

// dockerAPI judges a request to the Docker Engine API (its socket, or the
// TCP ports 2375 and 2376): what the docker CLI would do with it. A
// container's configuration holds its environment's secrets; any other
// change runs or alters containers as root on the host, with whatever
// host paths they bind, which the request's JSON only begins to say.
func (w *walker) dockerAPI(c *call, r request) {
	sock, _ := c.flagValue("--unix-socket")
	port := r.url.Port()
	if !strings.Contains(sock, "docker.sock") && !strings.Contains(sock, "podman.sock") && port != "2375" && port != "2376" {
		return
	}
	p := path.Clean("/" + r.url.Path)
	switch {
	case reads(r.method) && (strings.HasSuffix(p, "/json") && strings.Contains(p, "/containers/") && !strings.HasSuffix(p, "/containers/json") ||
		strings.Contains(p, "/secrets") || strings.Contains(p, "/configs/")):
		w.add("creds.docker-inspect", credential, c.name+" reads a container's configuration (its environment's secrets) from the Docker API")
	case !reads(r.method):
		w.add("container.api", unknown, c.name+" sends "+r.method+" "+p+" to the Docker API, which runs and changes containers as root on the host")
	}
}

// objectStore: hosts that store a PUT's body as an object.
func objectStore(host string) bool {
	h := strings.ToLower(host)
	if strings.HasSuffix(h, ".amazonaws.com") {
		return strings.HasPrefix(h, "s3.") || strings.HasPrefix(h, "s3-") || strings.Contains(h, ".s3.") || strings.Contains(h, ".s3-")
	}
	for _, suf := range []string{"storage.googleapis.com", ".blob.core.windows.net", ".file.core.windows.net", ".dfs.core.windows.net", ".r2.cloudflarestorage.com",
		".digitaloceanspaces.com", ".backblazeb2.com", ".linodeobjects.com", ".wasabisys.com", ".appdomain.cloud", ".oraclecloud.com", ".aliyuncs.com", ".your-objectstorage.com", ".scw.cloud"} {
		if h == strings.TrimPrefix(suf, ".") || strings.HasSuffix(h, suf) {
			return true
		}
	}
	return false
}

// protectedPath: an endpoint about a protection (point-in-time recovery,
// backups, versioning), whose "enabled": false turns it off.
var protectedPath = regexp.MustCompile(`(?i)pitr|backup|versioning|protection|soft[-_]?delete|retention|object[-_]?lock`)

// disablingPath: an action endpoint that turns a protection off.
var disablingPath = regexp.MustCompile(`(?i)disable[-_]?(?:backups?|protection|pitr|versioning)|/_disable\b`)

// bodySettings reads a request's settings (a JSON or form body, and the
// path) as the command line's are read: a protection turned off, a
// repository or bucket made public.
// bodyCommands: a body whose members a service runs as a command (a
// one-off dyno's command, a job's script) is judged as that command.
func (w *walker) bodyCommands(r request) {
	if !looksLikeJSON(r.body) {
		return
	}
	w.manifestCommands(r.body, 0)
}

func looksLikeJSON(s string) bool {
	t := strings.TrimSpace(s)
	return strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[")
}

func (w *walker) bodySettings(c *call, r request) {
	var pairs [][2]string
	var doc any
	if json.Unmarshal([]byte(r.body), &doc) == nil {
		flattenJSON("", doc, &pairs)
	} else if q, err := url.ParseQuery(r.body); err == nil {
		for k, vs := range q {
			for _, v := range vs {
				pairs = append(pairs, [2]string{k, v})
			}
		}
	}
	at := r.url.Path
	if m := disablingPath.FindString(at); m != "" {
		w.add("ops.protection-off", destructive, c.name+" calls "+at+", which turns a protection against data loss, or an account, off")
		return
	}
	for _, kv := range pairs {
		k, v := kv[0], strings.ToLower(kv[1])
		off := slices.Contains(offValues, v)
		if i := strings.LastIndexByte(k, '.'); i > 0 && off && (k[i+1:] == "enabled" || k[i+1:] == "enable" || k[i+1:] == "status") &&
			(protectedPath.MatchString(k[:i]) || protectionKey.MatchString(k[:i])) {
			w.add("ops.protection-off", destructive, c.name+" sends "+k+"="+v+" to "+at+": a protection against data loss is turned off")
			return
		}
		if off && protectedPath.MatchString(k) && !strings.Contains(k, ".") {
			w.add("ops.protection-off", destructive, c.name+" sends "+k+"="+v+" to "+at+": a protection against data loss is turned off")
			return
		}
		if strings.HasSuffix(k, "destructive_requires_name") {
			k = "destructive_requires_name"
		} else if i := strings.LastIndexByte(k, '.'); i >= 0 {
			k = k[i+1:] // the member's own name for the rules below
		}
		switch {
		case off && (protectionKey.MatchString(k) || k == "destructive_requires_name" || k == "action.destructive_requires_name"),
			off && (k == "enabled" || k == "delete" || k == "rebuild") && protectedPath.MatchString(at),
			k == "type" && disablingPath.MatchString("/"+v):
			w.add("ops.protection-off", destructive, c.name+" sends "+k+"="+v+" to "+at+": a protection against data loss is turned off")
			return
		case (k == "private" || k == "is_private") && off, k == "visibility" && v == "public", (k == "public" || k == "publicly_accessible") && v == "true":
			w.add("ops.expose", destructive, c.name+" sends "+k+"="+v+" to "+at+": what it names becomes public")
			return
		}
	}
}

// flattenJSON lists a JSON document's scalar members with their last key
// (dotted keys kept whole: "index.lifecycle.name").
func flattenJSON(key string, v any, out *[][2]string) {
	if len(*out) > 512 {
		return
	}
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			if _, nested := e.(map[string]any); !nested && key != "" {
				// {"backups": {"enabled": false}}: the parent names what the
				// member turns on or off.
				flattenJSON(key+"."+k, e, out)
				continue
			}
			flattenJSON(k, e, out)
		}
	case []any:
		for _, e := range t {
			flattenJSON(key, e, out)
		}
	case string:
		*out = append(*out, [2]string{key, t})
	case bool:
		*out = append(*out, [2]string{key, strconv.FormatBool(t)})
	case float64:
		*out = append(*out, [2]string{key, strconv.FormatFloat(t, 'f', -1, 64)})
	}
}
