package shell

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Settings that take protection away or a service down are named alike
// across every cloud's CLI, in kebab-case options, API parameters
// (--DeletionProtection false) and key=value structures
// (PointInTimeRecoveryEnabled=false, desiredSize=0). They are read by
// their names and values, whatever the program, as the retention check
// reads retentions.

// protectionKey names a protection against losing data.
var protectionKey = regexp.MustCompile(`(?i)(?:deletion|delete|termination|purge|drop|accidental[-_]?deletion)[-_]?protection|^pitr$|enable[-_]?pitr|automated[-_]?backup|scheduled[-_]?snapshots?|auto[-_]?snapshots?|auto[-_]?backups?|protect(?:ion)?[-_]?from[-_]?(?:deletion|termination|scale[-_]?in)|versioning|soft[-_]?delete|point[-_]?in[-_]?time|continuous[-_]?backups?|backups?[-_]?enabled|enable[-_]?(?:backups?|versioning|soft[-_]?delete|delete[-_]?retention|purge[-_]?protection)|object[-_]?lock|binary[-_]?log(?:ging)?|automated[-_]?backups?`)

// scaleKey names how many instances run.
var scaleKey = regexp.MustCompile(`(?i)^(?:desired|max(?:imum)?)[-_]?(?:size|count|capacity|nodes|replicas|replica[-_]?count|instances|instance[-_]?count|node[-_]?count)$|^(?:nodes|num[-_]?nodes|node[-_]?count|instance[-_]?count|replicas|replica[-_]?count|replicaCount)$`)

var offValues = []string{"false", "disable", "disabled", "off", "no", "none", "suspended", "suspend", "0"}

// settingPairs returns every option and key=value pair of a call with its
// value: --x=v, --x v, --no-x (as x=false), and k=v inside a value.
func settingPairs(c *call) [][2]string {
	var out [][2]string
	for i, a := range c.args {
		if a.dyn {
			continue
		}
		if strings.HasPrefix(a.s, "-") {
			name, val, eq := strings.Cut(strings.TrimLeft(a.s, "-"), "=")
			if rest, ok := strings.CutPrefix(strings.ToLower(name), "no-"); ok && !eq {
				out = append(out, [2]string{rest, "false"})
				continue
			}
			if !eq {
				if i+1 < len(c.args) && !strings.HasPrefix(c.args[i+1].s, "-") {
					val = c.args[i+1].s
				} else {
					val = "true"
				}
			}
			out = append(out, [2]string{name, val})
			if !eq {
				continue
			}
			a.s = val
		}
		for _, kv := range strings.FieldsFunc(a.s, func(r rune) bool { return r == ',' || r == ' ' || r == '{' || r == '}' }) {
			if k, v, ok := strings.Cut(kv, "="); ok {
				out = append(out, [2]string{strings.Trim(k, `"'`), strings.Trim(v, `"'`)})
			} else if k, v, ok := strings.Cut(kv, ":"); ok && strings.Trim(k, `"'`) != "" && !strings.Contains(v, "/") {
				out = append(out, [2]string{strings.Trim(k, `"'`), strings.Trim(v, `"'`)})
			}
		}
	}
	return out
}

// settingsOff judges protections turned off and services scaled to zero.
func (w *walker) settingsOff(c *call) {
	if pathsOnly[c.name] || slices.Contains(readOnly, c.name) || slices.Contains(printers, c.name) || readsOnly(c) {
		return
	}
	for _, kv := range settingPairs(c) {
		k, v := kv[0], strings.ToLower(kv[1])
		lk := strings.ToLower(k)
		switch {
		case (strings.HasSuffix(lk, "disabled") || strings.HasPrefix(lk, "disable")) && (v == "true" || v == "1" || v == "yes") && backupUnit.MatchString(lk),
			strings.Contains(lk, "apitermination") || strings.Contains(lk, "api-termination") || strings.Contains(lk, "api_termination"):
			if strings.Contains(lk, "termination") && !slices.Contains(offValues, v) && !strings.HasSuffix(v, "=false") {
				continue // --disable-api-termination (true) keeps the protection
			}
			w.add("ops.protection-off", destructive, c.name+" sets "+k+"="+v+": a protection against data loss is turned off")
			return
		case lk == "state" && (v == "disabled" || v == "disable") && c.name == "aws" && c.sub("dlm"),
			backupUnit.MatchString(lk) && (strings.Contains(v, "status=disabled") || v == "disabled" || v == "suspended" || strings.Contains(v, "status=suspended")):
			w.add("ops.protection-off", destructive, c.name+" sets "+k+" to "+v+": backups or snapshots stop")
			return
		case protectionKey.MatchString(k) && slices.Contains(offValues, v):
			w.add("ops.protection-off", destructive, c.name+" turns off "+k+": what kept data from being lost (deletion protection, versions, backups) is gone")
			return
		case (scaleKey.MatchString(k) || strings.HasSuffix(lk, "paused-replicas")) && isZero(v):
			w.add("ops.scale-to-zero", destructive, c.name+" sets "+k+" to 0: the service stops serving")
			return
		}
	}
	// A backup job, timer or schedule stopped, paused or disabled by any
	// scheduler (systemctl, pm2, nomad, supervisorctl, gcloud scheduler).
	if stopsBackups(c) {
		w.add("backup.stop", destructive, c.name+" stops or pauses a backup job: no backups are taken until someone notices")
	}
	if scalesToZero(c) {
		w.add("ops.scale-to-zero", destructive, c.name+" scales a service to 0: it stops serving")
	}
	if (c.name == "kubectl" || c.name == "oc") && c.sub("autoscale") {
		if v, ok := c.flagValue("--max"); ok && isZero(v) {
			w.add("ops.scale-to-zero", destructive, c.name+" autoscale --max=0 scales the workload to nothing")
		}
	}
}

