package http

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chaperone/chaperone/internal/approval"
	"github.com/chaperone/chaperone/internal/audit"
	"github.com/chaperone/chaperone/internal/config"
	"github.com/chaperone/chaperone/internal/policy"
	"github.com/chaperone/chaperone/internal/store"
	"github.com/chaperone/chaperone/internal/store/sqlite"
	"github.com/chaperone/chaperone/internal/token"
)

var ctx = context.Background()

// provider records what reaches the provider's API: it stands in for
// Railway's and Fly's servers, which cannot run here.
type provider struct {
	mu   sync.Mutex
	seen []string
	auth []string
}

func (p *provider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	p.mu.Lock()
	p.seen = append(p.seen, r.Method+" "+r.URL.Path+" "+string(b))
	p.auth = append(p.auth, r.Header.Get("Authorization"))
	p.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte(`{"data":{"ok":true}}`))
}

func (p *provider) count() int { p.mu.Lock(); defer p.mu.Unlock(); return len(p.seen) }

type env struct {
	st                store.Store
	srv               *httptest.Server
	prov              *provider
	approvals         *approval.Service
	prod, stage, read string
}

func setup(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	tokens := token.NewManager(st)
	mint := func(env, up string) string {
		s, _, err := tokens.Create(ctx, token.Spec{Env: env, Upstreams: []string{up}, Scope: token.ScopeAll, Actor: "test"})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	e := &env{prov: &provider{}, approvals: &approval.Service{Store: st}}
	api := httptest.NewServer(e.prov)
	t.Cleanup(api.Close)
	eng, err := policy.New(config.Defaults(dir))
	if err != nil {
		t.Fatal(err)
	}
	ups := map[string]Upstream{
		"railway-prod": {Name: "railway-prod", Env: "production", Provider: "railway", URL: api.URL, Credential: "RAILWAY-SECRET"},
		"fly-staging":  {Name: "fly-staging", Env: "staging", Provider: "generic", URL: api.URL + "/v1", Credential: "FLY-SECRET"},
	}
	g := &Gateway{Upstream: func(n string) (Upstream, bool) { u, ok := ups[n]; return u, ok }, Tokens: tokens, Decide: eng.Decide,
		Approvals: e.approvals, MaxBody: 4096, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Record: func(ctx context.Context, ev audit.Event) error { return audit.Record(ctx, st, ev) }}
	e.st = st
	mux := http.NewServeMux()
	mux.Handle("/u/", g)
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	e.prod, e.stage = mint("production", "railway-prod"), mint("staging", "fly-staging")
	return e
}

func (e *env) send(t *testing.T, tok, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

const gql = "/u/railway-prod/graphql/v2"

// The incident's request: a volumeDelete with a production token. It is
// held, reaches the provider only after a human approves, once.
func TestVolumeDeleteIsHeldUntilApprovedThenSentOnce(t *testing.T) {
	e := setup(t)
	if status, out := e.send(t, "", "POST", gql, `{"query":"query { me { id } }"}`); status != 401 {
		t.Fatalf("no token: %d %v", status, out)
	}
	if status, out := e.send(t, e.stage, "POST", gql, `{"query":"query { me { id } }"}`); status != 403 ||
		!strings.Contains(out["error"].(string), "staging") || !strings.Contains(out["error"].(string), "production") {
		t.Fatalf("a staging token on production: %d %v", status, out)
	}
	if status, _ := e.send(t, e.prod, "POST", gql, `{"query":"query { me { id } }"}`); status != 200 || e.prov.count() != 1 {
		t.Fatalf("a read: %d, provider saw %d", status, e.prov.count())
	}
	if e.prov.auth[0] != "Bearer RAILWAY-SECRET" {
		t.Fatalf("the provider got %q, not Chaperone's credential", e.prov.auth[0])
	}
	del := `{"query":"mutation($v: String!) { volumeDelete(volumeId: $v) }","variables":{"v":"vol_prod"}}`
	status, out := e.send(t, e.prod, "POST", gql, del)
	id, _ := out["request"].(string)
	if status != 403 || id == "" || e.prov.count() != 1 {
		t.Fatalf("volumeDelete: %d %v (provider saw %d)", status, out, e.prov.count())
	}
	if _, err := e.approvals.Approve(ctx, id, "approver:alice", ""); err != nil {
		t.Fatal(err)
	}
	// The same request, re-sent with other spacing and key order.
	same := `{ "variables": {"v": "vol_prod"}, "query": "mutation($v: String!) { volumeDelete(volumeId: $v) }" }`
	if status, out := e.send(t, e.prod, "POST", gql, same); status != 200 || e.prov.count() != 2 {
		t.Fatalf("after approval: %d %v", status, out)
	}
	if status, out := e.send(t, e.prod, "POST", gql, same); status != 403 || out["request"] == id {
		t.Fatalf("a second send: %d %v", status, out)
	}
	// The staging token's attempt is on the record.
	refused := 0
	e.st.View(ctx, func(tx store.Tx) error {
		es, _ := tx.AuditEntries(0, 1000)
		for _, x := range es {
			if x.Type == "http.refused" && strings.Contains(string(x.Data), "railway-prod") {
				refused++
			}
		}
		return nil
	})
	if refused != 1 {
		t.Fatalf("%d refusals audited", refused)
	}
	// A different volume is a different request.
	other := strings.Replace(del, "vol_prod", "vol_other", 1)
	if status, _ := e.send(t, e.prod, "POST", gql, other); status != 403 || e.prov.count() != 2 {
		t.Fatalf("another volume: %d", status)
	}
}

func TestGraphQLFormsAndRESTMethods(t *testing.T) {
	e := setup(t)
	for _, c := range []struct {
		name, tok, method, path, body string
		sent                          bool
	}{
		{"batched, one destructive", e.prod, "POST", gql, `[{"query":"query { me { id } }"},{"query":"mutation { serviceDelete(id: \"s\") }"}]`, false},
		{"GET ?query= read", e.prod, "GET", gql + "?query=" + "%7B%20me%20%7B%20id%20%7D%20%7D", "", true},
		{"does not validate", e.prod, "POST", gql, `{"query":"mutation { volumeObliterate }"}`, false},
		{"not JSON", e.prod, "POST", gql, `mutation { volumeDelete(volumeId: "v") }`, false},
		{"persisted query", e.prod, "POST", gql, `{"extensions":{"persistedQuery":{"sha256Hash":"ab"}}}`, false},
		{"too large to inspect", e.prod, "POST", gql, `{"query":"query { me { id } }","pad":"` + strings.Repeat("x", 5000) + `"}`, false},
		{"REST GET", e.stage, "GET", "/u/fly-staging/apps/a/machines", "", true},
		{"REST POST (staging write)", e.stage, "POST", "/u/fly-staging/apps/a/machines", `{"config":{}}`, true},
		{"REST DELETE", e.stage, "DELETE", "/u/fly-staging/apps/a/volumes/vol_1", "", false},
	} {
		before := e.prov.count()
		status, out := e.send(t, c.tok, c.method, c.path, c.body)
		sent := e.prov.count() > before
		if sent != c.sent || (c.sent && status != 200) || (!c.sent && status != 403) {
			t.Errorf("%s: status %d, sent %v: %v", c.name, status, sent, out)
		}
	}
	if last := e.prov.seen[len(e.prov.seen)-1]; !strings.HasPrefix(last, "POST /v1/apps/a/machines") {
		t.Fatalf("the path was not joined to the base URL: %q", last)
	}
	for _, a := range e.prov.auth {
		if strings.Contains(a, "chp_") {
			t.Fatal("an agent token reached the provider")
		}
	}
}
