package http

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	pathpkg "path"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/classify/graphql"
	"github.com/chaperone/chaperone/internal/classify/rest"
	"github.com/chaperone/chaperone/internal/memo"
	"github.com/chaperone/chaperone/internal/strictjson"
	"github.com/chaperone/chaperone/internal/token"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// A request is read once, one way, and exactly what was read is forwarded.
// Where the provider could read the same bytes another way - two copies of
// a key, a query in the URL and another in the body, a method override, an
// encoding or media type Chaperone does not decode - the request is
// refused (400) rather than classified one way and run another.

// unreadable is a request Chaperone will not read, answered 400.
type unreadable struct{ msg string }

func (e *unreadable) Error() string {
	return "Chaperone cannot read this request exactly, so it was not sent: " + e.msg
}

func refuse(format string, args ...any) error { return &unreadable{fmt.Sprintf(format, args...)} }

// readBody reads the whole body, refusing more than limit. A gzip or
// deflate body is inflated here, within the same limit (a small body that
// inflates past it is refused, not expanded), and is classified and
// forwarded inflated: the provider gets exactly the bytes Chaperone read.
// An encoding it does not decode is left in place for classify to refuse.
func readBody(r *http.Request, limit int64) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	b, err := readLimited(r.Body, limit)
	if err != nil {
		return nil, err
	}
	encs := contentCodings(r.Header)
	if len(encs) == 0 {
		r.Header.Del("Content-Encoding")
		return b, nil
	}
	// Codings are listed in the order they were applied.
	for i := len(encs) - 1; i >= 0; i-- {
		var zr io.Reader
		switch encs[i] {
		case "gzip", "x-gzip":
			gz, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				return b, nil
			}
			zr = gz
		case "deflate":
			zl, err := zlib.NewReader(bytes.NewReader(b))
			if err != nil {
				return b, nil
			}
			zr = zl
		default:
			return b, nil
		}
		out, err := readLimited(zr, limit)
		if err != nil {
			var tooLarge *bodyTooLarge
			if errors.As(err, &tooLarge) {
				return nil, fmt.Errorf("request body inflates to over %d bytes: Chaperone does not forward what it cannot hold for approval", limit)
			}
			return b, nil // corrupt: left encoded, and refused by classify
		}
		b = out
	}
	r.Header.Del("Content-Encoding")
	return b, nil
}

type bodyTooLarge struct{ limit int64 }

func (e *bodyTooLarge) Error() string {
	return fmt.Sprintf("request body over %d bytes: Chaperone does not forward what it cannot hold for approval", e.limit)
}

func readLimited(rd io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(rd, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, &bodyTooLarge{limit}
	}
	return b, nil
}

// contentCodings lists the Content-Encoding codings, identity left out.
func contentCodings(h http.Header) []string {
	var out []string
	for _, v := range h.Values("Content-Encoding") {
		for _, c := range strings.Split(v, ",") {
			if c = strings.ToLower(strings.TrimSpace(c)); c != "" && c != "identity" {
				out = append(out, c)
			}
		}
	}
	return out
}

// methodOverrides are headers and parameters some servers take as the
// request's real method.
var methodOverrides = []string{"X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override", "X-Original-Method"}

