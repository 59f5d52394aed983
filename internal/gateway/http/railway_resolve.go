package http

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/classify/graphql"
	"github.com/chaperone/chaperone/internal/memo"
)

// resolveTTL is how long a target's environments are trusted: long enough
// that a burst of requests costs one lookup, short enough that a moved
// resource is seen soon.
const resolveTTL = 30 * time.Second

// envCache remembers what each target resolved to, per upstream, bounded
// (internal/memo): targets are named by agents.
type envCache struct {
	once sync.Once
	m    memo.Map[cachedEnvs]
}

type cachedEnvs struct {
	envs []string
	at   time.Time
}

func (c *envCache) results() *memo.Map[cachedEnvs] {
	c.once.Do(func() { c.m.MaxEntries, c.m.MaxBytes = 10000, 4<<20 })
	return &c.m
}

func (c *envCache) get(key string, now time.Time) ([]string, bool) {
	e, ok := c.results().Get(key)
	if !ok || now.Sub(e.at) > resolveTTL {
		return nil, false
	}
	return e.envs, true
}

func (c *envCache) put(key string, envs []string, now time.Time) {
	size := 0
	for _, e := range envs {
		size += len(e)
	}
	c.results().Put(key, cachedEnvs{envs, now}, size)
}

// railwayLookups are the read-only queries that place a target, and how
// each answer is read.
var railwayLookups = map[string]struct {
	query string
	envs  func(data any, id string) []string
	// says how the target relates to an environment, for the refusal.
	says string
}{
	"environment": {`query chaperoneResolve($id: String!) { environment(id: $id) { name } }`,
		func(d any, _ string) []string { return strs(dig(d, "environment", "name")) }, "is"},
	"volumeInstance": {`query chaperoneResolve($id: String!) { volumeInstance(id: $id) { environment { name } } }`,
		func(d any, _ string) []string { return strs(dig(d, "volumeInstance", "environment", "name")) }, "is in"},
	"deployment": {`query chaperoneResolve($id: String!) { deployment(id: $id) { environment { name } } }`,
		func(d any, _ string) []string { return strs(dig(d, "deployment", "environment", "name")) }, "runs in"},
	"environmentPatch": {`query chaperoneResolve($id: String!) { environmentPatch(id: $id) { environment { name } } }`,
		func(d any, _ string) []string { return strs(dig(d, "environmentPatch", "environment", "name")) }, "changes"},
	"project": {`query chaperoneResolve($id: String!) { project(id: $id) { environments { edges { node { name } } } } }`,
		func(d any, _ string) []string {
			if dig(d, "project") == nil {
				return nil
			}
			out := []string{}
			for _, n := range nodes(dig(d, "project", "environments")) {
				out = append(out, strs(dig(n, "name"))...)
			}
			return out
		}, "has an environment named"},
	"service": {`query chaperoneResolve($id: String!) { service(id: $id) { serviceInstances { edges { node { environmentId } } } project { environments { edges { node { id name } } } } } }`,
		func(d any, _ string) []string {
			svc := dig(d, "service")
			if svc == nil {
				return nil
			}
			return envNames(dig(svc, "project", "environments"), nodes(dig(svc, "serviceInstances")))
		}, "has an instance in"},
	"volume": {`query chaperoneResolve { projects { edges { node { environments { edges { node { id name } } } volumes { edges { node { id volumeInstances { edges { node { environmentId } } } } } } } } } }`,
		func(d any, id string) []string {
			for _, p := range nodes(dig(d, "projects")) {
				for _, v := range nodes(dig(p, "volumes")) {
					if dig(v, "id") == id {
						return envNames(dig(p, "environments"), nodes(dig(v, "volumeInstances")))
					}
				}
			}
			return nil
		}, "has an instance in"},
}

// resolveRailway asks Railway, with Chaperone's credential, which
// environments t lives in. An error means it could not be placed.
func (g *Gateway) resolveRailway(ctx context.Context, up Upstream, endpoint string, t graphql.Target) ([]string, error) {
	key := up.Name + "\x00" + t.Kind + "\x00" + t.ID
	now := time.Now()
	if envs, ok := g.envs.get(key, now); ok {
		return envs, nil
	}
	look, ok := railwayLookups[t.Kind]
	if !ok {
		return nil, fmt.Errorf("no lookup for a %s", t.Kind)
	}
	req := map[string]any{"query": look.query}
	if strings.Contains(look.query, "$id") {
		req["variables"] = map[string]any{"id": t.ID}
	}
	data, err := g.railwayQuery(ctx, up, endpoint, req)
	if err != nil {
		return nil, err
	}
	envs := look.envs(data, t.ID)
	if envs == nil {
		return nil, fmt.Errorf("Railway did not place %s in any environment", t)
	}
	g.envs.put(key, envs, now)
	return envs, nil
}

