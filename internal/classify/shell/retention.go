package shell

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Shortening how long a store keeps its data deletes what is older, with
// no delete word on the line: kafka-configs --alter --add-config
// retention.ms=1, nats stream edit --max-age 1s, rpk topic alter-config
// --set retention.ms=1, aws sqs set-queue-attributes MessageRetentionPeriod=60,
// influx bucket update --retention 1s, journalctl --vacuum-time=1s. So any
// command that changes a setting named like a retention, an expiry or a
// time to live is held, whatever the program; creating something with one
// (nats stream add --max-age, vault token create -ttl) is not a change,
// nor is a retention of a week or more.

var retentionKey = regexp.MustCompile(`(?i)retention|expir|(?:^|[^a-z])ttl(?:$|[^a-z])|time[-_]?to[-_]?live|max[-_.]?age|vacuum[-_]|soft[-_]?delete|delete[-_]?after|days[-_]?from[-_]?(?:hiding|uploading)|backtrack[-_]?window|delete[-_]version[-_]after|keep[-_]?days`)

// limitKey: a limit on how much a store keeps, by count or size (nats
// --max-msgs, --max-bytes, kafka retention.bytes, pulsar --size): lowered
// to almost nothing, the rest is deleted.
var limitKey = regexp.MustCompile(`(?i)max[-_.]?(?:msgs|messages|bytes|entries|events|records)|retention[-_.]?(?:bytes|size)`)

// backupCountKey: how many backups are kept (gcloud sql
// --retained-backups-count).
var backupCountKey = regexp.MustCompile(`(?i)retained[-_]?backups?[-_]?count|backup[-_]?retention[-_]?count|retained[-_]?transaction[-_]?log[-_]?days|^max[-_]?versions$`)

// keepKey: how many snapshots a backup policy keeps (kopia --keep-latest).
var keepKey = regexp.MustCompile(`(?i)^keep[-_](?:latest|last|hourly|daily|weekly|monthly|annual|yearly)$`)

// fileValue: a key and its value in a settings file (key=value, JSON,
// YAML).
var fileValue = regexp.MustCompile(`["']?([A-Za-z][\w.\-]*)["']?\s*[:=]\s*["']?([\w.\-]+)`)

// alterWords: the subcommand (or option) changes something that exists.
var alterWords = []string{"alter", "update", "edit", "set", "put", "config", "configure", "modify", "change", "patch", "decrease", "tune", "write"}

// keptForever: settings that keep data for good.
var keptForever = []string{"-1", "infinite", "unlimited", "never", "forever", "inf"}

const week = 7 * 24 * time.Hour

// keptFor reads a retention's value as a duration: with its unit (1s,
// 24h, 7d, 2w), or a bare number in the unit its key names
// (retention.ms, --retention-period-hours, --backup-retention-period's
// days), seconds otherwise. A value it cannot read is not ok.
func keptFor(key, val string) (time.Duration, bool) {
	units := []struct {
		suffix string
		d      time.Duration
	}{{"ms", time.Millisecond}, {"s", time.Second}, {"m", time.Minute}, {"h", time.Hour}, {"d", 24 * time.Hour}, {"w", week}, {"y", 365 * 24 * time.Hour}}
	n, err := strconv.ParseFloat(val, 64)
	if err == nil {
		k := strings.ToLower(key)
		unit := time.Second
		switch {
		case strings.HasSuffix(k, "ms") || strings.Contains(k, "millis"):
			unit = time.Millisecond
		case strings.Contains(k, "minute"):
			unit = time.Minute
		case strings.Contains(k, "hour"):
			unit = time.Hour
		case strings.Contains(k, "day") || strings.Contains(k, "backup"):
			unit = 24 * time.Hour
		}
		return time.Duration(n * float64(unit)), true
	}
	for _, u := range units {
		if num, ok := strings.CutSuffix(val, u.suffix); ok {
			if n, err := strconv.ParseFloat(num, 64); err == nil {
				return time.Duration(n * float64(u.d)), true
			}
		}
	}
	if d, err := time.ParseDuration(val); err == nil {
		return d, true
	}
	return 0, false
}

