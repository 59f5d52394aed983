package shell

import (
	"bytes"
	"encoding/json"
	"net/url"
	"path"
	"slices"
	"strings"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/classify/graphql"
	"github.com/chaperone/chaperone/internal/strictjson"
)

// providerHosts are provider APIs a request from the shell is judged for
// exactly as the gateway judges it.
var providerHosts = map[string]string{
	"backboard.railway.app": "railway", "backboard.railway.com": "railway",
	"api.machines.dev": "fly", "api.fly.io": "fly-graphql",
}

// request is an HTTP request a command line sends.
type request struct {
	method   string
	url      *url.URL
	body     string
	hasBody  bool
	readable bool   // the body is known now
	from     string // where an unreadable body comes from
	asQuery  bool   // the data goes in the query string (curl -G)
}

var curlData = []string{"-d", "--data", "--data-ascii", "--data-binary", "--data-raw", "--data-urlencode", "--json", "-F", "--form", "--form-string", "-T", "--upload-file", "--expand-data", "--expand-json", "--expand-url", "--expand-data-binary", "--expand-data-raw", "--expand-data-urlencode", "--expand-data-ascii", "--variable", "--url-query", "--expand-url-query"}

// httpRequest reads the request an HTTP client sends. ok is false when the
// command is not one, or names no URL.
func (w *walker) httpRequest(c *call, in input) (request, bool) {
	r := request{readable: true}
	var target string
	addBody := func(v string, dyn bool, raw bool) {
		r.hasBody = true
		switch {
		case dyn:
			r.readable, r.from = false, "a variable or substitution"
		case !raw && strings.HasPrefix(v, "@"):
			f := v[1:]
			if f == "-" {
				if in.present && in.known {
					v = in.text
					break
				}
				r.readable, r.from = false, "standard input"
				return
			}
			if slices.Contains(junkDevices, path.Clean(f)) {
				v = "" // no data
				break
			}
			if text, ok := w.readWorkspace(f); ok {
				v = text // the file's content, read now
				break
			}
			r.readable, r.from = false, "the file "+f
			return
		}
		if r.body != "" {
			r.body += "&"
		}
		r.body += v
	}
	switch c.name {
	case "curl":
		args := c.args
		for i := 0; i < len(args); i++ {
			a := args[i]
			next := func() (arg, bool) {
				if i+1 < len(args) {
					i++
					return args[i], true
				}
				return arg{}, false
			}
			switch {
			case a.s == "-X" || a.s == "--request":
				if v, ok := next(); ok {
					r.method = v.s
				}
			case strings.HasPrefix(a.s, "-X") && len(a.s) > 2:
				r.method = a.s[2:]
			case a.s == "-I" || a.s == "--head":
				r.method = "HEAD"
			case a.s == "--url":
				if v, ok := next(); ok {
					target = v.s
				}
			case a.s == "-K" || a.s == "--config":
				r.readable, r.from, r.hasBody = false, "a curl config file", true
				next()
			case takesValue(curlData, a.s):
				if v, ok := next(); ok {
					if a.s == "-F" || a.s == "--form" {
						if _, fv, ok := strings.Cut(v.s, "=@"); ok || strings.Contains(v.s, "=<") {
							r.readable, r.from, r.hasBody = false, "the file "+fv, true
							continue
						}
					}
					if strings.HasPrefix(a.s, "--expand-") || a.s == "--variable" || strings.HasSuffix(a.s, "url-query") {
						// {{name}} expands curl variables (from files and the
						// environment too): the body sent is not the one written.
						r.readable, r.from = false, "curl "+a.s
						if a.s != "--variable" && !strings.HasSuffix(a.s, "url-query") {
							r.hasBody = true
						}
						continue
					}
					if a.s == "-T" || a.s == "--upload-file" {
						if text, ok := w.readWorkspace(v.s); ok && !v.dyn {
							addBody(text, false, true)
							if r.method == "" {
								r.method = "PUT"
							}
							continue
						}
						r.hasBody, r.readable, r.from = true, false, "the file "+v.s
						if r.method == "" {
							r.method = "PUT"
						}
						continue
					}
					addBody(v.s, v.dyn, a.s == "--data-raw")
				}
			case strings.HasPrefix(a.s, "-d") && len(a.s) > 2 && !strings.HasPrefix(a.s, "--"):
				addBody(a.s[2:], a.dyn, false)
			case strings.HasPrefix(a.s, "--data") && strings.Contains(a.s, "="):
				_, v, _ := strings.Cut(a.s, "=")
				addBody(v, a.dyn, strings.HasPrefix(a.s, "--data-raw"))
			case strings.HasPrefix(a.s, "-") && len(a.s) > 1:
				if takesValue(curlValueOpts, a.s) || len(a.s) == 2 && strings.IndexByte(curlShortValue, a.s[1]) >= 0 {
					i++
				}
			default:
				if target == "" {
					target = a.s
					if a.dyn {
						r.readable, r.from = false, "a URL only known at run time"
					}
				}
			}
		}
		r.asQuery = r.hasBody && c.has("-G", "--get")
		if r.method == "" {
			r.method = "GET"
			if r.hasBody && !r.asQuery {
				r.method = "POST"
			}
		}
		if m := methodOverride(c); m != "" {
			r.method = strings.ToUpper(m)
		}
		rawScheme(&r, target, in)
	case "wget":
		r.method = "GET"
		for i, a := range c.args {
			k, v, glued := strings.Cut(a.s, "=")
			if !glued && i+1 < len(c.args) {
				v, a.dyn = c.args[i+1].s, c.args[i+1].dyn // --post-data VALUE
			}
			switch k {
			case "--post-data", "--body-data":
				addBody(v, a.dyn, true)
				r.method = "POST"
			case "--post-file", "--body-file":
				r.hasBody, r.readable, r.from, r.method = true, false, "the file "+v, "POST"
			case "--method":
				r.method = v
			}
		}
		for _, p := range c.pos {
			if !p.afterFlag || strings.Contains(p.s, ".") || strings.Contains(p.s, "://") {
				target = p.s
			}
		}
		if m, ok := c.flagValue("--method"); ok {
			r.method = m
		}
	case "http", "https", "xh", "httpie", "xhs":
		var pos []positional
		for _, p := range c.pos {
			if !p.afterFlag || !takesValue(httpieValueOpts, p.flag) {
				pos = append(pos, p) // not an option's value (--raw BODY, -a USER:PW)
			}
		}
		if c.name == "httpie" && len(pos) > 0 && (pos[0].s == "http" || pos[0].s == "https") {
			pos = pos[1:]
		}
		if len(pos) > 0 && isHTTPMethod(pos[0].s) {
			r.method = strings.ToUpper(pos[0].s)
			pos = pos[1:]
		}
		if len(pos) == 0 {
			return r, false
		}
		target = pos[0].s
		if !strings.Contains(target, "://") {
			scheme := "http://"
			if c.name == "https" || c.name == "xhs" {
				scheme = "https://"
			}
			if strings.HasPrefix(target, ":") {
				target = "localhost" + target
			}
			target = scheme + target
		}
		obj := map[string]any{}
		query := url.Values{}
		defer func() {
			if r.url != nil && len(query) > 0 {
				q := r.url.Query()
				for k, vs := range query {
					q[k] = append(q[k], vs...)
				}
				r.url.RawQuery = q.Encode()
			}
		}()
		for _, it := range pos[1:] {
			s := it.s
			switch {
			case strings.Contains(s, ":=@") || strings.Contains(s, "=@") || strings.Contains(s, "@") && !strings.ContainsAny(s, "=:"):
				r.hasBody, r.readable, r.from = true, false, "a file"
			case strings.Contains(s, "=="):
				k, v, _ := strings.Cut(s, "==")
				query.Add(k, v) // a query parameter
			case strings.Contains(s, ":="):
				k, v, _ := strings.Cut(s, ":=")
				var x any
				if it.dyn || json.Unmarshal([]byte(v), &x) != nil {
					r.readable, r.from = false, "a JSON item only known at run time"
				}
				obj[k] = x
				r.hasBody = true
			case strings.Contains(s, "="):
				k, v, _ := strings.Cut(s, "=")
				if it.dyn {
					r.readable, r.from = false, "an item only known at run time"
				}
				obj[k] = v
				r.hasBody = true
			}
		}
		if raw, ok := c.flagValue("--raw"); ok {
			r.body, r.hasBody = raw, true
		} else if len(obj) > 0 {
			b, _ := json.Marshal(obj)
			r.body = string(b)
		} else if in.present && !c.has("--ignore-stdin", "-I") {
			r.hasBody = true
			if in.known {
				r.body = in.text
			} else {
				r.readable, r.from = false, "standard input"
			}
		}
		if r.method == "" {
			r.method = "GET"
			if r.hasBody {
				r.method = "POST"
			}
		}
	case "gh":
		// gh api [-X METHOD] ENDPOINT [-f|-F key=value]... [--input FILE]
		if !c.sub("api") {
			return r, false
		}
		form := url.Values{}
		args := c.args
		for i := 0; i < len(args); i++ {
			a := args[i]
			v := func() (arg, bool) {
				if i+1 < len(args) {
					i++
					return args[i], true
				}
				return arg{}, false
			}
			switch {
			case a.s == "-X" || a.s == "--method":
				if m, ok := v(); ok {
					r.method = m.s
				}
			case strings.HasPrefix(a.s, "--method="):
				r.method = strings.TrimPrefix(a.s, "--method=")
			case strings.HasPrefix(a.s, "-X") && len(a.s) > 2:
				r.method = a.s[2:]
			case a.s == "-f" || a.s == "-F" || a.s == "--field" || a.s == "--raw-field":
				if f, ok := v(); ok {
					k, val, _ := strings.Cut(f.s, "=")
					if f.dyn || a.s != "-f" && a.s != "--raw-field" && strings.HasPrefix(val, "@") {
						r.readable, r.from = false, "a field only known at run time"
					}
					form.Add(k, val)
					r.hasBody = true
				}
			case a.s == "--input":
				if f, ok := v(); ok {
					r.hasBody, r.readable, r.from = true, false, "the file "+f.s
				}
			case a.s == "-H" || a.s == "--header" || a.s == "-q" || a.s == "--jq" || a.s == "-t" || a.s == "--template" || a.s == "--hostname" || a.s == "--cache" || a.s == "-p" || a.s == "--preview":
				v()
			case a.s == "api" || strings.HasPrefix(a.s, "-"):
			default:
				if target == "" {
					target = "https://api.github.com/" + strings.TrimPrefix(a.s, "/")
				}
			}
		}
		if len(form) > 0 {
			obj := map[string]any{}
			for k, vs := range form {
				obj[k] = vs[0]
			}
			b, _ := json.Marshal(obj)
			r.body = string(b)
		}
		if r.method == "" {
			r.method = "GET"
			if r.hasBody {
				r.method = "POST"
			}
		}
	case "openssl", "nc", "ncat", "netcat", "socat", "telnet", "websocat":
		// A raw connection: whatever it sends comes from standard input.
		host := ""
		if c.name == "openssl" {
			if !c.sub("s_client") {
				return r, false
			}
			host, _ = c.flagValue("-connect")
			if h, ok := c.flagValue("-servername"); ok && host == "" {
				host = h
			}
		} else {
			for _, p := range c.pos {
				if strings.Contains(p.s, ".") || strings.Contains(p.s, ":") {
					host = strings.TrimPrefix(strings.TrimPrefix(p.s, "TCP:"), "OPENSSL:")
					break
				}
			}
		}
		host, _, _ = strings.Cut(host, ":")
		target = "https://" + host
		r.method, r.hasBody, r.readable, r.from = "RAW", true, false, "a raw connection"
		if in.present && in.known {
			r.body, r.readable = in.text, true // what is typed into it: maybe a request
		}
	default:
		return r, false
	}
	if target == "" {
		return r, false
	}
	if !strings.Contains(target, "://") {
		target = "https://" + target
	}
	u, err := url.Parse(target)
	if err != nil {
		return r, false
	}
	r.url = u
	r.method = strings.ToUpper(strings.Trim(r.method, `"'`))
	if c.name == "curl" {
		if t, ok := c.flagValue("--request-target"); ok {
			// The request line names this target, not the URL's path.
			if tu, err := url.Parse(t); err == nil && !strings.HasPrefix(t, "*") {
				u.Path, u.RawPath, u.RawQuery = tu.Path, tu.RawPath, tu.RawQuery
			}
		}
	}
	if r.asQuery && r.readable {
		// curl -G: the data is the query string's, and no body is sent.
		extra, err := url.ParseQuery(r.body)
		if err != nil {
			r.readable, r.from = false, "data that does not read as a query string"
			return r, true
		}
		q := u.Query()
		for k, vs := range extra {
			q[k] = append(q[k], vs...)
		}
		u.RawQuery = q.Encode()
		r.body, r.hasBody = "", false
	}
	return r, true
}

