package judge

import (
	"context"

	"github.com/chaperone/chaperone/internal/hook"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/gate"
)

// GateDecider classifies an agent's requests and asks g about them, as
// the agent named agent working in env.
func GateDecider(ctx context.Context, g *gate.Gate, agent, env string) hook.Decider {
	return func(r hook.Request) hook.Outcome {
		act := Classify(r)
		act.Env = env
		return outcomeOf(g.Decide(ctx, gate.Request{Entry: gate.EntryHook, Source: "hook:" + agent, Action: act, Cwd: r.Cwd}))
	}
}

// outcomeOf renders the gate's outcome as the decision an agent acts on:
// anything the gate could not settle is a denial with its reason.
func outcomeOf(o gate.Outcome) hook.Outcome {
	if o.Verdict != gate.Undecidable {
		return hook.Outcome{Decision: o.Decision, Action: o.Action}
	}
	rule := "gate.undecidable"
	if o.Cause == gate.CauseAudit {
		rule = "audit.unavailable"
	}
	return hook.Outcome{Action: o.Action, Decision: action.Decision{Verdict: action.Deny, Rule: rule, Reason: o.Message}}
}
