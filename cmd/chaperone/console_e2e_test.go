package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/chaperone/chaperone/internal/pgtest"
)

// A human in a real browser: sign in, enroll a passkey through a virtual
// authenticator, watch a held statement arrive live, approve it with the
// passkey and see it run through the gateway; deny another and see the
// client get the reason. Set CHAPERONE_SCREENSHOTS=DIR to keep the
// console's screenshots (docs/ holds the ones shown in the documentation).
func TestConsoleInABrowser(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium is not installed (scripts/test-deps.sh installs it)")
	}
	pg := pgtest.Shared(t)
	db := pg.CreateDB(t)
	pg.Exec(t, db, `CREATE TABLE bookings (id int, note text);
		INSERT INTO bookings SELECT g, 'guest ' || g FROM generate_series(1, 48211) g;
		CREATE TABLE payments (id int); INSERT INTO payments SELECT generate_series(1, 10); ANALYZE`)
	// A webhook receiver, as a chat integration would be.
	var hookMu sync.Mutex
	var hooked []string
	hooks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		hookMu.Lock()
		hooked = append(hooked, string(b))
		hookMu.Unlock()
	}))
	defer hooks.Close()
	cfg := initDir(t, prodUpstream)
	setInConfig(t, cfg, "  webhooks: []\n", "  webhooks:\n    - url: "+hooks.URL+"\n")
	tok := strings.TrimSpace(chaperone(t, "", "--config", cfg, "token", "create", "--env", "production", "--upstream", "app-prod", "--name", "staging-agent").stdout)
	secret := enrollApprover(t, cfg, "alice", "correct horse battery")
	_, pgAddr, httpAddr := startServeHTTP(t, cfg, "CHP_E2E_DSN="+pg.DSN(db))
	_, port, _ := net.SplitHostPort(httpAddr)
	base := "http://localhost:" + port // passkeys need a host name, not an address

	shots := os.Getenv("CHAPERONE_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	alloc, cancel := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.Headless, chromedp.WindowSize(1280, 860))...)
	defer cancel()
	browser, cancel := chromedp.NewContext(alloc)
	defer cancel()
	browser, cancel = context.WithTimeout(browser, 3*time.Minute)
	defer cancel()
	step := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(browser, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	shot := func(name string) {
		t.Helper()
		// After a vote the page reloads; a screenshot taken mid-navigation
		// fails, so it waits for a loaded page and tries again.
		var png []byte
		var err error
		for range 50 {
			ready, _ := chromedp.Run(browser, chromedp.Evaluate[string](`document.readyState`))
			if ready == "complete" {
				if png, err = chromedp.Run(browser, chromedp.FullScreenshot(100)); err == nil {
					break
				}
			}
			time.Sleep(100 * time.Millisecond)
		}
		if png == nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(shots, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	waitText := func(sel, want string) {
		t.Helper()
		expr := fmt.Sprintf(`(document.querySelector(%q) || {}).textContent || ""`, sel)
		deadline := time.Now().Add(20 * time.Second)
		for {
			got, err := chromedp.Run(browser, chromedp.Evaluate[string](expr))
			if err == nil && strings.Contains(got, want) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s never showed %q (last: %q, %v)", sel, want, got, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}

	step("sign in",
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(chromedp.CSS("#name"), "alice"),
		chromedp.SendKeys(chromedp.CSS("#password"), "correct horse battery"),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS("h1")))
	waitText("h1", "Pending requests")

	// A virtual authenticator stands in for the approver's phone or key:
	// it verifies the user (as a PIN or fingerprint would) when asked.
	if _, err := chromedp.Call(browser, webauthn.Enable, webauthn.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(browser, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
		Options: &webauthn.VirtualAuthenticatorOptions{Protocol: webauthn.AuthenticatorProtocolCtap2,
			Transport: webauthn.AuthenticatorTransportInternal, HasResidentKey: true, HasUserVerification: true,
			IsUserVerified: true, AutomaticPresenceSimulation: true}}); err != nil {
		t.Fatal(err)
	}
	step("enroll a passkey",
		chromedp.Navigate(base+"/account"),
		chromedp.SendKeys(chromedp.CSS("#enroll-code"), totpCode(t, secret, time.Now())),
		chromedp.Click(chromedp.CSS("#enroll button")))
	waitText("#passkey-done:not([hidden])", "Passkey added")

	step("open the pending list", chromedp.Navigate(base+"/"))
	waitText("main", "Nothing is waiting")

	// The agent's DROP is held; the open console shows it without a reload.
	out, err := psql(t, tok, pgAddr, "app-prod", "DROP TABLE bookings")
	id := regexp.MustCompile(`apr_[0-9a-f]{16}`).FindString(out)
	if err == nil || !strings.Contains(out, "CP001") || id == "" {
		t.Fatalf("DROP not held: %v\n%s", err, out)
	}
	waitText(`tr[data-id="`+id+`"]`, "bookings: ~48211 rows")
	shot("console-pending.png")

	step("open the request", chromedp.Click(chromedp.CSS(`a[href="/requests/`+id+`"]`)), chromedp.WaitVisible(chromedp.CSS("#statement")))
	waitText("#statement", "DROP TABLE bookings")
	shot("console-request.png")
	step("approve with the passkey",
		chromedp.SendKeys(chromedp.CSS("#approve-comment"), "archived last week"),
		chromedp.Click(chromedp.CSS(`button[data-passkey="approve"]`)))
	waitText("h1 .state", "approved")

	if out, err := psql(t, tok, pgAddr, "app-prod", "DROP TABLE bookings"); err != nil {
		t.Fatalf("the approved DROP: %v\n%s", err, out)
	}
	if n := pg.Count(t, db, "bookings"); n != -1 {
		t.Fatalf("bookings still has %d rows", n)
	}

	// Another held statement, denied with a reason the agent then sees.
	out, _ = psql(t, tok, pgAddr, "app-prod", "TRUNCATE payments")
	id = regexp.MustCompile(`apr_[0-9a-f]{16}`).FindString(out)
	if id == "" {
		t.Fatalf("TRUNCATE not held:\n%s", out)
	}
	step("deny with the passkey",
		chromedp.Navigate(base+"/requests/"+id),
		chromedp.SendKeys(chromedp.CSS("#deny-comment"), "use the archive table"),
		chromedp.Click(chromedp.CSS(`button[data-passkey="deny"]`)))
	waitText("h1 .state", "denied")
	shot("console-denied.png")
	out, err = psql(t, tok, pgAddr, "app-prod", "TRUNCATE payments")
	if err == nil || !strings.Contains(out, "CP003") || !strings.Contains(out, "use the archive table") {
		t.Fatalf("the agent did not get the denial: %v\n%s", err, out)
	}
	if n := pg.Count(t, db, "payments"); n != 10 {
		t.Fatalf("payments has %d rows", n)
	}
	step("the audit log", chromedp.Navigate(base+"/audit"))
	waitText("main", "The chain verifies")
	waitText("main", "approver.passkey_added")

	// The webhook heard of both requests and both decisions.
	deadline := time.Now().Add(10 * time.Second)
	for {
		hookMu.Lock()
		all := strings.Join(hooked, "\n")
		hookMu.Unlock()
		if strings.Count(all, `"event":"approval.requested"`) == 2 && strings.Contains(all, `"event":"approval.approved"`) &&
			strings.Contains(all, `"event":"approval.denied"`) && strings.Contains(all, "use the archive table") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("webhook deliveries:\n%s", all)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
