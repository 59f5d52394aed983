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
	cmd.AddCommand(a.approvalsListCommand(), a.approvalsShowCommand(), a.approvalsDecideCommand(true), a.approvalsDecideCommand(false),
		a.approvalsGrantsCommand(), a.approvalsRevokeGrantCommand())
	return cmd
}

func (a *app) approvalService(cfg *config.Config, st store.Store) *approval.Service {
	return &approval.Service{Store: st, TTL: time.Duration(cfg.Approvals.TTL), Secrets: newStateBox(cfg),
		MaxGrant: time.Duration(cfg.Approvals.MaxGrant)}
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
					fmt.Fprintf(w, "%s:\t%s\n", kv[0], human.Visible(kv[1]))
				}
				for _, v := range votes {
					verb := "approved"
					if !v.Approve {
						verb = "denied"
					}
					fmt.Fprintf(w, "vote:\t%s %s at %s %s\n", v.Approver, verb, v.At.Local().Format(time.DateTime), human.Visible(v.Comment))
				}
				w.Flush()
				// The statement as written, with what a terminal would act on
				// (escape sequences, carriage returns) shown, not obeyed: an
				// agent must not be able to draw another statement over it.
				fmt.Fprintf(a.stdout, "\n%s\n", human.Visible(r.Text))
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (a *app) approvalsDecideCommand(approve bool) *cobra.Command {
	var as, note string
	var grantFor time.Duration
	var destructive bool
	use, short, noteFlag := "approve ID [--as NAME] [--comment TEXT] [--for D [--include-destructive]]", "Approve a request as an approver (password and TOTP code asked at the terminal)", "comment"
	if !approve {
		use, short, noteFlag = "deny ID [--as NAME] --reason TEXT", "Deny a request for good; the reason reaches the agent", "reason"
	}
	cmd := &cobra.Command{
		Use:   strings.Fields(use)[0] + " " + strings.Join(strings.Fields(use)[1:], " "),
		Short: short,
		Long: short + `.

The approver's password and a code from their authenticator app are read
from the terminal, never from a flag, the environment or a pipe: a script,
or an agent with a shell, cannot approve.

With --for D, approving also grants the requesting token a time-boxed
elevation on the request's upstream: its writes run without a request each
for D (at most approvals.max_grant), and with --include-destructive its
destructive statements too, each snapshotted first. The grant is audited on
every use and can be revoked at once (approvals revoke-grant).`,
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
				// Whole, not cut to a line: the bound values and resolved
				// tables after the statement are part of what is approved.
				fmt.Fprintf(a.stderr, "%s %s on %s (%s): %s\n  %s\n", r.ID, r.Class, r.Upstream, r.Env, r.Rule, strings.ReplaceAll(human.Visible(r.Text), "\n", "\n  "))
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
				var g store.Grant
				switch {
				case approve && grantFor > 0:
					r, g, err = svc.ApproveFor(cmd.Context(), args[0], "approver:"+name, note, grantFor, destructive)
				case approve:
					r, err = svc.Approve(cmd.Context(), args[0], "approver:"+name, note)
				default:
					r, err = svc.Deny(cmd.Context(), args[0], "approver:"+name, note)
				}
				if err != nil {
					return inputErr(err)
				}
				fmt.Fprintf(a.stdout, "%s is %s\n", r.ID, r.State)
				if g.ID != "" {
					what := "writes"
					if g.IncludeDestructive {
						what = "writes and destructive statements"
					}
					fmt.Fprintf(a.stdout, "%s: %s by token %s on %s run without a request until %s\n", g.ID, what, g.TokenID, g.Upstream,
						g.ExpiresAt.Local().Format(time.DateTime))
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&as, "as", "", "approver name (asked when not given)")
	if approve {
		cmd.Flags().DurationVar(&grantFor, "for", 0, "also grant the token an elevation on this upstream for this long (e.g. 15m)")
		cmd.Flags().BoolVar(&destructive, "include-destructive", false, "with --for: the grant covers destructive statements too")
	}
	cmd.Flags().StringVar(&note, noteFlag, "", map[bool]string{true: "comment for the record", false: "why (shown to the agent)"}[approve])
	if !approve {
		cmd.MarkFlagRequired("reason")
	}
	cmd.PreRunE = func(cmd *cobra.Command, _ []string) error {
		if destructive && grantFor <= 0 {
			return inputErrf("--include-destructive goes with --for D")
		}
		return nil
	}
	return cmd
}

func (a *app) approvalsGrantsCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "grants [--json]",
		Short: "List grants: time-boxed elevations of one token on one upstream",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withState(cmd.Context(), func(cfg *config.Config, st store.Store) error {
				gs, err := a.approvalService(cfg, st).Grants(cmd.Context(), 100)
				if err != nil {
					return err
				}
				now := time.Now()
				if asJSON {
					views := make([]approval.GrantView, 0, len(gs))
					for _, g := range gs {
						views = append(views, approval.GrantViewOf(g, now))
					}
					return a.printJSON(views)
				}
				w := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "ID\tTOKEN\tUPSTREAM\tCOVERS\tBY\tUNTIL\tSTATUS")
				for _, g := range gs {
					v := approval.GrantViewOf(g, now)
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", v.ID, v.Token, v.Upstream, v.Covers, v.GrantedBy,
						g.ExpiresAt.Local().Format(time.DateTime), v.Status)
				}
				return w.Flush()
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (a *app) approvalsRevokeGrantCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "revoke-grant ID",
		Short: "End a grant at once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withState(cmd.Context(), func(cfg *config.Config, st store.Store) error {
				if err := a.approvalService(cfg, st).RevokeGrant(cmd.Context(), args[0], actor()); err != nil {
					return inputErr(err)
				}
				fmt.Fprintf(a.stdout, "%s revoked\n", args[0])
				return nil
			})
		},
	}
}

func (a *app) printJSON(v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
