package backup

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/chaperone/chaperone/internal/audit"
	"github.com/chaperone/chaperone/internal/store"
	"github.com/chaperone/chaperone/internal/store/sqlite"
)

// A long-running Drills follows the log as it grows, across pages of other
// entries, and agrees with a fresh read of the whole log at every step.
func TestDrillsFollowTheLog(t *testing.T) {
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	record := func(typ string, data map[string]any) {
		t.Helper()
		if err := audit.Record(ctx, st, audit.Event{Type: typ, Actor: "test", Data: data}); err != nil {
			t.Fatal(err)
		}
	}
	noise := func(n int) {
		t.Helper()
		evs, times := make([]audit.Event, n), make([]time.Time, n)
		for i := range evs {
			evs[i] = audit.Event{Type: "sql.statement", Actor: "test", Data: map[string]any{"upstream": "u1", "ok": false}}
			times[i] = time.Now()
		}
		if err := st.Update(ctx, func(tx store.Tx) error {
			_, err := audit.AppendAll(tx, evs, times)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	d := &Drills{State: st}
	check := func(step string, want map[string]string) {
		t.Helper()
		got, err := d.Last(ctx)
		if err != nil {
			t.Fatal(err)
		}
		fresh, err := LastDrills(ctx, st)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range []map[string]DrillRecord{got, fresh} {
			if len(m) != len(want) {
				t.Fatalf("%s: %+v, want %v", step, m, want)
			}
			for u, w := range want {
				r := m[u]
				state := "passed"
				if r.Failing != "" {
					state = "failing"
				}
				if state != w || r.LastPassed.IsZero() {
					t.Fatalf("%s: %s is %+v, want %s", step, u, r, w)
				}
			}
		}
	}
	check("empty", map[string]string{})
	record(audit.BackupVerified, map[string]any{"upstream": "u1", "ok": true})
	noise(2500)
	check("one pass", map[string]string{"u1": "passed"})
	noise(1500)
	record(audit.BackupVerified, map[string]any{"upstream": "u1", "ok": false, "mismatches": "t: 3 rows, want 4"})
	record(audit.BackupVerified+".other", map[string]any{"upstream": "u3", "ok": true})
	record(audit.BackupVerified, map[string]any{"upstream": "u2", "ok": true})
	check("a failure", map[string]string{"u1": "failing", "u2": "passed"})
	// What Last returned is the caller's: changing it changes nothing.
	got, _ := d.Last(ctx)
	delete(got, "u1")
	record(audit.BackupVerified, map[string]any{"upstream": "u1", "ok": true})
	check("passing again", map[string]string{"u1": "passed", "u2": "passed"})
}
