package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/chaperone/chaperone/internal/config"
	"github.com/chaperone/chaperone/internal/doctor"
)

func (a *app) doctorCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "doctor [--json]",
		Short: "Check the installation end to end and say what is wrong and how to fix it",
		Long: `doctor checks where backups live and whether they can be deleted, how old
each upstream's last verified backup is against backup.rpo, who can read the
state and its keys, tokens that never expire, and listeners reachable beyond
loopback. It exits 1 when any check fails.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, _, st, err := a.setup(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer st.Close()
			bs, err := backupStore(cfg)
			if err != nil {
				return inputErr(err)
			}
			findings := doctor.Run(cmd.Context(), doctor.Inputs{Config: cfg, State: st, Backup: bs, Now: time.Now(),
				DSN: func(u config.Upstream) (string, error) { return u.Credential(sealOpener(cfg)) }})
			failed := 0
			for _, f := range findings {
				if f.Level == doctor.Fail {
					failed++
				}
			}
			if asJSON {
				if err := a.printJSON(findings); err != nil {
					return err
				}
			} else {
				for _, f := range findings {
					fmt.Fprintf(a.stdout, "%-4s %s: %s\n", f.Level, f.Check, f.Message)
					if f.Fix != "" && f.Level != doctor.OK {
						fmt.Fprintf(a.stdout, "     fix: %s\n", f.Fix)
					}
				}
			}
			if failed > 0 {
				return inputErrf("%d check(s) failed", failed)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
