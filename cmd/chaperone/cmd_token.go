package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/chaperone/chaperone/internal/config"
	"github.com/chaperone/chaperone/internal/store"
	"github.com/chaperone/chaperone/internal/token"
)

func (a *app) tokenCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "token", Short: "Mint, list and revoke agent tokens"}
	cmd.AddCommand(a.tokenCreateCommand(), a.tokenListCommand(), a.tokenRevokeCommand())
	return cmd
}

func (a *app) tokenCreateCommand() *cobra.Command {
	var spec token.Spec
	var upstreams string
	cmd := &cobra.Command{
		Use:   "create --env ENV --upstream NAME[,NAME] [--ttl 8h] [--name LABEL] [--scope read|write|all]",
		Short: "Mint a token and print it, alone, on standard output (once: it is not stored)",
		Long: `create mints an agent token bound to one environment and a list of upstreams
('*' for every upstream in that environment). The token is printed once on
standard output and never again: Chaperone keeps only a hash and a SCRAM
verifier. Scope read allows reads only; write allows reads and writes;
all leaves every decision to the policy. --ttl 0 makes a token that never
expires (not recommended).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withState(cmd.Context(), func(cfg *config.Config, st store.Store) error {
				spec.Upstreams = splitList(upstreams)
				if err := checkUpstreams(cfg, spec.Env, spec.Upstreams); err != nil {
					return err
				}
				spec.Actor = actor()
				secret, k, err := token.NewManager(st).Create(cmd.Context(), spec)
				if err != nil {
					return inputErr(err)
				}
				fmt.Fprintln(a.stdout, secret)
				expiry := "never expires"
				if !k.ExpiresAt.IsZero() {
					expiry = "expires " + k.ExpiresAt.Local().Format(time.RFC3339)
				}
				fmt.Fprintf(a.stderr, "Token %s for %s (%s), scope %s, %s. It is shown only this once.\n",
					k.ID, k.Env, strings.Join(k.Upstreams, ", "), k.Scope, expiry)
				if k.ExpiresAt.IsZero() {
					fmt.Fprintln(a.stderr, "Warning: a token without expiry stays valid until revoked.")
				}
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&spec.Env, "env", "", "environment the token is bound to (required)")
	f.StringVar(&upstreams, "upstream", "", "upstreams it may reach, comma-separated, or '*' (required)")
	f.DurationVar(&spec.TTL, "ttl", 8*time.Hour, "lifetime; 0 for none")
	f.StringVar(&spec.Name, "name", "", "label shown in listings and the audit log")
	f.StringVar(&spec.Scope, "scope", token.ScopeAll, "read, write or all")
	return cmd
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// checkUpstreams refuses a token for an upstream that is not configured or
// lives in another environment: a staging token must not name production.
func checkUpstreams(cfg *config.Config, env string, names []string) error {
	for _, n := range names {
		if n == token.AnyUpstream {
			continue
		}
		u, ok := cfg.Upstream(n)
		if !ok {
			return inputErrf("upstream %q is not configured in %s", n, cfg.File)
		}
		if env != "" && u.Env != env {
			return inputErrf("upstream %s is %s; a token scoped to %s cannot reach it", n, u.Env, env)
		}
	}
	return nil
}

func (a *app) tokenListCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list [--json]",
		Short: "List tokens (ids and scopes; the tokens themselves are not stored)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withState(cmd.Context(), func(_ *config.Config, st store.Store) error {
				ks, err := token.NewManager(st).List(cmd.Context())
				if err != nil {
					return err
				}
				if asJSON {
					return a.printTokensJSON(ks)
				}
				w := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "ID\tNAME\tENV\tUPSTREAMS\tSCOPE\tCREATED\tEXPIRES\tSTATUS")
				now := time.Now()
				for _, k := range ks {
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, orDash(k.Name), k.Env, strings.Join(k.Upstreams, ","),
						k.Scope, k.CreatedAt.Local().Format(time.DateTime), timeOrNever(k.ExpiresAt), token.Status(k, now))
				}
				return w.Flush()
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (a *app) printTokensJSON(ks []store.Token) error {
	rows := []token.View{}
	now := time.Now()
	for _, k := range ks {
		rows = append(rows, token.ViewOf(k, now))
	}
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(rows)
}

func timeOrNever(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.Local().Format(time.DateTime)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (a *app) tokenRevokeCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke a token everywhere, for good",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withState(cmd.Context(), func(_ *config.Config, st store.Store) error {
				if err := token.NewManager(st).Revoke(cmd.Context(), args[0], actor()); err != nil {
					if errors.Is(err, token.ErrAlreadyRevoked) {
						return inputErr(err)
					}
					return err
				}
				fmt.Fprintf(a.stderr, "Revoked %s.\n", args[0])
				return nil
			})
		},
	}
}
