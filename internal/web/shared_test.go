package web

import (
	"crypto/sha256"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/chaperone/chaperone/internal/store"
)

// Two consoles on one state, as two instances behind a load balancer: a
// session started at one is good at the other, signing out at either ends
// it at both, and the state keeps only the cookie's hash.
func TestSessionsAreSharedThroughTheState(t *testing.T) {
	f := newFixture(t)
	other := &Console{Approvals: f.svc, Tokens: f.console.Tokens, Store: f.st, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: f.clock}
	h, err := other.Handler()
	if err != nil {
		t.Fatal(err)
	}
	srvB := httptest.NewServer(h)
	defer srvB.Close()

	a := f.client(t).signIn("alice")
	b := &client{t: t, f: &fixture{srv: srvB}, http: a.http, csrf: a.csrf}
	if status, body := b.do("GET", "/api/requests", nil, nil); status != http.StatusOK {
		t.Fatalf("the session started at A, at B: %d %s", status, body)
	}
	u, _ := http.NewRequest("GET", f.srv.URL, nil)
	cookies := a.http.Jar.Cookies(u.URL)
	if len(cookies) != 1 {
		t.Fatalf("cookies %v", cookies)
	}
	sum := sha256.Sum256([]byte(cookies[0].Value))
	if err := f.st.View(ctx, func(tx store.Tx) error { _, err := tx.ConsoleSession(sum[:]); return err }); err != nil {
		t.Fatalf("the state does not know the session by its hash: %v", err)
	}
	if status, _ := b.do("DELETE", "/api/session", nil, map[string]string{"X-CSRF-Token": b.csrf}); status != http.StatusNoContent {
		t.Fatal(status)
	}
	// B's sign-out cleared the cookie in the jar; send the old one to A.
	req, _ := http.NewRequest("GET", f.srv.URL+"/api/requests", nil)
	req.AddCookie(cookies[0])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("signed out at B, still signed in at A: %d", resp.StatusCode)
	}
}
