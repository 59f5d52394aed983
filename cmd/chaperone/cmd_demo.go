package main

import (
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/chaperone/chaperone/internal/demo"
)

func (a *app) demoCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "demo",
		Short: "Replay the volumeDelete incident on this machine and show what Chaperone does",
		Long: `demo replays the April 2026 incident with real parts on this machine: a
private PostgreSQL holding "staging" and "production", a local stand-in for
Railway's API serving Railway's real schema, and chaperone serve in front of
both, all in a temporary directory removed afterwards. A scripted agent with a
staging token looks for the Railway token in its workspace, sends volumeDelete,
drops a staging table (approved with a second factor, snapshotted first) and a
production table (denied). It prints the timeline and exits 0 only if
production's data and volume are intact and the audit chain verifies.

It needs PostgreSQL's server programs (initdb, pg_ctl) and pg_dump; run as
root, PostgreSQL runs as the postgres user.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			exe, err := os.Executable()
			if err != nil {
				return err
			}
			// Interrupted, the demo still stops its PostgreSQL and serve and
			// removes its directory.
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return demo.Run(ctx, exe, a.stdout)
		},
	}
}
