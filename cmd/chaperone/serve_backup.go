package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/audit"
	"github.com/chaperone/chaperone/internal/backup"
	"github.com/chaperone/chaperone/internal/config"
	"github.com/chaperone/chaperone/internal/gateway/pg"
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

// snapshotBeforeDestructive is the gateway's pre-execution step: before an
// approved destructive statement runs, the tables it touches (or the whole
// database, when that cannot be bounded) are snapshotted and checked. If
// that fails the statement does not run. The approval and the audit log
// name the snapshot.
func snapshotBeforeDestructive(cfg *config.Config, st store.Store, upstream func(string) (pg.Upstream, bool), log *slog.Logger) func(context.Context, store.Approval, action.Action) error {
	return func(ctx context.Context, req store.Approval, act action.Action) error {
		up, ok := upstream(req.Upstream)
		if !ok {
			return fmt.Errorf("upstream %s is not configured", req.Upstream)
		}
		bs, err := backupStore(cfg)
		if err != nil {
			return err
		}
		if err := bs.Check(ctx); err != nil {
			return fmt.Errorf("no snapshot could be taken: the backup store is not usable: %w", err)
		}
		tables, whole, err := backup.AffectedTables(ctx, up.DSN, act.Targets)
		if err != nil {
			return err
		}
		if whole {
			tables = nil
		}
		m, err := backup.Snapshot{Upstream: up.Name, Env: up.Env, DSN: up.DSN, Tables: tables, Recipient: cfg.Backup.Recipient,
			Reason: "before approved request " + req.ID + ": " + oneLine(req.Text, 200), Store: bs,
			Retain: time.Duration(cfg.Backup.Retain)}.Run(ctx)
		if err != nil {
			log.Error("pre-destruction snapshot failed", "request", req.ID, "upstream", up.Name, "err", err)
			return fmt.Errorf("the snapshot before it failed: %w", err)
		}
		names := make([]string, 0, len(m.Tables))
		for _, t := range m.Tables {
			names = append(names, t.Name)
		}
		return st.Update(ctx, func(tx store.Tx) error {
			if err := tx.SetApprovalSnapshot(req.ID, m.ID); err != nil {
				return err
			}
			_, err := audit.Append(tx, audit.Event{Type: "backup.snapshot", Actor: "system", Data: map[string]any{
				"request": req.ID, "snapshot": m.ID, "upstream": up.Name, "object": m.Object.Name, "sha256": m.SHA256,
				"tables": strings.Join(names, ","), "whole_database": m.WholeDB, "store": bs.Describe()}}, time.Now())
			return err
		})
	}
}
