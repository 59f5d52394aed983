package http

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/chaperone/chaperone/internal/token"
)

// However the answer is cut into writes, the credential never comes out
// whole or in part where it stood, and everything else comes out as it was.
func TestScrubberReplacesTheCredentialAcrossEveryChunkBoundary(t *testing.T) {
	const secret = "RAILWAY-SECRET/42"
	text := `{"token":"RAILWAY-SECRET/42","again":"RAILWAY-SECRET\/42","url":"a=RAILWAY-SECRET%2F42","x":"RAILWAY-SECRETRAILWAY-SECRET/42RAILWAY-SECRET/4"}`
	want := `{"token":"[credential]","again":"[credential]","url":"a=[credential]","x":"RAILWAY-SECRET[credential]RAILWAY-SECRET/4"}`
	for size := 1; size <= len(text); size++ {
		var out bytes.Buffer
		s := newScrubber(&out, secret)
		for i := 0; i < len(text); i += size {
			s.Write([]byte(text[i:min(i+size, len(text))]))
			if held := len(s.buf); held > s.keep {
				t.Fatalf("chunks of %d: %d bytes held between writes, more than %d", size, held, s.keep)
			}
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if out.String() != want {
			t.Fatalf("chunks of %d:\n got %s\nwant %s", size, out.String(), want)
		}
	}
	var out bytes.Buffer
	s := newScrubber(&out, "")
	s.Write([]byte(text))
	if s.Close(); out.String() != text {
		t.Fatal("with no credential the answer must pass unchanged")
	}
}

// echo is an upstream that quotes the request's credential back, in a
// header and in the body, compressed when asked to.
type echo struct{}

func (echo) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	cred := r.Header.Get("Authorization")
	switch r.URL.Path {
	case "/v1/name": // in a header's name, whose case the agent's client changes
		w.Header().Set("X-"+strings.ToLower(strings.TrimPrefix(cred, "Bearer ")), "1")
		w.Write([]byte("{}"))
		return
	case "/v1/base64": // a dump of the request, base64-encoded at each alignment, and upper-cased
		for _, pre := range []string{"", "a", "ab"} {
			fmt.Fprintf(w, "%s\n%s\n", base64.StdEncoding.EncodeToString([]byte(pre+"Authorization: "+cred+"\r\n")),
				base64.URLEncoding.EncodeToString([]byte(pre+cred)))
		}
		fmt.Fprintf(w, "%s\n", strings.ToUpper(cred))
		secret := strings.TrimPrefix(cred, "Bearer ")
		var pct, uni strings.Builder
		for i := 0; i < len(secret); i++ {
			fmt.Fprintf(&pct, "%%%02x", secret[i])
			fmt.Fprintf(&uni, "\\u%04X", secret[i])
		}
		fmt.Fprintf(w, "%x\n%X\n%s\n%s\n", secret, secret, pct.String(), uni.String())
		return
	case "/v1/encoding": // in an encoding Chaperone cannot read
		w.Header().Set("Content-Encoding", "gzip, "+strings.TrimPrefix(cred, "Bearer "))
		w.Write([]byte("{}"))
		return
	case "/v1/gzip-twice", "/v1/identity-then-gzip": // two codings on two header lines
		first := "gzip"
		if r.URL.Path == "/v1/identity-then-gzip" {
			first = "identity"
		}
		w.Header()["Content-Encoding"] = []string{first, "gzip"}
		var inner, outer bytes.Buffer
		gz := gzip.NewWriter(&inner)
		gz.Write([]byte("tok=" + cred))
		gz.Close()
		body := inner.Bytes()
		if first == "gzip" {
			gz = gzip.NewWriter(&outer)
			gz.Write(body)
			gz.Close()
			body = outer.Bytes()
		}
		w.Write(body)
		return
	}
	w.Header().Set("X-Seen-Authorization", cred)
	w.Header().Set("Content-Type", "application/json")
	body := []byte(`{"errors":[{"message":"bad request with ` + cred + `"}],"pad":"` + strings.Repeat("x", 70000) + cred + `"}`)
	if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		w.Header().Set("Content-Encoding", "gzip")
		gz := gzip.NewWriter(w)
		gz.Write(body)
		gz.Close()
		return
	}
	w.Write(body)
}

