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

// dropsVolumes says whether a patch removes, empties or replaces storage.
func dropsVolumes(text string) bool {
	var doc any
	if yaml.Unmarshal([]byte(text), &doc) != nil {
		return false
	}
	found := false
	var walk func(v any, depth int)
	walk = func(v any, depth int) {
		if found || depth > 64 {
			return
		}
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				walk(e, depth+1)
			}
		case map[string]any:
			if op, ok := x["op"].(string); ok {
				// A JSON patch operation.
				p, _ := x["path"].(string)
				from, _ := x["from"].(string)
				if (op == "remove" || op == "replace" || op == "move") && volumePath.MatchString(p) || op == "move" && volumePath.MatchString(from) {
					found = true
					return
				}
			}
			for k, e := range x {
				if k == "$patch" && (e == "delete" || e == "replace") {
					found = true // a strategic merge directive
					return
				}
				for _, vk := range volumeKeys {
					if k == vk {
						if list, ok := e.([]any); e == nil || ok && len(list) == 0 {
							found = true
							return
						}
					}
				}
				walk(e, depth+1)
			}
		}
	}
	walk(doc, 0)
	return found
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
		scripts, argvs := manifestValues(t)
		for _, sc := range scripts {
			w.script(sc, depth+1)
		}
		for _, argv := range argvs {
			args := make([]arg, len(argv))
			for i, a := range argv {
				args[i] = arg{s: a}
			}
			w.command(args, input{}, depth+1)
		}
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
	var doc any
	if yaml.Unmarshal([]byte(text), &doc) != nil {
		return false
	}
	found := false
	var walk func(v any, depth int)
	walk = func(v any, depth int) {
		m, ok := v.(map[string]any)
		if !ok || depth > 32 || found {
			return
		}
		if p, ok := m["persistence"].(map[string]any); ok && p["enabled"] == false {
			found = true
			return
		}
		for _, e := range m {
			walk(e, depth+1)
		}
	}
	walk(doc, 0)
	return found
}
