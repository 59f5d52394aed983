package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/approval"
)

// An approver grants from the console with the same second factor as an
// approval; the grant shows with who gave it and the time left, covers the
// token's writes on that upstream, and is revoked at once.
func TestGrantsFromTheConsole(t *testing.T) {
	f := newFixture(t)
	id := f.hold(t, "UPDATE bookings SET note = 'x'", 1)
	c := f.client(t).signIn("alice")
	hdr := map[string]string{"X-CSRF-Token": c.csrf}
	// Without the second factor, nothing is granted.
	if status, _ := c.do("POST", "/api/requests/"+id+"/approve", map[string]any{"code": "000000", "for": "15m"}, hdr); status != http.StatusForbidden {
		t.Fatalf("grant with a wrong code: %d", status)
	}
	if status, body := c.do("POST", "/api/requests/"+id+"/approve", map[string]any{"code": f.code(t, "alice"), "for": "soon"}, hdr); status != http.StatusBadRequest {
		t.Fatalf("grant with no duration: %d %s", status, body)
	}
	f.now = f.now.Add(31 * time.Second) // the next code
	if status, body := c.do("POST", "/api/requests/"+id+"/approve", map[string]any{"code": f.code(t, "alice"), "for": "15m", "include_destructive": true}, hdr); status != 200 || !strings.Contains(body, `"state":"approved"`) {
		t.Fatalf("grant: %d %s", status, body)
	}
	status, body := c.do("GET", "/api/grants", nil, nil)
	var gs []approval.GrantView
	if status != 200 || json.Unmarshal([]byte(body), &gs) != nil || len(gs) != 1 {
		t.Fatalf("grants: %d %s", status, body)
	}
	g := gs[0]
	if g.Token != f.tokenID || g.Upstream != "app-prod" || g.GrantedBy != "approver:alice" || !g.IncludeDestructive ||
		g.Status != "active" || g.SecondsLeft < 14*60 || g.SecondsLeft > 15*60 {
		t.Fatalf("grant as shown: %+v", g)
	}
	drop := action.Action{Kind: action.KindSQL, Class: action.ClassDestructive, Upstream: "app-prod", Requester: f.tokenID}
	if _, ok, _ := f.svc.Covering(ctx, drop); !ok {
		t.Fatal("the grant does not cover the token's destructive statements")
	}
	if status, body := c.do("GET", "/grants", nil, nil); status != 200 || !strings.Contains(body, g.ID) || !strings.Contains(body, "approver:alice") {
		t.Fatalf("grants page: %d", status)
	}
	if status, _ := c.do("POST", "/grants/"+g.ID+"/revoke", url.Values{"csrf": {c.csrf}}, nil); status != 200 {
		t.Fatalf("revoke: %d", status)
	}
	if _, ok, _ := f.svc.Covering(ctx, drop); ok {
		t.Fatal("a revoked grant still covers")
	}
}