// kubeServiceExposure: a Kubernetes service opened outside the cluster
// (a load balancer or node port), or a port forward on every interface.
var kubeOpenType = regexp.MustCompile(`(?i)"?type"?\s*:\s*"?(?:LoadBalancer|NodePort)\b|loadBalancerSourceRanges"?\s*:\s*\[[^\]]*0\.0\.0\.0/0`)

// finalizersDropped: a patch that removes an object's finalizers, which
// let a pending delete of a volume or namespace finish.
var finalizersDropped = regexp.MustCompile(`(?i)"?finalizers"?\s*:\s*(?:null|\[\s*\])|"op"\s*:\s*"remove"[^}]*"path"\s*:\s*"/metadata/finalizers|"path"\s*:\s*"/metadata/finalizers[^}]*"op"\s*:\s*"remove"|"?finalizers"?\s*:\s*\[\s*\]`)

// suspendTrue: a CronJob suspended, in JSON or YAML.
var suspendTrue = regexp.MustCompile(`(?i)"?(?:suspend|paused)"?\s*:\s*"?(?:true|yes|on)\b|"path"\s*:\s*"/spec/(?:suspend|paused)"[^}]*"value"\s*:\s*true`)

// cronSchedule: a CronJob's schedule in a merge patch or a JSON patch.
var cronSchedule = regexp.MustCompile(`(?i)"?schedule"?\s*:\s*"([^"]*)"|"path"\s*:\s*"/spec/schedule"[^}]*"value"\s*:\s*"([^"]*)"`)

// neverFires says whether a five-field cron schedule names only days
// that do not exist (the 30th or 31st of February, the 31st of a month of
// thirty days) with no weekday to fire on instead.
func neverFires(spec string) bool {
	f := strings.Fields(spec)
	if len(f) != 5 || f[4] != "*" && f[4] != "?" {
		return false
	}
	days, months := strings.Split(f[2], ","), strings.Split(f[3], ",")
	short := map[string]int{"2": 29, "02": 29, "feb": 29, "4": 30, "04": 30, "apr": 30, "6": 30, "06": 30, "jun": 30, "9": 30, "09": 30, "sep": 30, "11": 30, "nov": 30}
	for _, m := range months {
		last, ok := short[strings.ToLower(m)]
		if !ok {
			return false
		}
		for _, d := range days {
			n, err := strconv.Atoi(d)
			if err != nil || n <= last {
				return false
			}
		}
	}
	return true
}

// jsonPatchZero: replicas set to 0 by a JSON patch or a YAML/JSON merge.
var jsonPatchZero = regexp.MustCompile(`"path"\s*:\s*"/spec/replicas"[^}]*"value"\s*:\s*0\b|"value"\s*:\s*0\s*,[^}]*"path"\s*:\s*"/spec/replicas"|\breplicas"?\s*:\s*0\b`)

// deletionPolicy: Crossplane's deletionPolicy or a volume's reclaim
// policy set to Delete.
var deletionPolicy = regexp.MustCompile(`(?i)"?(?:deletionPolicy|persistentVolumeReclaimPolicy|reclaimPolicy|whenDeleted|whenScaled)"?\s*:\s*"?Delete\b`)

