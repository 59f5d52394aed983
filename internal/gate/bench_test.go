package gate_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/approval"
	"github.com/chaperone/chaperone/internal/audit"
	"github.com/chaperone/chaperone/internal/classify"
	"github.com/chaperone/chaperone/internal/config"
	"github.com/chaperone/chaperone/internal/gate"
	"github.com/chaperone/chaperone/internal/policy"
	"github.com/chaperone/chaperone/internal/store/sqlite"
)

// BenchmarkDecideRead is the gate's part of one allowed, audited read:
// the policy, the redacted audit entry and its group-committed write.
func BenchmarkDecideRead(b *testing.B) {
	dir := b.TempDir()
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "state.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	eng, err := policy.New(config.Defaults(dir))
	if err != nil {
		b.Fatal(err)
	}
	w := &audit.Writer{Store: st}
	g := &gate.Gate{Policy: eng, Approvals: &approval.Service{Store: st}, Audit: w, Store: st,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	act := classify.Classify(action.KindSQL, "SELECT abalance FROM pgbench_accounts WHERE aid = 1;")
	act.Env, act.Upstream, act.Requester, act.Scope = "production", "app", "tok_0123456789abcdef", "all"
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			a := act
			a.Text = "SELECT abalance FROM pgbench_accounts WHERE aid = " + strconv.Itoa(i) + ";"
			i++
			if o := g.Decide(context.Background(), gate.Request{Entry: gate.EntryPG, Source: "pg:app", Action: a}); o.Verdict != gate.Forward {
				b.Fatal(o)
			}
		}
	})
	b.StopTimer()
	w.Close()
}
