package backup

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/chaperone/chaperone/internal/audit"
	"github.com/chaperone/chaperone/internal/store"
)

// Runner takes whole-upstream snapshots, by hand (`backup run`) and by each
// upstream's schedule, and records each one in the audit log.
type Runner struct {
	State     store.Store
	Open      func() (Store, error)
	Recipient string
	Retain    time.Duration
	Keep      Keep
	Log       *slog.Logger
}

// Target is an upstream to snapshot, its credential resolved.
type Target struct {
	Upstream, Env, DSN string
	// Schedule is its cron spec, for Schedule.
	Schedule string
}

// Take snapshots t now and audits it as actor.
func (r Runner) Take(ctx context.Context, bs Store, t Target, reason, actor string, progress func(dumped, estimate int64)) (Manifest, error) {
	if r.Recipient == "" {
		return Manifest{}, ErrNoRecipient
	}
	if err := bs.Check(ctx); err != nil {
		return Manifest{}, err
	}
	m, err := Snapshot{Upstream: t.Upstream, Env: t.Env, DSN: t.DSN, Reason: reason, Recipient: r.Recipient,
		Store: bs, Retain: r.Retain, Progress: progress}.Run(ctx)
	if err != nil {
		return m, err
	}
	return m, audit.Record(ctx, r.State, audit.Event{Type: audit.BackupSnapshot, Actor: actor, Data: map[string]any{
		"snapshot": m.ID, "upstream": m.Upstream, "object": m.Object.Name, "sha256": m.SHA256, "reason": reason}})
}

// Schedule runs each target's schedule until stop is called: a snapshot,
// then pruning by Keep. Failures are logged and audited (backup.failed);
// they never stop the caller.
func (r Runner) Schedule(ctx context.Context, targets []Target) (stop func(), err error) {
	// A snapshot still running when its next turn comes is not doubled.
	c := cron.New(cron.WithChain(cron.SkipIfStillRunning(cron.DiscardLogger)))
	for _, t := range targets {
		if _, err := c.AddFunc(t.Schedule, func() { r.scheduled(ctx, t) }); err != nil {
			return nil, fmt.Errorf("upstream %s: backup_schedule: %v", t.Upstream, err)
		}
	}
	c.Start()
	return func() { <-c.Stop().Done() }, nil
}

func (r Runner) scheduled(ctx context.Context, t Target) {
	const actor = "system:schedule"
	fail := func(err error) {
		r.Log.Error("scheduled backup failed", "upstream", t.Upstream, "err", err)
		audit.Record(ctx, r.State, audit.Event{Type: audit.BackupFailed, Actor: actor, Data: map[string]any{
			"upstream": t.Upstream, "error": err.Error()}})
	}
	bs, err := r.Open()
	if err != nil {
		fail(err)
		return
	}
	m, err := r.Take(ctx, bs, t, "scheduled ("+t.Schedule+")", actor, nil)
	if err != nil {
		fail(err)
		return
	}
	deleted, err := Prune(ctx, bs, t.Upstream, r.Keep, time.Now())
	if len(deleted) > 0 {
		audit.Record(ctx, r.State, audit.Event{Type: audit.BackupPruned, Actor: actor, Data: map[string]any{
			"upstream": t.Upstream, "snapshots": strings.Join(deleted, ",")}})
	}
	if err != nil {
		fail(err)
		return
	}
	r.Log.Info("scheduled backup", "upstream", t.Upstream, "snapshot", m.ID, "pruned", len(deleted))
}

// Status says how recently an upstream's backups were proven by a restore
// drill, for the console and held statements' impact.
func Status(drills *Drills) func(context.Context, string) string {
	return func(ctx context.Context, upstream string) string {
		drills, err := drills.Last(ctx)
		if err != nil {
			return "backup status unknown"
		}
		return drills[upstream].Describe(time.Now())
	}
}