func (w *walker) kubeSettings(c *call) {
	if c.name != "kubectl" && c.name != "oc" && c.name != "kubecolor" {
		return
	}
	text := strings.Join(argStrings(c.args), " ")
	for _, f := range optionValues(c, "--patch-file") {
		// The patch from a file is read as the inline one is.
		if t, ok := w.readWorkspace(f.s); ok && !f.dyn {
			text += "\n" + t
		}
	}
	if c.sub("patch") && jsonPatchZero.MatchString(text) {
		w.add("ops.scale-to-zero", destructive, c.name+" patches replicas to 0: the workload stops serving")
	}
	switch {
	case c.sub("expose") || c.sub("create", "service"):
		t, _ := c.flagValue("--type")
		if strings.EqualFold(t, "LoadBalancer") || strings.EqualFold(t, "NodePort") ||
			c.sub("create", "service", "loadbalancer") || c.sub("create", "service", "nodeport") {
			w.add("ops.expose", destructive, c.name+" opens a service outside the cluster (a load balancer or node port)")
		}
	case c.sub("patch") || c.sub("apply") || c.sub("set"):
		if kubeOpenType.MatchString(text) {
			w.add("ops.expose", destructive, c.name+" makes a service a load balancer or node port, reachable outside the cluster")
		}
		if suspendTrue.MatchString(text) && backupUnit.MatchString(text) {
			w.add("backup.stop", destructive, c.name+" suspends a backup job: no backups are taken until someone notices")
		}
		for _, m := range cronSchedule.FindAllStringSubmatch(text, -1) {
			if neverFires(m[1]+m[2]) && backupUnit.MatchString(text) {
				w.add("backup.stop", destructive, c.name+" gives a backup job the schedule "+m[1]+m[2]+", which never comes: no backups are taken")
				break
			}
		}
		if deletionPolicy.MatchString(text) {
			w.add("k8s.finalizers", destructive, c.name+" sets a deletion or reclaim policy of Delete: deleting the object then deletes the cloud resource or volume behind it")
		}
		if finalizersDropped.MatchString(text) {
			w.add("k8s.finalizers", destructive, c.name+" removes finalizers: a pending delete of the object (a volume, a namespace) completes, with its data")
		}
	case c.sub("port-forward"):
		for _, v := range optionValues(c, "--address") {
			for _, a := range strings.Split(v.s, ",") {
				if a != "localhost" && !strings.HasPrefix(a, "127.") && a != "::1" {
					w.add("ops.expose", destructive, c.name+" port-forward listens on "+a+": the service is reachable from other machines")
					return
				}
			}
		}
	case c.sub("annotate") || c.sub("label"):
		if strings.Contains(text, "helm.sh/resource-policy-") {
			w.add("k8s.finalizers", destructive, c.name+" removes helm's keep policy: the next uninstall deletes the resource, a volume claim included")
		}
	}
}

// stopVerbs stop a job or keep it from running.
var stopVerbs = []string{"stop", "pause", "disable", "suspend", "mask", "unload", "bootout", "kill", "delete-schedule", "unschedule", "down", "remove", "off"}

func stopsBackups(c *call) bool {
	verb := -1
	for i, p := range c.pos {
		if i > 4 || p.dyn {
			break
		}
		if slices.Contains(stopVerbs, strings.ToLower(p.s)) {
			verb = i
			break
		}
	}
	if verb < 0 {
		return false
	}
	for _, p := range c.pos[verb+1:] {
		if !p.dyn && backupUnit.MatchString(p.s) {
			return true
		}
	}
	return false
}

// scalesToZero: a scale subcommand of any orchestrator (docker service
// scale web=0, docker-compose scale, nomad job scale api 0) or a --scale
// option (docker compose up --scale web=0) given a count of 0.
func scalesToZero(c *call) bool {
	zero := func(v string) bool {
		_, n, named := strings.Cut(v, "=")
		if !named {
			n = v
		}
		return isZero(n)
	}
	for i, a := range c.args {
		if a.dyn {
			continue
		}
		if v, ok := strings.CutPrefix(a.s, "--scale="); ok && zero(v) {
			return true
		}
		if a.s == "--scale" && i+1 < len(c.args) && zero(c.args[i+1].s) {
			return true
		}
	}
	scale := -1
	for i, p := range c.pos {
		if scale < 0 {
			if i < 3 && !p.afterFlag && strings.EqualFold(p.s, "scale") {
				scale = i
			}
			continue
		}
		if !p.dyn && zero(p.s) {
			return true
		}
	}
	return false
}
