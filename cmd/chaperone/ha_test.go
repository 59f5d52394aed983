package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chaperone/chaperone/internal/approval"
	"github.com/chaperone/chaperone/internal/pgtest"
	"github.com/chaperone/chaperone/internal/secret"
	"github.com/chaperone/chaperone/internal/store/postgres"
	"github.com/chaperone/chaperone/internal/token"
)

// haCluster is two serve instances on one PostgreSQL state, fronting an
// upstream on another PostgreSQL server, as docs/ha.md deploys them.
type haCluster struct {
	state     *pgtest.Server // the shared state's server
	stateDSN  string
	upstream  *pgtest.Server
	db        string // the upstream database
	cfg       [2]string
	env       []string
	st        *postgres.Store // the test's own handle on the state
	approvals *approval.Service
	totp      map[string]string // approver -> TOTP secret
}

// newHACluster prepares two config directories on one shared state and
// enrolls approvers alice and bob; start starts an instance.
func newHACluster(t *testing.T) *haCluster {
	return newHAClusterWith(t, upstreams)
}

func newHAClusterWith(t *testing.T, yaml string) *haCluster {
	t.Helper()
	h := &haCluster{state: pgtest.Start(t), upstream: pgtest.Shared(t), totp: map[string]string{}}
	h.stateDSN = h.state.DSN(h.state.CreateDB(t))
	h.db = h.upstream.CreateDB(t)
	t.Setenv("CHP_STATE_DSN", h.stateDSN)
	h.env = []string{"CHP_STATE_DSN=" + h.stateDSN, "CHP_TEST_STAGING_DSN=" + h.upstream.DSN(h.db), "CHP_TEST_PROD_DSN=" + h.upstream.DSN(h.db)}
	for i := range h.cfg {
		h.cfg[i] = initDir(t, yaml)
		if yaml == loadUpstreams {
			loadLimits(t, h.cfg[i])
		}
		setInConfig(t, h.cfg[i], "  driver: sqlite\n", "  driver: postgres\n  dsn: ${CHP_STATE_DSN}\n")
	}
	var err error
	if h.st, err = postgres.Open(context.Background(), h.stateDSN); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.st.Close() })
	// Both instances hold the same secret key (it seals approvers' TOTP
	// secrets), as an operator copies it to each host.
	dirA, dirB := filepath.Join(filepath.Dir(h.cfg[0]), "state"), filepath.Join(filepath.Dir(h.cfg[1]), "state")
	box, err := secret.Open(dirA, true)
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dirA)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "secret") {
			b, _ := os.ReadFile(filepath.Join(dirA, e.Name()))
			if err := os.WriteFile(filepath.Join(dirB, e.Name()), b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	h.approvals = &approval.Service{Store: h.st, Secrets: box}
	for _, name := range []string{"alice", "bob"} {
		key, _ := approval.NewTOTP(name)
		if err := h.approvals.AddApprover(context.Background(), name, "correct horse battery", key.Secret(), "test"); err != nil {
			t.Fatal(err)
		}
		h.totp[name] = key.Secret()
	}
	return h
}

func (h *haCluster) token(t *testing.T) (tok, id string) {
	t.Helper()
	r := chaperone(t, "", "--config", h.cfg[0], "token", "create", "--env", "staging", "--upstream", "app-staging")
	if r.code != 0 {
		t.Fatalf("token create: %+v", r)
	}
	tok = strings.TrimSpace(r.stdout)
	ks, err := token.NewManager(h.st).List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range ks {
		if k.RevokedAt.IsZero() {
			id = k.ID
		}
	}
	return tok, id
}

// haInstance is one running serve.
type haInstance struct {
	pg, http string
	pid      int
	kill     func()
}

func (h *haCluster) start(t *testing.T, i int) haInstance {
	t.Helper()
	cmd, addrs := startServeAddrs(t, h.cfg[i], h.env...)
	return haInstance{pg: addrs["pg"], http: addrs["http"], pid: cmd.Process.Pid, kill: func() { cmd.Process.Kill(); cmd.Wait() }}
}

// consoleClient is an approver signed in to one instance's console API.
type consoleClient struct {
	t    *testing.T
	base string
	http *http.Client
	csrf string
}

func signIn(t *testing.T, addr, who string) *consoleClient {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &consoleClient{t: t, base: "http://" + addr, http: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
	status, body := c.do("POST", "/api/session", map[string]string{"name": who, "password": "correct horse battery"})
	var out struct{ CSRF string }
	if status != 200 || json.Unmarshal([]byte(body), &out) != nil {
		t.Fatalf("sign in at %s: %d %s", addr, status, body)
	}
	c.csrf = out.CSRF
	return c
}

func (c *consoleClient) do(method, path string, body any) (int, string) {
	c.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = strings.NewReader(string(b))
	}
	req, _ := http.NewRequest(method, c.base+path, r)
	req.Header.Set("X-CSRF-Token", c.csrf)
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// events opens the console's live feed and returns the request ids it
// announces, as they come.
func (c *consoleClient) events(ctx context.Context) <-chan string {
	c.t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", c.base+"/api/events", nil)
	client := &http.Client{Jar: c.http.Jar}
	resp, err := client.Do(req)
	if err != nil || resp.StatusCode != 200 {
		c.t.Fatalf("events: %v %v", resp, err)
	}
	ids := make(chan string, 64)
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var ev struct{ ID, State string }
				if json.Unmarshal([]byte(data), &ev) == nil {
					ids <- ev.ID + " " + ev.State
				}
			}
		}
	}()
	return ids
}

