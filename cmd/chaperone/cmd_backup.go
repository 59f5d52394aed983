package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"filippo.io/age"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/chaperone/chaperone/internal/audit"
	"github.com/chaperone/chaperone/internal/backup"
	"github.com/chaperone/chaperone/internal/config"
	"github.com/chaperone/chaperone/internal/human"
	"github.com/chaperone/chaperone/internal/store"
)

func (a *app) backupCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "backup", Short: "Take, list, restore and drill write-once snapshots of upstreams"}
	cmd.AddCommand(a.backupRunCommand(), a.backupListCommand(), a.backupShowCommand(), a.backupRestoreCommand(), a.backupVerifyCommand())
	return cmd
}

// withBackups runs fn with the checked config (every secret resolved when
// withSecrets), the state and the backup store.
func (a *app) withBackups(ctx context.Context, withSecrets bool, fn func(*config.Config, store.Store, backup.Store) error) error {
	cfg, _, st, err := a.setup(ctx, withSecrets)
	if err != nil {
		return err
	}
	defer st.Close()
	bs, err := backupStore(cfg)
	if err != nil {
		return inputErr(err)
	}
	return fn(cfg, st, bs)
}

func (a *app) backupRunCommand() *cobra.Command {
	var upstream, reason string
	cmd := &cobra.Command{
		Use:   "run --upstream NAME [--reason TEXT]",
		Short: "Snapshot an upstream now: pg_dump, zstd, age, into the write-once store",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withBackups(cmd.Context(), true, func(cfg *config.Config, st store.Store, bs backup.Store) error {
				var up *config.Upstream
				for i := range cfg.Upstreams {
					if cfg.Upstreams[i].Name == upstream && cfg.Upstreams[i].Kind == config.KindPostgres {
						up = &cfg.Upstreams[i]
					}
				}
				if up == nil {
					return inputErrf("no postgres upstream named %q", upstream)
				}
				var progress func(int64, int64)
				if f, ok := a.stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
					last := time.Time{}
					progress = func(n, estimate int64) {
						if time.Since(last) < 100*time.Millisecond {
							return
						}
						last = time.Now()
						fmt.Fprintf(f, "\r%s %s of ~%s", bar(n, estimate, 30), human.Bytes(n), human.Bytes(estimate))
					}
					defer fmt.Fprintln(f)
				}
				t, err := backupTarget(cfg, *up)
				if err != nil {
					return inputErr(err)
				}
				leaveACoreForPgDump()
				m, err := backupRunner(cfg, st, nil).Take(cmd.Context(), bs, t, reason, actor(), progress)
				if errors.Is(err, backup.ErrNoRecipient) {
					return inputErr(err)
				}
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "%s\n", m.ID)
				fmt.Fprintf(a.stderr, "snapshot %s of %s: %d tables, %s dumped, %s stored in %s, locked until %s\n", m.ID, m.Upstream,
					len(m.Tables), human.Bytes(m.DumpBytes), human.Bytes(m.StoredBytes), bs.Describe(), m.Object.RetainUntil.Local().Format(time.DateTime))
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&upstream, "upstream", "", "the upstream to snapshot (required)")
	cmd.Flags().StringVar(&reason, "reason", "manual", "why, recorded in the manifest")
	cmd.MarkFlagRequired("upstream")
	return cmd
}

func findManifest(ctx context.Context, bs backup.Store, id string) (backup.Manifest, error) {
	all, err := backup.Manifests(ctx, bs, "")
	if err != nil {
		return backup.Manifest{}, err
	}
	for _, m := range all {
		if m.ID == id {
			return m, nil
		}
	}
	return backup.Manifest{}, inputErrf("no snapshot %s in %s", id, bs.Describe())
}

func (a *app) backupListCommand() *cobra.Command {
	var upstream string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list [--upstream NAME] [--json]",
		Short: "List snapshots, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withBackups(cmd.Context(), true, func(_ *config.Config, _ store.Store, bs backup.Store) error {
				list, err := backup.Manifests(cmd.Context(), bs, upstream)
				if err != nil {
					return err
				}
				if asJSON {
					if list == nil {
						list = []backup.Manifest{}
					}
					return a.printJSON(list)
				}
				w := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "ID\tUPSTREAM\tENV\tTAKEN\tTABLES\tDUMP\tSTORED\tLOCKED UNTIL\tREASON")
				for _, m := range list {
					tables := fmt.Sprint(len(m.Tables))
					if m.WholeDB {
						tables += " (all)"
					}
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", m.ID, m.Upstream, m.Env, m.Time.Local().Format(time.DateTime),
						tables, human.Bytes(m.DumpBytes), human.Bytes(m.StoredBytes), m.Object.RetainUntil.Local().Format(time.DateTime), human.OneLine(m.Reason, 60))
				}
				return w.Flush()
			})
		},
	}
	cmd.Flags().StringVar(&upstream, "upstream", "", "only this upstream's")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (a *app) backupShowCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "show ID",
		Short: "Show a snapshot's manifest (JSON)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withBackups(cmd.Context(), true, func(_ *config.Config, _ store.Store, bs backup.Store) error {
				m, err := findManifest(cmd.Context(), bs, args[0])
				if err != nil {
					return err
				}
				return a.printJSON(m)
			})
		},
	}
}