// retentionCut reports the setting a change of retention sets, or "".
// retentionServers apply the retention they are started with.
var retentionServers = []string{"prometheus", "loki", "thanos", "victoria-metrics", "victoria-logs", "vmstorage", "tempo", "mimir", "cortex", "influxd", "jaeger-all-in-one", "jaeger-query"}

func retentionCut(c *call, files []string) string {
	// A server given its retention at start deletes what is older then:
	// its flags are the setting.
	altered := c.name == "journalctl" || slices.Contains(retentionServers, c.name)
	for i, p := range c.pos {
		if i < 4 && !p.dyn && slices.ContainsFunc(verbParts(p.s), func(s string) bool { return slices.Contains(alterWords, s) }) {
			altered = true
		}
	}
	for _, f := range c.flags {
		name, _, _ := strings.Cut(strings.TrimLeft(f, "-"), "=")
		if slices.ContainsFunc(subParts(name), func(s string) bool { return slices.Contains(alterWords, s) }) {
			altered = true
		}
	}
	created := slices.ContainsFunc(c.args, func(a arg) bool {
		return slices.Contains([]string{"create", "add", "mk", "new"}, strings.TrimLeft(a.s, "-"))
	})
	if !altered || created {
		return ""
	}
	// Under a subcommand that names a retention (pulsar-admin
	// set-retention --time 0 --size 0), its time and size are one.
	retentionSub := slices.ContainsFunc(c.pos[:min(len(c.pos), 4)], func(p positional) bool { return !p.dyn && retentionKey.MatchString(p.s) })
	cut := func(key, val string) bool {
		val = strings.ToLower(strings.Trim(val, `"' `))
		if slices.Contains(keptForever, val) {
			return false
		}
		if backupCountKey.MatchString(key) {
			n, err := strconv.Atoi(val)
			return err != nil || n < 7 // fewer than a week of dailies
		}
		if limitKey.MatchString(key) || retentionSub && (key == "size" || key == "s") {
			n, ok := sizeValue(val)
			return !ok || n >= 0 && n < 1000 || strings.Contains(strings.ToLower(key), "byte") && n >= 0 && n < 1<<20
		}
		if retentionSub && (key == "time" || key == "t") {
			key = "retention"
		}
		if !retentionKey.MatchString(key) {
			return false
		}
		if n, err := strconv.Atoi(val); err == nil && (strings.Contains(c.name, "victoria") || c.name == "vmstorage") {
			return n < 1 // VictoriaMetrics counts a bare number in months
		}
		d, ok := keptFor(key, val)
		return !ok || d < week
	}
	if name, ok := clearedRetention(c); ok {
		return name
	}
	if c.name == "kopia" && c.sub("policy", "set") && keepsNothing(c) {
		return "keep 0"
	}
	for i, a := range c.args {
		if a.dyn {
			// --expiry=$X: a value only known at run time may be any.
			if name, _, eq := strings.Cut(a.s, "="); eq && strings.HasPrefix(name, "-") && !strings.ContainsAny(name, "$`") && retentionKey.MatchString(name) {
				return a.s
			}
			continue
		}
		if strings.HasPrefix(a.s, "-") {
			name, val, eq := strings.Cut(a.s, "=")
			if !eq && i+1 < len(c.args) {
				val = c.args[i+1].s
			}
			key := strings.TrimLeft(name, "-")
			if c.name == "influx" && key == "r" {
				key = "retention" // influx bucket update -r 1h
			}
			if cut(key, val) {
				return a.s
			}
			if !eq {
				continue
			}
			a.s = val // --add-config=retention.ms=1
		}
		if i+1 < len(c.args) && strings.ContainsAny(a.s, "_.") && !strings.Contains(a.s, "=") && !strings.HasPrefix(c.args[i+1].s, "-") &&
			cut(a.s, c.args[i+1].s) {
			return a.s + " " + c.args[i+1].s // rpk cluster config set log_retention_ms 1000
		}
		for _, kv := range strings.Split(a.s, ",") {
			if k, v, ok := strings.Cut(kv, "="); ok && cut(k, v) {
				return kv
			}
		}
	}
	for _, text := range files {
		// --add-config-file f, --attributes file://a.json: the same
		// settings, written in a file.
		for _, m := range fileValue.FindAllStringSubmatch(text, -1) {
			if cut(m[1], m[2]) {
				return m[1] + "=" + m[2]
			}
		}
	}
	return ""
}

