package http

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/fuzzbound"
	"github.com/chaperone/chaperone/internal/strictjson"
)

// FuzzGatewayRequests sends arbitrary GraphQL requests to a Railway
// upstream and arbitrary paths to a Fly upstream, with a staging token.
// Nothing panics or hangs; a GraphQL body that is not JSON is never
// forwarded; nothing forwarded is more than a write; and every forwarded
// path stays under the upstream's base URL.
func FuzzGatewayRequests(f *testing.F) {
	f.Add("POST", `{"query":"query { me { id } }"}`, "", "apps/a/machines")
	f.Add("POST", `{"query":"mutation { volumeDelete(volumeId: \"vol_3b8d0c\") }"}`, "", "apps/a/../../x")
	f.Add("POST", `[{"query":"query { me { id } }"},{"query":"mutation { serviceDelete(id: \"svc_preview\") }"}]`, "", "apps/%2e%2e/v")
	f.Add("GET", "", "query=%7B%20me%20%7B%20id%20%7D%20%7D", "apps//machines/")
	f.Add("POST", `{"query":"mutation { variableUpsert(input: {environmentId: \"env_stg_41a2\", projectId: \"p\", name: \"X\", value: \"1\"}) }"}`, "", "")
	f.Add("POST", `{"query":"query { me { id } }","QUERY":"mutation { volumeDelete(volumeId: \"vol_3b8d0c\") }"}`, "", "")
	f.Add("POST", `{"query":"mutation($v: String! = \"vol_3b8d0c\") { volumeDelete(volumeId: $v) }"}`, "", "")
	f.Add("POST", "", "query=mutation%20%7B%20volumeDelete(volumeId%3A%20%22vol_3b8d0c%22)%20%7D", "")
	f.Add("POST", `{"query":"query A { me { id } } mutation B { volumeDelete(volumeId: \"vol_3b8d0c\") }","operationName":"A"}`, "", "")
	e := setup(f)
	f.Fuzz(func(t *testing.T, method, body, rawQuery, flyPath string) {
		if method != "GET" && method != "POST" {
			method = "POST"
		}
		before, ran := e.agentRequests(), len(e.railway.Mutations())
		req := &http.Request{Method: method, URL: &url.URL{Path: "/u/railway-staging/graphql/v2", RawQuery: rawQuery},
			Header: http.Header{"Authorization": {"Bearer " + e.stage}}, Body: io.NopCloser(strings.NewReader(body))}
		req = req.WithContext(ctx)
		fuzzbound.Run(t, 10*time.Second, func() { e.gw.ServeHTTP(httptest.NewRecorder(), req) })
		if e.agentRequests() > before {
			if method == "POST" && body != "" && !json.Valid([]byte(body)) {
				t.Fatalf("a body that is not JSON was forwarded: %q", body)
			}
			r := httptest.NewRequest(method, "/", nil)
			r.URL.RawQuery = rawQuery
			if method == "POST" && body != "" && !strictjson.Valid([]byte(body)) {
				t.Fatalf("a body readers may read differently was forwarded: %q", body)
			}
			judged := map[string]bool{}
			for _, res := range graphqlResults(r, []byte(body)) {
				if c := res.Class(); c.Severity() > action.ClassWrite.Severity() {
					t.Fatalf("forwarded a %s request: %q", c, body)
				}
				for _, c := range res.Calls {
					judged[c.Field] = true
				}
			}
			// What Railway ran is what Chaperone judged.
			for _, m := range e.railway.Mutations()[ran:] {
				if !judged[m] {
					t.Fatalf("Railway ran %s, which Chaperone did not judge: %q %q", m, body, rawQuery)
				}
			}
		}
		sent := e.prov.count()
		req = &http.Request{Method: "GET", URL: &url.URL{Path: "/u/fly-staging/" + flyPath},
			Header: http.Header{"Authorization": {"Bearer " + e.stage}}, Body: io.NopCloser(bytes.NewReader(nil))}
		fuzzbound.Run(t, 10*time.Second, func() { e.gw.ServeHTTP(httptest.NewRecorder(), req.WithContext(ctx)) })
		if e.prov.count() > sent {
			e.prov.mu.Lock()
			last := e.prov.seen[len(e.prov.seen)-1]
			e.prov.mu.Unlock()
			if !strings.HasPrefix(last, "GET /v1/") && last != "GET /v1 " {
				t.Fatalf("%q was forwarded as %q, outside the base URL", flyPath, last)
			}
		}
	})
}
