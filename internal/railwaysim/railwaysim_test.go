package railwaysim

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func post(t *testing.T, url, auth, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", url+"/graphql/v2", strings.NewReader(body))
	req.Header.Set("Authorization", auth)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestAnswersQueriesAndDeletesVolumes(t *testing.T) {
	s := New(Incident())
	s.Token = "T"
	srv := httptest.NewServer(s)
	defer srv.Close()
	if code, _ := post(t, srv.URL, "Bearer nope", `{"query":"{ me { id } }"}`); code != 401 {
		t.Fatalf("wrong token: %d", code)
	}
	if code, out := post(t, srv.URL, "Bearer T", `{"query":"{ me { nosuchfield } }"}`); code != 400 || out["errors"] == nil {
		t.Fatalf("a query the schema rejects: %d %v", code, out)
	}
	_, out := post(t, srv.URL, "Bearer T", `{"query":"query($id: String!) { vi: volumeInstance(id: $id) { environment { name } } }","variables":{"id":"vi_prd_77e0"}}`)
	if b, _ := json.Marshal(out); string(b) != `{"data":{"vi":{"environment":{"name":"production"}}}}` {
		t.Fatalf("volumeInstance: %s", b)
	}
	_, out = post(t, srv.URL, "Bearer T", `{"query":"{ projects { edges { node { volumes { edges { node { id volumeInstances { edges { node { environmentId } } } } } } } } } }"}`)
	if b, _ := json.Marshal(out); !strings.Contains(string(b), `"id":"vol_3b8d0c"`) || !strings.Contains(string(b), `"environmentId":"env_prd_9f30"`) {
		t.Fatalf("projects: %s", b)
	}
	post(t, srv.URL, "Bearer T", `{"query":"mutation { volumeDelete(volumeId: \"vol_3b8d0c\") }"}`)
	if s.HasVolume("vol_3b8d0c") || strings.Join(s.Mutations(), ",") != "volumeDelete" {
		t.Fatalf("volumeDelete did not delete: %v", s.Mutations())
	}
}

// The stand-in runs what a lenient JavaScript server would: a variable's
// default, a BOM-prefixed body, a gzip body, a batch, any path.
func TestReadsRequestsAsLenientlyAsAProvider(t *testing.T) {
	s := New(Incident())
	srv := httptest.NewServer(s)
	defer srv.Close()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(`{"query":"mutation { b: environmentDelete(id: \"x\") }"}`))
	zw.Close()
	for _, c := range []struct{ path, ctype, enc, body string }{
		{"/graphql/v2", "application/json", "", `{"query":"mutation($v: String! = \"vol_3b8d0c\") { volumeDelete(volumeId: $v) }"}`},
		{"/GraphQL/V2/", "text/plain", "", "\xef\xbb\xbf" + `{"query":"mutation { a: serviceDelete(id: \"x\") }", "query": "mutation { serviceDelete(id: \"y\") }"}`},
		{"/graphql/v2", "application/json", "gzip", gz.String()},
		{"/anything", "application/graphql", "", `mutation { projectDelete(id: "p") }`},
		{"/graphql/v2", "", "", `[{"query":"{ me { id } }"},{"query":"mutation { workspaceDelete(id: \"w\") }"}]`},
	} {
		req, _ := http.NewRequest("POST", srv.URL+c.path, strings.NewReader(c.body))
		req.Header.Set("Content-Type", c.ctype)
		if c.enc != "" {
			req.Header.Set("Content-Encoding", c.enc)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if got := strings.Join(s.Mutations(), ","); got != "volumeDelete,serviceDelete,environmentDelete,projectDelete,workspaceDelete" || s.HasVolume("vol_3b8d0c") {
		t.Fatalf("ran %s", got)
	}
}
