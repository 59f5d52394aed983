package backup

import (
	"context"
	"encoding/json"
	"maps"
	"sync"
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
	return (&Drills{State: st}).Last(ctx)
}

// Drills follows the drills recorded in the audit log for a long-running
// process: every held statement's impact and every console view and
// metrics scrape asks, and the log grows by every statement audited, so
// each call reads only the drills recorded since the one before.
type Drills struct {
	State store.Store

	mu    sync.Mutex
	after int64
	last  map[string]DrillRecord
}

// Last is every upstream's drill record as the log tells it now.
func (d *Drills) Last(ctx context.Context) (map[string]DrillRecord, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.last == nil {
		d.last = map[string]DrillRecord{}
	}
	var err error
	d.after, err = audit.EachOfType(ctx, d.State, d.after, audit.BackupVerified, func(e store.AuditEntry) {
		if e.Type == audit.BackupVerified {
			d.note(e)
		}
	})
	if err != nil {
		return nil, err
	}
	return maps.Clone(d.last), nil
}

func (d *Drills) note(e store.AuditEntry) {
	var v struct {
		Upstream   string `json:"upstream"`
		OK         bool   `json:"ok"`
		Mismatches string `json:"mismatches"`
	}
	if json.Unmarshal(e.Data, &v) != nil || v.Upstream == "" {
		return
	}
	r := d.last[v.Upstream]
	if v.OK {
		r.LastPassed, r.Failing = e.Time, ""
	} else {
		r.Failing = v.Mismatches
		if r.Failing == "" {
			r.Failing = "the drill failed"
		}
	}
	d.last[v.Upstream] = r
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
