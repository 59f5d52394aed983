// Package railwaysim is a local stand-in for Railway's GraphQL API: it
// checks every request against Railway's real schema, answers the queries
// Chaperone's resolvers and the demo make from a small in-memory account,
// carries out volumeDelete, and records what reached it and with which
// credential. It exists for the tests and `chaperone demo`, where Railway
// itself cannot be reached.
package railwaysim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

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
}

// Server serves POST /graphql/v2.
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
	Query         string         `json:"query"`
	OperationName string         `json:"operationName"`
	Variables     map[string]any `json:"variables"`
}

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func gqlError(w http.ResponseWriter, status int, format string, args ...any) {
	reply(w, status, map[string]any{"errors": []map[string]any{{"message": fmt.Sprintf(format, args...)}}})
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	auth := r.Header.Get("Authorization")
	if s.Token != "" && auth != "Bearer "+s.Token {
		gqlError(w, http.StatusUnauthorized, "Not Authorized")
		return
	}
	if r.URL.Path != "/graphql/v2" {
		gqlError(w, http.StatusNotFound, "the API is at /graphql/v2")
		return
	}
	var req request
	switch r.Method {
	case http.MethodGet:
		q := r.URL.Query()
		req.Query, req.OperationName = q.Get("query"), q.Get("operationName")
		if v := q.Get("variables"); v != "" && json.Unmarshal([]byte(v), &req.Variables) != nil {
			gqlError(w, http.StatusBadRequest, "variables are not JSON")
			return
		}
		if op := strings.TrimSpace(req.Query); strings.HasPrefix(op, "mutation") {
			gqlError(w, http.StatusMethodNotAllowed, "mutations are POSTed")
			return
		}
	case http.MethodPost:
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			gqlError(w, http.StatusBadRequest, "body is not JSON: %v", err)
			return
		}
	default:
		gqlError(w, http.StatusMethodNotAllowed, "GET or POST")
		return
	}
	schema, err := graphql.Railway()
	if err != nil {
		gqlError(w, http.StatusInternalServerError, "schema: %v", err)
		return
	}
	doc, errs := gqlparser.LoadQuery(schema, req.Query)
	if len(errs) > 0 {
		gqlError(w, http.StatusBadRequest, "%v", errs)
		return
	}
	op := doc.Operations.ForName(req.OperationName)
	if op == nil {
		gqlError(w, http.StatusBadRequest, "no operation to run")
		return
	}
	rec := Received{Authorization: auth, Query: req.Query, Mutation: op.Operation == ast.Mutation, Operation: op.Name}
	s.mu.Lock()
	defer s.mu.Unlock()
	data := map[string]any{}
	for _, f := range graphql.Fields(op.SelectionSet) {
		rec.Fields = append(rec.Fields, f.Name)
		v, err := s.root(op.Operation, f.Name, f.ArgumentMap(req.Variables))
		if err != nil {
			s.seen = append(s.seen, rec)
			gqlError(w, http.StatusOK, "%s: %v", f.Name, err)
			return
		}
		data[f.Alias] = project(v, f.SelectionSet)
	}
	s.seen = append(s.seen, rec)
	reply(w, http.StatusOK, map[string]any{"data": data})
}

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
			{ID: "svc_preview", Name: "preview", EnvIDs: []string{"env_stg_41a2"}}},
	}
}
