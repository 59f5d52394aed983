package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/gate"
	"github.com/chaperone/chaperone/internal/hook"
	"github.com/chaperone/chaperone/internal/hook/judge"
	"github.com/chaperone/chaperone/internal/human"
)

func (a *app) hookCommand() *cobra.Command {
	var env, socket string
	var local bool
	cmd := &cobra.Command{
		Use:   "hook " + strings.Join(hook.Names(), "|"),
		Short: "Answer an agent's pre-tool-use hook: read its JSON on stdin, print its decision",
		Long: `hook reads the agent's hook JSON on standard input, classifies the shell command
or file read it describes, decides it with the policy, and prints the answer
in that agent's format. Held actions become "ask" where the agent can ask its
user, and a denial with instructions where it cannot. Unreadable input, a bad
config or an internal error answer deny; the exit code is 0 so that no agent
mistakes a failure for permission.

When chaperone serve answers on the hook socket (--socket, else
$CHAPERONE_HOOK_SOCKET, else listen.hook from the config), it decides and
records the decision in the audit log; otherwise this process decides alone,
unaudited. chaperone-hook is the same hook in a small binary that starts in a
fraction of the time; chaperone install writes it when it is installed.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			adapter, ok := hook.Adapters[args[0]]
			if !ok {
				// Exit 2 blocks in agents that read exit codes; nothing is allowed.
				fmt.Fprintf(a.stderr, "chaperone: unknown agent %q (want %s)\n", args[0], strings.Join(hook.Names(), ", "))
				return silentExit(exitHeld)
			}
			if env == "" {
				env = os.Getenv("CHAPERONE_ENV")
			}
			input, err := hook.ReadInput(a.stdin)
			if err != nil {
				return hookExit(hook.Deny(adapter, err.Error()).Write(a.stdout, a.stderr))
			}
			if _, ok, err := adapter.Parse(input); err == nil && !ok {
				return nil // a tool that acts only inside the agent: no opinion
			}
			if !local {
				if ans, err := hook.Ask(a.hookSocket(socket), args[0], env, input, hook.Timeout); err == nil {
					return hookExit(ans.Write(a.stdout, a.stderr))
				}
			}
			return hookExit(hook.Run(adapter, input, a.hookDecider(args[0], env)).Write(a.stdout, a.stderr))
		},
	}
	cmd.Flags().StringVar(&env, "env", "", "environment the agent works in (default $CHAPERONE_ENV)")
	cmd.Flags().StringVar(&socket, "socket", "", "serve's hook socket (default $CHAPERONE_HOOK_SOCKET, else listen.hook)")
	cmd.Flags().BoolVar(&local, "local", false, "decide in this process without asking serve")
	return cmd
}

// hookSocket picks the socket to ask: the flag, the environment, else the
// config's (or the embedded default's) listen.hook.
func (a *app) hookSocket(flag string) string {
	if flag != "" {
		return flag
	}
	if s := os.Getenv("CHAPERONE_HOOK_SOCKET"); s != "" {
		return s
	}
	if cfg, err := a.loadConfig(false); err == nil {
		return cfg.Listen.Hook
	}
	return ""
}

// hookDecider decides in this process, through a gate of its own with the
// configured policy and nothing recorded (the agent's user cannot write
// serve's state); a config that does not load denies everything, with the
// reason.
func (a *app) hookDecider(agent, env string) hook.Decider {
	return func(r hook.Request) hook.Outcome {
		cfg, eng, err := a.loadPolicy()
		if err == nil && cfg != nil {
			judge.ProtectedDirs = protectedDirs(cfg.File, cfg.State.Path, cfg.Listen.Hook)
		}
		if err != nil {
			return hook.Outcome{Decision: action.Decision{Verdict: action.Deny, Rule: "hook.config",
				Reason: "Chaperone's config does not load (" + human.FirstLine(err.Error()) + "); denied until it is fixed"}}
		}
		return judge.GateDecider(context.Background(), &gate.Gate{Policy: eng}, agent, env)(r)
	}
}

// hookExit ends the hook with the agent's exit code: 0, or 2 for a refusal
// of an agent that reads only the exit code.
func hookExit(code int) error {
	if code == 0 {
		return nil
	}
	return silentExit(code)
}

// protectedDirs are Chaperone's config file, state and hook socket: an
// agent that writes into them can switch the guard off. A directory shared
// with the config (often the project itself) is protected file by file.
func protectedDirs(configFile, stateFile, socket string) []string {
	var out []string
	base := ""
	if configFile != "" {
		out = append(out, configFile)
		base = filepath.Dir(configFile)
	}
	for _, f := range []string{stateFile, socket} {
		if f == "" {
			continue
		}
		if d := filepath.Dir(f); d != base && d != "." {
			out = append(out, d)
		} else {
			out = append(out, f)
		}
	}
	if stateFile != "" && filepath.Dir(stateFile) == base {
		out = append(out, filepath.Join(base, "secret.key"), filepath.Join(base, "tls.key"))
	}
	return out
}