// curlLong spells out a long option curl would take abbreviated (--data-ra
// is --data-raw): the one option it shortens, among those read here, else
// as it is (curl refuses an ambiguous one).
func curlLong(s string) string {
	found := ""
	for _, list := range [][]string{curlData, curlValueOpts, {"--request", "--url", "--config", "--head", "--get"}} {
		for _, o := range list {
			if o == s {
				return s
			}
			if strings.HasPrefix(o, "--") && abbreviates(s, o) {
				if found != "" && found != o {
					return s
				}
				found = o
			}
		}
	}
	if found == "" {
		return s
	}
	return found
}

// httpieValueOpts are HTTPie's and xh's options that take the next word.
var httpieValueOpts = strings.Fields("-a --auth -A --auth-type --bearer --session --session-read-only -o --output --raw --verify --cert --cert-key --cert-key-pass --proxy --timeout --pretty -s --style -p --print -P --history-print --format-options --max-redirects --max-headers --ssl --ciphers --boundary --default-scheme --response-charset --response-mime --resolve --interface")

// curlShortValue are curl's one-letter options that take a value.
const curlShortValue = "AbcCdDeEFHKmoPQrtTuUwxXyYz"

// curlArgs unbundles curl's short options as curl reads them: in -sX, -s
// and -X; in -sXDELETE or -sd'{...}', the rest of the word after an option
// that takes a value is that value. A value-taking option's own value (the
// next word) is passed through as it is, whatever it looks like.
func curlArgs(args []arg) []arg {
	out := make([]arg, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !a.dyn && strings.HasPrefix(a.s, "--") && !strings.Contains(a.s, "=") {
			a.s = curlLong(a.s)
		}
		if a.dyn || len(a.s) < 3 || a.s[0] != '-' || a.s[1] == '-' {
			out = append(out, a)
			if a.s == "--" {
				return append(out, args[i+1:]...)
			}
			if !a.dyn && (len(a.s) == 2 && strings.IndexByte(curlShortValue, a.s[1]) >= 0 || takesValue(curlValueOpts, a.s) ||
				takesValue(curlData, a.s) || a.s == "--request" || a.s == "--url" || a.s == "--config") && i+1 < len(args) {
				i++
				out = append(out, args[i])
			}
			continue
		}
		for j := 1; j < len(a.s); j++ {
			out = append(out, arg{s: "-" + a.s[j:j+1]})
			if strings.IndexByte(curlShortValue, a.s[j]) < 0 {
				continue
			}
			if j+1 < len(a.s) {
				out = append(out, arg{s: a.s[j+1:], vars: a.vars})
			} else if i+1 < len(args) {
				i++
				out = append(out, args[i])
			}
			break
		}
	}
	return out
}

