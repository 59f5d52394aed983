package http

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	pathpkg "path"
	"slices"
	"strings"
	"time"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/classify/rest"
	"github.com/chaperone/chaperone/internal/strictjson"
)

// A Fly machine update replaces the machine's whole configuration: a
// volume its old configuration mounted and its new one does not (mounts
// left out, null, empty, a mount without its volume, the volume moved to
// another path) is no longer where the machine's programs keep their data.
// What the old configuration mounted is not in the request, so it is asked
// of Fly, with Chaperone's credential, before the update is judged.

// flyMount is one volume mounted at one path.
type flyMount struct{ volume, path string }

// checkFlyMounts adds fly.volume-detach to act when the update in body
// leaves out a volume machine's current configuration mounts, and an
// unknown finding when the current configuration cannot be read.
func (g *Gateway) checkFlyMounts(ctx context.Context, up Upstream, rest, method string, query url.Values, body []byte, act *action.Action) {
	seg := strings.Split(strings.Trim(rest, "/"), "/")
	// Matched as the rules match paths, whatever their case.
	if method != http.MethodPost || len(seg) != 4 || !strings.EqualFold(seg[0], "apps") || !strings.EqualFold(seg[2], "machines") {
		return
	}
	app, machine := seg[1], seg[3]
	current, services, err := g.flyMachineMounts(ctx, up, rest)
	if err != nil {
		act.AddReason(action.Reason{ID: "fly.unresolved", Class: action.ClassUnknown,
			Message: fmt.Sprintf("the volumes machine %s of %s mounts now could not be read: %v", machine, app, err)})
		return
	}
	tree, err := strictjson.Decode(body)
	next, ok := requestedMounts(tree)
	if err != nil || !ok {
		act.AddReason(action.Reason{ID: "fly.body-unreadable", Class: action.ClassUnknown,
			Message: "the machine update's mounts are not a list Chaperone can read"})
		return
	}
	if gone := servicesGone(services, tree, query); gone != "" {
		act.AddReason(action.Reason{ID: "fly.machine-stop", Class: action.ClassDestructive,
			Message: fmt.Sprintf("replaces machine %s's configuration %s: what it serves goes offline", machine, gone)})
	}
	for _, m := range current {
		// Kept: mounted at the same path, and nothing else is there or
		// below it (a mount under /data hides what the volume has there).
		kept := false
		for _, n := range next {
			if n.path == m.path {
				kept = n == m
				if !kept {
					break
				}
			}
		}
		for _, n := range next {
			if n != m && strings.HasPrefix(n.path, strings.TrimSuffix(m.path, "/")+"/") {
				kept = false
			}
		}
		if !kept {
			act.AddReason(action.Reason{ID: "fly.volume-detach", Class: action.ClassDestructive,
				Message: fmt.Sprintf("replaces machine %s's configuration without volume %s at %s: what it keeps there is no longer where it looks", machine, m.volume, m.path)})
		}
	}
}

// flyMachineMounts reads the mounts of the machine at rest, and how many
// services it has.
func (g *Gateway) flyMachineMounts(ctx context.Context, up Upstream, rest string) ([]flyMount, []any, error) {
	u, err := g.upstreamURL(up, rest)
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, nil, err
	}
	setCredential(req.Header, up)
	resp, err := g.transport().RoundTrip(req)
	if err != nil {
		return nil, nil, fmt.Errorf("Fly did not answer: %s", scrub(err.Error(), up.Credential))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("Fly answered HTTP %d", resp.StatusCode)
	}
	var machine struct {
		Config *struct {
			Mounts []struct {
				Volume string `json:"volume"`
				Path   string `json:"path"`
			} `json:"mounts"`
			Services []any `json:"services"`
		} `json:"config"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(nil, resp.Body, 8<<20)).Decode(&machine); err != nil || machine.Config == nil {
		return nil, nil, fmt.Errorf("Fly's answer is not a machine with a configuration")
	}
	var out []flyMount
	for _, m := range machine.Config.Mounts {
		out = append(out, flyMount{m.Volume, mountPath(m.Path)})
	}
	return out, machine.Config.Services, nil
}

// servicesGone says how an update takes away what the machine serves:
// it skips registering its services, or a service it has (a protocol and
// internal port) is missing or lost a public port. "" when none.
func servicesGone(current []any, tree any, query url.Values) string {
	for k, v := range query {
		if strings.NewReplacer("_", "", "-", "").Replace(rest.FoldName(k)) == "skipserviceregistration" && slices.ContainsFunc(v, func(s string) bool { return s != "false" && s != "0" }) {
			return "without registering its services"
		}
	}
	if skip := member(tree, "skip_service_registration"); skip != nil && skip != false {
		return "without registering its services"
	}
	next := listOf(member(member(tree, "config"), "services"))
	for _, c := range current {
		proto, port := member(c, "protocol"), member(c, "internal_port")
		var match any
		for _, n := range next {
			if fmt.Sprint(member(n, "protocol")) == fmt.Sprint(proto) && fmt.Sprint(member(n, "internal_port")) == fmt.Sprint(port) {
				match = n
			}
		}
		if match == nil {
			return fmt.Sprintf("without its %v service on port %v", proto, port)
		}
		for _, p := range listOf(member(c, "ports")) {
			kept := slices.ContainsFunc(listOf(member(match, "ports")), func(q any) bool {
				return fmt.Sprint(member(q, "port")) == fmt.Sprint(member(p, "port"))
			})
			if !kept {
				return fmt.Sprintf("without public port %v of its %v service", member(p, "port"), proto)
			}
		}
	}
	return ""
}

// member is an object's member, with its key matched as Fly's server
// matches keys (case-insensitively).
func member(v any, name string) any {
	m, _ := v.(map[string]any)
	for k, e := range m {
		if rest.FoldName(k) == name {
			return e
		}
	}
	return nil
}

// requestedMounts reads config.mounts of an update's decoded body, with keys matched as
// Fly's server matches them (case-insensitively); none when the config or
// its mounts are left out or null. ok is false when they are not a list of
// objects whose volume and path are strings.
func requestedMounts(tree any) ([]flyMount, bool) {
	cfg := member(tree, "config")
	var out []flyMount
	// A container mounting a volume of the config's own list (a
	// temporary directory among them) at a path covers what is there.
	for _, c := range listOf(member(cfg, "containers")) {
		for _, m := range listOf(member(c, "mounts")) {
			if p, ok := member(m, "path").(string); ok {
				name, _ := member(m, "name").(string)
				out = append(out, flyMount{"container volume " + name, mountPath(p)})
			}
		}
	}
	list := member(cfg, "mounts")
	if list == nil {
		return out, true
	}
	items, ok := list.([]any)
	if !ok {
		return nil, false
	}
	for _, it := range items {
		if _, ok := it.(map[string]any); !ok {
			return nil, false
		}
		vol, vok := member(it, "volume").(string)
		path, pok := member(it, "path").(string)
		if member(it, "volume") != nil && !vok || member(it, "path") != nil && !pok {
			return nil, false
		}
		out = append(out, flyMount{vol, mountPath(path)})
	}
	return out, true
}

func mountPath(p string) string {
	if p == "" {
		return ""
	}
	return pathpkg.Clean("/" + p)
}

func listOf(v any) []any {
	l, _ := v.([]any)
	return l
}
