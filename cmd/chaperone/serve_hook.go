package main

import (
	"context"
	"log/slog"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/audit"
	"github.com/chaperone/chaperone/internal/hook"
	"github.com/chaperone/chaperone/internal/hook/server"
	"github.com/chaperone/chaperone/internal/policy"
	"github.com/chaperone/chaperone/internal/store"
)

// hookServer decides forwarded hook requests with serve's compiled policy and
// records each decision. A decision the log cannot record is not allowed,
// except a read: reads go on while the state is unavailable, nothing else does.
func hookServer(ctx context.Context, eng *policy.Engine, st store.Store, log *slog.Logger) *server.Server {
	return &server.Server{Log: log, Decide: func(agent, env string, r hook.Request) hook.Outcome {
		act, d := decide(eng, r.Kind, r.Text, env, "")
		source := "hook:" + agent
		if err := audit.Record(ctx, st, audit.NewDecision(source, r.Cwd, act, d)); err != nil {
			log.Error("recording a hook decision", "source", source, "err", err)
			if d.Verdict != action.Allow || act.Class != action.ClassRead {
				d = action.Decision{Verdict: action.Deny, Rule: "audit.unavailable",
					Reason: "the audit log cannot record this decision, so only reads are allowed until the state is back"}
			}
		}
		return hook.Outcome{Decision: d, Action: act}
	}}
}
