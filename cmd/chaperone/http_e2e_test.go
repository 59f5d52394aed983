package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// The incident, replayed through serve: an agent with a production token
// sends Railway's volumeDelete. Chaperone holds it; the provider sees it only
// after a human approves, once, with Chaperone's own credential.
func TestVolumeDeleteThroughServe(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	railway := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen = append(seen, r.Header.Get("Authorization")+" "+string(b))
		mu.Unlock()
		w.Write([]byte(`{"data":{"volumeDelete":true}}`))
	}))
	defer railway.Close()
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(seen) }
	cfg := initDir(t, "")
	if r := chaperone(t, "", "--config", cfg, "upstream", "add", "railway-prod", "--kind", "http", "--provider", "railway",
		"--url", railway.URL, "--credential", "RAILWAY-ACCOUNT-TOKEN", "--env", "production"); r.code != 0 || strings.Contains(r.stdout, "RAILWAY-ACCOUNT-TOKEN") {
		t.Fatalf("upstream add: %+v", r)
	}
	tok := strings.TrimSpace(chaperone(t, "", "--config", cfg, "token", "create", "--env", "production", "--upstream", "railway-prod").stdout)
	secret := enrollApprover(t, cfg, "alice", "correct horse battery")
	_, _, httpAddr := startServeHTTP(t, cfg)
	send := func(body string) (int, string) {
		req, _ := http.NewRequest("POST", "http://"+httpAddr+"/u/railway-prod/graphql/v2", strings.NewReader(body))
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
	del := `{"query":"mutation { volumeDelete(volumeId: \"vol_prod\") }"}`
	status, body := send(del)
	id := regexpRequest.FindString(body)
	if status != 403 || id == "" || count() != 0 {
		t.Fatalf("volumeDelete: %d %s (provider saw %d)", status, body, count())
	}
	if out, err := atTerminal(t, "correct horse battery\n"+totpCode(t, secret, time.Now())+"\n", "--config", cfg,
		"approvals", "approve", id, "--as", "alice"); err != nil {
		t.Fatalf("approve: %v\n%s", err, out)
	}
	if status, body := send(del); status != 200 || count() != 1 {
		t.Fatalf("after approval: %d %s", status, body)
	}
	if status, _ := send(del); status != 403 || count() != 1 {
		t.Fatalf("a second send: %d", status)
	}
	if !strings.HasPrefix(seen[0], "Bearer RAILWAY-ACCOUNT-TOKEN ") || strings.Contains(seen[0], "chp_") {
		t.Fatalf("the provider saw %q", seen[0])
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
