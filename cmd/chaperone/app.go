package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/chaperone/chaperone/internal/config"
	"github.com/chaperone/chaperone/internal/logging"
	"github.com/chaperone/chaperone/internal/policy"
	"github.com/chaperone/chaperone/internal/secret"
	"github.com/chaperone/chaperone/internal/store"
	"github.com/chaperone/chaperone/internal/store/sqlite"
)

// app holds what every command shares: the global flags and the streams.
type app struct {
	configPath string
	logFormat  string
	logLevel   string
	stdin      io.Reader
	stdout     io.Writer
	stderr     io.Writer
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr}
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.Execute()
	code := exitCode(err)
	var se silentExit
	if err != nil && !errors.As(err, &se) {
		fmt.Fprintf(stderr, "chaperone: %v\n", logging.Redact(err.Error()))
	}
	return code
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "chaperone",
		Short: "Let AI coding agents work on real infrastructure without being able to wipe it",
		Long: `Chaperone stands between coding agents and real infrastructure. Agents hold
short-lived tokens bound to one environment; Chaperone holds the real
credentials, classifies every action, holds destruction for a human, and
keeps an audit log no one can quietly edit.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&a.configPath, "config", "", "config file (default $CHAPERONE_CONFIG, else ./chaperone.yaml)")
	root.PersistentFlags().StringVar(&a.logFormat, "log-format", "", "log format: text or json (default from config: text)")
	root.PersistentFlags().StringVar(&a.logLevel, "log-level", "", "log level: debug, info, warn or error (default from config: info)")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return inputErr(err) })
	root.AddCommand(
		a.initCommand(), a.checkCommand(), a.tokenCommand(), a.auditCommand(),
		a.policyCommand(), a.serveCommand(), a.versionCommand(), a.hookCommand(), a.scanCommand(),
		a.approvalsCommand(), a.approverCommand(), a.upstreamCommand(), a.backupCommand(), a.doctorCommand(), a.demoCommand(), a.runCommand(),
	)
	root.AddCommand(a.installCommands()...)
	root.AddCommand(a.stateCommand())
	return root
}

// loadConfig finds the config: --config, else $CHAPERONE_CONFIG, else
// ./chaperone.yaml. A named file must load. With none named and none in the
// working directory, required commands stop and the rest use the embedded
// defaults.
func (a *app) loadConfig(required bool) (*config.Config, error) {
	path, named := a.configPath, true
	if path == "" {
		path = os.Getenv("CHAPERONE_CONFIG")
	}
	if path == "" {
		path, named = config.FileName, false
	}
	cfg, err := config.Load(path)
	if err == nil || named || required || !errors.Is(err, config.ErrNotFound) {
		return cfg, err
	}
	wd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	return config.Defaults(wd), nil
}

func (a *app) logger(cfg *config.Config) (*slog.Logger, error) {
	level, format := cfg.Log.Level, cfg.Log.Format
	if a.logLevel != "" {
		level = a.logLevel
	}
	if a.logFormat != "" {
		format = a.logFormat
	}
	log, err := logging.New(a.stderr, level, format)
	return log, inputErr(err)
}

func openStore(ctx context.Context, cfg *config.Config) (store.Store, error) {
	if cfg.State.Driver == "postgres" {
		return openPostgresState(ctx, cfg)
	}
	st, err := sqlite.Open(ctx, cfg.State.Path)
	if err != nil {
		return nil, fmt.Errorf("opening state at %s: %w", cfg.State.Path, err)
	}
	return st, nil
}

// loadPolicy loads the config (embedded defaults when none is named or
// present) and compiles its policy.
func (a *app) loadPolicy() (*config.Config, *policy.Engine, error) {
	cfg, err := a.loadConfig(false)
	if err != nil {
		return nil, nil, err
	}
	eng, err := policy.New(cfg)
	return cfg, eng, err
}

// setup loads the config, compiles the policy and opens the state, in that
// order, so an invalid config or policy never touches the state. withSecrets
// also resolves every ${VAR}, for commands that will use the credentials.
func (a *app) setup(ctx context.Context, withSecrets bool) (*config.Config, *policy.Engine, store.Store, error) {
	cfg, err := a.loadConfig(true)
	if err != nil {
		return nil, nil, nil, err
	}
	if withSecrets {
		if err := cfg.CheckSecrets(sealOpener(cfg)); err != nil {
			return nil, nil, nil, err
		}
	}
	eng, err := policy.New(cfg)
	if err != nil {
		return nil, nil, nil, err
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return nil, nil, nil, err
	}
	return cfg, eng, st, nil
}

// sealOpener opens sealed upstream credentials with the key in the state
// directory; nil when there is no key (no sealed value can then be opened).
func sealOpener(cfg *config.Config) config.Opener { return newStateBox(cfg).Open }

// stateBox is the state directory's secret box, opened (and created) when a
// secret is first sealed or opened, so commands that need none never touch it.
type stateBox string

func (d stateBox) Seal(name, plaintext string) (string, error) {
	b, err := secret.Open(string(d), true)
	if err != nil {
		return "", err
	}
	return b.Seal(name, plaintext)
}

func (d stateBox) Open(name, sealed string) (string, error) {
	b, err := secret.Open(string(d), false)
	if err != nil {
		return "", err
	}
	return b.Open(name, sealed)
}

func newStateBox(cfg *config.Config) stateBox { return stateBox(cfg.StateDir()) }

// withState runs fn with the checked config and an open state, and closes
// the state after.
func (a *app) withState(ctx context.Context, fn func(*config.Config, store.Store) error) error {
	cfg, _, st, err := a.setup(ctx, false)
	if err != nil {
		return err
	}
	defer st.Close()
	return fn(cfg, st)
}

// actor names the human at the CLI for the audit log.
func actor() string {
	if u, err := user.Current(); err == nil {
		return "cli:" + u.Username
	}
	return fmt.Sprintf("cli:uid-%d", os.Getuid())
}

func absDir(dir string) string {
	if d, err := filepath.Abs(dir); err == nil {
		return d
	}
	return dir
}
