package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/gate"
	"github.com/chaperone/chaperone/internal/hook"
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
			input, err := io.ReadAll(io.LimitReader(a.stdin, hook.MaxInput+1))
			if err != nil {
				input = nil // Run denies unreadable input
			}
			if !local {
				if out, err := hook.Ask(a.hookSocket(socket), args[0], env, input, hook.Timeout); err == nil {
					a.stdout.Write(out)
					return nil
				}
			}
			a.stdout.Write(hook.Run(adapter, input, a.hookDecider(args[0], env)))
			return nil
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
		_, eng, err := a.loadPolicy()
		if err != nil {
			return hook.Outcome{Decision: action.Decision{Verdict: action.Deny, Rule: "hook.config",
				Reason: "Chaperone's config does not load (" + human.FirstLine(err.Error()) + "); denied until it is fixed"}}
		}
		return hook.GateDecider(context.Background(), &gate.Gate{Policy: eng}, agent, env)(r)
	}
}
