package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/classify"
	"github.com/chaperone/chaperone/internal/gate"
)

// checkResult is the JSON `chaperone check` prints: a contract.
type checkResult struct {
	Decision action.Verdict  `json:"decision"`
	Class    action.Class    `json:"class"`
	Rule     string          `json:"rule"`
	Reason   string          `json:"reason"`
	Reasons  []action.Reason `json:"reasons"`
}

func (a *app) checkCommand() *cobra.Command {
	var env, kind, upstream string
	cmd := &cobra.Command{
		Use:   "check [--env E] [--kind shell|sql|graphql] -- TEXT",
		Short: "Classify TEXT and print the policy's decision as JSON",
		Long: `check classifies TEXT as the gateways would and prints one JSON object:
  {"decision": "allow|approve|deny", "class": "...", "rule": "...", "reason": "...", "reasons": [...]}
It exits 0 for allow, 2 for approve or deny, 1 for bad input and 3 for an
internal error (which also prints decision "deny"). With no TEXT it reads
standard input. It is a dry run: nothing is recorded or held.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := a.check(env, kind, upstream, args)
			if err != nil {
				// Scripts that read only the JSON must still see a refusal.
				a.printCheck(checkResult{Decision: action.Deny, Class: action.ClassUnknown, Rule: "check.error",
					Reason: err.Error(), Reasons: []action.Reason{}})
				if exitCode(err) == exitInput {
					return err
				}
				return &exitError{exitInternal, err}
			}
			a.printCheck(res)
			if res.Decision != action.Allow {
				return silentExit(exitHeld)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&env, "env", "", "environment the action targets (default: the upstream's, else none)")
	cmd.Flags().StringVar(&kind, "kind", "shell", "language of TEXT: shell, sql, graphql, http or file")
	cmd.Flags().StringVar(&upstream, "upstream", "", "configured upstream the action targets; its environment is used")
	return cmd
}

func (a *app) check(env, kindName, upstream string, args []string) (res checkResult, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error: %v", r)
		}
	}()
	kind, err := action.ParseKind(kindName)
	if err != nil {
		return res, inputErr(err)
	}
	text, err := a.checkText(args)
	if err != nil {
		return res, err
	}
	cfg, eng, err := a.loadPolicy()
	if err != nil {
		return res, err
	}
	provider := ""
	if upstream != "" {
		u, ok := cfg.Upstream(upstream)
		if !ok {
			return res, inputErrf("upstream %q is not configured", upstream)
		}
		if env != "" && env != u.Env {
			return res, inputErrf("--env %s contradicts upstream %s, which is %s", env, upstream, u.Env)
		}
		env, provider = u.Env, u.Provider
	}
	// A dry run: the same gate as serve's, with nothing held or recorded.
	act := classify.ForProvider(kind, provider, text)
	act.Env, act.Upstream = env, upstream
	o := (&gate.Gate{Policy: eng}).Decide(context.Background(), gate.Request{Entry: gate.EntryCheck, Source: gate.EntryCheck, Action: act})
	res = checkResult{Decision: o.Decision.Verdict, Class: o.Action.Class, Rule: o.Decision.Rule, Reason: o.Decision.Reason, Reasons: o.Action.Reasons}
	if res.Reasons == nil {
		res.Reasons = []action.Reason{}
	}
	return res, nil
}

func (a *app) checkText(args []string) (string, error) {
	if len(args) > 0 {
		return strings.Join(args, " "), nil
	}
	if f, ok := a.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return "", inputErrf("nothing to check: give TEXT after -- or on standard input")
	}
	data, err := io.ReadAll(io.LimitReader(a.stdin, 1<<20+1))
	if err != nil {
		return "", inputErrf("reading standard input: %v", err)
	}
	if len(data) > 1<<20 {
		return "", inputErrf("input is over 1 MiB")
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		return "", inputErrf("nothing to check: give TEXT after -- or on standard input")
	}
	return string(data), nil
}

func (a *app) printCheck(r checkResult) {
	out, _ := json.Marshal(r)
	fmt.Fprintln(a.stdout, string(out))
}