var curlValueOpts = strings.Fields("-H --header -o --output -u --user -A --user-agent -e --referer -b --cookie -c --cookie-jar -w --write-out -m --max-time --connect-timeout -x --proxy -E --cert --key --cacert --resolve --retry -r --range -z --time-cond --limit-rate -Y -y --oauth2-bearer --interface --dns-servers -C --continue-at --unix-socket --abstract-unix-socket --connect-to --proxy-user -U --noproxy --proto --proto-redir --pinnedpubkey --capath --crlfile --cert-type --key-type --ciphers --max-filesize --retry-delay --retry-max-time --expect100-timeout --keepalive-time --local-port --mail-from --mail-rcpt --mail-auth --ftp-port -P --socks4 --socks4a --socks5 --socks5-hostname --preproxy --aws-sigv4 --hsts --alt-svc --etag-save --etag-compare --output-dir --stderr --dump-header -D --trace --trace-ascii --tls-max --request-target --proxy-header --proxy-cacert --proxy-cert --proxy-key -Q --quote")

func isHTTPMethod(s string) bool {
	switch strings.ToUpper(s) {
	case "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS":
		return true
	}
	return false
}

// isLocal: development servers, and the gateway itself on loopback, are
// judged as local traffic.
func isLocal(host string) bool {
	h := strings.ToLower(host)
	return h == "localhost" || strings.HasSuffix(h, ".localhost") || strings.HasPrefix(h, "127.") || h == "::1" || h == "[::1]" || h == "0.0.0.0"
}

