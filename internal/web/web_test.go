package web

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/approval"
	"github.com/chaperone/chaperone/internal/backup"
	"github.com/chaperone/chaperone/internal/secret"
	"github.com/chaperone/chaperone/internal/store"
	"github.com/chaperone/chaperone/internal/store/sqlite"
	"github.com/chaperone/chaperone/internal/token"
)

var ctx = context.Background()

// fixture is a console over a real state, with two approvers and a token.
type fixture struct {
	srv     *httptest.Server
	svc     *approval.Service
	console *Console
	st      store.Store
	secrets map[string]string // approver -> TOTP secret
	agent   string            // an agent token (chp_...)
	tokenID string
	mu      sync.Mutex
	now     time.Time
}

func (f *fixture) clock() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.now }
func (f *fixture) advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	box, err := secret.Open(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{st: st, secrets: map[string]string{}, now: time.Now()}
	f.svc = &approval.Service{Store: st, Secrets: box, Now: f.clock}
	tokens := token.NewManager(st)
	f.agent, _, err = tokens.Create(ctx, token.Spec{Env: "production", Upstreams: []string{"app-prod"}, Scope: token.ScopeAll, Actor: "test"})
	if err != nil {
		t.Fatal(err)
	}
	list, _ := tokens.List(ctx)
	f.tokenID = list[0].ID
	for _, name := range []string{"alice", "bob"} {
		key, _ := approval.NewTOTP(name)
		if err := f.svc.AddApprover(ctx, name, "correct horse battery", key.Secret(), "test"); err != nil {
			t.Fatal(err)
		}
		f.secrets[name] = key.Secret()
	}
	f.console = &Console{Approvals: f.svc, Tokens: tokens, Store: st, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: f.clock,
		Upstreams:   []Upstream{{Name: "app-prod", Kind: "postgres", Env: "production", Credential: "sealed in the config"}},
		BackupStore: "local directory /var/lib/chaperone/backups", LocalBackups: true,
		Drills: func(context.Context) (map[string]backup.DrillRecord, error) {
			return map[string]backup.DrillRecord{"app-prod": {LastPassed: f.clock().Add(-3 * time.Hour)}}, nil
		}}
	f.svc.Changed = f.console.Publish
	h, err := f.console.Handler()
	if err != nil {
		t.Fatal(err)
	}
	f.srv = httptest.NewServer(h)
	t.Cleanup(f.srv.Close)
	return f
}

// hold creates a pending request the way the gateway does.
func (f *fixture) hold(t *testing.T, text string, approvals int) string {
	t.Helper()
	req, _, err := f.svc.Check(ctx, approval.Hold{
		Action:   action.Action{Kind: action.KindSQL, Env: "production", Upstream: "app-prod", Text: text, Class: action.ClassDestructive},
		Decision: action.Decision{Verdict: action.Approve, Rule: "builtin.destructive", Reason: "destruction waits for a human", Approvals: approvals},
		TokenID:  f.tokenID, Impact: func() string { return "bookings: ~48 rows, 16 kB" },
	})
	if err != nil {
		t.Fatal(err)
	}
	return req.ID
}

