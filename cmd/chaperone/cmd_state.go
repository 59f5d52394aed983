package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/chaperone/chaperone/internal/audit"
	"github.com/chaperone/chaperone/internal/config"
	"github.com/chaperone/chaperone/internal/store"
	"github.com/chaperone/chaperone/internal/store/postgres"
	"github.com/chaperone/chaperone/internal/store/sqlite"
)

func (a *app) stateCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "state", Short: "Move Chaperone's state between drivers"}
	var to string
	migrate := &cobra.Command{
		Use:   "migrate --to postgres://...",
		Short: "Copy the SQLite state into an empty PostgreSQL database",
		Long: `migrate copies every table of the configured SQLite state into the
PostgreSQL database --to names (a DSN, or ${VAR} to read it from the
environment and keep it off the command line), in one transaction, and
then verifies the audit chain on the target. It refuses a target that
holds any row: a state is moved whole, never merged. Stop serve first, so
that nothing is written to the SQLite state during the copy; then set
state.driver: postgres and state.dsn.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if to == "" {
				return inputErrf("--to: give the target database, e.g. --to '${STATE_DSN}'")
			}
			dsn, err := config.Secret(to).Resolve()
			if err != nil {
				return inputErrf("--to: %v", err)
			}
			return a.withState(cmd.Context(), func(cfg *config.Config, st store.Store) error {
				src, ok := st.(*sqlite.Store)
				if !ok {
					return inputErrf("state migrate copies from the sqlite driver; this config uses %s", cfg.State.Driver)
				}
				return migrateState(cmd.Context(), a, src, dsn)
			})
		},
	}
	migrate.Flags().StringVar(&to, "to", "", "the target PostgreSQL database (DSN or ${VAR})")
	cmd.AddCommand(migrate)
	return cmd
}

func migrateState(ctx context.Context, a *app, src *sqlite.Store, dsn string) error {
	from, err := sqlite.Migrations()
	if err != nil {
		return err
	}
	target, err := postgres.Open(ctx, dsn)
	if err != nil {
		return fmt.Errorf("opening the target: %w", err)
	}
	defer target.Close()
	into, err := postgres.Migrations()
	if err != nil {
		return err
	}
	if len(from) != len(into) {
		return fmt.Errorf("the drivers' schemas differ (sqlite %d, postgres %d migrations)", len(from), len(into))
	}
	before, err := audit.Verify(ctx, src)
	if err != nil {
		return err
	}
	if !before.OK() {
		return fmt.Errorf("the source's audit chain is broken at entry %d (%s): %s; not copying it", before.Break.Seq, before.Break.Kind, before.Break.Detail)
	}
	counts, err := target.Load(ctx, src, sqlite.Tables)
	if errors.Is(err, postgres.ErrNotEmpty) {
		return inputErr(err)
	}
	if err != nil {
		return err
	}
	var parts []string
	for _, t := range sqlite.Tables {
		parts = append(parts, fmt.Sprintf("%s %d", t, counts[t]))
	}
	fmt.Fprintf(a.stdout, "copied: %s\n", strings.Join(parts, ", "))
	after, err := audit.Verify(ctx, target)
	if err != nil {
		return fmt.Errorf("verifying the target: %w", err)
	}
	if !after.OK() || after.Entries != before.Entries || after.HeadHash != before.HeadHash {
		return fmt.Errorf("the copied audit chain does not verify on the target (%d entries, head %s; the source has %d, head %s)",
			after.Entries, after.HeadHash, before.Entries, before.HeadHash)
	}
	fmt.Fprintf(a.stdout, "audit chain verified on the target: %d entries, head #%d %s\n", after.Entries, after.HeadSeq, after.HeadHash)
	fmt.Fprintln(a.stdout, "next: set state.driver: postgres and state.dsn, and copy the state directory's secret.key to every instance")
	return nil
}
