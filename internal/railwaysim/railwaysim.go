// Package railwaysim is a local stand-in for Railway's GraphQL API: it
// checks every request against Railway's real schema, answers the queries
// Chaperone's resolvers and the demo make from a small in-memory account,
// carries out volumeDelete, and records what reached it and with which
// credential. It exists for the tests and `chaperone demo`, where Railway
// itself cannot be reached.
package railwaysim

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/chaperone/chaperone/internal/classify/graphql"
)

// Environment, Volume and Service are the account's resources.
type Environment struct{ ID, Name string }

// Volume has one instance per environment it lives in.
type Volume struct {
	ID, Name  string
	Instances []VolumeInstance
}

type VolumeInstance struct{ ID, EnvironmentID string }

type Service struct {
	ID, Name string
	EnvIDs   []string // environments the service has an instance in
}

// Project is the one project the account holds.
type Project struct {
	ID, Name     string
	Environments []Environment
	Volumes      []Volume
	Services     []Service
}

// Received is one request as it reached the API.
type Received struct {
	Authorization string
	Query         string
	Fields        []string // top-level fields of the operation that ran
	Mutation      bool
	Operation     string // the operation's name
	Method, Path  string
}

// Server serves Railway's GraphQL API.
type Server struct {
	// Token, when set, is the only credential accepted.
	Token string

	mu      sync.Mutex
	project Project
	seen    []Received
}

// New serves p.
func New(p Project) *Server { return &Server{project: p} }

// Seen returns every request received so far.
func (s *Server) Seen() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.seen)
}

// Mutations returns the top-level fields of every mutation received.
func (s *Server) Mutations() []string {
	var out []string
	for _, r := range s.Seen() {
		if r.Mutation {
			out = append(out, r.Fields...)
		}
	}
	return out
}

// HasVolume reports whether the volume still exists.
func (s *Server) HasVolume(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.ContainsFunc(s.project.Volumes, func(v Volume) bool { return v.ID == id })
}

type request struct {
	Query         string
	OperationName string
	Variables     map[string]any
}

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func gqlError(w http.ResponseWriter, status int, format string, args ...any) {
	reply(w, status, map[string]any{"errors": []map[string]any{{"message": fmt.Sprintf(format, args...)}}})
}

// The stand-in reads requests as leniently as the JavaScript servers
// providers run (express-graphql, graphql-yoga, Apollo): on any path, with
// JSON.parse's keys (exact, the last of two equal ones kept), a byte order
// mark stripped, gzip and deflate bodies inflated, application/graphql
// bodies, batches, variables sent as a JSON string, ?query= on a POST
// taking precedence over the body (express-graphql), and variable
// defaults applied. Whatever a real provider might run, the stand-in runs
// and records, so a test sees what got through.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	auth := r.Header.Get("Authorization")
	if s.Token != "" && auth != "Bearer "+s.Token {
		gqlError(w, http.StatusUnauthorized, "Not Authorized")
		return
	}
	reqs, err := readRequests(r)
	if err != nil {
		gqlError(w, http.StatusBadRequest, "%v", err)
		return
	}
	var answers []any
	for _, req := range reqs {
		status, answer := s.run(r, req)
		if len(reqs) == 1 {
			reply(w, status, answer)
			return
		}
		answers = append(answers, answer)
	}
	reply(w, http.StatusOK, answers)
}

