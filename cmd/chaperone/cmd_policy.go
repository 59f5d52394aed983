package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/chaperone/chaperone/internal/classify"
	"github.com/chaperone/chaperone/internal/policy"
)

func (a *app) policyCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "policy", Short: "Test the configured policy"}
	cmd.AddCommand(&cobra.Command{
		Use:   "test FILE",
		Short: "Run a YAML table of actions and expected decisions against the policy",
		Long: `test decides every case in FILE with the configured policy (or the built-in
one) and reports each case whose decision differs. It exits 0 when all pass
and 1 when any fails. FILE looks like:

  cases:
    - name: drops in production wait for a human
      action: {kind: sql, text: "DROP TABLE users", env: production}
      expect: approve
      rule: builtin.destructive     # optional
    - name: credential files are never read
      action: {kind: file, class: credential_access, env: staging}
      expect: deny`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := a.loadConfig(false)
			if err != nil {
				return err
			}
			eng, err := policy.New(cfg)
			if err != nil {
				return err
			}
			cases, err := policy.LoadCases(args[0])
			if err != nil {
				return inputErr(err)
			}
			fails := eng.Run(cases, classify.Classify)
			for _, f := range fails {
				fmt.Fprintf(a.stdout, "FAIL %s:%d: %s: %s (rule %s: %s)\n", args[0], f.Case.Line, f.Case.Name, f.Msg, f.Got.Rule, f.Got.Reason)
			}
			if len(fails) > 0 {
				fmt.Fprintf(a.stdout, "FAIL: %d/%d\n", len(fails), len(cases))
				return silentExit(exitInput)
			}
			fmt.Fprintf(a.stdout, "PASS: %d/%d\n", len(cases), len(cases))
			return nil
		},
	})
	return cmd
}
