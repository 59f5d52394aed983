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
both, all in a temporary directory removed afterwards. A scripted agent works
in a shell under chaperone run: it looks for the Railway token in its
workspace, runs a script that calls Railway around the proxy, tries Railway's
own token, and sends volumeDelete with curl through the proxy; with a staging
token it drops a staging table (approved with a second factor, snapshotted
first) and a production table (denied). It prints the timeline and exits 0
only if the agent was confined, production's data and volume are intact,
Railway saw only Chaperone's credential and the audit chain verifies.

It needs Linux namespaces (as chaperone run does: as root, or with
unprivileged user namespaces allowed); where none can be made it says so and
exits 3, never running its agent unconfined. It needs bash, curl, python3,
PostgreSQL's server programs (initdb, pg_ctl) and pg_dump; run as
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
