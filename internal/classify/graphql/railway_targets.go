package graphql

import (
	"fmt"
	"github.com/vektah/gqlparser/v2/ast"
	"maps"
	"slices"
	"sort"
	"strings"
)

// Target is a Railway resource a mutation touches, named by the id the
// request gives. The gateway resolves each to the environments it really
// lives in, with Railway's own answers rather than the agent's word.
type Target struct {
	Kind string // environment | volume | volumeInstance | service | project | deployment | environmentPatch
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

// idKinds are the id arguments Railway can be asked to place in
// environments, by argument name; "Ids" lists are read as their singular.
var idKinds = map[string]string{
	"environmentId": "environment", "sourceEnvironmentId": "environment", "targetEnvironmentId": "environment",
	"baseEnvironmentId": "environment",
	"volumeInstanceId":  "volumeInstance", "deploymentId": "deployment",
	"serviceId": "service", "rootServiceId": "service", "existingRootServiceId": "service", "replicaServiceId": "service",
	"enabledServiceId": "service", "disabledServiceId": "service", "wipeServiceId": "service",
	"volumeId": "volume", "projectId": "project",
}

// pinned are the kinds an environment argument confines: a service,
// volume or project named beside environmentId (or beside a volume
// instance or deployment, which live in one environment) is changed only
// in that environment (its instance there).
var pinned = map[string]bool{"service": true, "volume": true, "project": true}

// within are ids of things inside another, which Railway finds through
// that other: a backup named with its volume instance lies in it.
var within = map[string]string{"volumeInstanceBackupId": "volumeInstanceId"}

// RailwayTargets lists what c touches. A mutation must be placed: every id
// it gives, at any depth, must be one Railway can place in environments,
// and it must name at least one. An environmentId pins the change to that
// environment; without one, a volume, service or project id touches every
// environment it has instances in. unresolvable names what the profile
// cannot place ("" when all is placed): an id of another kind (a domain, a
// plugin, an instance, a workspace, a customer), or nothing at all, since a
// mutation that names no environment acts on the account or workspace,
// past any one environment. The gateway holds such a request for a human.
func RailwayTargets(c Call) (targets []Target, unresolvable string) {
	ids := map[string][]string{}
	var unknown []string
	collectIDs(c.Args, ids, &unknown, 0)
	add := func(kind string, vs []string) {
		for _, v := range vs {
			targets = append(targets, Target{Kind: kind, ID: v})
		}
	}
	envs := []string{}
	for _, k := range []string{"environmentId", "sourceEnvironmentId", "targetEnvironmentId", "baseEnvironmentId"} {
		envs = append(envs, ids[k]...)
	}
	add("environment", envs)
	// What lives in one environment (an environment, a volume instance, a
	// deployment) anchors the services, volumes and project named beside it
	// to that environment. Only the environment a change is made in does,
	// or, for an environment's own mutations (environmentCreate), the one
	// it is made from; elsewhere a source, target or base environment is a
	// setting (projectUpdate's baseEnvironmentId), and the project beside
	// it is changed whole.
	anchored := anchoredIn(c, ids)
	for _, k := range slices.Sorted(maps.Keys(ids)) {
		if kind := idKinds[k]; kind != "" && kind != "environment" && (!anchored || !pinned[kind]) {
			add(kind, ids[k])
		}
	}
	if allEnvironments(c.Args) {
		// allEnvironments: true reaches every environment the service runs
		// in, whatever environmentId says.
		if anchored {
			add("service", ids["serviceId"])
		}
		if len(ids["serviceId"]) == 0 {
			return targets, fmt.Sprintf("%s with allEnvironments and no serviceId", c.Field)
		}
	}
	if bare := ids["id"]; len(bare) > 0 {
		kind := ""
		for _, p := range idPrefixes {
			if strings.HasPrefix(c.Field, p.prefix) {
				kind = p.kind
				break
			}
		}
		switch {
		case kind == "":
			return targets, fmt.Sprintf("the id %q given to %s", bare[0], c.Field)
		case !anchored || !pinned[kind]:
			add(kind, bare)
		}
	}
	if len(unknown) > 0 {
		return targets, fmt.Sprintf("%s given to %s", unknown[0], c.Field)
	}
	if len(targets) == 0 {
		return nil, fmt.Sprintf("%s, which names no project, environment, service or volume (it acts on the account or workspace)", c.Field)
	}
	return targets, ""
}

// anchoredIn says whether c acts in one environment that confines the
// services, volumes and project named beside it (see RailwayTargets): an
// environmentId, a volume instance or a deployment, or, in an
// environment's own mutations, any environment it names.
func anchoredIn(c Call, ids map[string][]string) bool {
	if len(ids["environmentId"]) > 0 || len(ids["volumeInstanceId"]) > 0 || len(ids["deploymentId"]) > 0 {
		return true
	}
	return strings.HasPrefix(c.Field, "environment") &&
		len(ids["sourceEnvironmentId"])+len(ids["targetEnvironmentId"])+len(ids["baseEnvironmentId"]) > 0
}

// RailwayPinned lists the services, volumes and project that c names
// beside the environment it acts in, which RailwayTargets leaves out as
// changed only there. Railway finds some of them by their own id alone,
// so each must have an instance in that environment: a production
// volume's id beside a staging environment's is no staging change.
func RailwayPinned(c Call) []Target {
	ids := map[string][]string{}
	var unknown []string
	collectIDs(c.Args, ids, &unknown, 0)
	if !anchoredIn(c, ids) {
		return nil
	}
	var out []Target
	for _, k := range slices.Sorted(maps.Keys(ids)) {
		if kind := idKinds[k]; pinned[kind] {
			for _, v := range ids[k] {
				out = append(out, Target{Kind: kind, ID: v})
			}
		}
	}
	for _, p := range idPrefixes {
		if strings.HasPrefix(c.Field, p.prefix) && pinned[p.kind] {
			for _, v := range ids["id"] {
				out = append(out, Target{Kind: p.kind, ID: v})
			}
			break
		}
	}
	if strings.HasPrefix(c.Field, "environmentPatch") || c.Field == "environmentStageChanges" {
		// An environment's patch names its services and volumes by the
		// keys of its maps: {services: {svc_…: {…}}, volumes: {vol_…: {…}}}.
		for _, arg := range []string{"patch", "input"} {
			for kind, member := range map[string]string{"service": "services", "volume": "volumes"} {
				m, _ := c.Args[arg].(map[string]any)
				keys, _ := m[member].(map[string]any)
				for _, k := range slices.Sorted(maps.Keys(keys)) {
					out = append(out, Target{Kind: kind, ID: k})
				}
			}
		}
	}
	return out
}

// oneEnvironment are the kinds that live in exactly one environment.
var oneEnvironment = map[string]bool{"environment": true, "volumeInstance": true, "deployment": true, "environmentPatch": true}

// OneEnvironment says whether a target of this kind lives in exactly one
// environment.
func OneEnvironment(kind string) bool { return oneEnvironment[kind] }

// RailwayReadTargets lists what a read names that lives in one
// environment: an environment, a deployment (its logs, its snapshot), a
// volume instance, by argument (environmentId, deploymentId, ...) or as a
// field's own id (environment(id), deployment(id)). A staging token reads
// staging's: another environment's logs and settings are another
// environment's. Reads of what spans environments (a project, a service)
// are not placed, and nothing in a read is held for being unplaceable.
func RailwayReadTargets(c Call) []Target {
	ids := map[string][]string{}
	var unknown []string
	collectIDs(c.Args, ids, &unknown, 0)
	var targets []Target
	if kind := c.Field; oneEnvironment[kind] {
		for _, id := range ids["id"] {
			targets = append(targets, Target{Kind: kind, ID: id})
		}
	} else if strings.HasPrefix(c.Field, "deployment") {
		// deploymentEvents(id), deploymentLogs(id): the id is the
		// deployment's.
		for _, id := range ids["id"] {
			targets = append(targets, Target{Kind: "deployment", ID: id})
		}
	}
	for _, k := range slices.Sorted(maps.Keys(ids)) {
		if kind := idKinds[k]; oneEnvironment[kind] {
			for _, id := range ids[k] {
				targets = append(targets, Target{Kind: kind, ID: id})
			}
		}
	}
	return targets
}

func allEnvironments(args map[string]any) bool {
	return isTrue(args["allEnvironments"]) || isTrue(member(args["input"], "allEnvironments"))
}

// isIDName says whether an argument or input field name is an id's:
// "id", "...Id", "...Ids", "...ID".
func isIDName(k string) bool {
	return k == "id" || k == "ids" || strings.HasSuffix(k, "Id") || strings.HasSuffix(k, "Ids") || strings.HasSuffix(k, "ID")
}

// collectIDs gathers the string values of id arguments at every depth of
// the arguments, input objects and lists included: the top level's own
// "id" under "id", the kinds Railway places under their names, and every
// other id (an input's own id among them: it may name what changes) in
// unknown, as "the workspaceId \"ws_1\"". A null id unsets, and names
// nothing to place.
func collectIDs(v any, out map[string][]string, unknown *[]string, depth int) {
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			collectIDs(e, out, unknown, depth+1)
		}
		return
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys) // deterministic messages
		for _, k := range keys {
			e := x[k]
			if !isIDName(k) {
				collectIDs(e, out, unknown, depth+1)
				continue
			}
			for _, id := range idStrings(e) {
				name := strings.TrimSuffix(k, "s")
				switch {
				case k == "id" && depth == 0:
					out["id"] = append(out["id"], id)
				case idKinds[name] != "":
					out[name] = append(out[name], id)
				case within[name] != "" && len(stringsAt(x, within[name])) > 0:
				default:
					*unknown = append(*unknown, fmt.Sprintf("the %s %q", k, id))
				}
			}
			collectIDs(e, out, unknown, depth+1)
		}
	}
}

// idStrings are the ids an id argument gives: a string, or a list's
// strings.
func idStrings(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func stringsAt(m map[string]any, k string) []string { return idStrings(m[k]) }

// scopedTypes live in exactly one environment: what they hold is that
// environment's.
var scopedTypes = map[string]bool{"Environment": true, "Deployment": true, "ServiceInstance": true, "VolumeInstance": true}

// Scoped: see Placer. Beyond the four, any type that records the
// environment it belongs to (an environmentId field: an event, a trigger,
// a container, a token) is that environment's.
func (RailwayProfile) Scoped(schema *ast.Schema, typ string) bool {
	if scopedTypes[typ] {
		return true
	}
	if schema == nil {
		return false
	}
	d := schema.Types[typ]
	return d != nil && d.Fields.ForName("environmentId") != nil
}

// Places: a read that names its one environment, which the gateway then
// checks (see RailwayReadTargets).
func (RailwayProfile) Places(c Call) bool { return len(RailwayReadTargets(c)) > 0 }
