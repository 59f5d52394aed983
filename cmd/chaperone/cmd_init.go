package main

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/chaperone/chaperone/internal/config"
	"github.com/chaperone/chaperone/internal/gateway/proxy"
)

func (a *app) initCommand() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "init [--dir D]",
		Short: "Write a commented chaperone.yaml that runs on embedded defaults",
		Long: `init writes D/chaperone.yaml (never overwriting one), creates the private
state and backup directories it points at, initialises the state, and creates
D/backup-identity.txt, an age identity whose public key the config names as
backup.recipient, so that snapshots (before approved destruction among them)
work at once. Move that identity off this machine. It also creates the
forward proxy's CA in the state directory (proxy-ca.pem, which agents'
clients must trust; its key stays readable by Chaperone's user alone).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path, err := config.Init(dir)
			if err != nil {
				return inputErr(err)
			}
			cfg, err := config.Load(path)
			if err != nil {
				return err
			}
			st, err := openStore(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			st.Close()
			if _, _, err := proxy.LoadOrCreateCA(cfg.StateDir()); err != nil {
				return inputErr(err)
			}
			caCert, _ := proxy.CAPaths(cfg.StateDir())
			fmt.Fprintln(a.stdout, path)
			id := filepath.Join(filepath.Dir(path), config.IdentityFile)
			fmt.Fprintf(a.stderr, "Wrote %s.\n\nWrote %s, the age identity that decrypts your snapshots.\n"+
				"It belongs OFF this machine: copy it somewhere safe, then delete it here\n"+
				"(chaperone doctor warns while it is here). Snapshots need only its public key,\n"+
				"which the config holds.\n\nWrote %s, the forward proxy's CA: agents' clients trust it to be\n"+
				"gated on provider hosts through HTTPS_PROXY (see docs/proxy.md).\n\nNext: chaperone --config %s serve\n", path, id, caCert, path)
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", ".", "directory to write chaperone.yaml into")
	return cmd
}