// clearedRetention: an option that removes a retention (--clear-soft-delete,
// --no-retention, --remove-retention).
func clearedRetention(c *call) (string, bool) {
	for _, f := range c.flags {
		name, _, _ := strings.Cut(strings.TrimLeft(f, "-"), "=")
		for _, pre := range []string{"clear-", "no-", "remove-", "disable-", "delete-"} {
			if rest, ok := strings.CutPrefix(strings.ToLower(name), pre); ok && retentionKey.MatchString(rest) {
				return f, true
			}
		}
	}
	return "", false
}

// keepsNothing: a backup policy whose keep counts given add up to one
// snapshot or none.
func keepsNothing(c *call) bool {
	given, kept := false, 0
	for i, a := range c.args {
		name, val, eq := strings.Cut(strings.TrimLeft(a.s, "-"), "=")
		if !strings.HasPrefix(a.s, "--") || !keepKey.MatchString(name) {
			continue
		}
		if !eq && i+1 < len(c.args) {
			val = c.args[i+1].s
		}
		given = true
		n, err := strconv.Atoi(val)
		if err != nil {
			return false
		}
		kept += n
	}
	return given && kept <= 1 // the latest snapshot alone, or none
}

// sizeValue reads a count or a size (1, 10K, 1MB, 2GiB) as a number.
func sizeValue(v string) (float64, bool) {
	v = strings.ToLower(v)
	mult := 1.0
	for _, u := range []struct {
		suffix string
		m      float64
	}{{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"tib", 1 << 40}, {"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"tb", 1e12}, {"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30}, {"t", 1 << 40}, {"b", 1}} {
		if n, ok := strings.CutSuffix(v, u.suffix); ok {
			v, mult = n, u.m
			break
		}
	}
	n, err := strconv.ParseFloat(v, 64)
	return n * mult, err == nil
}

func (w *walker) retentionEdit(c *call) {
	if s := retentionCut(c, w.settingsFiles(c)); s != "" {
		w.add("data.retention-cut", destructive, c.name+" changes how long data is kept ("+s+"): what is older than the new limit is deleted")
	}
}

// settingsFiles: the files a command reads its settings from (file://,
// @file, --add-config-file), read now.
func (w *walker) settingsFiles(c *call) []string {
	var out []string
	for _, a := range c.args {
		name, val, eq := strings.Cut(a.s, "=")
		if !eq {
			val = a.s
		}
		for _, pre := range []string{"file://", "@"} {
			if p, ok := strings.CutPrefix(val, pre); ok && !a.dyn {
				if t, ok := w.readWorkspace(p); ok {
					out = append(out, t)
				}
			}
		}
		if strings.HasSuffix(name, "config-file") && eq && !a.dyn {
			if t, ok := w.readWorkspace(val); ok {
				out = append(out, t)
			}
		}
	}
	for _, a := range c.args {
		if t := strings.TrimSpace(a.s); !a.dyn && (strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[")) {
			out = append(out, t) // settings given inline as JSON
		}
	}
	for _, v := range optionValues(c, "--add-config-file", "--config-file") {
		if t, ok := w.readWorkspace(v.s); ok && !v.dyn {
			out = append(out, t)
		}
	}
	return out
}
