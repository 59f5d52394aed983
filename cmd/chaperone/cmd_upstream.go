package main

import (
	"fmt"
	"path/filepath"
	"regexp"
	"text/tabwriter"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/spf13/cobra"

	"github.com/chaperone/chaperone/internal/config"
	"github.com/chaperone/chaperone/internal/secret"
)

// envRef is a DSN given wholly as ${VAR}: kept as the reference.
var envRef = regexp.MustCompile(`^\$\{[A-Za-z_][A-Za-z0-9_]*\}$`)

func (a *app) upstreamCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "upstream", Short: "Add, list and remove the real systems behind Chaperone"}
	var kind, env, dsn, url, provider, credential, header string
	add := &cobra.Command{
		Use:   "add NAME --env ENV (--dsn DSN | --kind http --provider P --url URL --credential TOKEN)",
		Short: "Add an upstream; a literal DSN is sealed, a ${VAR} one stays a reference",
		Long: `add writes the upstream into the config file, keeping its comments. A DSN
given as ${VAR} stays a reference, resolved from the environment when serve
starts. Any other DSN is sealed (AES-256-GCM) with the key in the state
directory (secret.key): the config file holds only ciphertext, and the DSN
is never printed. Restart serve to use a new upstream.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := a.loadConfig(true)
			if err != nil {
				return err
			}
			u := config.Upstream{Name: args[0], Kind: kind, Env: env, URL: url}
			// seal keeps a literal credential only as ciphertext; a ${VAR}
			// stays a reference.
			seal := func(v string) (config.Secret, error) {
				if envRef.MatchString(v) {
					return config.Secret(v), nil
				}
				box, err := secret.Open(cfg.StateDir(), true)
				if err != nil {
					return "", err
				}
				sealed, err := box.Seal(u.Name, v)
				return config.Secret(sealed), err
			}
			switch kind {
			case config.KindPostgres:
				if dsn == "" {
					return inputErrf("--dsn is required for a postgres upstream")
				}
				if !envRef.MatchString(dsn) {
					if _, err := pgconn.ParseConfig(dsn); err != nil {
						return inputErrf("--dsn does not parse as a PostgreSQL connection string") // the error could echo it
					}
				}
				if u.DSN, err = seal(dsn); err != nil {
					return err
				}
			case config.KindHTTP:
				if credential == "" {
					return inputErrf("--credential is required for an http upstream (the provider token, or ${VAR})")
				}
				if u.APICredential, err = seal(credential); err != nil {
					return err
				}
				u.Provider, u.CredentialHeader = provider, header
			}
			if err := config.AddUpstream(cfg.File, u); err != nil {
				return inputErr(err)
			}
			how := "referenced from the environment"
			if u.Secret().Sealed() {
				how = "sealed with " + filepath.Join(cfg.StateDir(), secret.KeyFile)
			}
			fmt.Fprintf(a.stdout, "upstream %s added (%s, %s); credentials %s\n", u.Name, u.Kind, u.Env, how)
			return nil
		},
	}
	f := add.Flags()
	f.StringVar(&kind, "kind", config.KindPostgres, "postgres or http")
	f.StringVar(&env, "env", "", "the environment it lives in (required)")
	f.StringVar(&dsn, "dsn", "", "connection string, or ${VAR} to read it from the environment at start")
	f.StringVar(&url, "url", "", "base URL (http upstreams)")
	f.StringVar(&provider, "provider", config.ProviderGeneric, "http upstreams: railway, fly or generic")
	f.StringVar(&credential, "credential", "", "http upstreams: the provider token, or ${VAR}; sealed when literal")
	f.StringVar(&header, "credential-header", "", "http upstreams: the header the token goes in (default Authorization: Bearer)")
	add.MarkFlagRequired("env")

	list := &cobra.Command{
		Use:   "list",
		Short: "List upstreams and where their credentials come from (never the credentials)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.loadConfig(true)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "NAME\tKIND\tENV\tCREDENTIALS")
			for _, u := range cfg.Upstreams {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", u.Name, u.Kind, u.Env, credentialSource(u))
			}
			return w.Flush()
		},
	}
	remove := &cobra.Command{
		Use:   "remove NAME",
		Short: "Remove an upstream from the config",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := a.loadConfig(true)
			if err != nil {
				return err
			}
			if err := config.RemoveUpstream(cfg.File, args[0]); err != nil {
				return inputErr(err)
			}
			fmt.Fprintf(a.stdout, "upstream %s removed; tokens that named it can no longer reach it\n", args[0])
			return nil
		},
	}
	cmd.AddCommand(add, list, remove)
	return cmd
}

// credentialSource says where an upstream's credential comes from, never
// what it is.
func credentialSource(u config.Upstream) string {
	v := u.Secret()
	switch {
	case v.Sealed():
		return "sealed in the config"
	case len(v.Refs()) > 0:
		return "environment: " + fmt.Sprint(v.Refs())
	case v != "":
		return "plain text in the config (run upstream add again to seal it)"
	}
	return "none"
}