// identity reads the age identity from a file, or from the terminal: it is
// never a flag's value or an environment variable.
func (a *app) identity(file string) (age.Identity, error) {
	text := ""
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, inputErr(err)
		}
		text = string(b)
	} else {
		tty, err := a.terminal()
		if err != nil {
			return nil, inputErrf("give the age identity with --identity FILE, or run at a terminal to paste it")
		}
		if text, err = tty.secret("age identity (AGE-SECRET-KEY-1...): "); err != nil {
			return nil, err
		}
	}
	ids, err := age.ParseIdentities(strings.NewReader(text))
	if err != nil || len(ids) == 0 {
		return nil, inputErrf("not an age identity: %v", err)
	}
	return ids[0], nil
}

func (a *app) backupRestoreCommand() *cobra.Command {
	var to, identityFile string
	var tables []string
	cmd := &cobra.Command{
		Use:   "restore ID --to DSN [--table T]... [--identity FILE]",
		Short: "Restore a snapshot (or some of its tables) into a database",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := a.identity(identityFile)
			if err != nil {
				return err
			}
			return a.withBackups(cmd.Context(), true, func(_ *config.Config, st store.Store, bs backup.Store) error {
				m, err := findManifest(cmd.Context(), bs, args[0])
				if err != nil {
					return err
				}
				if err := backup.Restore(cmd.Context(), bs, m, id, to, tables); err != nil {
					return err
				}
				audit.Record(cmd.Context(), st, audit.Event{Type: audit.BackupRestored, Actor: actor(), Data: map[string]any{
					"snapshot": m.ID, "upstream": m.Upstream, "tables": strings.Join(tables, ",")}})
				fmt.Fprintf(a.stdout, "restored %s\n", m.ID)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "the database to restore into (required)")
	cmd.Flags().StringArrayVar(&tables, "table", nil, "only this table (schema.table); repeatable")
	cmd.Flags().StringVar(&identityFile, "identity", "", "file with the age identity (else asked at the terminal)")
	cmd.MarkFlagRequired("to")
	return cmd
}

func (a *app) backupVerifyCommand() *cobra.Command {
	var scratch, identityFile, upstream string
	var latest bool
	cmd := &cobra.Command{
		Use:   "verify [ID | --latest [--upstream NAME]] --scratch DSN [--identity FILE]",
		Short: "Drill: restore a snapshot into a scratch database and compare it with its manifest",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if (len(args) == 1) == latest {
				return inputErrf("name a snapshot ID or --latest, not both or neither")
			}
			id, err := a.identity(identityFile)
			if err != nil {
				return err
			}
			return a.withBackups(cmd.Context(), true, func(_ *config.Config, st store.Store, bs backup.Store) error {
				var m backup.Manifest
				if latest {
					list, err := backup.Manifests(cmd.Context(), bs, upstream)
					if err != nil {
						return err
					}
					if len(list) == 0 {
						return inputErrf("no snapshots to verify")
					}
					m = list[0]
				} else if m, err = findManifest(cmd.Context(), bs, args[0]); err != nil {
					return err
				}
				d, err := backup.Verify(cmd.Context(), bs, m, id, scratch)
				if err != nil {
					d.Mismatches = append(d.Mismatches, err.Error())
				}
				if err := audit.Record(cmd.Context(), st, audit.Event{Type: audit.BackupVerified, Actor: actor(), Data: map[string]any{
					"snapshot": m.ID, "upstream": m.Upstream, "ok": d.OK, "tables": d.Tables, "mismatches": strings.Join(d.Mismatches, "; ")}}); err != nil {
					return err
				}
				if !d.OK {
					return inputErrf("drill of %s FAILED: %s", m.ID, strings.Join(d.Mismatches, "; "))
				}
				fmt.Fprintf(a.stdout, "drill of %s passed: %d tables restored, row counts and checksums equal the manifest\n", m.ID, d.Tables)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&scratch, "scratch", "", "an empty database to restore into (required)")
	cmd.Flags().StringVar(&identityFile, "identity", "", "file with the age identity (else asked at the terminal)")
	cmd.Flags().BoolVar(&latest, "latest", false, "verify the newest snapshot")
	cmd.Flags().StringVar(&upstream, "upstream", "", "with --latest: of this upstream")
	cmd.MarkFlagRequired("scratch")
	return cmd
}

// bar draws a progress bar of width cells; the estimate is an upper bound,
// so the bar stops short of full until the end.
func bar(n, total int64, width int) string {
	filled := width
	if total > 0 && n < total {
		filled = int(int64(width) * n / total)
	}
	return "[" + strings.Repeat("#", filled) + strings.Repeat(".", width-filled) + "]"
}

// leaveACoreForPgDump keeps this process's Go threads off one core, which
// pg_dump, running beside it, needs for itself. On a small machine the
// pipeline's goroutines otherwise chase pg_dump (and often the server)
// from core to core, and the hand-offs cost more than the parallelism
// gains: on two cores, `bench/backup.sh` runs about 5% faster with one.
// GOMAXPROCS in the environment still decides.
func leaveACoreForPgDump() {
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(max(1, runtime.NumCPU()-1))
	}
}
