package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/robfig/cron/v3"

	"github.com/chaperone/chaperone/internal/audit"
	"github.com/chaperone/chaperone/internal/backup"
	"github.com/chaperone/chaperone/internal/config"
	"github.com/chaperone/chaperone/internal/store"
)

// backupStore opens the configured write-once store (secrets already
// checked by setup).
func backupStore(cfg *config.Config) (backup.Store, error) {
	if cfg.Backup.Store != "s3" {
		return &backup.Local{Dir: cfg.Backup.Local.Dir}, nil
	}
	s3 := cfg.Backup.S3
	ak, err := s3.AccessKey.Resolve()
	if err != nil {
		return nil, fmt.Errorf("backup.s3.access_key: %w", err)
	}
	sk, err := s3.SecretKey.Resolve()
	if err != nil {
		return nil, fmt.Errorf("backup.s3.secret_key: %w", err)
	}
	return &backup.S3{Endpoint: s3.Endpoint, Bucket: s3.Bucket, Prefix: s3.Prefix, Region: s3.Region, AccessKey: ak, SecretKey: sk}, nil
}

// takeSnapshot snapshots a whole upstream now and audits it: `backup run`
// and the schedules share it.
func takeSnapshot(ctx context.Context, cfg *config.Config, st store.Store, bs backup.Store, up config.Upstream, reason, actor string,
	progress func(dumped, estimate int64)) (backup.Manifest, error) {
	if cfg.Backup.Recipient == "" {
		return backup.Manifest{}, inputErrf("backup.recipient is not set: give the age public key snapshots are encrypted to (age-keygen -y KEYFILE)")
	}
	dsn, err := up.Credential(sealOpener(cfg))
	if err != nil {
		return backup.Manifest{}, inputErr(err)
	}
	if err := bs.Check(ctx); err != nil {
		return backup.Manifest{}, inputErr(err)
	}
	m, err := backup.Snapshot{Upstream: up.Name, Env: up.Env, DSN: dsn, Reason: reason, Recipient: cfg.Backup.Recipient,
		Store: bs, Retain: time.Duration(cfg.Backup.Retain), Progress: progress}.Run(ctx)
	if err != nil {
		return m, err
	}
	return m, audit.Record(ctx, st, audit.Event{Type: "backup.snapshot", Actor: actor, Data: map[string]any{
		"snapshot": m.ID, "upstream": m.Upstream, "object": m.Object.Name, "sha256": m.SHA256, "reason": reason}})
}

// scheduleBackups runs each upstream's backup_schedule until stop is
// called: a snapshot, then pruning by backup.keep. Failures are logged and
// audited (backup.failed); they never stop serve.
func scheduleBackups(ctx context.Context, cfg *config.Config, st store.Store, log *slog.Logger) (stop func(), err error) {
	// A snapshot still running when its next turn comes is not doubled.
	c := cron.New(cron.WithChain(cron.SkipIfStillRunning(cron.DiscardLogger)))
	for _, up := range cfg.Upstreams {
		if up.BackupSchedule == "" {
			continue
		}
		if _, err := c.AddFunc(up.BackupSchedule, func() { scheduledBackup(ctx, cfg, st, up, log) }); err != nil {
			return nil, inputErrf("upstream %s: backup_schedule: %v", up.Name, err)
		}
	}
	c.Start()
	return func() { <-c.Stop().Done() }, nil
}

func scheduledBackup(ctx context.Context, cfg *config.Config, st store.Store, up config.Upstream, log *slog.Logger) {
	fail := func(err error) {
		log.Error("scheduled backup failed", "upstream", up.Name, "err", err)
		audit.Record(ctx, st, audit.Event{Type: "backup.failed", Actor: "system:schedule", Data: map[string]any{
			"upstream": up.Name, "error": err.Error()}})
	}
	bs, err := backupStore(cfg)
	if err != nil {
		fail(err)
		return
	}
	m, err := takeSnapshot(ctx, cfg, st, bs, up, "scheduled ("+up.BackupSchedule+")", "system:schedule", nil)
	if err != nil {
		fail(err)
		return
	}
	k := cfg.Backup.Keep
	deleted, err := backup.Prune(ctx, bs, up.Name, backup.Keep{Daily: k.Daily, Weekly: k.Weekly, Monthly: k.Monthly}, time.Now())
	if len(deleted) > 0 {
		audit.Record(ctx, st, audit.Event{Type: "backup.pruned", Actor: "system:schedule", Data: map[string]any{
			"upstream": up.Name, "snapshots": strings.Join(deleted, ",")}})
	}
	if err != nil {
		fail(err)
		return
	}
	log.Info("scheduled backup", "upstream", up.Name, "snapshot", m.ID, "pruned", len(deleted))
}

// backupStatus says how recently an upstream's backups were proven by a
// restore drill, for the console and held statements' impact.
func backupStatus(st store.Store) func(context.Context, string) string {
	return func(ctx context.Context, upstream string) string {
		drills, err := backup.LastDrills(ctx, st)
		if err != nil {
			return "backup status unknown"
		}
		return drills[upstream].Describe(time.Now())
	}
}

// drillCollector exports each postgres upstream's last passing restore
// drill on /metrics, read from the audit log at scrape time.
type drillCollector struct {
	st        store.Store
	upstreams []string
}

var (
	drillTime = prometheus.NewDesc("chaperone_backup_last_verified_timestamp_seconds",
		"When the upstream's last passing restore drill was recorded (0: never).", []string{"upstream"}, nil)
	drillOK = prometheus.NewDesc("chaperone_backup_last_drill_ok",
		"1 when the upstream's latest restore drill passed, 0 when it failed or none ran.", []string{"upstream"}, nil)
)

func (c drillCollector) Describe(ch chan<- *prometheus.Desc) { ch <- drillTime; ch <- drillOK }

func (c drillCollector) Collect(ch chan<- prometheus.Metric) {
	drills, err := backup.LastDrills(context.Background(), c.st)
	if err != nil {
		return
	}
	for _, u := range c.upstreams {
		d := drills[u]
		ts, ok := 0.0, 0.0
		if !d.LastPassed.IsZero() {
			ts = float64(d.LastPassed.Unix())
			if d.Failing == "" {
				ok = 1
			}
		}
		ch <- prometheus.MustNewConstMetric(drillTime, prometheus.GaugeValue, ts, u)
		ch <- prometheus.MustNewConstMetric(drillOK, prometheus.GaugeValue, ok, u)
	}
}
