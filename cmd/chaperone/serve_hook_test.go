package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/audit"
	"github.com/chaperone/chaperone/internal/config"
	"github.com/chaperone/chaperone/internal/gate"
	"github.com/chaperone/chaperone/internal/hook"
	"github.com/chaperone/chaperone/internal/policy"
	"github.com/chaperone/chaperone/internal/store"
	"github.com/chaperone/chaperone/internal/store/sqlite"
)

func TestHookDecisionsAreAuditedAndFailClosedWithoutTheLog(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	eng, err := policy.New(config.Defaults(dir))
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(ctx, filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := hookServer(ctx, &gate.Gate{Policy: eng, Audit: &audit.Writer{Store: st, Log: log}, Store: st, Log: log}, log)
	const secret = "ghp_abcdefghijklmnopqrstuvwxyz0123456789"
	o := srv.Decide("cursor", "staging", hook.Request{Kind: action.KindShell, Text: "GH_TOKEN=" + secret + " git push --force", Cwd: "/w"})
	if o.Decision.Verdict != action.Approve || o.Decision.Rule != "builtin.destructive" {
		t.Fatalf("decision: %+v", o.Decision)
	}
	var entries []store.AuditEntry
	audit.Each(ctx, st, 0, func(e store.AuditEntry) error { entries = append(entries, e); return nil })
	if len(entries) != 1 || entries[0].Type != audit.Decision || entries[0].Actor != "hook:cursor" {
		t.Fatalf("audit: %+v", entries)
	}
	var data audit.DecisionData
	if err := json.Unmarshal(entries[0].Data, &data); err != nil {
		t.Fatal(err)
	}
	if data.Env != "staging" || data.Cwd != "/w" || data.Rule != "builtin.destructive" || data.Entry != "hook" || data.Outcome != "held" ||
		!strings.Contains(data.Text, "git push --force") || data.Fingerprint == "" || strings.Contains(string(entries[0].Data), secret) {
		t.Fatalf("audit entry: %s", entries[0].Data)
	}

	// Without a working log only reads go on.
	st.Close()
	if o := srv.Decide("cursor", "staging", hook.Request{Kind: action.KindShell, Text: "git status"}); o.Decision.Verdict != action.Allow {
		t.Fatalf("read without the log: %+v", o.Decision)
	}
	for _, cmd := range []string{"npm install", "rm -rf /srv/data"} {
		o := srv.Decide("cursor", "staging", hook.Request{Kind: action.KindShell, Text: cmd})
		if o.Decision.Verdict != action.Deny || o.Decision.Rule != "audit.unavailable" {
			t.Fatalf("%s without the log: %+v", cmd, o.Decision)
		}
	}
}
