package gate_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/approval"
	"github.com/chaperone/chaperone/internal/audit"
	"github.com/chaperone/chaperone/internal/config"
	"github.com/chaperone/chaperone/internal/gate"
	gwhttp "github.com/chaperone/chaperone/internal/gateway/http"
	"github.com/chaperone/chaperone/internal/gateway/pg"
	"github.com/chaperone/chaperone/internal/hook"
	"github.com/chaperone/chaperone/internal/hook/judge"
	"github.com/chaperone/chaperone/internal/pgtest"
	"github.com/chaperone/chaperone/internal/policy"
	"github.com/chaperone/chaperone/internal/store"
	"github.com/chaperone/chaperone/internal/store/sqlite"
	"github.com/chaperone/chaperone/internal/token"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// world is every entry point in front of one gate: the PostgreSQL gateway
// before a real PostgreSQL, the HTTP gateway before an API that answers
// everything, and the hook.
type world struct {
	st             store.Store
	g              *gate.Gate
	pgAddr, apiURL string
	db             *pgtest.Server
	dbName         string
	tok            map[string]string // env -> secret
	tokID          map[string]string
	hits           chan string // what reached the API
}

func newWorld(t *testing.T) *world {
	ctx := context.Background()
	w := &world{db: pgtest.Shared(t), tok: map[string]string{}, tokID: map[string]string{}, hits: make(chan string, 100)}
	w.dbName = w.db.CreateDB(t)
	w.db.Exec(t, w.dbName, "CREATE TABLE items (id int PRIMARY KEY, note text); INSERT INTO items SELECT g, 'n' FROM generate_series(1, 10) g")
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	w.st = st
	eng, err := policy.New(config.Defaults(dir))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	aud := &audit.Writer{Store: st, Log: log}
	t.Cleanup(aud.Close)
	w.g = &gate.Gate{Policy: eng, Approvals: &approval.Service{Store: st}, Audit: aud, Snapshots: false, Store: st, Log: log}
	tokens := token.NewManager(st)
	for _, env := range []string{"staging", "production"} {
		secret, tok, err := tokens.Create(ctx, token.Spec{Env: env, Upstreams: []string{"db-" + env, "api-" + env}, Scope: token.ScopeAll, Actor: "test"})
		if err != nil {
			t.Fatal(err)
		}
		w.tok[env], w.tokID[env] = secret, tok.ID
	}

	pgw := &pg.Gateway{Gate: w.g, Tokens: tokens, AllowPlain: true, Log: log,
		Upstream: func(n string) (pg.Upstream, bool) {
			env, ok := strings.CutPrefix(n, "db-")
			return pg.Upstream{Name: n, Env: env, DSN: w.db.DSN(w.dbName)}, ok
		}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	go pgw.Serve(sctx, ln)
	t.Cleanup(func() { ln.Close(); cancel() })
	w.pgAddr = ln.Addr().String()

	api := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.hits <- r.Method + " " + r.URL.Path
		rw.Write([]byte(`{}`))
	}))
	t.Cleanup(api.Close)
	hw := &gwhttp.Gateway{Gate: w.g, Tokens: tokens, Log: log,
		Upstream: func(n string) (gwhttp.Upstream, bool) {
			env, ok := strings.CutPrefix(n, "api-")
			return gwhttp.Upstream{Name: n, Env: env, Provider: "fly", URL: api.URL + "/v1", Credential: "FLY-SECRET"}, ok
		}}
	front := httptest.NewServer(hw)
	t.Cleanup(front.Close)
	w.apiURL = front.URL
	return w
}

// viaPG runs sql as env's token and says what the gateway answered.
func (w *world) viaPG(t *testing.T, env, sql string) action.Verdict {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, "postgres://agent:"+w.tok[env]+"@"+w.pgAddr+"/db-"+env+"?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	_, err = c.Exec(ctx, sql, pgx.QueryExecModeSimpleProtocol)
	var pe *pgconn.PgError
	switch {
	case err == nil:
		return action.Allow
	case errors.As(err, &pe) && pe.Code == pg.CodeHeld:
		return action.Approve
	case errors.As(err, &pe) && pe.Code == pg.CodeDenied:
		return action.Deny
	}
	t.Fatalf("%s: %v", sql, err)
	return ""
}

