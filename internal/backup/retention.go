package backup

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Keep is a retention policy: the newest snapshot of each of the last Daily
// days, Weekly ISO weeks and Monthly months that have snapshots. Everything
// else may go, but only once its lock has passed: the store refuses sooner.
type Keep struct {
	Daily, Weekly, Monthly int
}

// Keeps returns the IDs the policy keeps among manifests (any order).
func (k Keep) Keeps(ms []Manifest) map[string]bool {
	sorted := append([]Manifest(nil), ms...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Time.After(sorted[j].Time) })
	keep := map[string]bool{}
	for _, rule := range []struct {
		n      int
		bucket func(time.Time) string
	}{
		{k.Daily, func(t time.Time) string { return t.Format("2006-01-02") }},
		{k.Weekly, func(t time.Time) string { y, w := t.ISOWeek(); return fmt.Sprintf("%d-W%02d", y, w) }},
		{k.Monthly, func(t time.Time) string { return t.Format("2006-01") }},
	} {
		seen := map[string]bool{}
		for _, m := range sorted {
			b := rule.bucket(m.Time.UTC())
			if len(seen) >= rule.n {
				break
			}
			if !seen[b] {
				seen[b] = true
				keep[m.ID] = true // the newest of its day, week or month
			}
		}
	}
	return keep
}

// Prune deletes an upstream's snapshots (dump and manifest) that the policy
// does not keep and whose lock has passed. It returns the IDs deleted.
func Prune(ctx context.Context, st Store, upstream string, k Keep, now time.Time) ([]string, error) {
	objs, err := st.List(ctx, upstream+"/")
	if err != nil {
		return nil, err
	}
	var ms []Manifest
	byID := map[string][]Object{}
	for _, o := range objs {
		id, _, _ := strings.Cut(strings.TrimPrefix(o.Name, upstream+"/"), ".")
		byID[id] = append(byID[id], o)
		if strings.HasSuffix(o.Name, ".manifest.json") {
			m, err := ReadManifest(ctx, st, o)
			if err != nil {
				return nil, err
			}
			ms = append(ms, m)
		}
	}
	keep := k.Keeps(ms)
	var deleted []string
	for _, m := range ms {
		if keep[m.ID] {
			continue
		}
		locked := false
		for _, o := range byID[m.ID] {
			locked = locked || now.Before(o.RetainUntil)
		}
		if locked {
			continue
		}
		// The dump goes first: a manifest without its dump is visibly
		// incomplete, a dump without its manifest would be invisible.
		sort.Slice(byID[m.ID], func(i, j int) bool { return !strings.HasSuffix(byID[m.ID][i].Name, ".manifest.json") })
		for _, o := range byID[m.ID] {
			if err := st.Delete(ctx, o); err != nil {
				return deleted, fmt.Errorf("pruning %s: %w", m.ID, err)
			}
		}
		deleted = append(deleted, m.ID)
	}
	return deleted, nil
}
