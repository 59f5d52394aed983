package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/chaperone/chaperone/internal/audit"
	"github.com/chaperone/chaperone/internal/config"
	"github.com/chaperone/chaperone/internal/store"
)

func (a *app) auditCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "audit", Short: "Verify, follow and export the hash-chained audit log"}
	cmd.AddCommand(a.auditVerifyCommand(), a.auditTailCommand(), a.auditExportCommand())
	return cmd
}

func (a *app) auditVerifyCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "verify [--json]",
		Short: "Recompute the chain; name the first entry edited, deleted or reordered",
		Long: `verify recomputes every entry's hash and link. It exits 0 when the whole chain
holds and 1 when it does not, naming the first entry that was edited,
deleted or reordered. Record the head it prints somewhere the state's
owner cannot write: a chain rewritten from scratch only shows against it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withState(cmd.Context(), func(_ *config.Config, st store.Store) error {
				r, err := audit.Verify(cmd.Context(), st)
				if err != nil {
					return err
				}
				if asJSON {
					out, _ := json.Marshal(struct {
						OK bool `json:"ok"`
						audit.Result
					}{r.OK(), r})
					fmt.Fprintln(a.stdout, string(out))
				} else if r.OK() {
					fmt.Fprintf(a.stdout, "audit log intact: %d entries, head #%d %s\n", r.Entries, r.HeadSeq, r.HeadHash)
				} else {
					fmt.Fprintf(a.stdout, "audit log BROKEN at entry %d (%s): %s\n", r.Break.Seq, r.Break.Kind, r.Break.Detail)
				}
				if !r.OK() {
					return silentExit(exitInput)
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (a *app) auditTailCommand() *cobra.Command {
	var n int
	var follow bool
	var entry, class string
	cmd := &cobra.Command{
		Use:   "tail [-n N] [-f] [--entry E] [--class C]",
		Short: "Print the newest entries; with -f, keep printing new ones",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			filter, err := audit.NewFilter(entry, class)
			if err != nil {
				return inputErr(err)
			}
			return a.withState(cmd.Context(), func(_ *config.Config, st store.Store) error {
				var last store.AuditEntry
				if err := st.View(cmd.Context(), func(tx store.Tx) (err error) { last, _, err = tx.LastAudit(); return }); err != nil {
					return err
				}
				after := max(last.Seq-int64(n), 0)
				ctx := cmd.Context()
				if follow {
					var stop context.CancelFunc
					ctx, stop = signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
					defer stop()
				}
				for {
					err := audit.Each(ctx, st, after, func(e store.AuditEntry) error {
						after = e.Seq
						if !filter.Match(e) {
							return nil
						}
						return printEntry(a.stdout, e)
					})
					if err != nil || !follow {
						return err
					}
					select {
					case <-ctx.Done():
						return nil
					case <-time.After(500 * time.Millisecond):
					}
				}
			})
		},
	}
	cmd.Flags().IntVarP(&n, "lines", "n", 20, "how many of the newest entries to print first")
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep printing entries as they are appended")
	filterFlags(cmd, &entry, &class)
	return cmd
}

func printEntry(w io.Writer, e store.AuditEntry) error {
	_, err := fmt.Fprintf(w, "%s #%d %s %s %s\n", e.Time.Local().Format(time.RFC3339), e.Seq, e.Type, e.Actor, e.Data)
	return err
}

// exported is one line of `audit export --format jsonl`: everything needed to
// verify the chain elsewhere.
type exported struct {
	Seq      int64           `json:"seq"`
	Time     string          `json:"time"`
	Type     string          `json:"type"`
	Actor    string          `json:"actor"`
	Data     json.RawMessage `json:"data"`
	PrevHash string          `json:"prev_hash"`
	Hash     string          `json:"hash"`
}

func (a *app) auditExportCommand() *cobra.Command {
	var format, output, entry, class string
	cmd := &cobra.Command{
		Use:   "export --format jsonl [--output FILE] [--entry E] [--class C]",
		Short: "Write every entry, with its hashes, as JSON lines",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "jsonl" {
				return inputErrf("unknown format %q (want jsonl)", format)
			}
			filter, err := audit.NewFilter(entry, class)
			if err != nil {
				return inputErr(err)
			}
			return a.withState(cmd.Context(), func(_ *config.Config, st store.Store) error {
				w := a.stdout
				if output != "" {
					f, err := os.OpenFile(output, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
					if err != nil {
						return inputErr(err)
					}
					defer f.Close()
					w = f
				}
				enc := json.NewEncoder(w)
				err := audit.Each(cmd.Context(), st, 0, func(e store.AuditEntry) error {
					if !filter.Match(e) {
						return nil
					}
					return enc.Encode(exported{e.Seq, e.Time.UTC().Format(time.RFC3339Nano), e.Type, e.Actor, e.Data, e.PrevHash, e.Hash})
				})
				if err != nil {
					return err
				}
				if f, ok := w.(*os.File); ok && output != "" {
					return f.Sync()
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&format, "format", "jsonl", "output format (jsonl)")
	cmd.Flags().StringVarP(&output, "output", "o", "", "write to FILE (must not exist) instead of standard output")
	filterFlags(cmd, &entry, &class)
	return cmd
}

// filterFlags are tail's and export's: decisions of one entry point or
// class only. Each selected line keeps its hashes, so it can still be
// checked against a full export.
func filterFlags(cmd *cobra.Command, entry, class *string) {
	cmd.Flags().StringVar(entry, "entry", "", "only decisions made at this entry point: pg, http, proxy or hook")
	cmd.Flags().StringVar(class, "class", "", "only decisions about actions of this class: read, write, unknown, destructive or credential_access")
}
