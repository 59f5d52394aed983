package gate_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/approval"
	"github.com/chaperone/chaperone/internal/audit"
	"github.com/chaperone/chaperone/internal/store"
)

// A grant lets one token's writes (and, when it says so, destructive
// statements) on one upstream through for a while, each on the record
// naming it; it never covers another token, another upstream, or more than
// it says, and ends at once when revoked.
func TestGrantsElevateOneTokenOnOneUpstreamForAWhile(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	svc := w.g.Approvals
	update := func(n int) string { return "UPDATE items SET note = 'x' WHERE id = " + string(rune('0'+n)) }
	// Held, then approved with a grant for writes only.
	if got := w.viaPG(t, "production", update(1)); got != action.Approve {
		t.Fatalf("write in production: %s", got)
	}
	pending, err := svc.List(ctx, approval.Pending, 10)
	if err != nil || len(pending) != 1 {
		t.Fatalf("pending: %+v %v", pending, err)
	}
	if _, _, err := svc.ApproveFor(ctx, pending[0].ID, "approver:alice", "", 2*time.Hour, false); err == nil {
		t.Fatal("a grant over approvals.max_grant was given")
	}
	_, grant, err := svc.ApproveFor(ctx, pending[0].ID, "approver:alice", "migration", 15*time.Minute, false)
	if err != nil {
		t.Fatal(err)
	}
	for n := 2; n <= 5; n++ {
		if got := w.viaPG(t, "production", update(n)); got != action.Allow {
			t.Fatalf("write %d under the grant: %s", n, got)
		}
	}
	if d := w.lastDecision(t); d["outcome"] != "granted" || d["grant"] != grant.ID {
		t.Fatalf("the use is not on the record with its grant: %v", d)
	}
	// Not destructive ones, and not another upstream or token.
	if got := w.viaPG(t, "production", "DROP TABLE items"); got != action.Approve {
		t.Fatalf("destruction under a writes-only grant: %s", got)
	}
	if got := w.viaHTTP(t, "production", "POST", "/apps"); got != action.Approve {
		t.Fatalf("another upstream under the grant: %s", got)
	}
	if got := w.viaPG(t, "staging", "DROP TABLE items"); got != action.Approve {
		t.Fatalf("another token: %s", got)
	}
	// Revoked: held again at once.
	if err := svc.RevokeGrant(ctx, grant.ID, "approver:bob"); err != nil {
		t.Fatal(err)
	}
	if got := w.viaPG(t, "production", update(6)); got != action.Approve {
		t.Fatalf("write after the revocation: %s", got)
	}
	var uses int
	audit.Each(ctx, w.st, 0, func(e store.AuditEntry) error {
		var d audit.DecisionData
		if e.Type == audit.Decision && json.Unmarshal(e.Data, &d) == nil && d.Grant == grant.ID {
			uses++
		}
		if e.Type == audit.GrantCreated && !strings.Contains(string(e.Data), grant.ID) {
			t.Errorf("grant.created: %s", e.Data)
		}
		return nil
	})
	if uses != 4 {
		t.Fatalf("%d uses of the grant on the record, want 4", uses)
	}
}

// A grant that includes destruction still snapshots first, and credential
// access is never elevated.
func TestGrantsIncludingDestructionStillDenyCredentialAccess(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	svc := w.g.Approvals
	if got := w.viaPG(t, "staging", "DROP TABLE items"); got != action.Approve {
		t.Fatalf("drop: %s", got)
	}
	pending, _ := svc.List(ctx, approval.Pending, 10)
	if _, _, err := svc.ApproveFor(ctx, pending[0].ID, "approver:alice", "", 10*time.Minute, true); err != nil {
		t.Fatal(err)
	}
	if got := w.viaPG(t, "staging", "TRUNCATE items"); got != action.Allow {
		t.Fatalf("truncate under a destructive grant: %s", got)
	}
	if n := w.db.Count(t, w.dbName, "items"); n != 0 {
		t.Fatalf("items has %d rows after TRUNCATE", n)
	}
	if got := w.viaPG(t, "staging", "SELECT pg_read_file('/etc/passwd')"); got == action.Allow {
		t.Fatal("credential access under a grant")
	}
}