// providerRequest judges a request to a provider API host the way the
// gateway does. It reports whether the host is one.
func (w *walker) providerRequest(c *call, in input) bool {
	if c.name == "curl" && c.has("-K", "--config") {
		w.add("http.config-unknown", unknown, "curl reads its request (host, method, body) from a config file")
		return true
	}
	r, ok := w.request(c, in)
	if !ok || r.url == nil || isLocal(r.url.Hostname()) {
		return false
	}
	provider := providerHosts[strings.ToLower(r.url.Hostname())]
	if provider == "" {
		return false
	}
	host := r.url.Hostname()
	if r.hasBody && !r.readable || r.method == "RAW" {
		w.add("http.provider-body-unknown", unknown, c.name+" sends "+host+" a request whose body comes from "+r.from+", which cannot be read now")
		return true
	}
	if r.method == "" || !isHTTPMethod(r.method) {
		w.add("http.method", unknown, c.name+" sends "+host+" the method "+r.method)
		return true
	}
	var reasons []action.Reason
	switch provider {
	case "railway":
		reasons = railwayReasons(r)
	case "fly":
		if w.c.REST == nil {
			reasons = []action.Reason{{ID: "http.provider-unknown", Class: unknown, Message: c.name + " changes " + host + ", whose API Chaperone cannot read here"}}
		} else {
			reasons = w.c.REST("fly", r.method, path.Clean("/"+strings.TrimPrefix(r.url.Path, "/v1")), r.url.Query(), []byte(r.body))
		}
	default:
		if r.method != "GET" && r.method != "HEAD" && r.method != "OPTIONS" {
			reasons = []action.Reason{{ID: "http.provider-unknown", Class: unknown, Message: c.name + " changes " + host + ", whose API Chaperone does not read"}}
		}
	}
	if len(reasons) == 0 {
		w.add("http.provider-read", read, c.name+" reads "+host)
	}
	for _, x := range reasons {
		w.add(x.ID, x.Class, c.name+" to "+host+": "+x.Message)
	}
	w.target(r.url.String())
	return true
}

