package graphql

import (
	"fmt"
	"sort"
	"strings"

	"github.com/chaperone/chaperone/internal/action"
)

// Target is a Railway resource a mutation touches, named by the id the
// request gives. The gateway resolves each to the environments it really
// lives in, with Railway's own answers rather than the agent's word.
type Target struct {
	Kind string // environment | volume | volumeInstance | service | project | deployment
	ID   string
}

func (t Target) String() string { return t.Kind + " " + t.ID }

// idPrefixes name what a mutation's bare `id` argument is, by the
// mutation's name; a bare id of any other mutation cannot be resolved.
var idPrefixes = []struct{ prefix, kind string }{
	{"environment", "environment"},
	{"project", "project"},
	{"service", "service"},
	{"deployment", "deployment"},
	{"volume", "volume"},
}

// RailwayTargets lists what c touches. An environmentId pins the change to
// that environment; without one, a volume, service or project id touches
// every environment it has instances in. unresolvable names an id the
// profile cannot place in any environment ("" when there is none): the
// gateway holds such a request for a human.
func RailwayTargets(c Call) (targets []Target, unresolvable string) {
	targets, unresolvable = railwayTargets(c)
	if len(targets) == 0 && unresolvable == "" && (Result{Reasons: RailwayProfile{}.Judge(c)}).Class() == action.ClassDestructive {
		// Destruction that names nothing an environment holds (a workspace,
		// the user, a signal) reaches past any one environment.
		return nil, fmt.Sprintf("%s, which names no project, environment, service or volume", c.Field)
	}
	return targets, unresolvable
}

func railwayTargets(c Call) (targets []Target, unresolvable string) {
	ids := map[string][]string{}
	collectIDs(c.Args, ids, 0)
	add := func(kind string, vs []string) {
		for _, v := range vs {
			targets = append(targets, Target{Kind: kind, ID: v})
		}
	}
	envs := append(append(append([]string{}, ids["environmentId"]...), ids["sourceEnvironmentId"]...), ids["targetEnvironmentId"]...)
	add("environment", envs)
	add("volumeInstance", ids["volumeInstanceId"])
	if allEnvironments(c.Args) {
		// allEnvironments: true reaches every environment the service runs
		// in, whatever environmentId says.
		add("service", ids["serviceId"])
		if len(ids["serviceId"]) == 0 {
			return targets, fmt.Sprintf("%s with allEnvironments and no serviceId", c.Field)
		}
	}
	if len(envs) > 0 {
		return targets, ""
	}
	switch {
	case len(ids["volumeId"]) > 0:
		add("volume", ids["volumeId"])
	case len(ids["serviceId"]) > 0:
		add("service", ids["serviceId"])
	case len(ids["id"]) > 0:
		for _, p := range idPrefixes {
			if strings.HasPrefix(c.Field, p.prefix) {
				add(p.kind, ids["id"])
				return targets, ""
			}
		}
		if len(targets) == 0 {
			return nil, fmt.Sprintf("the id %q given to %s", ids["id"][0], c.Field)
		}
	case len(ids["projectId"]) > 0:
		add("project", ids["projectId"])
	}
	return targets, ""
}

func allEnvironments(args map[string]any) bool {
	return isTrue(args["allEnvironments"]) || isTrue(member(args["input"], "allEnvironments"))
}

// collectIDs gathers string values of the id-like arguments Railway uses,
// at the top level and inside input objects.
func collectIDs(v any, out map[string][]string, depth int) {
	m, ok := v.(map[string]any)
	if !ok || depth > 2 {
		return
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys) // deterministic messages
	for _, k := range keys {
		switch x := m[k].(type) {
		case string:
			switch k {
			case "id", "environmentId", "sourceEnvironmentId", "targetEnvironmentId", "volumeId", "volumeInstanceId", "serviceId", "projectId":
				if depth == 0 || k != "id" { // an input's own id is not the mutation's target
					out[k] = append(out[k], x)
				}
			}
		case map[string]any:
			collectIDs(x, out, depth+1)
		}
	}
}
