// Command chaperone-hook is Chaperone's agent hook in a small binary. Agents
// run a hook for every tool call, so its start-up is paid each time: this
// binary links no policy engine, state or CLI framework, and asks the running
// `chaperone serve` over its unix socket, which decides with its compiled
// policy and records the decision. When serve does not answer, it runs
// `chaperone hook --local` (the full binary beside it, else on PATH) to decide
// locally; when that fails too, it denies. It exits 0 with the agent's answer
// on stdout, since some agents treat a failed hook as permission; only for
// agents that read a refusal from the exit code alone (Windsurf, Kiro) does a
// refusal exit 2.
//
//	chaperone-hook AGENT [--env ENV] [--socket PATH] [--config FILE]
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/chaperone/chaperone/internal/hook"
)

// fallbackTimeout leaves room inside the 10 s that `chaperone install` gives
// the hook, after a socket attempt that may itself take hook.Timeout.
const fallbackTimeout = 6 * time.Second

type options struct {
	agent, env, socket, config string
}

func main() {
	opts, err := parseArgs(os.Args[1:])
	if err != nil {
		fmt.Fprintf(os.Stderr, "chaperone-hook: %v\nusage: chaperone-hook %s [--env ENV] [--socket PATH] [--config FILE]\n",
			err, strings.Join(hook.Names(), "|"))
		os.Exit(2) // blocks in agents that read exit codes; nothing is allowed
	}
	adapter := hook.Adapters[opts.agent]
	input, err := hook.ReadInput(os.Stdin)
	if err != nil {
		os.Exit(hook.Deny(adapter, err.Error()).Write(os.Stdout, os.Stderr))
	}
	// Tools that act only inside the agent need no one's opinion. Input
	// that does not parse goes on, to be denied with the reason.
	if _, ok, err := adapter.Parse(input); err == nil && !ok {
		return
	}
	if opts.env == "" {
		opts.env = os.Getenv("CHAPERONE_ENV")
	}
	if opts.socket == "" {
		opts.socket = defaultSocket(opts.config)
	}
	ans, err := hook.Ask(opts.socket, opts.agent, opts.env, input, hook.Timeout)
	if err != nil {
		ans, err = decideLocally(opts, input)
	}
	if err != nil {
		ans = hook.Deny(adapter, err.Error())
	}
	os.Exit(ans.Write(os.Stdout, os.Stderr))
}

func parseArgs(args []string) (options, error) {
	var o options
	for i := 0; i < len(args); i++ {
		arg := args[i]
		name, value, hasValue := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		var dst *string
		switch {
		case !strings.HasPrefix(arg, "-"):
			if o.agent != "" {
				return o, fmt.Errorf("unexpected argument %q", arg)
			}
			o.agent = arg
			continue
		case name == "env":
			dst = &o.env
		case name == "socket":
			dst = &o.socket
		case name == "config":
			dst = &o.config
		default:
			return o, fmt.Errorf("unknown flag %q", arg)
		}
		if !hasValue {
			if i+1 == len(args) {
				return o, fmt.Errorf("flag %s needs a value", arg)
			}
			i++
			value = args[i]
		}
		*dst = value
	}
	if _, ok := hook.Adapters[o.agent]; !ok {
		return o, fmt.Errorf("unknown agent %q", o.agent)
	}
	return o, nil
}

// defaultSocket is $CHAPERONE_HOOK_SOCKET, else where serve puts its socket
// by default (run/hook.sock beside the config: --config, $CHAPERONE_CONFIG or
// ./chaperone.yaml, if it exists). Reading the config itself would cost more than a wrong
// guess, which only means deciding locally.
func defaultSocket(config string) string {
	if s := os.Getenv("CHAPERONE_HOOK_SOCKET"); s != "" {
		return s
	}
	if config == "" {
		config = os.Getenv("CHAPERONE_CONFIG")
	}
	if config == "" {
		config = "chaperone.yaml"
	}
	abs, err := filepath.Abs(config)
	if err != nil {
		return ""
	}
	if _, err := os.Stat(abs); err != nil {
		return "" // no config, no serve of ours to ask
	}
	return filepath.Join(filepath.Dir(abs), "run", "hook.sock")
}

// decideLocally runs the full binary's hook, which loads the policy itself.
// Its exit 2 (the refusal of an agent that reads exit codes) is an answer;
// any other failure is not.
func decideLocally(o options, input []byte) (hook.Answer, error) {
	exe, err := fullBinary()
	if err != nil {
		return hook.Answer{}, err
	}
	args := []string{"hook", o.agent, "--local"}
	if o.config != "" {
		args = append([]string{"--config", o.config}, args...)
	}
	if o.env != "" {
		args = append(args, "--env", o.env)
	}
	ctx, cancel := context.WithTimeout(context.Background(), fallbackTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Stdin = bytes.NewReader(input)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 2 && hook.Adapters[o.agent].Blocks && ctx.Err() == nil {
		return hook.Answer{Stderr: stderr.Bytes(), Exit: 2}, nil
	}
	if err != nil {
		os.Stderr.Write(stderr.Bytes())
		return hook.Answer{}, fmt.Errorf("serve did not answer and %s hook failed: %v", exe, err)
	}
	return hook.Answer{Stdout: out}, nil
}

// fullBinary finds chaperone beside this binary, else on PATH.
func fullBinary() (string, error) {
	if self, err := os.Executable(); err == nil {
		beside := filepath.Join(filepath.Dir(self), "chaperone")
		if fi, err := os.Stat(beside); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return beside, nil
		}
	}
	exe, err := exec.LookPath("chaperone")
	if err != nil {
		return "", fmt.Errorf("serve did not answer and no chaperone binary was found to decide locally")
	}
	return exe, nil
}
