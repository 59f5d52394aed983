package http

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// BenchmarkGraphQLRead is one small GraphQL query through the gateway:
// token check, parse and validation against Railway's schema, policy,
// forwarding. bench/http.sh compares the whole server with nginx.
func BenchmarkGraphQLRead(b *testing.B) {
	e := setup(b)
	// The upstream answers at once, as bench/apistub does.
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Write([]byte(`{"data":{"me":{"id":"u"}}}`))
	}))
	defer api.Close()
	e.gw.Tokens.CacheFor(time.Second)
	up, _ := e.gw.Upstream("railway-prod")
	up.URL = api.URL
	e.gw.Upstream = func(string) (Upstream, bool) { return up, true }
	body := `{"query":"query Me { me { id name email } }","operationName":"Me"}`
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest("POST", e.srv.URL+gql, strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+e.prod)
			req.Header.Set("Content-Type", "application/json")
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Fatal(resp.StatusCode)
			}
		}
	})
}
