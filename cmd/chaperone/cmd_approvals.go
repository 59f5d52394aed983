package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/chaperone/chaperone/internal/approval"
	"github.com/chaperone/chaperone/internal/config"
	"github.com/chaperone/chaperone/internal/human"
	"github.com/chaperone/chaperone/internal/store"
)

func (a *app) approvalsCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "approvals", Short: "List, show, approve and deny held actions"}
	cmd.AddCommand(a.approvalsListCommand(), a.approvalsShowCommand(), a.approvalsDecideCommand(true), a.approvalsDecideCommand(false))
	return cmd
}

func (a *app) approvalService(cfg *config.Config, st store.Store) *approval.Service {
	return &approval.Service{Store: st, TTL: time.Duration(cfg.Approvals.TTL), Secrets: newStateBox(cfg)}
}

func (a *app) approvalsListCommand() *cobra.Command {
	var state string
	var asJSON bool
	var limit int
	cmd := &cobra.Command{
		Use:   "list [--state pending|approved|denied|expired|consumed] [--json]",
		Short: "List requests, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withState(cmd.Context(), func(cfg *config.Config, st store.Store) error {
				list, err := a.approvalService(cfg, st).List(cmd.Context(), state, limit)
				if err != nil {
					return err
				}
				if asJSON {
					rows := make([]approval.View, 0, len(list))
					for _, r := range list {
						rows = append(rows, approval.ViewOf(r, nil))
					}
					return a.printJSON(rows)
				}
				w := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "ID\tSTATE\tENV\tUPSTREAM\tCLASS\tRULE\tASKED\tTEXT")
				for _, r := range list {
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.State, r.Env, r.Upstream, r.Class, r.Rule,
						r.CreatedAt.Local().Format(time.DateTime), human.OneLine(r.Text, 60))
				}
				return w.Flush()
			})
		},
	}
	cmd.Flags().StringVar(&state, "state", "", "only requests in this state")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().IntVar(&limit, "limit", 100, "at most this many")
	return cmd
}

func (a *app) approvalsShowCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show ID [--json]",
		Short: "Show one request: the exact text, who asked, why it was held, its impact and votes",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withState(cmd.Context(), func(cfg *config.Config, st store.Store) error {
				r, votes, err := a.approvalService(cfg, st).Get(cmd.Context(), args[0])
				if err != nil {
					return inputErr(err)
				}
				if asJSON {
					return a.printJSON(approval.ViewOf(r, votes))
				}
				w := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
				for _, kv := range [][2]string{
					{"id", r.ID}, {"state", r.State}, {"asked", r.CreatedAt.Local().Format(time.DateTime)},
					{"expires", r.ExpiresAt.Local().Format(time.DateTime)}, {"token", r.TokenID},
					{"environment", r.Env}, {"upstream", r.Upstream}, {"class", r.Class},
					{"rule", r.Rule + ": " + r.Reason}, {"approvals", fmt.Sprintf("%d needed", r.Required)},
					{"impact", orDash(r.Impact)}, {"deny reason", orDash(r.DenyReason)},
				} {
					fmt.Fprintf(w, "%s:\t%s\n", kv[0], kv[1])
				}
				for _, v := range votes {
					verb := "approved"
					if !v.Approve {
						verb = "denied"
					}
					fmt.Fprintf(w, "vote:\t%s %s at %s %s\n", v.Approver, verb, v.At.Local().Format(time.DateTime), v.Comment)
				}
				w.Flush()
				fmt.Fprintf(a.stdout, "\n%s\n", r.Text)
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (a *app) approvalsDecideCommand(approve bool) *cobra.Command {
	var as, note string
	use, short, noteFlag := "approve ID [--as NAME] [--comment TEXT]", "Approve a request as an approver (password and TOTP code asked at the terminal)", "comment"
	if !approve {
		use, short, noteFlag = "deny ID [--as NAME] --reason TEXT", "Deny a request for good; the reason reaches the agent", "reason"
	}
	cmd := &cobra.Command{
		Use:   strings.Fields(use)[0] + " " + strings.Join(strings.Fields(use)[1:], " "),
		Short: short,
		Long: short + `.

The approver's password and a code from their authenticator app are read
from the terminal, never from a flag, the environment or a pipe: a script,
or an agent with a shell, cannot approve.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			tty, err := a.terminal()
			if err != nil {
				return err
			}
			return a.withState(cmd.Context(), func(cfg *config.Config, st store.Store) error {
				svc := a.approvalService(cfg, st)
				r, _, err := svc.Get(cmd.Context(), args[0])
				if err != nil {
					return inputErr(err)
				}
				fmt.Fprintf(a.stderr, "%s %s on %s (%s): %s\n  %s\n", r.ID, r.Class, r.Upstream, r.Env, r.Rule, human.OneLine(r.Text, 200))
				name, err := tty.ask(as, "approver: ")
				if err != nil {
					return err
				}
				password, err := tty.secret("password for " + name + ": ")
				if err != nil {
					return err
				}
				code, err := tty.ask("", "code from your authenticator app: ")
				if err != nil {
					return err
				}
				if err := svc.Verify(cmd.Context(), name, password, code); err != nil {
					return inputErr(err)
				}
				if approve {
					r, err = svc.Approve(cmd.Context(), args[0], "approver:"+name, note)
				} else {
					r, err = svc.Deny(cmd.Context(), args[0], "approver:"+name, note)
				}
				if err != nil {
					return inputErr(err)
				}
				fmt.Fprintf(a.stdout, "%s is %s\n", r.ID, r.State)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&as, "as", "", "approver name (asked when not given)")
	cmd.Flags().StringVar(&note, noteFlag, "", map[bool]string{true: "comment for the record", false: "why (shown to the agent)"}[approve])
	if !approve {
		cmd.MarkFlagRequired("reason")
	}
	return cmd
}

func (a *app) printJSON(v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