func connectAgent(t *testing.T, addr, tok string) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(context.Background(), "postgres://agent:"+tok+"@"+addr+"/app-staging?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func tableExists(t *testing.T, h *haCluster, name string) bool {
	t.Helper()
	c, err := pgx.Connect(context.Background(), h.upstream.DSN(h.db))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	var ok bool
	if err := c.QueryRow(context.Background(), "SELECT to_regclass($1) IS NOT NULL", name).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}

// A statement held through A is announced live in B's console within 3 s,
// approved there, and runs once through A; after A is killed, one approved
// through B runs once at B. Revoking a token at B ends its session at A
// within a second. The chain written by both verifies.
func TestHATwoInstancesShareApprovalsRevocationAndOneChain(t *testing.T) {
	h := newHACluster(t)
	tok, tokID := h.token(t)
	a, b := h.start(t, 0), h.start(t, 1)
	for _, in := range []haInstance{a, b} {
		resp, err := http.Get("http://" + in.http + "/readyz")
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("readyz at %s: %v %v", in.http, resp, err)
		}
		resp.Body.Close()
	}
	h.upstream.Exec(t, h.db, "CREATE TABLE guard_1 (id int); CREATE TABLE guard_2 (id int)")
	consoleB := signIn(t, b.http, "alice")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	feed := consoleB.events(ctx)

	agentA := connectAgent(t, a.pg, tok)
	_, err := agentA.Exec(context.Background(), "DROP TABLE guard_1")
	id := holdID(err)
	if id == "" {
		t.Fatalf("DROP through A was not held: %v", err)
	}
	held := time.Now()
	waitEvent(t, feed, id+" pending", 3*time.Second)
	t.Logf("B's live feed announced %s held at A after %s", id, time.Since(held).Round(time.Millisecond))
	if status, body := consoleB.do("POST", "/api/requests/"+id+"/approve", map[string]string{"code": totpCode(t, h.totp["alice"], time.Now())}); status != 200 {
		t.Fatalf("approve at B: %d %s", status, body)
	}
	if _, err := agentA.Exec(context.Background(), "DROP TABLE guard_1"); err != nil {
		t.Fatalf("the approved DROP through A: %v", err)
	}
	if tableExists(t, h, "guard_1") {
		t.Fatal("guard_1 survived its approved DROP")
	}
	// Once: the same text again is held anew, not run on the old approval.
	h.upstream.Exec(t, h.db, "CREATE TABLE guard_1 (id int)")
	if _, err := agentA.Exec(context.Background(), "DROP TABLE guard_1"); holdID(err) == "" || holdID(err) == id {
		t.Fatalf("a second DROP on one approval: %v", err)
	}

	// Held at A, approved at B, A dies; the agent reconnects through B.
	_, err = agentA.Exec(context.Background(), "DROP TABLE guard_2")
	id2 := holdID(err)
	if id2 == "" {
		t.Fatalf("DROP guard_2 was not held: %v", err)
	}
	consoleB2 := signIn(t, b.http, "bob")
	if status, body := consoleB2.do("POST", "/api/requests/"+id2+"/approve", map[string]string{"code": totpCode(t, h.totp["bob"], time.Now())}); status != 200 {
		t.Fatalf("approve at B: %d %s", status, body)
	}
	a.kill()
	agentB := connectAgent(t, b.pg, tok)
	if _, err := agentB.Exec(context.Background(), "DROP TABLE guard_2"); err != nil {
		t.Fatalf("the approved DROP through B after A died: %v", err)
	}
	h.upstream.Exec(t, h.db, "CREATE TABLE guard_2 (id int)")
	if _, err := agentB.Exec(context.Background(), "DROP TABLE guard_2"); holdID(err) == "" {
		t.Fatalf("the approval ran twice: %v", err)
	}

	// A again; revoking at B ends A's session within a second.
	a = h.start(t, 0)
	agentA = connectAgent(t, a.pg, tok)
	if _, err := agentA.Exec(context.Background(), "SELECT 1"); err != nil {
		t.Fatal(err)
	}
	if status, body := consoleB.do("POST", "/api/tokens/"+tokID+"/revoke", nil); status != 200 && status != 204 {
		t.Fatalf("revoke at B: %d %s", status, body)
	}
	revoked := time.Now()
	for {
		if _, err := agentA.Exec(context.Background(), "SELECT 1"); err != nil {
			break
		}
		if time.Since(revoked) > 5*time.Second {
			t.Fatal("A's session outlived the token's revocation at B by 5 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	ended := time.Since(revoked)
	t.Logf("A ended the revoked token's session %s after B revoked it", ended.Round(time.Millisecond))
	if ended > time.Second {
		t.Errorf("A ended the revoked token's session %s after the revocation (want within 1 s)", ended)
	}

	r := chaperone(t, "", "--config", h.cfg[1], "audit", "verify")
	if r.code != 0 {
		t.Fatalf("audit verify: %+v", r)
	}
}

func waitEvent(t *testing.T, feed <-chan string, want string, within time.Duration) {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case got := <-feed:
			if got == want {
				return
			}
		case <-deadline:
			t.Fatalf("the live feed did not announce %q within %s", want, within)
		}
	}
}

