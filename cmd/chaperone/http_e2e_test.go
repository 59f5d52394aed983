package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chaperone/chaperone/internal/railwaysim"
)

// The incident, replayed through serve against a stand-in Railway that
// checks requests against the real schema. A staging token's volumeDelete
// of a volume with an instance in production is denied, naming both
// environments. A production token's volumeDelete of a production-only
// volume is held; Railway sees it only after a human approves, once, with
// Chaperone's own credential.
func TestVolumeDeleteThroughServe(t *testing.T) {
	project := railwaysim.Incident()
	project.Volumes = append(project.Volumes, railwaysim.Volume{ID: "vol_prod", Name: "prod-only",
		Instances: []railwaysim.VolumeInstance{{ID: "vi_prod", EnvironmentID: "env_prd_9f30"}}})
	sim := railwaysim.New(project)
	sim.Token = "RAILWAY-ACCOUNT-TOKEN"
	railway := httptest.NewServer(sim)
	defer railway.Close()
	count := func() int { return len(sim.Mutations()) }
	cfg := initDir(t, "")
	for _, env := range []string{"production", "staging"} {
		if r := chaperone(t, "", "--config", cfg, "upstream", "add", "railway-"+env, "--kind", "http", "--provider", "railway",
			"--url", railway.URL, "--credential", "RAILWAY-ACCOUNT-TOKEN", "--env", env); r.code != 0 || strings.Contains(r.stdout, "RAILWAY-ACCOUNT-TOKEN") {
			t.Fatalf("upstream add: %+v", r)
		}
	}
	tok := strings.TrimSpace(chaperone(t, "", "--config", cfg, "token", "create", "--env", "production", "--upstream", "railway-production").stdout)
	stg := strings.TrimSpace(chaperone(t, "", "--config", cfg, "token", "create", "--env", "staging", "--upstream", "railway-staging").stdout)
	secret := enrollApprover(t, cfg, "alice", "correct horse battery")
	_, _, httpAddr := startServeHTTP(t, cfg)
	send := func(tok, upstream, body string) (int, string) {
		req, _ := http.NewRequest("POST", "http://"+httpAddr+"/u/"+upstream+"/graphql/v2", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	status, body := send(stg, "railway-staging", `{"query":"mutation { volumeDelete(volumeId: \"vol_3b8d0c\") }"}`)
	if status != 403 || regexpRequest.MatchString(body) || count() != 0 ||
		!strings.Contains(body, "volume vol_3b8d0c has an instance in production; this token is scoped to staging") {
		t.Fatalf("the incident's volumeDelete: %d %s (Railway saw %v)", status, body, sim.Mutations())
	}
	del := `{"query":"mutation { volumeDelete(volumeId: \"vol_prod\") }"}`
	status, body = send(tok, "railway-production", del)
	id := regexpRequest.FindString(body)
	if status != 403 || id == "" || count() != 0 {
		t.Fatalf("volumeDelete: %d %s (Railway saw %v)", status, body, sim.Mutations())
	}
	if out, err := atTerminal(t, "correct horse battery\n"+totpCode(t, secret, time.Now())+"\n", "--config", cfg,
		"approvals", "approve", id, "--as", "alice"); err != nil {
		t.Fatalf("approve: %v\n%s", err, out)
	}
	if status, body := send(tok, "railway-production", del); status != 200 || count() != 1 || sim.HasVolume("vol_prod") {
		t.Fatalf("after approval: %d %s", status, body)
	}
	if status, _ := send(tok, "railway-production", del); status != 403 || count() != 1 {
		t.Fatalf("a second send: %d", status)
	}
	for _, r := range sim.Seen() {
		if r.Authorization != "Bearer RAILWAY-ACCOUNT-TOKEN" {
			t.Fatalf("Railway saw %q", r.Authorization)
		}
	}
	if !sim.HasVolume("vol_3b8d0c") {
		t.Fatal("the incident's volume is gone")
	}
}

var regexpRequest = regexp.MustCompile(`apr_[0-9a-f]{16}`)

// check judges GraphQL for a railway upstream as the gateway does.
func TestCheckGraphQLAgainstTheProviderSchema(t *testing.T) {
	cfg := initDir(t, `upstreams:
  - name: railway-prod
    kind: http
    provider: railway
    env: production
    url: https://backboard.railway.com
    credential: ${RAILWAY_TOKEN}
`)
	for _, c := range []struct{ text, decision, id string }{
		{`mutation { volumeDelete(volumeId: "vol_1") }`, "approve", "railway.delete"},
		{`{"query":"mutation($i: VariableCollectionUpsertInput!) { variableCollectionUpsert(input: $i) }","variables":{"i":{"projectId":"p","environmentId":"e","replace":true,"variables":{}}}}`, "approve", "railway.variables-replace"},
		{`query { me { id } }`, "allow", ""},
		{`mutation { volumeObliterate }`, "approve", "graphql.invalid"},
	} {
		r := chaperone(t, "", "--config", cfg, "check", "--kind", "graphql", "--upstream", "railway-prod", "--", c.text)
		var out checkResult
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || string(out.Decision) != c.decision ||
			(c.id != "" && (len(out.Reasons) == 0 || out.Reasons[0].ID != c.id)) {
			t.Errorf("%s: %+v", c.text, r)
		}
	}
}
