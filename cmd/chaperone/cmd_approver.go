package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/chaperone/chaperone/internal/config"
	"github.com/chaperone/chaperone/internal/store"
)

func (a *app) approverCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "approver", Short: "Manage the humans who may approve held actions"}
	add := &cobra.Command{
		Use:   "add NAME",
		Short: "Add an approver; the password is set at the terminal (argon2id is stored)",
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
			return a.withState(cmd.Context(), func(cfg *config.Config, st store.Store) error {
				if err := a.approvalService(cfg, st).AddApprover(cmd.Context(), args[0], pw, actor()); err != nil {
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
				fmt.Fprintln(w, "NAME\tADDED")
				for _, ap := range list {
					fmt.Fprintf(w, "%s\t%s\n", ap.Name, ap.CreatedAt.Local().Format(time.DateTime))
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