// viaHTTP sends a request as env's token and says what the gateway
// answered, checking that exactly the allowed ones reached the API.
func (w *world) viaHTTP(t *testing.T, env, method, path string) action.Verdict {
	t.Helper()
	var body io.Reader
	if method != http.MethodGet {
		body = strings.NewReader(`{}`)
	}
	req, _ := http.NewRequest(method, w.apiURL+"/u/api-"+env+path, body)
	req.Header.Set("Authorization", "Bearer "+w.tok[env])
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var answer map[string]any
	json.NewDecoder(resp.Body).Decode(&answer)
	resp.Body.Close()
	reached := false
	select {
	case <-w.hits:
		reached = true
	default:
	}
	switch {
	case resp.StatusCode == http.StatusOK && reached:
		return action.Allow
	case resp.StatusCode == http.StatusForbidden && !reached && strings.Contains(answer["error"].(string), "held"):
		return action.Approve
	case resp.StatusCode == http.StatusForbidden && !reached && strings.Contains(answer["error"].(string), "denied"):
		return action.Deny
	}
	t.Fatalf("%s %s: HTTP %d %v (reached the API: %v)", method, path, resp.StatusCode, answer, reached)
	return ""
}

func (w *world) viaHook(t *testing.T, env, command string) action.Verdict {
	t.Helper()
	o := judge.GateDecider(context.Background(), w.g, "claude-code", env)(hook.Request{Kind: action.KindShell, Text: command, Cwd: "/w"})
	return o.Decision.Verdict
}

// lastDecision is the newest decision entry.
func (w *world) lastDecision(t *testing.T) map[string]any {
	t.Helper()
	var last store.AuditEntry
	audit.Each(context.Background(), w.st, 0, func(e store.AuditEntry) error {
		if e.Type == audit.Decision {
			last = e
		}
		return nil
	})
	m := map[string]any{}
	if last.Seq == 0 {
		return m
	}
	if err := json.Unmarshal(last.Data, &m); err != nil {
		t.Fatalf("entry %d: %v", last.Seq, err)
	}
	return m
}