func (f *fixture) code(t *testing.T, who string) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(f.secrets[who], f.clock(), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// client is an HTTP client with its own cookies, and the CSRF token of its
// session once signed in.
type client struct {
	t    *testing.T
	f    *fixture
	http *http.Client
	csrf string
}

func (f *fixture) client(t *testing.T) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, f: f, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (c *client) do(method, path string, body any, header map[string]string) (int, string) {
	c.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case url.Values:
		r = strings.NewReader(b.Encode())
	default:
		j, _ := json.Marshal(b)
		r = strings.NewReader(string(j))
	}
	req, _ := http.NewRequest(method, c.f.srv.URL+path, r)
	if _, ok := body.(url.Values); ok {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (c *client) signIn(who string) *client {
	c.t.Helper()
	status, body := c.do("POST", "/api/session", map[string]string{"name": who, "password": "correct horse battery"}, nil)
	var out struct{ CSRF string }
	if status != 200 || json.Unmarshal([]byte(body), &out) != nil || out.CSRF == "" {
		c.t.Fatalf("sign in as %s: %d %s", who, status, body)
	}
	c.csrf = out.CSRF
	return c
}

func (c *client) decide(id, verdict, code string) (int, string) {
	return c.do("POST", "/api/requests/"+id+"/"+verdict, map[string]string{"code": code, "reason": "no", "comment": "ok"},
		map[string]string{"X-CSRF-Token": c.csrf})
}

// Every route refuses agent credentials, signed in or not, and refuses
// anyone without a session.
func TestAgentTokensAndStrangersAreRefusedEverywhere(t *testing.T) {
	f := newFixture(t)
	id := f.hold(t, "DROP TABLE bookings", 1)
	routes := [][2]string{
		{"GET", "/"}, {"GET", "/requests/" + id}, {"POST", "/requests/" + id + "/approve"}, {"POST", "/requests/" + id + "/deny"},
		{"GET", "/history"}, {"GET", "/audit"}, {"GET", "/grants"}, {"POST", "/grants/grt_x/revoke"}, {"GET", "/tokens"}, {"POST", "/tokens/" + f.tokenID + "/revoke"},
		{"GET", "/upstreams"}, {"GET", "/events"}, {"POST", "/logout"},
		{"GET", "/api/requests"}, {"GET", "/api/requests/" + id}, {"POST", "/api/requests/" + id + "/approve"},
		{"POST", "/api/requests/" + id + "/deny"}, {"GET", "/api/grants"}, {"POST", "/api/grants/grt_x/revoke"}, {"GET", "/api/tokens"}, {"POST", "/api/tokens/" + f.tokenID + "/revoke"},
		{"GET", "/api/upstreams"}, {"GET", "/api/audit"}, {"GET", "/api/events"}, {"DELETE", "/api/session"},
		{"POST", "/api/session"}, {"POST", "/login"},
	}
	signedIn := f.client(t).signIn("alice")
	for _, r := range routes {
		for _, c := range []*client{f.client(t), signedIn} {
			status, body := c.do(r[0], r[1], nil, map[string]string{"Authorization": "Bearer " + f.agent, "X-CSRF-Token": c.csrf})
			if status != http.StatusForbidden || !strings.Contains(body, "agent credentials") {
				t.Errorf("%s %s with an agent token: %d %s", r[0], r[1], status, body)
			}
		}
		if r[1] == "/api/session" || r[1] == "/login" {
			continue
		}
		status, _ := f.client(t).do(r[0], r[1], nil, nil)
		if status != http.StatusUnauthorized && status != http.StatusSeeOther {
			t.Errorf("%s %s without a session: %d", r[0], r[1], status)
		}
	}
	if a, _, _ := f.svc.Get(ctx, id); a.State != approval.Pending {
		t.Fatalf("request is %s", a.State)
	}
}

func TestCSRFIsRequired(t *testing.T) {
	f := newFixture(t)
	id := f.hold(t, "DROP TABLE bookings", 1)
	c := f.client(t).signIn("alice")
	if status, body := c.do("POST", "/api/requests/"+id+"/approve", map[string]string{"code": f.code(t, "alice")}, nil); status != http.StatusForbidden || !strings.Contains(body, "CSRF") {
		t.Fatalf("API without X-CSRF-Token: %d %s", status, body)
	}
	form := url.Values{"code": {f.code(t, "alice")}}
	if status, _ := c.do("POST", "/requests/"+id+"/approve", form, nil); status != http.StatusForbidden {
		t.Fatalf("form without csrf: %d", status)
	}
	form.Set("csrf", "forged")
	if status, _ := c.do("POST", "/requests/"+id+"/approve", form, nil); status != http.StatusForbidden {
		t.Fatalf("form with a forged csrf: %d", status)
	}
	// A cross-site form post fails on its origin even with a token.
	form.Set("csrf", c.csrf)
	if status, _ := c.do("POST", "/requests/"+id+"/approve", form, map[string]string{"Origin": "https://evil.example"}); status != http.StatusForbidden {
		t.Fatalf("cross-origin post: %d", status)
	}
	if a, _, _ := f.svc.Get(ctx, id); a.State != approval.Pending {
		t.Fatalf("request is %s", a.State)
	}
	// With the token, from here, it works.
	if status, body := c.do("POST", "/requests/"+id+"/approve", form, nil); status != 200 || !strings.Contains(body, "the request is approved") {
		t.Fatalf("form with csrf: %d %s", status, body)
	}
}

func TestWrongCodesAreRefusedCountedAndLock(t *testing.T) {
	f := newFixture(t)
	id := f.hold(t, "DROP TABLE bookings", 1)
	c := f.client(t).signIn("alice")
	for i := 1; i < approval.MaxFailures; i++ {
		if status, body := c.decide(id, "approve", "000000"); status != http.StatusForbidden || !strings.Contains(body, "wrong or already used code") {
			t.Fatalf("wrong code %d: %d %s", i, status, body)
		}
	}
	if status, _ := c.decide(id, "approve", "000000"); status != http.StatusTooManyRequests {
		t.Fatalf("fifth wrong code: %d", status)
	}
	if status, _ := c.decide(id, "approve", f.code(t, "alice")); status != http.StatusTooManyRequests {
		t.Fatalf("right code while locked: %d", status)
	}
	failed := 0
	f.st.View(ctx, func(tx store.Tx) error {
		es, _ := tx.AuditEntries(0, 1000)
		for _, e := range es {
			if e.Type == "approver.code_failed" && e.Actor == "approver:alice" {
				failed++
			}
		}
		return nil
	})
	if failed != approval.MaxFailures {
		t.Fatalf("%d failures audited", failed)
	}
	if a, _, _ := f.svc.Get(ctx, id); a.State != approval.Pending {
		t.Fatalf("request is %s", a.State)
	}
}

func TestApprovalsAreRefusedWhenTwiceExpiredOrConsumed(t *testing.T) {
	f := newFixture(t)
	alice, bob := f.client(t).signIn("alice"), f.client(t).signIn("bob")

	// Two approvers required: one is not enough, and one cannot vote twice.
	two := f.hold(t, "DROP TABLE bookings", 2)
	if status, body := alice.decide(two, "approve", f.code(t, "alice")); status != 200 || !strings.Contains(body, `"state":"pending"`) {
		t.Fatalf("first of two: %d %s", status, body)
	}
	f.advance(30 * time.Second) // a fresh code: each is good once
	if status, _ := alice.decide(two, "approve", f.code(t, "alice")); status != http.StatusConflict {
		t.Fatalf("alice twice: %d", status)
	}
	if status, body := bob.decide(two, "approve", f.code(t, "bob")); status != 200 || !strings.Contains(body, `"state":"approved"`) {
		t.Fatalf("second of two: %d %s", status, body)
	}
	// Approving what is already approved, then consumed.
	f.advance(30 * time.Second)
	if status, _ := bob.decide(two, "approve", f.code(t, "bob")); status != http.StatusConflict {
		t.Fatalf("approving an approved request: %d", status)
	}
	if ok, _ := f.svc.Consume(ctx, two, "token:"+f.tokenID); !ok {
		t.Fatal("consume")
	}
	f.advance(30 * time.Second)
	if status, _ := alice.decide(two, "deny", f.code(t, "alice")); status != http.StatusConflict {
		t.Fatalf("voting on a consumed request: %d", status)
	}
	// Expired.
	late := f.hold(t, "TRUNCATE payments", 1)
	f.advance(approval.DefaultTTL + time.Minute)
	if status, body := alice.decide(late, "approve", f.code(t, "alice")); status != http.StatusConflict || !strings.Contains(body, "expired") {
		t.Fatalf("approving an expired request: %d %s", status, body)
	}
	// A denial needs a reason, and reaches the request.
	denied := f.hold(t, "DROP SCHEMA app CASCADE", 1)
	f.advance(30 * time.Second)
	status, body := alice.do("POST", "/api/requests/"+denied+"/deny", map[string]string{"code": f.code(t, "alice")}, map[string]string{"X-CSRF-Token": alice.csrf})
	if status != http.StatusBadRequest {
		t.Fatalf("deny without a reason: %d %s", status, body)
	}
	if status, body := alice.do("POST", "/api/requests/"+denied+"/deny", map[string]string{"code": f.code(t, "alice"), "reason": "use the archive"},
		map[string]string{"X-CSRF-Token": alice.csrf}); status != 200 || !strings.Contains(body, `"deny_reason":"use the archive"`) {
		t.Fatalf("deny: %d %s", status, body)
	}
}

func TestSignInIsRateLimited(t *testing.T) {
	f := newFixture(t)
	c := f.client(t)
	for i := 0; i < maxFailures; i++ {
		if status, _ := c.do("POST", "/api/session", map[string]string{"name": "alice", "password": "not the password"}, nil); status != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i, status)
		}
	}
	if status, _ := c.do("POST", "/api/session", map[string]string{"name": "alice", "password": "correct horse battery"}, nil); status != http.StatusTooManyRequests {
		t.Fatalf("after %d failures: %d", maxFailures, status)
	}
	f.advance(window + time.Second)
	c.signIn("alice")
}

