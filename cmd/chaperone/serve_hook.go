package main

import (
	"context"
	"log/slog"

	"github.com/chaperone/chaperone/internal/gate"
	"github.com/chaperone/chaperone/internal/hook"
	"github.com/chaperone/chaperone/internal/hook/judge"
	"github.com/chaperone/chaperone/internal/hook/server"
)

// hookServer answers forwarded hook requests through serve's gate, without
// its approvals: a held action is asked of the user in the agent.
func hookServer(ctx context.Context, g *gate.Gate, log *slog.Logger) *server.Server {
	hg := *g
	hg.Approvals = nil
	return &server.Server{Log: log, Decide: func(agent, env string, r hook.Request) hook.Outcome {
		return judge.GateDecider(ctx, &hg, agent, env)(r)
	}}
}