// The load test's 200 clients split across two instances on one state:
// no errors, exactly the approved statements run, and the chain verifies.
func TestHALoadTwoInstances(t *testing.T) {
	h := newHAClusterWith(t, loadUpstreams)
	tok, _ := h.token(t)
	a, b := h.start(t, 0), h.start(t, 1)
	runLoad(t, loadTarget{pg: h.upstream, db: h.db, tok: tok, addrs: []string{a.pg, b.pg}, approvals: h.approvals,
		pids: func() []int { return []int{a.pid, b.pid} }})
	h.verify(t)
}

// One instance killed with SIGKILL halfway through the load: its clients
// reconnect to the other, nothing approved runs twice or without approval,
// and the chain verifies.
func TestHALoadTwoInstancesOneKilled(t *testing.T) {
	h := newHAClusterWith(t, loadUpstreams)
	tok, _ := h.token(t)
	a, b := h.start(t, 0), h.start(t, 1)
	runLoad(t, loadTarget{pg: h.upstream, db: h.db, tok: tok, addrs: []string{a.pg, b.pg}, approvals: h.approvals,
		pids: func() []int { return []int{b.pid} }, kill: a.kill})
	h.verify(t)
}

func (h *haCluster) verify(t *testing.T) {
	t.Helper()
	r := chaperone(t, "", "--config", h.cfg[1], "audit", "verify")
	if r.code != 0 {
		t.Fatalf("audit verify: %+v", r)
	}
	t.Logf("audit verify: %s", strings.TrimSpace(r.stdout))
}
