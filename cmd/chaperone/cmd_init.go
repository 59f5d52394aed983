package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/chaperone/chaperone/internal/config"
)

func (a *app) initCommand() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "init [--dir D]",
		Short: "Write a commented chaperone.yaml that runs on embedded defaults",
		Long: `init writes D/chaperone.yaml (never overwriting one), creates the private
state and backup directories it points at, and initialises the state.`,
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
			fmt.Fprintln(a.stdout, path)
			fmt.Fprintf(a.stderr, "Wrote %s.\nNext: chaperone --config %s serve\n", path, path)
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", ".", "directory to write chaperone.yaml into")
	return cmd
}
