package shell

import (
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// A patch to a live workload (kubectl patch, apply of an inline object,
// run --overrides) is read as the API server reads it: volumes, mounts or
// claim templates removed, emptied or replaced take a database's data
// away from it (the pods start on an empty directory, a claim may be
// released), and a container's command or args run when the pods restart.

// patchTexts are the patches and overrides a kubectl call carries.
func (w *walker) patchTexts(c *call) []string {
	var out []string
	for _, v := range optionValues(c, "-p", "--patch", "--overrides") {
		if !v.dyn {
			out = append(out, v.s)
		}
	}
	for _, f := range optionValues(c, "--patch-file") {
		if t, ok := w.readWorkspace(f.s); ok && !f.dyn {
			out = append(out, t)
		} else {
			w.add("k8s.patch-unread", unknown, c.name+" applies a patch from "+f.s+", which Chaperone cannot read here")
		}
	}
	return out
}

// volumePath: a JSON patch path into a pod's or a set's storage.
var volumePath = regexp.MustCompile(`/(?:volumes|volumeMounts|volumeClaimTemplates|persistentVolumeClaim|claimName)(?:/|$)`)

// volumeKeys hold a workload's storage.
var volumeKeys = []string{"volumes", "volumeMounts", "volumeClaimTemplates", "persistentVolumeClaim"}

// dropsVolumes says whether a patch removes, empties or replaces storage:
// a JSON patch operation on it, a strategic merge directive, or a storage
// key set to null or to an empty list.
func dropsVolumes(text string) bool {
	return anyMap(text, func(x map[string]any) bool {
		if op, ok := x["op"].(string); ok {
			p, _ := x["path"].(string)
			from, _ := x["from"].(string)
			if (op == "remove" || op == "replace" || op == "move") && volumePath.MatchString(p) || op == "move" && volumePath.MatchString(from) {
				return true
			}
		}
		if d := x["$patch"]; d == "delete" || d == "replace" {
			return true
		}
		for _, vk := range volumeKeys {
			if e, ok := x[vk]; ok {
				if list, isList := e.([]any); e == nil || isList && len(list) == 0 {
					return true
				}
			}
		}
		return false
	})
}

// anyMap says whether a mapping anywhere in the YAML (or JSON) document
// text, at most 64 levels down, satisfies match.
func anyMap(text string, match func(map[string]any) bool) bool {
	var doc any
	if yaml.Unmarshal([]byte(text), &doc) != nil {
		return false
	}
	var walk func(v any, depth int) bool
	walk = func(v any, depth int) bool {
		if depth > 64 {
			return false
		}
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				if walk(e, depth+1) {
					return true
				}
			}
		case map[string]any:
			if match(x) {
				return true
			}
			for _, e := range x {
				if walk(e, depth+1) {
					return true
				}
			}
		}
		return false
	}
	return walk(doc, 0)
}

// kubePatches judges what a kubectl call's patches do.
func (w *walker) kubePatches(c *call, depth int) {
	if c.name != "kubectl" && c.name != "oc" && c.name != "kubecolor" || !(c.sub("patch") || c.sub("apply") || c.sub("run") || c.sub("debug")) {
		return
	}
	for _, t := range w.patchTexts(c) {
		if m := hostMount.FindString(t); m != "" {
			w.add("file.host-mount", unknown, c.name+" gives a workload the host ("+strings.TrimSpace(m)+")")
		}
		if dropsVolumes(t) {
			w.add("k8s.volume-detach", destructive, c.name+" removes, empties or replaces a workload's volumes or claims: its pods start without their data")
		}
		w.manifestCommands(t, depth)
	}
}

// helmPersistenceOff: a chart value that turns a release's storage off.
var helmPersistenceOff = regexp.MustCompile(`(?i)(?:^|[.,])persistence\.enabled=(?:false|0|no|off)\b`)

// helmValues judges the values a helm install or upgrade sets.
func (w *walker) helmValues(c *call) {
	if c.name != "helm" || !(c.sub("upgrade") || c.sub("install")) {
		return
	}
	for _, v := range optionValues(c, "--set", "--set-string", "--set-literal", "--set-json") {
		flat := strings.ReplaceAll(strings.ReplaceAll(v.s, " ", ""), `"`, "")
		if helmPersistenceOff.MatchString(flat) || strings.Contains(flat, "persistence={enabled:false") {
			w.add("k8s.volume-detach", destructive, "helm "+c.subAt(0)+" sets "+v.s+": the release's pods start without their volume, and its data")
			return
		}
	}
	for _, f := range optionValues(c, "-f", "--values") {
		if t, ok := w.readWorkspace(f.s); ok && !f.dyn && persistenceOffInValues(t) {
			w.add("k8s.volume-detach", destructive, "helm "+c.subAt(0)+" -f "+f.s+" turns persistence off: the release's pods start without their volume, and its data")
			return
		}
	}
}

// persistenceOffInValues: a values file that sets some persistence.enabled
// to false.
func persistenceOffInValues(text string) bool {
	return anyMap(text, func(m map[string]any) bool {
		p, ok := m["persistence"].(map[string]any)
		return ok && p["enabled"] == false
	})
}
