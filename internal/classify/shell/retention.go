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

var retentionKey = regexp.MustCompile(`(?i)retention|expir|(?:^|[^a-z])ttl(?:$|[^a-z])|time[-_]?to[-_]?live|max[-_.]?age|vacuum[-_]`)

// alterWords: the subcommand (or option) changes something that exists.
var alterWords = []string{"alter", "update", "edit", "set", "put", "config", "configure", "modify", "change", "patch", "decrease", "tune"}

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
func retentionCut(c *call) string {
	altered := c.name == "journalctl"
	for i, p := range c.pos {
		if i < 4 && !p.dyn && slices.ContainsFunc(subParts(p.s), func(s string) bool { return slices.Contains(alterWords, s) }) {
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
	cut := func(key, val string) bool {
		val = strings.ToLower(strings.Trim(val, `"' `))
		if !retentionKey.MatchString(key) || slices.Contains(keptForever, val) {
			return false
		}
		d, ok := keptFor(key, val)
		return !ok || d < week
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
			if cut(strings.TrimLeft(name, "-"), val) {
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
	return ""
}

func (w *walker) retentionEdit(c *call) {
	if s := retentionCut(c); s != "" {
		w.add("data.retention-cut", destructive, c.name+" changes how long data is kept ("+s+"): what is older than the new limit is deleted")
	}
}
