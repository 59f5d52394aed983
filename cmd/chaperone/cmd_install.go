package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/chaperone/chaperone/internal/hook"
)

func (a *app) installCommands() []*cobra.Command {
	var user, project bool
	var command string
	scopeOf := func(agent string) (string, error) {
		if user && project {
			return "", inputErrf("give --user or --project, not both")
		}
		scope := "project"
		if user {
			scope = "user"
		}
		home, err := os.UserHomeDir()
		if err != nil && scope == "user" {
			return "", inputErrf("no home directory: %v", err)
		}
		wd, err := os.Getwd()
		if err != nil {
			return "", err
		}
		path, err := hook.SettingsPath(agent, scope, wd, home)
		return path, inputErr(err)
	}
	install := &cobra.Command{
		Use:   "install " + strings.Join(hook.Names(), "|") + " [--project|--user]",
		Short: "Add Chaperone's hook to an agent's settings, keeping every other setting",
		Long: `install merges the hook entry into the agent's settings file (the project's by
default, or the user's with --user). Running it again changes nothing. A file
it changes is first saved beside itself as FILE.chaperone-backup-TIME.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path, err := scopeOf(args[0])
			if err != nil {
				return err
			}
			if command == "" {
				command = defaultHookCommand(args[0])
			}
			if !hook.IsOurs(command) {
				return inputErrf("--command must look like 'chaperone hook %s' so that uninstall can find it", args[0])
			}
			changed, backup, err := hook.Install(args[0], path, command)
			if err != nil {
				return inputErr(err)
			}
			a.reportSettings(path, changed, backup, "installed in", "already installed in")
			return nil
		},
	}
	install.Flags().StringVar(&command, "command", "", "hook command to write (default: this binary's absolute path + hook AGENT)")

	uninstall := &cobra.Command{
		Use:   "uninstall " + strings.Join(hook.Names(), "|") + " [--project|--user]",
		Short: "Remove Chaperone's hook from an agent's settings",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path, err := scopeOf(args[0])
			if err != nil {
				return err
			}
			changed, backup, err := hook.Uninstall(path)
			if err != nil {
				return inputErr(err)
			}
			a.reportSettings(path, changed, backup, "removed from", "not installed in")
			return nil
		},
	}
	for _, c := range []*cobra.Command{install, uninstall} {
		c.Flags().BoolVar(&user, "user", false, "the user's settings")
		c.Flags().BoolVar(&project, "project", false, "the project's settings (default)")
	}
	return []*cobra.Command{install, uninstall}
}

func (a *app) reportSettings(path string, changed bool, backup, did, didNot string) {
	switch {
	case !changed:
		fmt.Fprintf(a.stdout, "Chaperone's hook is %s %s; nothing changed.\n", didNot, path)
	case backup != "":
		fmt.Fprintf(a.stdout, "Chaperone's hook %s %s (previous file saved as %s).\n", did, path, backup)
	default:
		fmt.Fprintf(a.stdout, "Chaperone's hook %s %s.\n", did, path)
	}
}

// defaultHookCommand names this binary by absolute path, so the hook works
// whatever PATH the agent runs it with.
func defaultHookCommand(agent string) string {
	exe, err := os.Executable()
	if err != nil || strings.ContainsAny(exe, " \t'\"") {
		exe = "chaperone"
	}
	return exe + " hook " + agent
}
