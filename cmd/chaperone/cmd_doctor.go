package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/chaperone/chaperone/internal/backup"
	"github.com/chaperone/chaperone/internal/config"
	"github.com/chaperone/chaperone/internal/doctor"
	"github.com/chaperone/chaperone/internal/store"
)

func (a *app) doctorCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "doctor [--json]",
		Short: "Check the installation end to end and say what is wrong and how to fix it",
		Long: `doctor checks where backups live and whether they can be deleted, how old
each upstream's last verified backup is against backup.rpo, who can read the
state and its keys, tokens that never expire, and listeners reachable beyond
loopback. It exits 1 when any check fails.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// Unset secrets are reported per upstream, not a reason to stop.
			return a.withBackups(cmd.Context(), false, func(cfg *config.Config, st store.Store, bs backup.Store) error {
				return a.doctor(cmd.Context(), cfg, st, bs, asJSON)
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (a *app) doctor(ctx context.Context, cfg *config.Config, st store.Store, bs backup.Store, asJSON bool) error {
	findings := doctor.Run(ctx, doctor.Inputs{Config: cfg, State: st, Backup: bs, Now: time.Now(),
		DSN: func(u config.Upstream) (string, error) { return u.Credential(sealOpener(cfg)) }})
	if wd, err := os.Getwd(); err == nil {
		home, _ := os.UserHomeDir()
		findings = append(findings, doctor.HookChecks(wd, home, os.Getenv)...)
	}
	failed := 0
	for _, f := range findings {
		if f.Level == doctor.Fail {
			failed++
		}
	}
	if asJSON {
		if err := a.printJSON(findings); err != nil {
			return err
		}
	} else {
		for _, f := range findings {
			fmt.Fprintf(a.stdout, "%-4s %s: %s\n", f.Level, f.Check, f.Message)
			if f.Fix != "" && f.Level != doctor.OK {
				fmt.Fprintf(a.stdout, "     fix: %s\n", f.Fix)
			}
		}
	}
	if failed > 0 {
		return inputErrf("%d check(s) failed", failed)
	}
	return nil
}
