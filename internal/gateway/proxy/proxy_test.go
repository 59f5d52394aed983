package proxy

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
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
	gwhttp "github.com/chaperone/chaperone/internal/gateway/http"
	"github.com/chaperone/chaperone/internal/policy"
	"github.com/chaperone/chaperone/internal/railwaysim"
	"github.com/chaperone/chaperone/internal/store"
	"github.com/chaperone/chaperone/internal/store/sqlite"
	"github.com/chaperone/chaperone/internal/token"
)

var ctx = context.Background()

const railwaySecret = "RAILWAY-SECRET-5f0c"

type env struct {
	st      store.Store
	railway *railwaysim.Server
	fly     *recorder
	echo    *recorder
	proxy   *Proxy
	addr    string // the proxy's
	ca      *x509.CertPool
	caDir   string
	dials   atomic.Int32
	tokens  *token.Manager
	// staging covers railway-staging and fly-staging; prod railway-prod.
	staging, prod string
}

// recorder stands in for a REST API: it records what reached it, and
// echoes the credential it was sent in a header and in the body.
type recorder struct {
	mu   sync.Mutex
	seen []string
}

func (p *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.seen = append(p.seen, r.Method+" "+r.URL.Path+" "+r.Header.Get("Authorization"))
	p.mu.Unlock()
	w.Header().Set("X-Debug-Auth", r.Header.Get("Authorization"))
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"path":%q,"debug":{"authorization":%q}}`, r.URL.Path, r.Header.Get("Authorization"))
}

func (p *recorder) all() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.seen...)
}

func setup(t *testing.T, allow ...string) *env {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{st: st, railway: railwaysim.New(railwaysim.Incident()), fly: &recorder{}, echo: &recorder{}, tokens: token.NewManager(st)}
	e.railway.Token = railwaySecret
	rw := httptest.NewServer(e.railway)
	t.Cleanup(rw.Close)
	fly := httptest.NewServer(e.fly)
	t.Cleanup(fly.Close)
	echo := httptest.NewServer(e.echo)
	t.Cleanup(echo.Close)
	eng, err := policy.New(config.Defaults(dir))
	if err != nil {
		t.Fatal(err)
	}
	ups := map[string]gwhttp.Upstream{
		"railway-prod":     {Name: "railway-prod", Env: "production", Provider: "railway", URL: rw.URL, Credential: railwaySecret},
		"railway-staging":  {Name: "railway-staging", Env: "staging", Provider: "railway", URL: rw.URL, Credential: railwaySecret},
		"railway-preview":  {Name: "railway-preview", Env: "preview", Provider: "railway", URL: rw.URL, Credential: railwaySecret},
		"railway-preview2": {Name: "railway-preview2", Env: "preview", Provider: "railway", URL: rw.URL, Credential: railwaySecret},
		"fly-staging":      {Name: "fly-staging", Env: "staging", Provider: "fly", URL: fly.URL + "/v1", Credential: "FLY-SECRET-77"},
		"echo-staging":     {Name: "echo-staging", Env: "staging", Provider: "generic", URL: echo.URL, Credential: "ECHO-SECRET-99"},
	}
	log := slog.New(slog.DiscardHandler)
	record := func(ctx context.Context, ev audit.Event) error { return audit.Record(ctx, st, ev) }
	gw := &gwhttp.Gateway{Upstream: func(n string) (gwhttp.Upstream, bool) { u, ok := ups[n]; return u, ok },
		Tokens: e.tokens, Log: log, Record: record,
		Gate: &gate.Gate{Policy: eng, Approvals: &approval.Service{Store: st}, Audit: &audit.Writer{Store: st}, Snapshots: true, Store: st, Log: log}}
	e.caDir = t.TempDir()
	ca, _, err := LoadOrCreateCA(e.caDir)
	if err != nil {
		t.Fatal(err)
	}
	e.ca = x509.NewCertPool()
	e.ca.AddCert(ca.Certificate())
	railwayHosts := gwhttp.ProviderHosts("railway")
	hostsOf := map[string][]string{"railway-prod": railwayHosts, "railway-staging": railwayHosts, "railway-preview": railwayHosts,
		"railway-preview2": railwayHosts, "fly-staging": gwhttp.ProviderHosts("fly"), "echo-staging": {"api.echo.example"}}
	var proxied []Upstream
	for name, hosts := range hostsOf {
		proxied = append(proxied, Upstream{Name: name, Env: ups[name].Env, URL: ups[name].URL, Hosts: hosts})
	}
	p, err := New(Config{Serve: gw.Serve, Tokens: e.tokens, CA: ca, Record: record, Log: log, AllowHosts: allow, Upstreams: proxied,
		Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
			e.dials.Add(1)
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		}})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go p.Serve(ln)
	t.Cleanup(func() { p.Close() })
	e.proxy, e.addr = p, ln.Addr().String()
	mint := func(env string, ups ...string) string {
		s, _, err := e.tokens.Create(ctx, token.Spec{Env: env, Upstreams: ups, Scope: token.ScopeAll, Actor: "test"})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	e.staging = mint("staging", "railway-staging", "fly-staging", "echo-staging")
	e.prod = mint("production", "railway-prod")
	return e
}

// client goes through the proxy and trusts its CA, as an agent's would.
func (e *env) client() *http.Client {
	u, _ := url.Parse("http://" + e.addr)
	return &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(u), TLSClientConfig: &tls.Config{RootCAs: e.ca}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (e *env) do(t *testing.T, c *http.Client, method, target string, header http.Header, body string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, target, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func bearer(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }

func (e *env) agentRequests() []railwaysim.Received {
	var out []railwaysim.Received
	for _, r := range e.railway.Seen() {
		if r.Operation != "chaperoneResolve" {
			out = append(out, r)
		}
	}
	return out
}

func (e *env) audited(t *testing.T, typ string) []string {
	t.Helper()
	var out []string
	e.st.View(ctx, func(tx store.Tx) error {
		es, err := tx.AuditEntries(0, 10000)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range es {
			for _, s := range []string{railwaySecret, "FLY-SECRET-77", "ECHO-SECRET-99"} {
				if strings.Contains(string(x.Data), s) {
					t.Errorf("a credential's value is in the audit log: %s", x.Data)
				}
			}
			if x.Type == typ {
				out = append(out, x.Actor+" "+string(x.Data))
			}
		}
		return nil
	})
	return out
}

const (
	me        = `{"query":"query { me { id } }"}`
	incidentQ = `{"query":"mutation { volumeDelete(volumeId: \"vol_3b8d0c\") }"}`
)

// Through the proxy, a provider's own URL is gated exactly as
// /u/<upstream>/: the token picks the upstream, the provider sees only
// Chaperone's credential, and the incident's cross-environment
// volumeDelete is denied by name.
func TestProxyGatesProviderHostsLikeTheGateway(t *testing.T) {
	e := setup(t)
	c := e.client()
	for _, host := range []string{"backboard.railway.app", "backboard.railway.com"} {
		code, body, _ := e.do(t, c, "POST", "https://"+host+"/graphql/v2", bearer(e.staging), me)
		if code != 200 || !strings.Contains(body, `"me"`) {
			t.Fatalf("%s: %d %s", host, code, body)
		}
	}
	// Railway's project tokens travel in their own header.
	if code, body, _ := e.do(t, c, "POST", "https://backboard.railway.app/graphql/v2", http.Header{"Project-Access-Token": {e.prod}}, me); code != 200 {
		t.Fatalf("Project-Access-Token: %d %s", code, body)
	}
	code, body, _ := e.do(t, c, "POST", "https://backboard.railway.app/graphql/v2", bearer(e.staging), incidentQ)
	if code != 403 || !strings.Contains(body, "builtin.environment") ||
		!strings.Contains(body, "volume vol_3b8d0c has an instance in production; this token is scoped to staging") {
		t.Fatalf("the incident's volumeDelete: %d %s", code, body)
	}
	if m := e.railway.Mutations(); len(m) != 0 || !e.railway.HasVolume("vol_3b8d0c") {
		t.Fatalf("Railway ran %v", m)
	}
	for _, r := range e.railway.Seen() {
		if r.Authorization != "Bearer "+railwaySecret {
			t.Fatalf("Railway saw %q", r.Authorization)
		}
	}
	decisions := e.audited(t, "decision")
	if len(decisions) == 0 || !strings.Contains(strings.Join(decisions, "\n"), `proxy:railway-staging`) {
		t.Fatalf("decisions audited: %v", decisions)
	}
	// Fly's clients call https://api.machines.dev/v1/...; the upstream's
	// URL ends in /v1, and the path is judged and sent under it.
	if code, body, _ := e.do(t, c, "DELETE", "https://api.machines.dev/v1/apps/shop/volumes/vol_1", bearer(e.staging), ""); code != 403 || !strings.Contains(body, "held") {
		t.Fatalf("Fly volume delete: %d %s", code, body)
	}
	if code, body, _ := e.do(t, c, "GET", "https://api.machines.dev/v1/apps/shop/machines", bearer(e.staging), ""); code != 200 || !strings.Contains(body, `"/v1/apps/shop/machines"`) {
		t.Fatalf("Fly read: %d %s", code, body)
	}
	if code, body, _ := e.do(t, c, "GET", "https://api.machines.dev/v2/apps", bearer(e.staging), ""); code != 403 || !strings.Contains(body, "outside upstream fly-staging's base URL") {
		t.Fatalf("a path outside the base URL: %d %s", code, body)
	}
	if got := e.fly.all(); len(got) != 1 || got[0] != "GET /v1/apps/shop/machines Bearer FLY-SECRET-77" {
		t.Fatalf("Fly saw %v", got)
	}
}

// Several upstreams share Railway's hosts: the token says which one is
// meant; a token that covers none, or more than one, is refused, and the
// refusal audited.
func TestProxyPicksTheUpstreamTheTokenCovers(t *testing.T) {
	e := setup(t)
	c := e.client()
	before := len(e.agentRequests())
	preview, _, _ := e.tokens.Create(ctx, token.Spec{Env: "preview", Upstreams: []string{"*"}, Scope: token.ScopeAll, Actor: "test"})
	code, body, _ := e.do(t, c, "POST", "https://backboard.railway.app/graphql/v2", bearer(preview), me)
	if code != 403 || !strings.Contains(body, "covers several upstreams") || !strings.Contains(body, "railway-preview, railway-preview2") {
		t.Fatalf("a token for two upstreams at one host: %d %s", code, body)
	}
	flyOnly, _, _ := e.tokens.Create(ctx, token.Spec{Env: "staging", Upstreams: []string{"fly-staging"}, Scope: token.ScopeAll, Actor: "test"})
	code, body, _ = e.do(t, c, "POST", "https://backboard.railway.app/graphql/v2", bearer(flyOnly), me)
	if code != 403 || !strings.Contains(body, "covers none of the upstreams") {
		t.Fatalf("a token for no upstream at the host: %d %s", code, body)
	}
	if len(e.agentRequests()) != before {
		t.Fatal("a refused request reached Railway")
	}
	if got := e.audited(t, EventRefused); len(got) != 2 || !strings.HasPrefix(got[0], "token:") {
		t.Fatalf("refusals audited: %v", got)
	}
	// One candidate: the gateway refuses and audits it as through /u/.
	code, body, _ = e.do(t, c, "GET", "https://api.machines.dev/v1/apps", bearer(e.prod), "")
	if code != 403 || !strings.Contains(body, "token is scoped to production; upstream fly-staging is staging") {
		t.Fatalf("a production token at Fly's host: %d %s", code, body)
	}
	if got := e.audited(t, "http.refused"); len(got) != 1 {
		t.Fatalf("http.refused: %v", got)
	}
}

// The provider's own token sent through the proxy is refused and audited
// by its fingerprint, alone or beside a Chaperone token, and nothing
// reaches the provider.
func TestProxyRefusesAProvidersOwnCredential(t *testing.T) {
	e := setup(t)
	c := e.client()
	for _, h := range []http.Header{
		bearer(railwaySecret),
		{"Project-Access-Token": {railwaySecret}},
		{"Authorization": {"Bearer " + e.staging}, "Project-Access-Token": {railwaySecret}},
		{"Authorization": {"Basic " + railwaySecret}},
		{"Authorization": {"Bearer " + e.staging}, "X_Api_Key": {railwaySecret}},
		{"Authorization": {"Bearer " + e.staging, "Bearer " + railwaySecret}},
	} {
		code, body, _ := e.do(t, c, "POST", "https://backboard.railway.app/graphql/v2", h, incidentQ)
		if code != 401 || strings.Contains(body, railwaySecret) {
			t.Fatalf("%v: %d %s", h, code, body)
		}
	}
	if got := e.agentRequests(); len(got) != 0 {
		t.Fatalf("Railway saw %v", got)
	}
	refused := e.audited(t, EventCredentialRefused)
	if len(refused) != 6 || !strings.Contains(refused[0], token.Fingerprint(railwaySecret)) || !strings.Contains(refused[2], token.Fingerprint(railwaySecret)) ||
		!strings.Contains(refused[4], token.Fingerprint(railwaySecret)) || !strings.Contains(refused[5], token.Fingerprint(railwaySecret)) {
		t.Fatalf("refusals audited: %v", refused)
	}
}

// A host that is neither an upstream's nor allowed is refused, named with
// the key that would allow it, audited, and never dialled.
func TestProxyRefusesOtherHostsWithoutDialling(t *testing.T) {
	e := setup(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var accepted atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.Close()
		}
	}()
	target := ln.Addr().String()
	// CONNECT, as for https.
	code, body := rawProxy(t, e.addr, "CONNECT "+target+" HTTP/1.1\r\nHost: "+target+"\r\n\r\n")
	if code != 403 || !strings.Contains(body, target) || !strings.Contains(body, AllowKey) {
		t.Fatalf("CONNECT %s: %d %s", target, code, body)
	}
	// A plain http:// request.
	code, body, _ = e.do(t, e.client(), "GET", "http://"+target+"/x", nil, "")
	if code != 403 || !strings.Contains(body, AllowKey) {
		t.Fatalf("GET http://%s: %d %s", target, code, body)
	}
	// An https:// request to a name that resolves.
	req, _ := http.NewRequest("GET", "https://localhost:"+strings.Split(target, ":")[1]+"/", nil)
	if _, err := e.client().Do(req); err == nil || !strings.Contains(err.Error(), "Forbidden") {
		t.Fatalf("https://localhost: %v", err)
	}
	time.Sleep(50 * time.Millisecond)
	if accepted.Load() != 0 || e.dials.Load() != 0 {
		t.Fatalf("a refused host was dialled: %d connections, %d dials", accepted.Load(), e.dials.Load())
	}
	if got := e.audited(t, EventRefused); len(got) != 3 || !strings.Contains(got[0], target) {
		t.Fatalf("refusals audited: %v", got)
	}
}

// rawProxy sends text to the proxy and reads one answer.
func rawProxy(t *testing.T, addr, text string) (int, string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, text); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// An allowed host is tunnelled unread (https) or relayed (http).
func TestProxyTunnelsAllowedHosts(t *testing.T) {
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "registry over tls") }))
	defer tlsSrv.Close()
	plainSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "registry in plain "+r.Host) }))
	defer plainSrv.Close()
	tlsHost, plainHost := strings.TrimPrefix(tlsSrv.URL, "https://"), strings.TrimPrefix(plainSrv.URL, "http://")
	e := setup(t, tlsHost, plainHost)
	pool := x509.NewCertPool()
	pool.AddCert(tlsSrv.Certificate())
	c := e.client()
	c.Transport.(*http.Transport).TLSClientConfig.RootCAs = pool
	if code, body, _ := e.do(t, c, "GET", tlsSrv.URL+"/pkg", nil, ""); code != 200 || body != "registry over tls" {
		t.Fatalf("tunnel: %d %s", code, body)
	}
	// The Host header cannot send a plain request anywhere but the URL's host.
	if code, body, _ := e.do(t, c, "GET", plainSrv.URL+"/graphql/v2", http.Header{"Host": {"backboard.railway.app"}}, ""); code != 200 || body != "registry in plain "+plainHost {
		t.Fatalf("plain: %d %s", code, body)
	}
	if e.dials.Load() != 2 {
		t.Fatalf("%d dials", e.dials.Load())
	}
	if len(e.agentRequests()) != 0 {
		t.Fatal("Railway was reached")
	}
}

// What an agent could try against the interception itself.
func TestProxyAttacks(t *testing.T) {
	e := setup(t)
	// An upstream's host on another port is not reached at all.
	if code, body := rawProxy(t, e.addr, "CONNECT backboard.railway.app:8443 HTTP/1.1\r\nHost: backboard.railway.app:8443\r\n\r\n"); code != 403 || !strings.Contains(body, "port 443 only") {
		t.Fatalf("port 8443: %d %s", code, body)
	}
	// Upper case and a final dot name the same host, and are gated.
	for _, host := range []string{"BACKBOARD.Railway.APP", "backboard.railway.app."} {
		conn := tunnel(t, e, host+":443", "backboard.railway.app")
		code, body := sendOver(t, conn, "POST /graphql/v2 HTTP/1.1\r\nHost: "+host+"\r\nAuthorization: Bearer "+e.staging+
			"\r\nContent-Type: application/json\r\nContent-Length: "+fmt.Sprint(len(incidentQ))+"\r\n\r\n"+incidentQ)
		if code != 403 || !strings.Contains(body, "builtin.environment") {
			t.Fatalf("%s: %d %s", host, code, body)
		}
	}
	// HTTP/1.0 inside the tunnel is read the same way.
	conn := tunnel(t, e, "backboard.railway.app:443", "backboard.railway.app")
	if code, body := sendOver(t, conn, "POST /graphql/v2 HTTP/1.0\r\nHost: backboard.railway.app\r\nAuthorization: Bearer "+e.staging+
		"\r\nContent-Type: application/json\r\nContent-Length: "+fmt.Sprint(len(incidentQ))+"\r\n\r\n"+incidentQ); code != 403 || !strings.Contains(body, "builtin.environment") {
		t.Fatalf("HTTP/1.0: %d %s", code, body)
	}
	// A Host header naming another host than the tunnel's is refused.
	conn = tunnel(t, e, "backboard.railway.app:443", "backboard.railway.app")
	if code, body := sendOver(t, conn, "GET /graphql/v2?query=%7Bme%7Bid%7D%7D HTTP/1.1\r\nHost: api.machines.dev\r\nAuthorization: Bearer "+e.staging+"\r\n\r\n"); code != 421 {
		t.Fatalf("Host mismatch: %d %s", code, body)
	}
	// A TLS server name other than the CONNECT host ends the handshake.
	raw, err := net.Dial("tcp", e.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	fmt.Fprintf(raw, "CONNECT backboard.railway.app:443 HTTP/1.1\r\nHost: backboard.railway.app:443\r\n\r\n")
	br := bufio.NewReader(raw)
	if resp, err := http.ReadResponse(br, nil); err != nil || resp.StatusCode != 200 {
		t.Fatalf("CONNECT: %v", err)
	}
	if err := tls.Client(raw, &tls.Config{ServerName: "api.machines.dev", RootCAs: e.ca}).Handshake(); err == nil {
		t.Fatal("a handshake for another host than the CONNECT's succeeded")
	}
	// A request smuggled after a refused CONNECT is not read: the
	// connection closes after the refusal.
	raw2, err := net.Dial("tcp", e.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer raw2.Close()
	raw2.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(raw2, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\nGET http://backboard.railway.app/graphql/v2?query=%%7Bme%%7Bid%%7D%%7D HTTP/1.1\r\nHost: backboard.railway.app\r\nAuthorization: Bearer %s\r\n\r\n", e.staging)
	br2 := bufio.NewReader(raw2)
	resp, err := http.ReadResponse(br2, nil)
	if err != nil || resp.StatusCode != 403 {
		t.Fatalf("smuggling: %v %v", resp, err)
	}
	io.Copy(io.Discard, resp.Body)
	if rest, err := io.ReadAll(br2); err != nil || len(rest) != 0 {
		t.Fatalf("after a refused CONNECT the proxy answered again: %q %v", rest, err)
	}
	// A CONNECT is routed by its target, never by a Host header beside it.
	if code, body := rawProxy(t, e.addr, "CONNECT example.com:443 HTTP/1.1\r\nHost: backboard.railway.app:443\r\n\r\n"); code != 403 || !strings.Contains(body, "example.com:443") {
		t.Fatalf("CONNECT with another Host: %d %s", code, body)
	}
	// A port written with a leading zero, or a host percent-encoded, is
	// not read as anything else.
	for _, target := range []string{"backboard.railway.app:0443", "backboard%2erailway.app:443"} {
		if code, _ := rawProxy(t, e.addr, "CONNECT "+target+" HTTP/1.1\r\nHost: "+target+"\r\n\r\n"); code != 400 && code != 403 {
			t.Fatalf("CONNECT %s: %d", target, code)
		}
	}
	// An IP literal is not an upstream's host, whatever it resolves to.
	if code, _ := rawProxy(t, e.addr, "CONNECT 127.0.0.1:443 HTTP/1.1\r\nHost: 127.0.0.1:443\r\n\r\n"); code != 403 {
		t.Fatalf("IP literal: %d", code)
	}
	// Plain http:// to an upstream's host is gated too.
	if code, body, _ := e.do(t, e.client(), "POST", "http://backboard.railway.app/graphql/v2", bearer(e.staging), incidentQ); code != 403 || !strings.Contains(body, "builtin.environment") {
		t.Fatalf("plain http: %d %s", code, body)
	}
	if got := e.agentRequests(); len(got) != 0 || e.dials.Load() != 0 {
		t.Fatalf("Railway saw %v; %d dials", got, e.dials.Load())
	}
	// The handshake's refusal is recorded by the proxy's side of the
	// connection, which the client does not wait for.
	var got []string
	for i := 0; i < 100; i++ {
		if got = e.audited(t, EventRefused); strings.Contains(strings.Join(got, "\n"), "TLS server name") {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("refusals audited: %v", got)
}

// tunnel opens an intercepted connection to the proxy for host.
func tunnel(t *testing.T, e *env, target, serverName string) *tls.Conn {
	t.Helper()
	raw, err := net.Dial("tcp", e.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	raw.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(raw, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", target, target)
	br := bufio.NewReader(raw)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("CONNECT %s: %v %v", target, resp, err)
	}
	c := tls.Client(raw, &tls.Config{ServerName: serverName, RootCAs: e.ca, NextProtos: []string{"h2", "http/1.1"}})
	if err := c.Handshake(); err != nil {
		t.Fatal(err)
	}
	if p := c.ConnectionState().NegotiatedProtocol; p != "http/1.1" {
		t.Fatalf("ALPN chose %q", p)
	}
	return c
}

func sendOver(t *testing.T, c *tls.Conn, text string) (int, string) {
	t.Helper()
	if _, err := io.WriteString(c, text); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// An upstream that echoes Chaperone's credential back does not hand it
// to the agent through the proxy.
func TestProxyAnswersAreScrubbed(t *testing.T) {
	e := setup(t)
	code, body, h := e.do(t, e.client(), "GET", "https://api.echo.example/debug", bearer(e.staging), "")
	if code != 200 || strings.Contains(body, "ECHO-SECRET") || strings.Contains(fmt.Sprint(h), "ECHO-SECRET") ||
		!strings.Contains(body, "Bearer [credential]") {
		t.Fatalf("%d %s %v", code, body, h)
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("the scrubbed answer is not JSON: %v", err)
	}
}

// Connections are kept alive: many requests, one handshake.
func TestProxyKeepsConnectionsAlive(t *testing.T) {
	e := setup(t)
	c := e.client()
	var handshakes atomic.Int32
	c.Transport.(*http.Transport).TLSClientConfig.VerifyConnection = func(tls.ConnectionState) error { handshakes.Add(1); return nil }
	for i := 0; i < 5; i++ {
		if code, body, _ := e.do(t, c, "POST", "https://backboard.railway.app/graphql/v2", bearer(e.staging), me); code != 200 {
			t.Fatalf("%d %s", code, body)
		}
	}
	if n := handshakes.Load(); n != 1 {
		t.Fatalf("%d handshakes for 5 requests", n)
	}
}