// classify turns the request into an action whose Text binds an approval to
// exactly this request: method, path and query, and the canonical body.
// The mutation calls are returned for the environment check. An error is a
// request Chaperone will not read (400): it is never forwarded.
func (g *Gateway) classify(up Upstream, r *http.Request, path string, body []byte) (action.Action, []graphql.Call, error) {
	target := path
	if r.URL.RawQuery != "" {
		target += "?" + r.URL.RawQuery
	}
	a := action.Action{Kind: action.KindHTTP, Class: action.ClassRead, Text: r.Method + " " + target + "\n" + canonical(body)}
	params, err := readRequestLine(r, body)
	if err != nil {
		return a, nil, err
	}
	tooLarge := int64(len(body)) > g.limit(g.MaxBody, defaultMaxBody)
	if up.Provider == "railway" {
		a.Kind = action.KindGraphQL
		reqs, err := readGraphQL(r, params, body)
		if errors.Is(err, errNotJSON) {
			a.AddReason(action.Reason{ID: "graphql.invalid", Class: action.ClassUnknown, Message: "the body is not a GraphQL request in JSON"})
			return a, nil, nil
		}
		if err != nil {
			return a, nil, err
		}
		if tooLarge {
			a.AddReason(action.Reason{ID: "http.too-large", Class: action.ClassUnknown,
				Message: fmt.Sprintf("a %d-byte body is too large to inspect", len(body))})
			return a, nil, nil
		}
		if reqs == nil {
			// No GraphQL request in it: a page or a probe, judged by method.
			for _, x := range rest.ByMethod(r.Method, path) {
				a.AddReason(x)
			}
			return a, nil, nil
		}
		var calls []graphql.Call
		for _, res := range classifyGraphQL(reqs) {
			for _, x := range res.Reasons {
				a.AddReason(x)
			}
			calls = append(calls, res.Calls...)
			for _, rd := range res.Reads {
				calls = append(calls, graphql.Call{Field: rd.Field, Args: rd.Args, Read: true, Spans: rd.Spans})
			}
		}
		return a, calls, nil
	}
	if looksJSON(body) {
		if _, err := strictjson.Decode(body); err != nil {
			return a, nil, refuse("%v", err)
		}
	}
	if tooLarge {
		a.AddReason(action.Reason{ID: "http.too-large", Class: action.ClassUnknown,
			Message: fmt.Sprintf("a %d-byte body is too large to inspect", len(body))})
		return a, nil, nil
	}
	if graphqlLike(path, params, body) {
		// A REST provider's rules read methods and paths: a GraphQL
		// document sent to it (its host may serve GraphQL too, as
		// api.fly.io does) says nothing they can judge.
		a.AddReason(action.Reason{ID: "http.graphql-on-rest", Class: action.ClassUnknown,
			Message: "a GraphQL request to an upstream judged as a REST API: what it does is not read here"})
	}
	for _, x := range rest.For(up.Provider).Classify(rest.Request{Method: r.Method, Path: path, Query: params, Body: body}) {
		a.AddReason(x)
	}
	return a, nil, nil
}

// readRequestLine refuses what any provider could read two ways - a method
// override, a body on a GET, an encoding left undecoded, a query string
// with ';' separators, bad escapes or repeated parameters - and returns the
// query parameters.
func readRequestLine(r *http.Request, body []byte) (url.Values, error) {
	for k := range r.Header {
		n := token.CGIName(k)
		if slices.ContainsFunc(methodOverrides, func(h string) bool { return strings.EqualFold(n, h) }) {
			return nil, refuse("the %s header asks the provider to run another method than %s", k, r.Method)
		}
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		// A body in UTF-16 or another charset is read by the provider's
		// server (body-parser decodes it), not by Chaperone, which reads
		// UTF-8.
		if _, params, err := mime.ParseMediaType(ct); err == nil {
			if cs := strings.ToLower(strings.TrimSpace(params["charset"])); cs != "" && cs != "utf-8" && cs != "utf8" && cs != "us-ascii" && cs != "ascii" {
				return nil, refuse("the body's charset %q is not one Chaperone reads (UTF-8)", params["charset"])
			}
		}
	}
	if encs := contentCodings(r.Header); len(encs) > 0 {
		return nil, refuse("the body's Content-Encoding %q is not one Chaperone decodes (gzip, deflate), or does not decode", strings.Join(encs, ", "))
	}
	if len(body) > 0 && (r.Method == http.MethodGet || r.Method == http.MethodHead || r.Method == http.MethodOptions || r.Method == http.MethodTrace) {
		return nil, refuse("a %s with a body: providers differ on whether they read it", r.Method)
	}
	if strings.ContainsRune(r.URL.Path, '\\') {
		// Some servers take it for '/', and resolve the dot segments
		// around it, out of the base path.
		return nil, refuse("the path has a '\\', which some servers read as '/'")
	}
	if strings.ContainsRune(r.URL.Path, ';') {
		// Tomcat, Jetty and Spring cut a segment's ";params" before they
		// resolve dot segments: /base/..;/admin is /admin to them.
		return nil, refuse("the path has a ';', which some servers cut a segment at")
	}
	if !utf8.ValidString(r.URL.Path) {
		// An overlong form such as %c1%b3 is 's' to a lenient decoder.
		return nil, refuse("the path is not valid percent-encoded UTF-8")
	}
	if r.Method != strings.ToUpper(r.Method) {
		return nil, refuse("the method %q is not upper case: servers differ on whether they read it as %s", r.Method, strings.ToUpper(r.Method))
	}
	params, err := strictQuery(r.URL.RawQuery)
	if err != nil {
		return nil, err
	}
	for k := range params {
		if overridesMethod(k) {
			return nil, refuse("the %q parameter asks the provider to run another method than %s", k, r.Method)
		}
		if carriesCredential(k) {
			return nil, refuse("the %q parameter carries a credential: the provider sees Chaperone's and no other", k)
		}
	}
	if err := noMethodInForm(r.Header, body); err != nil {
		return nil, err
	}
	return params, nil
}