// An upstream that echoes Chaperone's credential back does not hand it to
// the agent: not in a header, not in the body, not in a compressed body.
func TestEchoedCredentialNeverReachesTheAgent(t *testing.T) {
	e := setup(t)
	api := httptest.NewServer(echo{})
	defer api.Close()
	before := e.gw.Upstream
	e.gw.Upstream = func(n string) (Upstream, bool) {
		if n == "echo-staging" {
			return Upstream{Name: n, Env: "staging", URL: api.URL, Credential: "ECHOED-SECRET-0123"}, true
		}
		return before(n)
	}
	tok, _, err := token.NewManager(e.st).Create(ctx, token.Spec{Env: "staging", Upstreams: []string{"echo-staging"}, Scope: token.ScopeAll, Actor: "test"})
	if err != nil {
		t.Fatal(err)
	}
	// get asks the echo upstream for path as the agent, with the
	// Accept-Encoding given, if any.
	get := func(path, encoding string) (*http.Response, []byte) {
		req, _ := http.NewRequest("GET", e.srv.URL+"/u/echo-staging"+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		if encoding != "" {
			req.Header.Set("Accept-Encoding", encoding)
		}
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, body
	}
	for _, enc := range []string{"", "gzip"} {
		resp, body := get("/v1/me", enc)
		if resp.StatusCode != 200 || bytes.Contains(body, []byte("ECHOED-SECRET")) || strings.Contains(resp.Header.Get("X-Seen-Authorization"), "ECHOED") ||
			!bytes.Contains(body, []byte("bad request with Bearer [credential]")) || resp.Header.Get("X-Seen-Authorization") != "Bearer [credential]" {
			t.Fatalf("Accept-Encoding %q: HTTP %d %v %.200s", enc, resp.StatusCode, resp.Header, body)
		}
	}
	_, dump := get("/v1/base64", "")
	for i, line := range strings.Split(strings.TrimSpace(string(dump)), "\n") {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
			if b, err := enc.DecodeString(line); err == nil && strings.Contains(string(b), "ECHOED-SECRET") {
				t.Errorf("line %d of the answer decodes to the credential: %q", i+1, b)
			}
		}
		if b, err := hex.DecodeString(line); err == nil && strings.Contains(string(b), "ECHOED-SECRET") {
			t.Errorf("line %d of the answer is the credential in hex: %q", i+1, line)
		}
		if u, err := url.PathUnescape(line); err == nil && strings.Contains(u, "ECHOED-SECRET") {
			t.Errorf("line %d of the answer is the credential percent-encoded: %q", i+1, line)
		}
		var js string
		if json.Unmarshal([]byte(`"`+line+`"`), &js) == nil && strings.Contains(js, "ECHOED-SECRET") {
			t.Errorf("line %d of the answer is the credential JSON-escaped: %q", i+1, line)
		}
		if !strings.Contains(line, scrubbed) {
			t.Errorf("line %d of the answer was not scrubbed: %q", i+1, line)
		}
	}
	for path, status := range map[string]int{"/v1/name": 200, "/v1/encoding": 502, "/v1/gzip-twice": 502, "/v1/identity-then-gzip": 502} {
		resp, body := get(path, "")
		if zr, err := gzip.NewReader(bytes.NewReader(body)); err == nil {
			inner, _ := io.ReadAll(zr)
			body = append(body, inner...) // what an agent would gunzip
		}
		var head strings.Builder
		resp.Header.Write(&head)
		if resp.StatusCode != status || strings.Contains(strings.ToLower(head.String()+string(body)), "echoed-secret") {
			t.Fatalf("%s: HTTP %d\n%s\n%s", path, resp.StatusCode, head.String(), body)
		}
	}
}

// The provider sees Chaperone's credential and no other: headers named as
// carrying a credential are not forwarded, nor is an expectation; other
// headers are.
func TestAgentCredentialsNeverReachTheProvider(t *testing.T) {
	e := setup(t)
	seen := make(chan http.Header, 1)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen <- r.Header.Clone()
		w.Write([]byte("{}"))
	}))
	defer api.Close()
	e.stagingUpstream(api)
	req, _ := http.NewRequest("GET", e.srv.URL+"/u/fly-staging/apps", nil)
	req.Header.Set("Authorization", "Bearer "+e.stage)
	// (A value other than the token in a header the token may travel in,
	// Team-Access-Token or X-Api-Key, is refused whole: see
	// TestNoTokenLearnsNothingAndAFoundCredentialIsRefused.)
	dropped := []string{"X-Auth-Token", "Api_Key", "X-Session-Id", "X-Secret", "Expect",
		"Ocp-Apim-Subscription-Key", "X-Functions-Key", "Key", "X-Signature", "X-Ms-Client-Principal",
		// and what tells a server another path or host than the request line's
		"X-Original-Url", "X-Rewrite-Url", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Http-Host-Override", "X-Host", "X-Real-Ip",
		"X_Original_URL", "X_Real_IP", "X-Request-Method", "X-Remote-User", "X-Client-Cert", "True-Client-Ip", "Fly-Force-Instance-Id", "X-Pwd",
		// and what the agent's Connection header names
		"X-Hop"}
	for _, h := range dropped {
		req.Header.Set(h, "AGENTS-OWN")
	}
	req.Header.Set("Connection", "keep-alive, X-Hop")
	req.Header.Set("Expect", "100-continue")
	req.Header.Set("Idempotency-Key", "k1")
	req.Header.Set("X-Request-Id", "r1")
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("HTTP %d: the request was not forwarded", resp.StatusCode)
	}
	got := <-seen
	for _, h := range dropped {
		if v := got.Get(h); v != "" {
			t.Errorf("%s reached the provider: %q", h, v)
		}
	}
	if got.Get("Authorization") != "Bearer FLY-SECRET" || got.Get("Idempotency-Key") != "k1" || got.Get("X-Request-Id") != "r1" {
		t.Fatalf("the provider saw %v", got)
	}
}
