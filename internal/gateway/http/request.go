package http

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	pathpkg "path"
	"strings"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/classify/graphql"
	"github.com/chaperone/chaperone/internal/classify/rest"
)

// readBody reads the whole body, refusing more than limit.
func readBody(r *http.Request, limit int64) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("request body over %d bytes: Chaperone does not forward what it cannot hold for approval", limit)
	}
	return b, nil
}

// classify turns the request into an action whose Text binds an approval to
// exactly this request: method, path and query, and the canonical body.
// The mutation calls are returned for the environment check.
func (g *Gateway) classify(up Upstream, r *http.Request, path string, body []byte) (action.Action, []graphql.Call) {
	target := path
	if r.URL.RawQuery != "" {
		target += "?" + r.URL.RawQuery
	}
	a := action.Action{Kind: action.KindHTTP, Class: action.ClassRead, Text: r.Method + " " + target + "\n" + canonical(body)}
	if int64(len(body)) > g.limit(g.MaxBody, defaultMaxBody) {
		a.AddReason(action.Reason{ID: "http.too-large", Class: action.ClassUnknown,
			Message: fmt.Sprintf("a %d-byte body is too large to inspect", len(body))})
		return a, nil
	}
	if up.Provider == "railway" && (strings.HasSuffix(path, "/graphql") || strings.HasSuffix(path, "/graphql/v2")) {
		a.Kind = action.KindGraphQL
		var calls []graphql.Call
		for _, res := range graphqlResults(r, body) {
			for _, x := range res.Reasons {
				a.AddReason(x)
			}
			if res.Operation == "mutation" {
				calls = append(calls, res.Calls...)
			}
		}
		return a, calls
	}
	for _, x := range rest.For(up.Provider).Classify(rest.Request{Method: r.Method, Path: path, Query: r.URL.Query(), Body: body}) {
		a.AddReason(x)
	}
	return a, nil
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

// graphqlResults classifies POST JSON (one request or a batch) and GET
// ?query= against Railway's schema.
func graphqlResults(r *http.Request, body []byte) []graphql.Result {
	bad := func(id, msg string) []graphql.Result {
		return []graphql.Result{{Reasons: []action.Reason{{ID: id, Class: action.ClassUnknown, Message: msg}}}}
	}
	schema, err := graphql.Railway()
	if err != nil {
		return bad("graphql.schema", "the provider schema did not load")
	}
	var reqs []graphql.Request
	switch {
	case r.Method == http.MethodGet:
		q := r.URL.Query()
		req := graphql.Request{Query: q.Get("query"), OperationName: q.Get("operationName")}
		if v := q.Get("variables"); v != "" && json.Unmarshal([]byte(v), &req.Variables) != nil {
			return bad("graphql.invalid", "variables are not JSON")
		}
		reqs = []graphql.Request{req}
	case bytes.HasPrefix(bytes.TrimSpace(body), []byte("[")):
		if json.Unmarshal(body, &reqs) != nil || len(reqs) == 0 {
			return bad("graphql.invalid", "the batch is not a JSON array of requests")
		}
	default:
		var req graphql.Request
		if json.Unmarshal(body, &req) != nil {
			return bad("graphql.invalid", "the body is not a GraphQL request in JSON")
		}
		reqs = []graphql.Request{req}
	}
	out := make([]graphql.Result, len(reqs))
	for i, req := range reqs {
		out[i] = graphql.Classify(schema, graphql.RailwayProfile{}, req)
	}
	return out
}

// canonical renders a JSON body with sorted keys and no spacing, so that
// the same request re-sent with other whitespace or key order binds to
// the same approval; other bodies are used as they are.
func canonical(body []byte) string {
	var v any
	if json.Unmarshal(body, &v) == nil {
		if b, err := json.Marshal(v); err == nil {
			return string(b)
		}
	}
	return string(body)
}
