package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

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

// backupRunner takes whole-upstream snapshots with the configured store,
// key and retention.
func backupRunner(cfg *config.Config, st store.Store, log *slog.Logger) backup.Runner {
	k := cfg.Backup.Keep
	return backup.Runner{State: st, Open: func() (backup.Store, error) { return backupStore(cfg) }, Recipient: cfg.Backup.Recipient,
		Retain: time.Duration(cfg.Backup.Retain), Keep: backup.Keep{Daily: k.Daily, Weekly: k.Weekly, Monthly: k.Monthly}, Log: log}
}

// backupTarget resolves an upstream's credential for the runner.
func backupTarget(cfg *config.Config, up config.Upstream) (backup.Target, error) {
	dsn, err := up.Credential(sealOpener(cfg))
	return backup.Target{Upstream: up.Name, Env: up.Env, DSN: dsn, Schedule: up.BackupSchedule}, err
}

// scheduleBackups runs each upstream's backup_schedule until stop is called.
func scheduleBackups(ctx context.Context, cfg *config.Config, st store.Store, log *slog.Logger) (stop func(), err error) {
	var targets []backup.Target
	for _, up := range cfg.Upstreams {
		if up.BackupSchedule == "" {
			continue
		}
		t, err := backupTarget(cfg, up)
		if err != nil {
			return nil, inputErrf("upstream %s: %v", up.Name, err)
		}
		targets = append(targets, t)
	}
	stop, err = backupRunner(cfg, st, log).Schedule(ctx, targets)
	if err != nil {
		return nil, inputErr(err)
	}
	return stop, nil
}

// drillCollector exports each postgres upstream's last passing restore
// drill on /metrics, read from the audit log at scrape time.
type drillCollector struct {
	drills    *backup.Drills
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
	drills, err := c.drills.Last(context.Background())
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
