package http

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chaperone/chaperone/internal/approval"
	"github.com/chaperone/chaperone/internal/audit"
	"github.com/chaperone/chaperone/internal/config"
	"github.com/chaperone/chaperone/internal/gate"
	"github.com/chaperone/chaperone/internal/policy"
	"github.com/chaperone/chaperone/internal/railwaysim"
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
	if id, ok := strings.CutPrefix(r.URL.Path, "/v1/apps/a/machines/"); ok && r.Method == "GET" && !strings.Contains(id, "/") {
		// Fly's machines: m1 keeps its data on a volume; m2 has none.
		switch id {
		case "m1":
			w.Write([]byte(`{"id":"m1","config":{"image":"app","mounts":[{"volume":"vol_1","path":"/data","name":"data"}]}}`))
		case "m2":
			w.Write([]byte(`{"id":"m2","config":{"image":"app"}}`))
		case "m3":
			w.Write([]byte(`{"id":"m3","config":{"image":"app","services":[{"internal_port":8080,"protocol":"tcp","ports":[{"port":443,"handlers":["tls","http"]}]}]}}`))
		default:
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"error":"machine not found"}`))
		}
		return
	}
	w.Write([]byte(`{"data":{"ok":true}}`))
}

func (p *provider) count() int { p.mu.Lock(); defer p.mu.Unlock(); return len(p.seen) }

type env struct {
	st                store.Store
	srv               *httptest.Server
	prov              *provider
	railway           *railwaysim.Server
	gw                *Gateway
	auditDown         atomic.Bool // the audit log cannot be written
	approvals         *approval.Service
	prod, stage, read string
}

// account is the incident's Railway account plus a volume that lives in
// production alone.
func account() railwaysim.Project {
	p := railwaysim.Incident()
	p.Volumes = append(p.Volumes, railwaysim.Volume{ID: "vol_prod", Name: "prod-only",
		Instances: []railwaysim.VolumeInstance{{ID: "vi_prod_only", EnvironmentID: "env_prd_9f30"}}})
	return p
}

func setup(t testing.TB) *env {
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
	e := &env{prov: &provider{}, approvals: &approval.Service{Store: st}, railway: railwaysim.New(account())}
	e.railway.Token = "RAILWAY-SECRET"
	api := httptest.NewServer(e.prov)
	t.Cleanup(api.Close)
	rw := httptest.NewServer(e.railway)
	t.Cleanup(rw.Close)
	eng, err := policy.New(config.Defaults(dir))
	if err != nil {
		t.Fatal(err)
	}
	ups := map[string]Upstream{
		"railway-prod":    {Name: "railway-prod", Env: "production", Provider: "railway", URL: rw.URL, Credential: "RAILWAY-SECRET"},
		"railway-staging": {Name: "railway-staging", Env: "staging", Provider: "railway", URL: rw.URL, Credential: "RAILWAY-SECRET"},
		"fly-staging":     {Name: "fly-staging", Env: "staging", Provider: "fly", URL: api.URL + "/v1", Credential: "FLY-SECRET"},
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	aud := &flakyAudit{down: &e.auditDown, w: &audit.Writer{Store: st}}
	g := &Gateway{Upstream: func(n string) (Upstream, bool) { u, ok := ups[n]; return u, ok }, Tokens: tokens,
		Gate:    &gate.Gate{Policy: eng, Approvals: e.approvals, Audit: aud, Snapshots: true, Store: st, Log: log},
		MaxBody: 4096, Log: log,
		Record: func(ctx context.Context, ev audit.Event) error { return audit.Record(ctx, st, ev) }}
	e.st, e.gw = st, g
	mux := http.NewServeMux()
	mux.Handle("/u/", g)
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	e.prod = mint("production", "railway-prod")
	s, _, err := tokens.Create(ctx, token.Spec{Env: "staging", Upstreams: []string{"fly-staging", "railway-staging"}, Scope: token.ScopeAll, Actor: "test"})
	if err != nil {
		t.Fatal(err)
	}
	e.stage = s
	return e
}

func (e *env) send(t testing.TB, tok, method, path, body string) (int, map[string]any) {
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

// agentRequests counts what reached Railway other than Chaperone's own
// lookups.
func (e *env) agentRequests() int {
	n := 0
	for _, r := range e.railway.Seen() {
		if r.Operation != "chaperoneResolve" {
			n++
		}
	}
	return n
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
	muts := func() int { return len(e.railway.Mutations()) }
	if status, _ := e.send(t, e.prod, "POST", gql, `{"query":"query { me { id } }"}`); status != 200 || len(e.railway.Seen()) != 1 {
		t.Fatalf("a read: %d, Railway saw %d", status, len(e.railway.Seen()))
	}
	if a := e.railway.Seen()[0].Authorization; a != "Bearer RAILWAY-SECRET" {
		t.Fatalf("Railway got %q, not Chaperone's credential", a)
	}
	del := `{"query":"mutation($v: String!) { volumeDelete(volumeId: $v) }","variables":{"v":"vol_prod"}}`
	status, out := e.send(t, e.prod, "POST", gql, del)
	id, _ := out["request"].(string)
	if status != 403 || id == "" || muts() != 0 {
		t.Fatalf("volumeDelete: %d %v (mutations %v)", status, out, e.railway.Mutations())
	}
	// The approver is told nothing will be copied first.
	if req, _, err := e.approvals.Get(ctx, id); err != nil || !strings.Contains(req.Impact, "no snapshot was taken") {
		t.Fatalf("the request does not say that no snapshot is taken: %q %v", req.Impact, err)
	}
	if _, err := e.approvals.Approve(ctx, id, "approver:alice", ""); err != nil {
		t.Fatal(err)
	}
	// The same request, re-sent with other spacing and key order.
	same := `{ "variables": {"v": "vol_prod"}, "query": "mutation($v: String!) { volumeDelete(volumeId: $v) }" }`
	if status, out := e.send(t, e.prod, "POST", gql, same); status != 200 || muts() != 1 || e.railway.HasVolume("vol_prod") {
		t.Fatalf("after approval: %d %v", status, out)
	}
	if status, out := e.send(t, e.prod, "POST", gql, same); status != 403 || out["request"] == id || muts() != 1 {
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
	// The audit log says it ran without a snapshot, and why.
	skipped := false
	e.st.View(ctx, func(tx store.Tx) error {
		es, _ := tx.AuditEntries(0, 1000)
		for _, x := range es {
			skipped = skipped || x.Type == audit.BackupSkipped && strings.Contains(string(x.Data), id)
		}
		return nil
	})
	if !skipped {
		t.Fatal("the approved deletion ran with no record that nothing was snapshotted")
	}
	// A different volume is a different request.
	other := strings.Replace(del, "vol_prod", "vi_prod_only", 1)
	if status, _ := e.send(t, e.prod, "POST", gql, other); status != 403 || muts() != 1 {
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
		{"Fly: backups off", e.stage, "PUT", "/u/fly-staging/apps/a/volumes/vol_1", `{"auto_backup_enabled":false}`, false},
		{"Fly: exec rm -rf", e.stage, "POST", "/u/fly-staging/apps/a/machines/m1/exec", `{"command":["sh","-c","rm -rf /data"]}`, false},
		{"Fly: exec ls", e.stage, "POST", "/u/fly-staging/apps/a/machines/m1/exec", `{"command":["ls","/data"]}`, true},
		{"Fly: dot segments", e.stage, "DELETE", "/u/fly-staging/apps/a/machines/m1/%2e%2e/%2e%2e/volumes/vol_1", "", false},
	} {
		before, beforeRW := e.prov.count(), e.agentRequests()
		status, out := e.send(t, c.tok, c.method, c.path, c.body)
		sent := e.prov.count() > before || e.agentRequests() > beforeRW
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

// The incident, and its neighbours: a staging token asking for changes to
// resources Railway places in production is denied, naming both; targets
// that live in staging alone go on to the policy; targets that cannot be
// placed are held.
func TestRailwayTargetsAreCheckedAgainstTheTokensEnvironment(t *testing.T) {
	e := setup(t)
	const stg = "/u/railway-staging/graphql/v2"
	mut := func(q string) string {
		b, _ := json.Marshal(map[string]string{"query": "mutation { " + q + " }"})
		return string(b)
	}
	lookups := func() int { return len(e.railway.Seen()) - e.agentRequests() }
	for _, c := range []struct {
		name, body string
		status     int
		has        string // in the answer
		held, sent bool
	}{
		{"the incident", mut(`volumeDelete(volumeId: "vol_3b8d0c")`), 403, "volume vol_3b8d0c has an instance in production; this token is scoped to staging", false, false},
		{"an environment", mut(`environmentDelete(id: "env_prd_9f30")`), 403, "environment env_prd_9f30 is production; this token is scoped to staging", false, false},
		{"a write to production's variables", mut(`variableUpsert(input: {environmentId: "env_prd_9f30", projectId: "prj_7c1e", serviceId: "svc_api_1", name: "X", value: "1"})`), 403, "is production", false, false},
		{"a service in both", mut(`serviceDelete(id: "svc_api_1")`), 403, "service svc_api_1 has an instance in production", false, false},
		{"a volume instance in production", mut(`volumeInstanceBackupDelete(volumeInstanceId: "vi_prd_77e0", volumeInstanceBackupId: "b1") { workflowId }`), 403, "volumeInstance vi_prd_77e0 is in production", false, false},
		{"a staging-only service", mut(`serviceDelete(id: "svc_preview")`), 403, "held", true, false},
		{"a staging volume instance", mut(`volumeInstanceBackupDelete(volumeInstanceId: "vi_stg_5d21", volumeInstanceBackupId: "b1") { workflowId }`), 403, "held", true, false},
		{"a write to staging", mut(`variableUpsert(input: {environmentId: "env_stg_41a2", projectId: "prj_7c1e", serviceId: "svc_api_1", name: "X", value: "1"})`), 200, "", false, true},
		{"an id Railway does not know", mut(`volumeInstanceBackupDelete(volumeInstanceId: "vi_nope", volumeInstanceBackupId: "b1") { workflowId }`), 403, "could not be checked", true, false},
		{"an id no lookup can place", mut(`customDomainDelete(id: "dom_1")`), 403, "cannot tell which environment", true, false},
		{"a write no lookup can place", mut(`tcpProxyDelete(id: "tp_1")`), 403, "held", true, false},
		// What names no environment acts on the account or workspace.
		{"an account's SSH key", mut(`sshPublicKeyCreate(input: {name: "k", publicKey: "ssh-ed25519 AAAA"}) { id }`), 403, "names no project, environment, service or volume", true, false},
		{"a workspace invite", mut(`workspaceUserInvite(workspaceId: "ws_1", input: {code: "c", email: "a@example.com"})`), 403, "workspaceId", true, false},
		{"a spending limit", mut(`usageLimitSet(input: {customerId: "cus_1", hardLimitDollars: 1, softLimitDollars: 1})`), 403, "customerId", true, false},
		// Every id is placed, not only the environment beside it.
		{"another kind of id beside staging", mut(`customDomainUpdate(environmentId: "env_stg_41a2", id: "cd_prod", targetPort: 1)`), 403, "cd_prod", true, false},
		{"an instance id inside the input", mut(`deploymentInstanceExecutionCreate(input: {serviceInstanceId: "si_prod"})`), 403, "serviceInstanceId", true, false},
		// A production object beside the staging environment is no
		// staging change, whatever the environment argument says.
		{"a production-only service beside staging", mut(`serviceInstanceUpdate(serviceId: "svc_worker", environmentId: "env_stg_41a2", input: {startCommand: "true"})`), 403, "svc_worker", true, false},
		{"a production-only service duplicated into staging", mut(`serviceDuplicate(serviceId: "svc_worker", environmentId: "env_stg_41a2") { id }`), 403, "no instance in", true, false},
		{"a production-only service in a staging patch", mut(`environmentPatchCommit(environmentId: "env_stg_41a2", patch: {services: {svc_worker: {deploy: {startCommand: "true"}}}})`), 403, "svc_worker", true, false},
		{"a staging service in a staging patch", mut(`environmentPatchCommit(environmentId: "env_stg_41a2", patch: {services: {svc_preview: {deploy: {startCommand: "true"}}}})`), 200, "", false, true},
		{"a staging service beside staging", mut(`serviceInstanceUpdate(serviceId: "svc_preview", environmentId: "env_stg_41a2", input: {startCommand: "true"})`), 200, "", false, true},
		// Removal without a removing word.
		{"a variable nulled in a patch", mut(`environmentPatchCommit(environmentId: "env_stg_41a2", patch: {services: {svc_preview: {variables: {DATABASE_URL: null}}}})`), 403, "held", true, false},
		{"a volume detached", mut(`volumeInstanceUpdate(volumeId: "vol_3b8d0c", environmentId: "env_stg_41a2", input: {serviceId: null})`), 403, "held", true, false},
		{"a disconnect", mut(`serviceDisconnect(id: "svc_preview") { id }`), 403, "held", true, false},
		// A provider credential for the agent is past the gateway.
		{"a minted token", mut(`projectTokenCreate(input: {name: "agent", projectId: "prj_7c1e", environmentId: "env_stg_41a2"})`), 403, "makes a credential", false, false},
		{"an account token", mut(`apiTokenCreate(input: {name: "agent"})`), 403, "makes a credential", false, false},
		// Reads are placed too: production's environment and deployments
		// are production's.
		{"a read of production", `{"query":"{ environment(id: \"env_prd_9f30\") { name } }"}`, 403, "environment env_prd_9f30 is production", false, false},
		{"a read of staging", `{"query":"{ environment(id: \"env_stg_41a2\") { name } }"}`, 200, "", false, true},
		{"a read of the project", `{"query":"{ project(id: \"prj_7c1e\") { name } }"}`, 200, "", false, true},
		// What lives in one environment, reached through what spans them,
		// is every environment's: only which ones there are may be read.
		{"environments' data through the project", `{"query":"{ project(id: \"prj_7c1e\") { environments { edges { node { name config } } } } }"}`, 403, "every environment it reaches", false, false},
		{"deployments through a service", `{"query":"{ service(id: \"svc_api_1\") { deployments { edges { node { id status meta } } } } }"}`, 403, "every environment it reaches", false, false},
		{"deployments through a fragment", `{"query":"query { me { projects { edges { node { ...P } } } } } fragment P on Project { environments { edges { node { deployments { edges { node { id } } } } } } }"}`, 403, "every environment it reaches", false, false},
		{"events of every environment", `{"query":"{ events(projectId: \"prj_7c1e\") { edges { node { id environmentId action payload } } } }"}`, 403, "every environment it reaches", false, false},
		{"a deployment's events, placed by its id", `{"query":"{ deploymentEvents(id: \"dep_unknown\") { edges { node { id } } } }"}`, 403, "could not be checked", true, false},
		{"an environment's patch, placed by its id", `{"query":"{ environmentPatch(id: \"patch_unknown\") { patch } }"}`, 403, "could not be checked", true, false},
		{"the project's environments by name", `{"query":"{ project(id: \"prj_7c1e\") { environments { edges { node { id name } } } } }"}`, 200, "", false, true},
		{"a staging environment's deployments", `{"query":"{ environment(id: \"env_stg_41a2\") { deployments { edges { node { id status } } } } }"}`, 200, "", false, true},
		// From an environment's object to one that spans them, and down
		// again into another environment's.
		{"every environment's config through a staging environment", `{"query":"{ volumeInstance(id: \"vi_stg_5d21\") { service { project { environments { edges { node { name config } } } } } } }"}`, 403, "every environment it reaches", false, false},
		{"the environment a staging one was made from", `{"query":"{ environment(id: \"env_stg_41a2\") { sourceEnvironment { config } } }"}`, 403, "every environment it reaches", false, false},
		{"every instance through a staging volume instance", `{"query":"{ volumeInstance(id: \"vi_stg_5d21\") { volume { volumeInstances { edges { node { mountPath } } } } } }"}`, 403, "every environment it reaches", false, false},
		{"a staging volume instance's volume's name", `{"query":"{ volumeInstance(id: \"vi_stg_5d21\") { mountPath volume { id name } } }"}`, 200, "", false, true},
	} {
		before := e.agentRequests()
		status, out := e.send(t, e.stage, "POST", stg, c.body)
		b, _ := json.Marshal(out)
		_, held := out["request"]
		if status != c.status || !strings.Contains(string(b), c.has) || held != c.held || (e.agentRequests() > before) != c.sent {
			t.Errorf("%s: %d %s (held %v, sent %v)", c.name, status, b, held, e.agentRequests() > before)
		}
	}
	if !e.railway.HasVolume("vol_3b8d0c") || len(e.railway.Mutations()) != 3 {
		t.Fatalf("Railway saw mutations %v", e.railway.Mutations())
	}
	// Lookups are cached: the incident again costs none.
	n := lookups()
	e.send(t, e.stage, "POST", stg, mut(`volumeDelete(volumeId: "vol_3b8d0c")`))
	if lookups() != n {
		t.Fatalf("the second volumeDelete looked the volume up again (%d → %d)", n, lookups())
	}
	// The denial is on the audit record with the reason.
	found := false
	e.st.View(ctx, func(tx store.Tx) error {
		es, _ := tx.AuditEntries(0, 1000)
		for _, x := range es {
			var d audit.DecisionData
			if x.Type != audit.Decision || json.Unmarshal(x.Data, &d) != nil || d.Rule != "builtin.environment" || d.Outcome != "refused" {
				continue
			}
			for _, p := range d.Placements {
				found = found || p.String() == "volume vol_3b8d0c has an instance in production"
			}
		}
		return nil
	})
	if !found {
		t.Fatal("the environment denial was not audited")
	}
}

// When Railway cannot be asked, nothing is assumed: a change that would be
// allowed in staging is held instead.
func TestUnreachableRailwayHolds(t *testing.T) {
	e := setup(t)
	e.railway.Token = "rotated" // Chaperone's credential no longer works
	body := `{"query":"mutation { variableUpsert(input: {environmentId: \"env_stg_41a2\", projectId: \"prj_7c1e\", name: \"X\", value: \"1\"}) }"}`
	status, out := e.send(t, e.stage, "POST", "/u/railway-staging/graphql/v2", body)
	if b, _ := json.Marshal(out); status != 403 || out["request"] == nil || !strings.Contains(string(b), "Not Authorized") {
		t.Fatalf("%d %s", status, b)
	}
	if len(e.railway.Mutations()) != 0 {
		t.Fatal("forwarded")
	}
}

// A change that is allowed is on the audit record before it is sent; if
// the record cannot be written, it is not sent.
func TestAllowedChangesAreAuditedFirst(t *testing.T) {
	e := setup(t)
	if status, _ := e.send(t, e.stage, "POST", "/u/fly-staging/apps/a/machines", `{"config":{}}`); status != 200 {
		t.Fatal(status)
	}
	found := false
	e.st.View(ctx, func(tx store.Tx) error {
		es, _ := tx.AuditEntries(0, 1000)
		for _, x := range es {
			found = found || (x.Type == audit.Decision && strings.Contains(string(x.Data), `POST /apps/a/machines`))
		}
		return nil
	})
	if !found {
		t.Fatal("the allowed POST is not in the audit log")
	}
	e.auditDown.Store(true)
	before := e.prov.count()
	if status, out := e.send(t, e.stage, "POST", "/u/fly-staging/apps/a/machines", `{"config":{}}`); status != 503 || e.prov.count() != before {
		t.Fatalf("sent without an audit record: %d %v", status, out)
	}
	if status, _ := e.send(t, e.stage, "GET", "/u/fly-staging/apps/a/machines", ""); status != 200 {
		t.Fatalf("a read while the audit log is down: %d", status)
	}
}

// A provider's redirect goes back to the agent: the gateway never follows
// one, so the credential goes only where the operator pointed the upstream.
func TestRedirectsAreNotFollowed(t *testing.T) {
	e := setup(t)
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere.Add(1) }))
	defer other.Close()
	redirecting := httptest.NewServer(http.RedirectHandler(other.URL+"/steal", http.StatusTemporaryRedirect))
	defer redirecting.Close()
	up, _ := e.gw.Upstream("fly-staging")
	up.URL = redirecting.URL
	e.gw.Upstream = func(string) (Upstream, bool) { return up, true }
	req, _ := http.NewRequest("GET", e.srv.URL+"/u/fly-staging/apps", nil)
	req.Header.Set("Authorization", "Bearer "+e.stage)
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTemporaryRedirect || elsewhere.Load() != 0 {
		t.Fatalf("status %d, the other server was reached %d times", resp.StatusCode, elsewhere.Load())
	}
}

// Every destructive form in Railway's profile, sent with a production
// token against production-only targets (so the environment check passes
// them on), is held: none reaches Railway unapproved. The project spans
// staging too, so deleting it is denied outright.
func TestEveryDestructiveFormIsHeld(t *testing.T) {
	e := setup(t)
	const prd, vi = `env_prd_9f30`, `vi_prod_only`
	for _, q := range []string{
		`mutation { volumeDelete(volumeId: "vol_prod") }`,
		`mutation { a: volumeDelete(volumeId: "vol_prod") }`,
		`mutation M { ...F } fragment F on Mutation { volumeDelete(volumeId: "vol_prod") }`,
		`mutation { ... on Mutation { environmentDelete(id: "` + prd + `") } }`,
		`mutation { serviceDelete(id: "svc_api_1", environmentId: "` + prd + `") }`,
		`mutation { volumeInstanceBackupDelete(volumeInstanceBackupId: "b", volumeInstanceId: "` + vi + `") }`,
		`mutation { volumeInstanceBackupRestore(volumeInstanceBackupId: "b", volumeInstanceId: "` + vi + `", wipeServiceIds: ["svc_api_1"]) { workflowId } }`,
		`mutation { variableCollectionUpsert(input: {projectId: "prj_7c1e", environmentId: "` + prd + `", replace: true, variables: {}}) }`,
		`mutation($p: EnvironmentConfig) { environmentPatchCommit(environmentId: "` + prd + `", patch: $p) }`,
		`mutation { volumeInstanceUpdate(volumeId: "vol_prod", input: {mountPath: "/x"}) }`,
		`mutation { volumeInstanceBackupScheduleUpdate(volumeInstanceId: "` + vi + `", kinds: []) }`,
		`mutation { disablePitrForHaCluster(input: {environmentId: "` + prd + `", projectId: "prj_7c1e", rootServiceId: "svc_api_1"}) }`,
		`mutation { projectScheduleDeleteForce(id: "prj_7c1e") }`,
		`mutation { environmentPatchCommitStaged(environmentId: "` + prd + `") }`,
	} {
		vars := map[string]any{"p": map[string]any{"services": map[string]any{"svc_api_1": map[string]any{"isDeleted": true}}}}
		b, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
		status, out := e.send(t, e.prod, "POST", gql, string(b))
		held := out["request"] != nil
		if strings.Contains(q, "projectScheduleDeleteForce") {
			held = out["rule"] == "builtin.environment"
		}
		if status != 403 || !held || len(e.railway.Mutations()) != 0 {
			t.Errorf("%s: %d %v (Railway saw %v)", q, status, out, e.railway.Mutations())
		}
	}
}

// Revoked and expired tokens get nothing through, and the refusal says which.
func TestRevokedAndExpiredTokens(t *testing.T) {
	e := setup(t)
	tokens := e.gw.Tokens
	short, _, err := tokens.Create(ctx, token.Spec{Env: "staging", Upstreams: []string{"fly-staging"}, Scope: token.ScopeAll, TTL: time.Second, Actor: "test"})
	if err != nil {
		t.Fatal(err)
	}
	revoked, k, _ := tokens.Create(ctx, token.Spec{Env: "staging", Upstreams: []string{"fly-staging"}, Scope: token.ScopeAll, Actor: "test"})
	if status, _ := e.send(t, revoked, "GET", "/u/fly-staging/apps", ""); status != 200 {
		t.Fatalf("before revocation: %d", status)
	}
	if err := tokens.Revoke(ctx, k.ID, "test"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond)
	before := e.prov.count()
	for name, tok := range map[string]string{"revoked": revoked, "expired": short} {
		status, out := e.send(t, tok, "GET", "/u/fly-staging/apps", "")
		if msg, _ := out["error"].(string); status != 401 || !strings.Contains(msg, name) {
			t.Errorf("%s token: %d %v", name, status, out)
		}
	}
	if e.prov.count() != before {
		t.Fatal("a refused token's request reached the provider")
	}
}

// flakyAudit is an audit log whose disk can fill up.
type flakyAudit struct {
	down *atomic.Bool
	w    *audit.Writer
}

func (f *flakyAudit) Append(ctx context.Context, ev audit.Event) error {
	if f.down.Load() {
		return errors.New("disk full")
	}
	return f.w.Append(ctx, ev)
}

func (f *flakyAudit) Post(ev audit.Event) {
	if !f.down.Load() {
		f.w.Post(ev)
	}
}

func (f *flakyAudit) Queue(ev audit.Event) func(context.Context) error {
	if f.down.Load() {
		return func(context.Context) error { return errors.New("disk full") }
	}
	return f.w.Queue(ev)
}

// Whether an upstream exists is told only to a holder of a token, and a
// provider's own credential presented instead of a token is refused,
// audited by its fingerprint and never forwarded.
func TestNoTokenLearnsNothingAndAFoundCredentialIsRefused(t *testing.T) {
	e := setup(t)
	for _, name := range []string{"railway-prod", "no-such-upstream"} {
		if code, out := e.send(t, "", "POST", "/u/"+name+"/graphql/v2", `{"query":"{ me { id } }"}`); code != http.StatusUnauthorized ||
			strings.Contains(fmt.Sprint(out), "not configured") {
			t.Errorf("%s without a token: %d %v", name, code, out)
		}
	}
	if code, out := e.send(t, e.prod, "POST", "/u/no-such-upstream/graphql/v2", `{"query":"{ me { id } }"}`); code != http.StatusNotFound {
		t.Errorf("unknown upstream with a token: %d %v", code, out)
	}
	before := e.agentRequests()
	// Alone, and beside the agent's own token: a second Authorization, or
	// another credential header in any spelling a server reads as its own.
	forms := []http.Header{
		{"Authorization": {"Bearer RAILWAY-SECRET"}},
		{"Project-Access-Token": {"RAILWAY-SECRET"}},
		{"Authorization": {"Bearer " + e.prod, "Bearer RAILWAY-SECRET"}},
		{"Authorization": {"Bearer " + e.prod, "Bearer " + e.prod}},
		{"Authorization": {"Bearer " + e.prod}, "Project-Access-Token": {"RAILWAY-SECRET"}},
		{"Authorization": {"Bearer " + e.prod}, "X_Api_Key": {"RAILWAY-SECRET"}},
		{"Authorization": {"Bearer " + e.prod}, "team-access-token": {"RAILWAY-SECRET"}},
	}
	for _, h := range forms {
		req, _ := http.NewRequest("POST", e.srv.URL+"/u/railway-prod/graphql/v2", strings.NewReader(`{"query":"{ me { id } }"}`))
		for k, vs := range h {
			req.Header[k] = vs
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || strings.Contains(string(body), "RAILWAY-SECRET") {
			t.Errorf("the real credential in %v: HTTP %d %s", h, resp.StatusCode, body)
		}
	}
	if e.agentRequests() != before {
		t.Fatal("a request with the real credential reached Railway")
	}
	var refused []string
	e.st.View(ctx, func(tx store.Tx) error {
		es, _ := tx.AuditEntries(0, 1000)
		for _, x := range es {
			if strings.Contains(string(x.Data), "RAILWAY-SECRET") {
				t.Errorf("the credential's value is in the audit log: %s", x.Data)
			}
			if x.Type == "credential.refused" {
				refused = append(refused, string(x.Data))
			}
		}
		return nil
	})
	if len(refused) != len(forms) {
		t.Fatalf("refusals audited: %v", refused)
	}
	twice := 0
	for _, r := range refused {
		switch {
		case strings.Contains(r, token.Fingerprint(e.prod)):
			twice++ // the token itself, in a second Authorization
		case !strings.Contains(r, token.Fingerprint("RAILWAY-SECRET")):
			t.Errorf("a refusal without the credential's fingerprint: %s", r)
		}
	}
	if twice != 1 {
		t.Errorf("the token sent twice was refused %d times", twice)
	}
}