func TestSessionsExpireAndSignOut(t *testing.T) {
	f := newFixture(t)
	c := f.client(t).signIn("alice")
	if status, _ := c.do("GET", "/api/requests", nil, nil); status != 200 {
		t.Fatal(status)
	}
	f.advance(idleTimeout + time.Second)
	if status, _ := c.do("GET", "/api/requests", nil, nil); status != http.StatusUnauthorized {
		t.Fatalf("after the idle timeout: %d", status)
	}
	c.signIn("alice")
	if status, _ := c.do("DELETE", "/api/session", nil, map[string]string{"X-CSRF-Token": c.csrf}); status != http.StatusNoContent {
		t.Fatal(status)
	}
	if status, _ := c.do("GET", "/api/requests", nil, nil); status != http.StatusUnauthorized {
		t.Fatalf("after signing out: %d", status)
	}
}

// The pages render for a signed-in approver, and show what a human needs to
// decide; the event stream announces new requests.
func TestPagesAndLiveEvents(t *testing.T) {
	f := newFixture(t)
	c := f.client(t)
	status, body := c.do("POST", "/login", url.Values{"name": {"alice"}, "password": {"correct horse battery"}}, nil)
	if status != http.StatusSeeOther {
		t.Fatalf("form sign-in: %d %s", status, body)
	}
	req, _ := http.NewRequest("GET", f.srv.URL+"/events", nil)
	resp, err := c.http.Do(req)
	if err != nil || resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("events: %v %v", resp, err)
	}
	defer resp.Body.Close()
	id := f.hold(t, "DELETE FROM bookings WHERE true", 1)
	got := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "data: ") {
				got <- sc.Text()
				return
			}
		}
	}()
	select {
	case line := <-got:
		if !strings.Contains(line, id) || !strings.Contains(line, `"state":"pending"`) {
			t.Fatalf("event %q", line)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no event for a new request")
	}
	for path, want := range map[string][]string{
		"/":               {id, "production", "builtin.destructive", "bookings: ~48 rows", "DELETE FROM bookings WHERE true"},
		"/requests/" + id: {"DELETE FROM bookings\nWHERE true", "Code from your authenticator app", `name="csrf"`, "0 of 1 needed"},
		"/history":        {"History"},
		"/audit":          {"The chain verifies", "approval.requested"},
		"/tokens":         {f.tokenID, "Revoke"},
		"/upstreams":      {"app-prod", "sealed in the config", "only as isolated as its disk", "last verified backup 3 h ago"},
	} {
		status, body := c.do("GET", path, nil, nil)
		for _, w := range want {
			if status != 200 || !strings.Contains(body, w) {
				t.Errorf("%s: %d, lacks %q", path, status, w)
			}
		}
		if strings.Contains(body, f.agent) {
			t.Errorf("%s shows an agent token's secret", path)
		}
	}
}