// The same kinds of action, through each entry point, get the same
// decision by the same rule, and one audit entry of the same shape.
func TestEveryEntryPointDecidesAndAuditsAlike(t *testing.T) {
	w := newWorld(t)
	cases := []struct {
		name, env      string
		sql            string
		method, path   string
		shell          string
		want           action.Verdict
		rule, class    string
		secretInSQLArg string
	}{
		{name: "a read", env: "production", sql: "SELECT note FROM items WHERE id = 4242", method: "GET", path: "/apps/web",
			shell: "ls -la", want: action.Allow, rule: "builtin.read", class: "read", secretInSQLArg: "4242"},
		{name: "a write in staging", env: "staging", sql: "INSERT INTO items VALUES (777, 'secret-note')", method: "POST", path: "/apps",
			shell: "touch notes.txt", want: action.Allow, rule: "builtin.write", class: "write", secretInSQLArg: "secret-note"},
		{name: "a write in production", env: "production", sql: "UPDATE items SET note = 'hush-value' WHERE id = 1", method: "POST", path: "/apps",
			shell: "touch notes.txt", want: action.Approve, rule: "builtin.write-protected", class: "write", secretInSQLArg: "hush-value"},
		{name: "destruction", env: "staging", sql: "DROP TABLE items", method: "DELETE", path: "/apps/web",
			shell: "rm -rf /srv/data", want: action.Approve, rule: "builtin.destructive", class: "destructive"},
	}
	keys := func(m map[string]any) []string {
		var out []string
		for k := range m {
			out = append(out, k)
		}
		slices.Sort(out)
		return out
	}
	for _, c := range cases {
		var shapes [][]string
		for _, entry := range []string{"pg", "http", "hook"} {
			var got action.Verdict
			switch entry {
			case "pg":
				got = w.viaPG(t, c.env, c.sql)
			case "http":
				got = w.viaHTTP(t, c.env, c.method, c.path)
			case "hook":
				got = w.viaHook(t, c.env, c.shell)
			}
			if got != c.want {
				t.Errorf("%s via %s: %s, want %s", c.name, entry, got, c.want)
			}
			// Reads are recorded without the reader waiting; the entry is
			// there a moment later.
			var d map[string]any
			for i := 0; i < 200; i++ {
				if d = w.lastDecision(t); d["entry"] == entry && d["rule"] == c.rule {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			if d["entry"] != entry || d["rule"] != c.rule || d["class"] != c.class || d["env"] != c.env ||
				d["decision"] != string(c.want) || d["fingerprint"] == "" || d["text"] == "" {
				t.Errorf("%s via %s: audit entry %v", c.name, entry, d)
			}
			if entry != "hook" && d["token"] != w.tokID[c.env] {
				t.Errorf("%s via %s: the entry names token %v", c.name, entry, d["token"])
			}
			if entry == "pg" && c.secretInSQLArg != "" && strings.Contains(d["text"].(string), c.secretInSQLArg) {
				t.Errorf("%s: a literal reached the audit log: %v", c.name, d["text"])
			}
			shape := keys(d)
			shape = slices.DeleteFunc(shape, func(k string) bool {
				return k == "token" || k == "upstream" || k == "cwd" || k == "request" || k == "targets"
			})
			shapes = append(shapes, shape)
		}
		for i := 1; i < len(shapes); i++ {
			if !slices.Equal(shapes[0], shapes[i]) {
				t.Errorf("%s: audit entries differ in shape: %v vs %v", c.name, shapes[0], shapes[i])
			}
		}
	}
	if n := w.db.Count(t, w.dbName, "items"); n != 11 {
		t.Fatalf("items has %d rows; only the staging insert should have run", n)
	}
}

// downAudit is an audit log that cannot take anything.
type downAudit struct{}

func (downAudit) Append(context.Context, audit.Event) error { return errors.New("disk full") }
func (downAudit) Post(audit.Event)                          {}
func (downAudit) Queue(audit.Event) func(context.Context) error {
	return func(context.Context) error { return errors.New("disk full") }
}

// Without a working audit log, reads go on and nothing else runs, at every
// entry point alike.
func TestWithoutTheAuditLogOnlyReadsGoOnEverywhere(t *testing.T) {
	w := newWorld(t)
	w.g.Audit = downAudit{}
	if got := w.viaPG(t, "staging", "SELECT count(*) FROM items"); got != action.Allow {
		t.Errorf("pg read: %s", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, "postgres://agent:"+w.tok["staging"]+"@"+w.pgAddr+"/db-staging?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	_, err = c.Exec(ctx, "INSERT INTO items VALUES (900, 'x')")
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != pg.CodeUndecidable || !strings.Contains(pe.Message, "audit log") {
		t.Errorf("pg write: %v", err)
	}
	if got := w.viaHTTP(t, "staging", "GET", "/apps/web"); got != action.Allow {
		t.Errorf("http read: %s", got)
	}
	req, _ := http.NewRequest("POST", w.apiURL+"/u/api-staging/apps", strings.NewReader(`{}`))
	req.Header.Set("Authorization", "Bearer "+w.tok["staging"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	select {
	case hit := <-w.hits:
		t.Errorf("http write reached the API: %s", hit)
	default:
	}
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("http write: HTTP %d", resp.StatusCode)
	}
	if got := w.viaHook(t, "staging", "git status"); got != action.Allow {
		t.Errorf("hook read: %s", got)
	}
	if o := judge.GateDecider(context.Background(), w.g, "cursor", "staging")(hook.Request{Kind: action.KindShell, Text: "npm install"}); o.Decision.Verdict != action.Deny || o.Decision.Rule != "audit.unavailable" {
		t.Errorf("hook write: %+v", o.Decision)
	}
	if n := w.db.Count(t, w.dbName, "items"); n != 10 {
		t.Fatalf("items has %d rows", n)
	}
}