// railwayReasons: Railway's API is GraphQL; each request in the body (or
// the query string of a GET) is judged against Railway's schema.
func railwayReasons(r request) []action.Reason {
	if r.method != "GET" && r.method != "HEAD" && r.method != "POST" {
		return []action.Reason{{ID: "http.method", Class: unknown, Message: "Railway's API takes GraphQL over POST, not " + r.method}}
	}
	// A request may be read from the query string or from the body,
	// whatever the method says (curl -X GET -d sends a body with a GET):
	// both are judged.
	var reqs []graphql.Request
	if q := r.url.Query(); q.Has("query") {
		req := graphql.Request{Query: q.Get("query"), OperationName: q.Get("operationName")}
		if v := q.Get("variables"); v != "" && strictjson.Unmarshal([]byte(v), &req.Variables) != nil {
			return []action.Reason{{ID: "graphql.invalid", Class: unknown, Message: "the variables are not JSON read one way by every reader"}}
		}
		reqs = append(reqs, req)
	}
	if body := bytes.TrimSpace([]byte(r.body)); len(body) > 0 || r.method == "POST" {
		// The strict reading: a body that two JSON readers could read
		// differently is not judged by either.
		var err error
		if len(body) > 0 && body[0] == '[' {
			var batch []graphql.Request
			err = strictUnmarshal(body, &batch)
			reqs = append(reqs, batch...)
		} else {
			var one graphql.Request
			err = strictUnmarshal(body, &one)
			reqs = append(reqs, one)
		}
		if err != nil {
			return []action.Reason{{ID: "graphql.invalid", Class: unknown, Message: "the body is not a GraphQL request in JSON read one way by every reader"}}
		}
	}
	schema, err := graphql.Railway()
	if err != nil {
		return []action.Reason{{ID: "graphql.schema", Class: unknown, Message: "the provider schema did not load"}}
	}
	var out []action.Reason
	for _, q := range reqs {
		out = append(out, graphql.Classify(schema, graphql.RailwayProfile{}, q).Reasons...)
	}
	return out
}

