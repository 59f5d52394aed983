package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/chaperone/chaperone/internal/scan"
)

func (a *app) scanCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "scan [DIR] [--json]",
		Short: "Find credentials an agent could read in a workspace, and say how to move them",
		Long: `scan reads every text file under DIR (default .), skipping .git and dependency
directories, with gitleaks' rules and Chaperone's list of credential files. It
marks the broad ones (account- or team-wide tokens that reach production) and
says how to move each behind Chaperone. Secrets are shown redacted. It exits 2
when it finds any credential and 0 when it finds none.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			found, err := scan.Dir(dir)
			if err != nil {
				return inputErr(err)
			}
			if asJSON {
				if found == nil {
					found = []scan.Finding{}
				}
				out, _ := json.MarshalIndent(found, "", "  ")
				fmt.Fprintln(a.stdout, string(out))
			} else {
				for _, f := range found {
					broad := ""
					if f.Broad {
						broad = " BROAD"
					}
					fmt.Fprintf(a.stdout, "%s:%d: %s (%s) %s%s\n    %s\n", f.File, f.Line, f.What, f.Rule, f.Preview, broad, f.Advice)
				}
				fmt.Fprintf(a.stdout, "%d credential(s) an agent could read in %s\n", len(found), absDir(dir))
			}
			if len(found) > 0 {
				return silentExit(exitHeld)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
