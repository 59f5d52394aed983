package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/chaperone/chaperone/internal/approval"
	"github.com/chaperone/chaperone/internal/config"
	"github.com/chaperone/chaperone/internal/store"
)

func (a *app) approverCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "approver", Short: "Manage the humans who may approve held actions"}
	add := &cobra.Command{
		Use:   "add NAME",
		Short: "Add an approver: a password (argon2id is stored) and a TOTP app, enrolled at the terminal",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			tty, err := a.terminal()
			if err != nil {
				return err
			}
			pw, err := tty.secret("new password for " + args[0] + ": ")
			if err != nil {
				return err
			}
			again, err := tty.secret("again: ")
			if err != nil {
				return err
			}
			if pw != again {
				return inputErrf("the passwords differ")
			}
			key, err := approval.NewTOTP(args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(tty.f, "\nScan this with an authenticator app, or enter the secret by hand:\n\n")
			if err := writeQR(tty.f, key.URL()); err != nil {
				return err
			}
			fmt.Fprintf(tty.f, "\nsecret: %s\n%s\n\n", key.Secret(), key.URL())
			var used int64
			for tries := 1; ; tries++ {
				code, err := tty.ask("", "code shown by the app: ")
				if err != nil {
					return err
				}
				var ok bool
				if used, ok = approval.CheckCode(key.Secret(), code, time.Now()); ok {
					break
				}
				if tries == 3 {
					return inputErrf("three wrong codes: the app's clock may be off; nothing was added")
				}
				fmt.Fprintln(tty.f, "that code does not match; try the next one")
			}
			return a.withState(cmd.Context(), func(cfg *config.Config, st store.Store) error {
				if err := a.approvalService(cfg, st).AddEnrolledApprover(cmd.Context(), args[0], pw, key.Secret(), used, actor()); err != nil {
					return inputErr(err)
				}
				fmt.Fprintf(a.stdout, "approver %s added\n", args[0])
				return nil
			})
		},
	}
	list := &cobra.Command{
		Use:   "list",
		Short: "List approvers",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withState(cmd.Context(), func(cfg *config.Config, st store.Store) error {
				list, err := a.approvalService(cfg, st).Approvers(cmd.Context())
				if err != nil {
					return err
				}
				w := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "NAME\tADDED\tSECOND FACTOR\tLOCKED UNTIL")
				for _, ap := range list {
					factor, locked := "none (cannot approve)", "-"
					if ap.TOTPSecret != "" {
						factor = "totp"
					}
					if time.Now().Before(ap.LockedUntil) {
						locked = ap.LockedUntil.Local().Format(time.DateTime)
					}
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", ap.Name, ap.CreatedAt.Local().Format(time.DateTime), factor, locked)
				}
				return w.Flush()
			})
		},
	}
	remove := &cobra.Command{
		Use:   "remove NAME",
		Short: "Remove an approver",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withState(cmd.Context(), func(cfg *config.Config, st store.Store) error {
				if err := a.approvalService(cfg, st).RemoveApprover(cmd.Context(), args[0], actor()); err != nil {
					return inputErr(err)
				}
				fmt.Fprintf(a.stdout, "approver %s removed\n", args[0])
				return nil
			})
		},
	}
	cmd.AddCommand(add, list, remove)
	return cmd
}
