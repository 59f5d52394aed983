package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/chaperone/chaperone/internal/hook"
)

func (a *app) installCommands() []*cobra.Command {
	var user, project, managed bool
	var command string
	scopeOf := func(agent string) (string, error) {
		if user && project || managed && (user || project) {
			return "", inputErrf("give one of --user, --project and --managed")
		}
		scope := "project"
		if user {
			scope = "user"
		}
		if managed {
			scope = "managed"
		}
		home, err := os.UserHomeDir()
		if err != nil && scope == "user" {
			return "", inputErrf("no home directory: %v", err)
		}
		wd, err := os.Getwd()
		if err != nil {
			return "", err
		}
		path, err := hook.SettingsPathEnv(agent, scope, wd, home, os.Getenv)
		return path, inputErr(err)
	}
	install := &cobra.Command{
		Use:   "install " + strings.Join(hook.Names(), "|") + " [--project|--user|--managed]",
		Short: "Add Chaperone's hook to an agent's settings, keeping every other setting",
		Long: `install merges the hook entry into the agent's settings file (the project's by
default, the user's with --user, or with --managed the administrator's
location that the agent's user cannot edit). Every tool goes through the
hook; where the agent can be told to block a tool whose hook fails, the entry
says so. Running it again changes nothing. A file it changes is first saved
beside itself as FILE.chaperone-backup-TIME.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path, err := scopeOf(args[0])
			if err != nil {
				return err
			}
			if command == "" {
				command = a.defaultHookCommand(args[0])
			}
			if !hook.IsOurs(command) {
				return inputErrf("--command must look like 'chaperone hook %s' so that uninstall can find it", args[0])
			}
			changed, backup, err := hook.InstallScope(args[0], path, command, managed)
			if err != nil {
				return inputErr(err)
			}
			a.reportSettings(path, changed, backup, "installed in", "already installed in")
			if note := hook.InstallNote(args[0], managed); note != "" {
				fmt.Fprintln(a.stdout, note)
			}
			return nil
		},
	}
	install.Flags().StringVar(&command, "command", "", "hook command to write (default: chaperone-hook beside this binary, else this binary + hook AGENT)")

	uninstall := &cobra.Command{
		Use:   "uninstall " + strings.Join(hook.Names(), "|") + " [--project|--user|--managed]",
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
		c.Flags().BoolVar(&managed, "managed", false, "the administrator's settings, which the agent's user cannot edit (run as root)")
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

// defaultHookCommand names the hook by absolute path, so it works whatever
// PATH the agent runs it with: the small chaperone-hook when it is installed
// beside this binary (it starts several times faster), else this binary's
// `hook`. With a config file, the hook is pointed at it and at serve's socket.
// Paths that would need shell quoting are left out: agents split the command
// on spaces, and uninstall must recognise it.
func (a *app) defaultHookCommand(agent string) string {
	plain := func(s string) bool { return s != "" && !strings.ContainsAny(s, " \t'\"\\$`") }
	exe, err := os.Executable()
	if err != nil || !plain(exe) {
		return "chaperone hook " + agent
	}
	var withConfig, socket string
	if cfg, err := a.loadConfig(false); err == nil && plain(cfg.File) && plain(cfg.Listen.Hook) {
		withConfig, socket = " --config "+cfg.File, " --socket "+cfg.Listen.Hook
	}
	lean := filepath.Join(filepath.Dir(exe), "chaperone-hook")
	if fi, err := os.Stat(lean); err != nil || !fi.Mode().IsRegular() || fi.Mode()&0o111 == 0 {
		return exe + " hook " + agent + withConfig
	}
	return lean + " " + agent + withConfig + socket
}