// overridesMethod says whether a parameter's name is one frameworks read
// as the request's real method: _method in any spelling they fold to it
// (_METHOD, _method[], "_method " and "_method\x00", which PHP cuts at the
// NUL), or one that names a method override. A parameter called exactly
// "method" is an API's own.
func overridesMethod(name string) bool {
	for _, l := range []string{lettersOf(name), lettersOf(frameworkName(name))} {
		if (l == "method" && name != "method") || strings.Contains(l, "methodoverride") || strings.Contains(l, "httpmethod") {
			return true
		}
	}
	return false
}

// frameworkName is a parameter's name as PHP and query-string parsers may
// read it: cut at a NUL (PHP ends names there: _method%00x is _method)
// and at an opening bracket (query[a] is an array named query).
func frameworkName(name string) string {
	if i := strings.IndexAny(name, "\x00["); i >= 0 {
		return name[:i]
	}
	return name
}

// carriesCredential says whether a query parameter's name marks a
// credential (access_token, api_key, X-Amz-Signature, password...), read
// by its letters as frameworks fold names. show_secrets is not one: it
// names what is asked for.
func carriesCredential(name string) bool {
	l := lettersOf(name)
	if l == "key" || l == "sig" || l == "auth" {
		return true
	}
	for _, w := range []string{"token", "apikey", "accesskey", "secretkey", "privatekey", "password", "passwd", "pwd", "authorization",
		"oauth", "authkey", "signature", "credential", "creds", "jwt", "bearer", "session"} {
		if strings.Contains(l, w) {
			return true
		}
	}
	return false
}

// noMethodInForm refuses a body with a method override in it: Rails,
// Laravel and Symfony read _method from the body of a POST as readily as
// from its URL, Rack takes a POST with no media type for a form, and
// Laravel reads a JSON body's members as parameters. So a body with no
// type or a form type is read as a form, a JSON object's members are read
// as parameters, and every multipart part's name is read. A type or a
// multipart body that does not parse is refused: the provider could read
// it some other way.
func noMethodInForm(h http.Header, body []byte) error {
	if len(body) == 0 {
		return nil
	}
	media, ps := "", map[string]string(nil)
	if ct := h.Values("Content-Type"); len(ct) > 0 {
		var err error
		if media, ps, err = mime.ParseMediaType(strings.Join(ct, ",")); err != nil {
			return refuse("the Content-Type %q does not parse", strings.Join(ct, ","))
		}
	}
	switch {
	case media == "" || media == "application/x-www-form-urlencoded":
		// Every name as any server could read it: split on '&' and ';',
		// taken raw and decoded.
		for _, part := range strings.FieldsFunc(string(body), func(r rune) bool { return r == '&' || r == ';' }) {
			k, _, _ := strings.Cut(part, "=")
			dk, err := url.QueryUnescape(k)
			if err != nil {
				dk = k
			}
			if overridesMethod(k) || overridesMethod(dk) {
				return refuse("the form field %q asks the provider to run another method", dk)
			}
		}
	case strings.HasPrefix(media, "multipart/"):
		mr := multipart.NewReader(bytes.NewReader(body), ps["boundary"])
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				return refuse("the multipart body does not parse: %v", err)
			}
			_, params, err := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
			if err != nil && p.Header.Get("Content-Disposition") != "" {
				return refuse("a multipart part's Content-Disposition does not parse")
			}
			if overridesMethod(params["name"]) {
				return refuse("the form field %q asks the provider to run another method", params["name"])
			}
		}
	}
	// Decoded only when a member could spell a method: the word in any
	// case, or a \u escape that could hide it.
	if looksJSON(body) && (bytes.Contains(body, []byte(`\u`)) || containsFold(body, "method")) {
		tree, _ := strictjson.Decode(body)
		members, _ := tree.(map[string]any)
		for k := range members {
			if overridesMethod(k) {
				return refuse("the body's member %q asks the provider to run another method", k)
			}
		}
	}
	return nil
}