// strictUnmarshal reads body into v only when every JSON reader reads it
// alike, keeping numbers' exact digits (an id sent as a number is the
// provider's, not a rounded one).
func strictUnmarshal(body []byte, v any) error {
	if err := strictjson.Unmarshal(body, v); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	return dec.Decode(v)
}

// Railway runs a service's start, build and pre-deploy commands in the
// service's own home: they are judged as commands run there.
func init() {
	graphql.JudgeCommand = func(text string) []action.Reason {
		return Classifier{}.ClassifyService(text).Reasons
	}
}

// rawScheme reads a curl URL whose protocol sends bytes of the caller's
// choosing to any port: gopher://HOST:PORT/_BYTES sends BYTES, dict://
// sends its path's words as a command line, telnet:// sends standard input.
// Each is a raw connection, judged by what it sends (FLUSHALL to a Redis
// port, a DELETE request line to an HTTP one).
func rawScheme(r *request, target string, in input) {
	scheme, rest, ok := strings.Cut(target, "://")
	if !ok {
		return
	}
	path := ""
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		path = rest[i+1:]
	}
	switch strings.ToLower(scheme) {
	case "gopher", "gophers":
		if len(path) > 0 {
			path = path[1:] // the item type
		}
		body, err := url.PathUnescape(path)
		if err != nil {
			r.readable, r.from = false, "a gopher path that does not decode"
		}
		r.body = body
	case "dict":
		body, err := url.PathUnescape(path)
		if err != nil {
			r.readable, r.from = false, "a dict path that does not decode"
		}
		r.body = strings.ReplaceAll(body, ":", " ")
	case "telnet":
		if in.present && in.known {
			r.body = in.text
		} else {
			r.readable, r.from = false, "standard input"
		}
	default:
		return
	}
	r.method, r.hasBody = "RAW", true
}