func readRequests(r *http.Request) ([]request, error) {
	q := r.URL.Query()
	if q.Has("query") || r.Method == http.MethodGet || r.Method == http.MethodHead {
		req := request{Query: q.Get("query"), OperationName: q.Get("operationName")}
		if v := q.Get("variables"); v != "" {
			if err := json.Unmarshal([]byte(v), &req.Variables); err != nil {
				return nil, fmt.Errorf("variables are not JSON")
			}
		}
		return []request{req}, nil
	}
	if r.Method != http.MethodPost {
		return nil, fmt.Errorf("GET or POST")
	}
	var body io.Reader = r.Body
	for _, enc := range strings.Split(r.Header.Get("Content-Encoding"), ",") {
		switch strings.TrimSpace(strings.ToLower(enc)) {
		case "gzip", "x-gzip":
			zr, err := gzip.NewReader(body)
			if err != nil {
				return nil, err
			}
			body = zr
		case "deflate":
			zr, err := zlib.NewReader(body)
			if err != nil {
				return nil, err
			}
			body = zr
		}
	}
	b, err := io.ReadAll(io.LimitReader(body, 64<<20))
	if err != nil {
		return nil, err
	}
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	if media, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); media == "application/graphql" {
		return []request{{Query: string(b)}}, nil
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var doc any
	if err := d.Decode(&doc); err != nil {
		return nil, fmt.Errorf("body is not JSON: %v", err)
	}
	one := func(v any) (request, error) {
		m, ok := v.(map[string]any)
		if !ok {
			return request{}, fmt.Errorf("a request is a JSON object")
		}
		req := request{}
		req.Query, _ = m["query"].(string)
		req.OperationName, _ = m["operationName"].(string)
		switch vars := m["variables"].(type) {
		case map[string]any:
			req.Variables = vars
		case string:
			if err := json.Unmarshal([]byte(vars), &req.Variables); err != nil {
				return req, fmt.Errorf("variables are not JSON")
			}
		}
		return req, nil
	}
	if batch, ok := doc.([]any); ok {
		out := make([]request, len(batch))
		for i, e := range batch {
			if out[i], err = one(e); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	req, err := one(doc)
	return []request{req}, err
}

// run executes one request as the operation graphql-js would select.
func (s *Server) run(r *http.Request, req request) (int, any) {
	errAnswer := func(format string, args ...any) map[string]any {
		return map[string]any{"errors": []map[string]any{{"message": fmt.Sprintf(format, args...)}}}
	}
	schema, err := graphql.Railway()
	if err != nil {
		return http.StatusInternalServerError, errAnswer("schema: %v", err)
	}
	doc, errs := gqlparser.LoadQuery(schema, req.Query)
	if len(errs) > 0 {
		return http.StatusBadRequest, errAnswer("%v", errs)
	}
	op := doc.Operations.ForName(req.OperationName)
	if op == nil {
		return http.StatusBadRequest, errAnswer("no operation to run")
	}
	if op.Operation == ast.Mutation && r.Method != http.MethodPost {
		return http.StatusMethodNotAllowed, errAnswer("mutations are POSTed")
	}
	vars, err := validator.VariableValues(schema, op, req.Variables)
	if err != nil {
		return http.StatusBadRequest, errAnswer("%v", err)
	}
	rec := Received{Authorization: auth(r), Query: req.Query, Mutation: op.Operation == ast.Mutation, Operation: op.Name,
		Method: r.Method, Path: r.URL.Path}
	s.mu.Lock()
	defer s.mu.Unlock()
	data := map[string]any{}
	for _, f := range graphql.Fields(op.SelectionSet) {
		rec.Fields = append(rec.Fields, f.Name)
		v, err := s.root(op.Operation, f.Name, f.ArgumentMap(vars))
		if err != nil {
			s.seen = append(s.seen, rec)
			return http.StatusOK, errAnswer("%s: %v", f.Name, err)
		}
		data[f.Alias] = project(v, f.SelectionSet)
	}
	s.seen = append(s.seen, rec)
	return http.StatusOK, map[string]any{"data": data}
}

func auth(r *http.Request) string { return r.Header.Get("Authorization") }

// project keeps what the selection asks for, the way a GraphQL server
// shapes its answer.
func project(v any, set ast.SelectionSet) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for _, f := range graphql.Fields(set) {
			if f.Name == "__typename" {
				out[f.Alias] = x["__typename"]
				continue
			}
			out[f.Alias] = project(x[f.Name], f.SelectionSet)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = project(e, set)
		}
		return out
	}
	return v
}

// Incident is the account of the April 2026 incident: one project with a
// staging and a production environment, and one volume with an instance in
// each, so deleting it from "staging" deletes production's data too.
func Incident() Project {
	return Project{
		ID: "prj_7c1e", Name: "shop",
		Environments: []Environment{{ID: "env_stg_41a2", Name: "staging"}, {ID: "env_prd_9f30", Name: "production"}},
		Volumes: []Volume{{ID: "vol_3b8d0c", Name: "pgdata", Instances: []VolumeInstance{
			{ID: "vi_stg_5d21", EnvironmentID: "env_stg_41a2"}, {ID: "vi_prd_77e0", EnvironmentID: "env_prd_9f30"}}}},
		Services: []Service{{ID: "svc_api_1", Name: "api", EnvIDs: []string{"env_stg_41a2", "env_prd_9f30"}},
			{ID: "svc_preview", Name: "preview", EnvIDs: []string{"env_stg_41a2"}},
			{ID: "svc_worker", Name: "worker", EnvIDs: []string{"env_prd_9f30"}}},
	}
}