// containsFold says whether b holds word (lower-case ASCII) in any case.
func containsFold(b []byte, word string) bool {
	for i := 0; i+len(word) <= len(b); i++ {
		if b[i]|0x20 == word[0] && bytes.EqualFold(b[i:i+len(word)], []byte(word)) {
			return true
		}
	}
	return false
}

// strictQuery parses a query string the one way every server does, or
// refuses it: Go drops a pair with ';' that others split on or keep, and
// which of two values a server takes is its own choice.
func strictQuery(raw string) (url.Values, error) {
	vals := url.Values{}
	if raw == "" {
		return vals, nil
	}
	if strings.Contains(raw, ";") {
		return nil, refuse("the query string has ';', which servers split on differently")
	}
	if strings.Contains(raw, "#") {
		// Not a character a request line may hold: some servers end the
		// URL there, others keep it.
		return nil, refuse("the query string has '#', which servers read as the URL's end or as part of it")
	}
	folded := map[string]string{}
	for _, part := range strings.Split(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		key, err1 := url.QueryUnescape(k)
		val, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil || !utf8.ValidString(key) || !utf8.ValidString(val) {
			return nil, refuse("the query parameter %q is not valid percent-encoded UTF-8", k)
		}
		f := strictjson.FoldKey(key)
		if prev, ok := folded[f]; ok {
			if prev == key {
				return nil, refuse("the query parameter %q appears more than once", key)
			}
			return nil, refuse("the query parameters %q and %q differ only in case", prev, key)
		}
		folded[f] = key
		vals[key] = []string{val}
	}
	return vals, nil
}

// errNotJSON is a body no reader takes for JSON: held, not refused, since
// no provider can run it as something else.
var errNotJSON = errors.New("the body is not JSON")

// graphqlParams are the members of a GraphQL request.
var graphqlParams = []string{"query", "operationName", "variables", "extensions"}