func (g *Gateway) railwayQuery(ctx context.Context, up Upstream, endpoint string, body map[string]any) (any, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	b, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	setCredential(req.Header, up)
	resp, err := g.transport().RoundTrip(req)
	if err != nil {
		return nil, fmt.Errorf("Railway did not answer: %s", scrub(err.Error(), up.Credential))
	}
	defer resp.Body.Close()
	var out struct {
		Data   any `json:"data"`
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(nil, resp.Body, 8<<20)).Decode(&out); err != nil {
		return nil, fmt.Errorf("Railway's answer (HTTP %d) is not GraphQL JSON", resp.StatusCode)
	}
	if len(out.Errors) > 0 {
		return nil, fmt.Errorf("Railway answered: %s", scrub(out.Errors[0].Message, up.Credential))
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("Railway answered HTTP %d", resp.StatusCode)
	}
	return out.Data, nil
}

// placeRailwayTargets asks Railway where every target of the request's
// mutations, and what its reads name in one environment, lives and records the answers as the action's placements; the
// policy decides what a target elsewhere means (builtin.environment). A
// target that cannot be placed becomes an unknown finding, which the
// policy holds for a human.
func (g *Gateway) placeRailwayTargets(ctx context.Context, up Upstream, rest string, calls []graphql.Call, act *action.Action) {
	u, err := g.upstreamURL(up, rest)
	if err != nil {
		act.AddReason(action.Reason{ID: "railway.unresolved", Class: action.ClassUnknown, Message: "the upstream's URL does not parse"})
		return
	}
	endpoint := u.String()
	for _, c := range calls {
		if c.Spans {
			// Which environments' objects it reads is known only from
			// the answer: none is the token's for certain.
			act.Targets = append(act.Targets, "read "+c.Field)
			act.Placements = append(act.Placements, action.Placement{Target: "what " + c.Field + " reads", Env: "every environment it reaches",
				How: "comes from"})
			continue
		}
		targets, why := graphql.RailwayTargets(c)
		if c.Read {
			targets, why = graphql.RailwayReadTargets(c), ""
		}
		if why != "" {
			act.AddReason(action.Reason{ID: "railway.unresolved", Class: action.ClassUnknown,
				Message: fmt.Sprintf("Chaperone cannot tell which environment %s belongs to", why)})
		}
		anchors := map[string]bool{}
		for _, t := range targets {
			envs, ok := g.placeTarget(ctx, up, endpoint, c, t, act)
			if !ok {
				continue
			}
			for _, e := range envs {
				act.Placements = append(act.Placements, action.Placement{Target: t.Kind + " " + t.ID, Env: e, How: railwayLookups[t.Kind].says})
				if graphql.OneEnvironment(t.Kind) {
					anchors[e] = true
				}
			}
		}
		if !c.Read {
			g.checkPinned(ctx, up, endpoint, c, anchors, act)
		}
	}
}

// checkPinned holds a mutation whose service, volume or project, named
// beside the environment it acts in, has no instance there: which
// environment's object Railway then changes is not the one the request
// says.
func (g *Gateway) checkPinned(ctx context.Context, up Upstream, endpoint string, c graphql.Call, anchors map[string]bool, act *action.Action) {
	for _, t := range graphql.RailwayPinned(c) {
		envs, ok := g.placeTarget(ctx, up, endpoint, c, t, act)
		if ok && !slices.ContainsFunc(envs, func(e string) bool { return anchors[e] }) {
			act.AddReason(action.Reason{ID: "railway.unresolved", Class: action.ClassUnknown,
				Message: fmt.Sprintf("%s names %s, which %s %s, beside an environment it has no instance in",
					c.Field, t, railwayLookups[t.Kind].says, strings.Join(envs, ", "))})
		}
	}
}

// placeTarget records t among the action's targets and asks Railway
// which environments it lives in; when that cannot be answered, the action
// gets an unknown finding and ok is false.
func (g *Gateway) placeTarget(ctx context.Context, up Upstream, endpoint string, c graphql.Call, t graphql.Target, act *action.Action) ([]string, bool) {
	act.Targets = append(act.Targets, t.String())
	envs, err := g.resolveRailway(ctx, up, endpoint, t)
	if err != nil {
		act.AddReason(action.Reason{ID: "railway.unresolved", Class: action.ClassUnknown,
			Message: fmt.Sprintf("%s: the environment of %s could not be checked: %v", c.Field, t, err)})
		return nil, false
	}
	return envs, true
}

// envNames maps the instances' environmentIds to names through the
// project's environments; an id not among them is kept as it is, so it
// can never match the token's environment by accident.
func envNames(envConn any, instances []any) []string {
	names := map[any]string{}
	for _, e := range nodes(envConn) {
		if n, ok := dig(e, "name").(string); ok {
			names[dig(e, "id")] = n
		}
	}
	out := []string{}
	for _, i := range instances {
		id := dig(i, "environmentId")
		if n, ok := names[id]; ok {
			out = append(out, n)
		} else {
			out = append(out, fmt.Sprintf("an unknown environment (%v)", id))
		}
	}
	return out
}

func dig(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

// nodes unwraps a GraphQL connection's edges.
func nodes(conn any) []any {
	edges, _ := dig(conn, "edges").([]any)
	out := make([]any, 0, len(edges))
	for _, e := range edges {
		out = append(out, dig(e, "node"))
	}
	return out
}

func strs(v any) []string {
	if s, ok := v.(string); ok {
		return []string{s}
	}
	return nil
}
