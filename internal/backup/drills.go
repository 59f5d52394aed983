package backup

import (
	"context"
	"encoding/json"
	"time"

	"github.com/chaperone/chaperone/internal/audit"
	"github.com/chaperone/chaperone/internal/human"
	"github.com/chaperone/chaperone/internal/store"
)

// DrillRecord is an upstream's restore-drill history as the audit log
// tells it: when a drill last passed, and whether the latest one failed.
type DrillRecord struct {
	LastPassed time.Time // zero: never
	Failing    string    // the latest drill's mismatches, when it failed
}

// LastDrills reads every recorded drill (backup.verified) from the audit
// log: the log is the record, so a drill cannot be claimed without leaving
// one there.
func LastDrills(ctx context.Context, st store.Store) (map[string]DrillRecord, error) {
	out := map[string]DrillRecord{}
	err := audit.Each(ctx, st, 0, func(e store.AuditEntry) error {
		if e.Type != audit.BackupVerified {
			return nil
		}
		var d struct {
			Upstream   string `json:"upstream"`
			OK         bool   `json:"ok"`
			Mismatches string `json:"mismatches"`
		}
		if json.Unmarshal(e.Data, &d) != nil || d.Upstream == "" {
			return nil
		}
		r := out[d.Upstream]
		if d.OK {
			r.LastPassed, r.Failing = e.Time, ""
		} else {
			r.Failing = d.Mismatches
			if r.Failing == "" {
				r.Failing = "the drill failed"
			}
		}
		out[d.Upstream] = r
		return nil
	})
	return out, err
}

// Describe says, for people, how recently an upstream's backups were proven.
func (r DrillRecord) Describe(now time.Time) string {
	switch {
	case r.Failing != "":
		return "the last restore drill FAILED"
	case r.LastPassed.IsZero():
		return "no verified backup yet"
	}
	return "last verified backup " + human.Ago(now.Sub(r.LastPassed))
}