// readGraphQL reads the GraphQL requests r carries, from its URL or its
// body and never both, on any path: the provider may route any of its
// paths to its GraphQL endpoint. nil means the request carries none.
func readGraphQL(r *http.Request, params url.Values, body []byte) ([]graphql.Request, error) {
	inURL := false
	for k := range params {
		// query[], query%20, Query: frameworks read each of them as
		// query.
		if p := memberLike(k); p != "" {
			if k != p {
				return nil, refuse("the query parameter %q is not %q", k, p)
			}
			inURL = true
		}
	}
	if inURL && len(body) > 0 {
		return nil, refuse("a GraphQL request both in the URL and in the body: servers differ on which they run")
	}
	if inURL && r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodPost {
		return nil, refuse("GraphQL is sent with GET or POST, not %s", r.Method)
	}
	if inURL {
		m := map[string]any{}
		for _, p := range graphqlParams {
			v, ok := params[p]
			if !ok {
				continue
			}
			switch p {
			case "query", "operationName":
				m[p] = v[0]
			default:
				decoded, err := strictjson.Decode([]byte(v[0]))
				if err != nil {
					return nil, refuse("the %s parameter: %v", p, err)
				}
				m[p] = decoded
			}
		}
		req, err := requestFrom(m)
		if err != nil {
			return nil, err
		}
		return []graphql.Request{req}, nil
	}
	if len(body) == 0 {
		if r.Method == http.MethodPost {
			return []graphql.Request{{}}, nil // a POST that runs nothing Chaperone can name
		}
		return nil, nil
	}
	if r.Method != http.MethodPost {
		return nil, refuse("GraphQL is sent with GET or POST, not a %s with a body", r.Method)
	}
	media, err := mediaType(r.Header)
	if err != nil {
		return nil, err
	}
	switch {
	case media == "application/graphql":
		if !utf8.Valid(body) || bytes.HasPrefix(body, []byte("\xef\xbb\xbf")) {
			return nil, refuse("the GraphQL document is not UTF-8 without a byte order mark")
		}
		return []graphql.Request{{Query: string(body)}}, nil
	case media == "" || media == "application/json" || media == "text/plain" ||
		strings.HasPrefix(media, "application/") && strings.HasSuffix(media, "+json"):
	default:
		return nil, refuse("Chaperone reads GraphQL sent as JSON or application/graphql, not %s", media)
	}
	doc, err := strictjson.Decode(body)
	if err != nil {
		if json.Valid(body) || bytes.HasPrefix(body, []byte("\xef\xbb\xbf")) {
			return nil, refuse("%v", err) // JSON that readers read differently
		}
		return nil, errNotJSON // no reader makes a request of it
	}
	switch d := doc.(type) {
	case map[string]any:
		req, err := requestFrom(d)
		if err != nil {
			return nil, err
		}
		return []graphql.Request{req}, nil
	case []any:
		if len(d) == 0 {
			return nil, refuse("an empty batch")
		}
		out := make([]graphql.Request, len(d))
		for i, e := range d {
			m, ok := e.(map[string]any)
			if !ok {
				return nil, refuse("batch element %d is not a GraphQL request object", i)
			}
			if out[i], err = requestFrom(m); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return nil, refuse("the body is JSON but not a GraphQL request or a batch of them")
}

// mediaType is the body's one media type; a charset other than UTF-8 is
// refused, since the provider would decode other text than Chaperone.
func mediaType(h http.Header) (string, error) {
	cts := h.Values("Content-Type")
	if len(cts) == 0 {
		return "", nil
	}
	if len(cts) > 1 {
		return "", refuse("%d Content-Type headers", len(cts))
	}
	media, ps, err := mime.ParseMediaType(cts[0])
	if err != nil {
		return "", refuse("the Content-Type %q does not parse", cts[0])
	}
	if cs, ok := ps["charset"]; ok && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "utf8") {
		return "", refuse("the charset %q: Chaperone reads UTF-8 only", cs)
	}
	return media, nil
}

// documentMembers name a stored document in place of the query, in the
// servers that keep them (persisted documents, Relay's doc_id).
var documentMembers = []string{"id", "docid", "documentid", "queryid", "doc", "document", "hash", "queryhash", "documenthash", "sha256hash", "persistedquery", "persisteddocument"}

// requestFrom reads one GraphQL request object by its exact member names;
// other members are ignored, as servers do, but one that names a stored
// document (a server may run it instead of the query judged here), holds a
// control character (a server comparing C strings may read it as another
// member), or is a member's name in another case or spelling (a decoder
// matching names without case, as Go's does, reads `OperationName` or
// `variableſ` as the member), is refused.
func requestFrom(m map[string]any) (graphql.Request, error) {
	var req graphql.Request
	for k, v := range m {
		if !slices.Contains(graphqlParams, k) {
			if p := memberLike(k); p != "" {
				return req, refuse("the member %q is not %q: servers differ on whether it is", k, p)
			}
			if slices.Contains(documentMembers, lettersOf(k)) {
				return req, refuse("the member %q names a stored document: a server may run it instead of the query", k)
			}
			if strings.ContainsFunc(k, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
				return req, refuse("the member name %q holds a control character", k)
			}
		}
		if v == nil {
			continue
		}
		var ok bool
		switch k {
		case "query":
			req.Query, ok = v.(string)
		case "operationName":
			req.OperationName, ok = v.(string)
		case "variables":
			req.Variables, ok = v.(map[string]any)
		case "extensions":
			req.Extensions, ok = v.(map[string]any)
		default:
			continue
		}
		if !ok {
			return req, refuse("the %s member is a %s", k, jsonKind(v))
		}
	}
	return req, nil
}

// memberLike returns the GraphQL member k spells another way, or "".
func memberLike(k string) string {
	for _, p := range graphqlParams {
		if strictjson.FoldKey(k) == strictjson.FoldKey(p) || lettersOf(k) == strings.ToLower(p) || lettersOf(frameworkName(k)) == strings.ToLower(p) {
			return p
		}
	}
	return ""
}

func jsonKind(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "boolean"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

func looksJSON(body []byte) bool {
	t := bytes.TrimLeft(body, " \t\r\n")
	t = bytes.TrimPrefix(t, []byte("\xef\xbb\xbf"))
	return len(t) > 0 && (t[0] == '{' || t[0] == '[')
}

// cleanPath resolves dot segments and doubled slashes, keeping a trailing
// slash; the result always starts with "/".
func cleanPath(p string) string {
	c := pathpkg.Clean("/" + p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c
}

// classifyGraphQL classifies each request against Railway's schema.
func classifyGraphQL(reqs []graphql.Request) []graphql.Result {
	schema, err := graphql.Railway()
	if err != nil {
		return []graphql.Result{{Reasons: []action.Reason{{ID: "graphql.schema", Class: action.ClassUnknown, Message: "the provider schema did not load"}}}}
	}
	out := make([]graphql.Result, len(reqs))
	for i, req := range reqs {
		out[i] = graphql.Classify(schema, graphql.RailwayProfile{}, req)
	}
	return out
}

// graphqlResults reads and classifies a GraphQL request the way the
// gateway does; a request it refuses is one unknown result.
func graphqlResults(r *http.Request, body []byte) []graphql.Result {
	params, err := readRequestLine(r, body)
	var reqs []graphql.Request
	if err == nil {
		reqs, err = readGraphQL(r, params, body)
	}
	if errors.Is(err, errNotJSON) {
		return []graphql.Result{{Reasons: []action.Reason{{ID: "graphql.invalid", Class: action.ClassUnknown, Message: err.Error()}}}}
	}
	if err != nil {
		return []graphql.Result{{Reasons: []action.Reason{{ID: "http.refused", Class: action.ClassUnknown, Message: err.Error()}}}}
	}
	return classifyGraphQL(reqs)
}

// canonical renders a JSON body with sorted keys and no spacing, so that
// the same request re-sent with other whitespace or key order binds to
// the same approval; other bodies are used as they are. Numbers keep
// their digits, so two ids that round alike are two requests.
//
// It depends on the bytes alone, so it is remembered by them for bodies up
// to maxMemoBody: agents send the same requests again and again, and the
// decoding and encoding were a tenth of the gateway's allocations.
func canonical(body []byte) string {
	if len(body) > maxMemoBody {
		return canonicalOf(body)
	}
	if c, ok := canonicals.GetBytes(body); ok {
		return c
	}
	c := canonicalOf(body)
	canonicals.Put(string(body), c, len(c))
	return c
}

const maxMemoBody = 4 << 10

var canonicals = memo.Map[string]{MaxEntries: 4096, MaxBytes: 8 << 20}

func canonicalOf(body []byte) string {
	if v, err := strictjson.Decode(body); err == nil {
		if b, err := json.Marshal(v); err == nil {
			return string(b)
		}
	}
	return string(body)
}

// lettersOf is a parameter name's ASCII letters, lower-cased.
func lettersOf(k string) string {
	var b strings.Builder
	for i := 0; i < len(k); i++ {
		if c := k[i] | 0x20; c >= 'a' && c <= 'z' {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// graphqlLike: a path naming GraphQL, a query parameter the convention
// uses, or a body with a query member.
func graphqlLike(path string, params url.Values, body []byte) bool {
	if strings.Contains(strings.ToLower(path), "graphql") {
		return true
	}
	for k := range params {
		if lettersOf(k) == "query" || lettersOf(k) == "operationname" {
			return true
		}
	}
	if looksJSON(body) {
		if v, err := strictjson.Decode(body); err == nil {
			if m, ok := v.(map[string]any); ok {
				for k := range m {
					if l := lettersOf(k); l == "query" || l == "extensions" || l == "operationname" {
						return true // a persisted query names no document, only its hash
					}
				}
			}
			if _, ok := v.([]any); ok && bytes.Contains(body, []byte(`"query"`)) {
				return true
			}
		}
		return false
	}
	// A form (query=mutation...), a multipart upload (its operations
	// part), or a GraphQL document as the whole body (application/graphql).
	if form, err := url.ParseQuery(string(body)); err == nil {
		for k := range form {
			if l := lettersOf(k); l == "query" || l == "operations" || l == "operationname" {
				return true
			}
		}
	}
	lower := bytes.ToLower(body)
	for _, part := range []string{`name="query"`, `name="operations"`, `name=query`, `name=operations`} {
		if bytes.Contains(lower, []byte(part)) {
			return true
		}
	}
	if doc, err := parser.ParseQuery(&ast.Source{Input: string(body)}); err == nil && len(doc.Operations) > 0 {
		return true
	}
	return false
}
