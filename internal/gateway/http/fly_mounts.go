package http

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	pathpkg "path"
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
func (g *Gateway) checkFlyMounts(ctx context.Context, up Upstream, rest, method string, body []byte, act *action.Action) {
	seg := strings.Split(strings.Trim(rest, "/"), "/")
	if method != http.MethodPost || len(seg) != 4 || seg[0] != "apps" || seg[2] != "machines" {
		return
	}
	app, machine := seg[1], seg[3]
	current, err := g.flyMachineMounts(ctx, up, rest)
	if err != nil {
		act.AddReason(action.Reason{ID: "fly.unresolved", Class: action.ClassUnknown,
			Message: fmt.Sprintf("the volumes machine %s of %s mounts now could not be read: %v", machine, app, err)})
		return
	}
	next, ok := requestedMounts(body)
	if !ok {
		act.AddReason(action.Reason{ID: "fly.body-unreadable", Class: action.ClassUnknown,
			Message: "the machine update's mounts are not a list Chaperone can read"})
		return
	}
	for _, m := range current {
		kept := false
		for _, n := range next {
			kept = kept || n == m
		}
		if !kept {
			act.AddReason(action.Reason{ID: "fly.volume-detach", Class: action.ClassDestructive,
				Message: fmt.Sprintf("replaces machine %s's configuration without volume %s at %s: what it keeps there is no longer where it looks", machine, m.volume, m.path)})
		}
	}
}

// flyMachineMounts reads the mounts of the machine at rest.
func (g *Gateway) flyMachineMounts(ctx context.Context, up Upstream, rest string) ([]flyMount, error) {
	u, err := g.upstreamURL(up, rest)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	setCredential(req.Header, up)
	resp, err := g.transport().RoundTrip(req)
	if err != nil {
		return nil, fmt.Errorf("Fly did not answer: %s", scrub(err.Error(), up.Credential))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("Fly answered HTTP %d", resp.StatusCode)
	}
	var machine struct {
		Config *struct {
			Mounts []struct {
				Volume string `json:"volume"`
				Path   string `json:"path"`
			} `json:"mounts"`
		} `json:"config"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(nil, resp.Body, 8<<20)).Decode(&machine); err != nil || machine.Config == nil {
		return nil, fmt.Errorf("Fly's answer is not a machine with a configuration")
	}
	var out []flyMount
	for _, m := range machine.Config.Mounts {
		out = append(out, flyMount{m.Volume, mountPath(m.Path)})
	}
	return out, nil
}

// requestedMounts reads config.mounts of an update, with keys matched as
// Fly's server matches them (case-insensitively); none when the config or
// its mounts are left out or null. ok is false when they are not a list of
// objects whose volume and path are strings.
func requestedMounts(body []byte) ([]flyMount, bool) {
	tree, err := strictjson.Decode(body)
	if err != nil {
		return nil, false
	}
	member := func(v any, name string) any {
		m, _ := v.(map[string]any)
		for k, e := range m {
			if rest.FoldName(k) == name {
				return e
			}
		}
		return nil
	}
	list := member(member(tree, "config"), "mounts")
	if list == nil {
		return nil, true
	}
	items, ok := list.([]any)
	if !ok {
		return nil, false
	}
	var out []flyMount
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
