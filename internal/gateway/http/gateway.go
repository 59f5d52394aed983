// Package http is Chaperone's gateway for cloud APIs: agents send
// http://HOST/u/<upstream>/<path> with their chp_ token; Chaperone checks the
// token's scope, reads and classifies the request (GraphQL against the
// provider's schema, REST by method), holds or denies what the policy says,
// and forwards the rest with the provider credential it alone holds.
package http

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/chaperone/chaperone/internal/audit"
	"github.com/chaperone/chaperone/internal/gate"
	"github.com/chaperone/chaperone/internal/memo"
	"github.com/chaperone/chaperone/internal/sockio"
	"github.com/chaperone/chaperone/internal/token"
)

// Upstream is an HTTP API behind the gateway.
type Upstream struct {
	Name     string
	Env      string
	Provider string // railway | generic
	URL      string // base URL
	// Credential is the provider token, sent as Header: Prefix+Credential.
	Credential string
	Header     string // default Authorization
	Prefix     string // default "Bearer "
}

// Gateway serves /u/<upstream>/...
type Gateway struct {
	Upstream func(name string) (Upstream, bool)
	Tokens   *token.Manager
	// Gate decides every request.
	Gate *gate.Gate
	// MaxBody is the largest body classified (default 1 MiB); larger ones
	// are held for approval, up to HardLimit (default 32 MiB), refused
	// beyond.
	MaxBody, HardLimit int64
	Log                *slog.Logger
	// Record audits real tokens used where they may not go.
	Record func(ctx context.Context, ev audit.Event) error

	envs  envCache
	once  sync.Once
	own   http.RoundTripper
	bases sync.Map // an upstream's base URL text -> *url.URL
}

// transport is what every forwarded request goes through. It is called
// directly, not through an http.Client: a client copies the request's
// headers and sets up cancellation for redirects it would follow, and the
// gateway follows none (a redirect goes back to the agent, so the
// credential is sent only where the operator pointed the upstream).
func (g *Gateway) transport() http.RoundTripper {
	g.once.Do(func() { g.own = newTransport() })
	return g.own
}

// newTransport keeps connections to the providers open for many agents at
// once (the default transport keeps two per host, and a busy gateway then
// opens a connection per request).
func newTransport() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns, t.MaxIdleConnsPerHost = 1024, 256
	dial := (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.DialContext = sockio.Dialer(dial)
	return &syncTransport{dial: dial, tls: &tls.Config{}, fallback: t, maxIdle: 256}
}

// setCredential puts the provider credential where the provider expects it.
func setCredential(h http.Header, up Upstream) {
	header, prefix := up.Header, up.Prefix
	if header == "" {
		header, prefix = "Authorization", "Bearer "
	}
	h.Set(header, prefix+up.Credential)
}

// record writes ev whether or not the agent is still there: an agent that
// hangs up at once must not take the record of a refused credential with it.
func (g *Gateway) record(ctx context.Context, ev audit.Event) {
	if g.Record == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	if err := g.Record(ctx, ev); err != nil {
		g.Log.Warn("recording a gateway event", "err", err)
	}
}

const (
	defaultMaxBody   = 1 << 20
	defaultHardLimit = 32 << 20

	recordTimeout   = 10 * time.Second
	upstreamTimeout = 60 * time.Second // a forwarded request, its answer included
)

// bodyTimeout bounds reading the agent's body, and answerTimeout writing
// the answer to an agent that does not read it. Variables for the tests.
var (
	bodyTimeout   = 60 * time.Second
	answerTimeout = upstreamTimeout + 30*time.Second
)

// hopHeaders are never forwarded, and neither is anything that carries the
// agent's own credentials.
// Expect is dropped too: Chaperone holds the whole body already, and a
// provider that refuses the expectation without reading the body could read
// the agent's body as a request of its own.
var hopHeaders = []string{"Authorization", "Cookie", "Proxy-Authorization", "Connection", "Keep-Alive", "Te", "Trailer",
	"Transfer-Encoding", "Upgrade", "Project-Access-Token", "X-Forwarded-For", "Forwarded", "Expect"}

// withheld says whether a header is kept from the provider by its name:
//   - one that carries a credential (Team-Access-Token, X-Api-Key,
//     Ocp-Apim-Subscription-Key, X-Signature...): the provider must see
//     Chaperone's credential and no other, or an agent could act with a
//     token of its own under Chaperone's verdict;
//   - one that tells a server another path, host, method or client than
//     the request line's (X-Original-URL, X-Rewrite-URL, X-Forwarded-Host,
//     X-Request-Method, X-Remote-User, Fly-Force-Instance-Id...): the
//     provider must run the request that was judged.
//
// Names are matched by the words in them, '_' read as '-', remembered per
// name.
func withheld(name string) bool {
	if w, ok := withheldNames.Get(name); ok {
		return w
	}
	n := token.CGIName(name)
	w := false
	for _, word := range withheldWords {
		if strings.Contains(n, word) {
			w = true
			break
		}
	}
	if n == "idempotency-key" {
		w = false // names a request, not who sends it
	}
	withheldNames.Put(name, w, 1)
	return w
}

var withheldWords = []string{
	// a credential, or who the caller is
	"token", "auth", "secret", "credential", "creds", "pass", "pwd", "key", "session", "cookie", "signature", "principal",
	"jwt", "bearer", "remote-user", "x-user", "client-cert", "ssl-client",
	// another path, host, method or client than the request's
	"forwarded", "original", "rewrite", "override", "method", "script-name", "x-path", "uri", "url", "destination",
	"real-ip", "client-ip", "connecting-ip", "x-host",
	// Fly's proxy routes by these
	"fly-",
}

var withheldNames = memo.Map[bool]{MaxEntries: 4096, MaxBytes: 1 << 20}

// connectionNamed are the headers the agent's Connection header names:
// hop-by-hop, for Chaperone and not for the provider.
func connectionNamed(h http.Header) []string {
	var names []string
	for _, v := range h["Connection"] {
		for _, n := range strings.Split(v, ",") {
			if n = textproto.TrimString(n); n != "" {
				names = append(names, n)
			}
		}
	}
	return names
}

func fail(w http.ResponseWriter, status int, body map[string]any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(body)
}

func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/u/"), "/")
	g.Serve(w, r, gate.EntryHTTP, name, rest)
}

// Serve gates one request for the upstream called name, whichever route
// it came by (/u/<name>/ or the forward proxy, as entry says): the token,
// then the request read exactly and classified, then the gate, then the
// upstream with Chaperone's credential.
func (g *Gateway) Serve(w http.ResponseWriter, r *http.Request, entry, name, rest string) {
	// What is classified is exactly what is forwarded: one cleaned path
	// that cannot climb out of the upstream's base URL.
	rest = cleanPath(rest)
	// The token first: whether an upstream exists is not told to whoever
	// has none.
	secret := token.FromHeader(r.Header)
	if header, v, found := token.Stray(r.Header, secret); found {
		// A second credential beside the token (a provider's own, a
		// second Authorization): refused and recorded, not dropped.
		g.record(r.Context(), audit.Event{Type: audit.CredentialRefused, Actor: entry, Data: map[string]string{
			"upstream": name, "header": header, "fingerprint": token.Fingerprint(v)}})
		fail(w, http.StatusUnauthorized, map[string]any{"error": fmt.Sprintf(
			"a credential other than the Chaperone token was sent in %s; send only the chp_ token", header)})
		return
	}
	tok, err := g.Tokens.Verify(r.Context(), secret)
	if err == nil {
		err = token.Usable(tok, time.Now())
	}
	if err != nil {
		if secret != "" && !strings.HasPrefix(secret, token.Prefix) {
			// A credential that is not Chaperone's: what an agent holding a
			// real provider token it found looks like.
			g.record(r.Context(), audit.Event{Type: audit.CredentialRefused, Actor: entry, Data: map[string]string{
				"upstream": name, "fingerprint": token.Fingerprint(secret)}})
		}
		fail(w, http.StatusUnauthorized, map[string]any{"error": "a Chaperone token is required (Authorization: Bearer chp_...): " + err.Error()})
		return
	}
	up, ok := g.Upstream(name)
	if !ok {
		fail(w, http.StatusNotFound, map[string]any{"error": fmt.Sprintf("upstream %q is not configured in Chaperone", name)})
		return
	}
	if err := token.Covers(tok, up.Name, up.Env); err != nil {
		// A real token used where it may not go: what a stolen or misused
		// token looks like.
		g.record(r.Context(), audit.Event{Type: audit.HTTPRefused, Actor: "token:" + tok.ID, Data: map[string]string{
			"upstream": up.Name, "env": up.Env, "reason": err.Error()}})
		fail(w, http.StatusForbidden, map[string]any{"error": err.Error()})
		return
	}
	// The server bounds only the headers: a body trickled in, or an answer
	// nobody reads, would hold the connection for as long as the agent
	// likes. The body's deadline goes once the body is read, so that it
	// does not cut the forwarding short; after a failed read it stays, so
	// that the server, which reads what is left of a body before it
	// answers, gives up at once and closes the connection. (The server
	// clears both deadlines before a kept-alive connection's next request.)
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Now().Add(bodyTimeout))
	body, err := readBody(r, g.limit(g.HardLimit, defaultHardLimit))
	if err == nil {
		rc.SetReadDeadline(time.Time{})
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		fail(w, http.StatusRequestTimeout, map[string]any{"error": fmt.Sprintf("the request's body did not arrive within %v", bodyTimeout)})
		return
	}
	if err != nil {
		fail(w, http.StatusRequestEntityTooLarge, map[string]any{"error": err.Error()})
		return
	}
	act, calls, err := g.classify(up, r, rest, body)
	if err != nil {
		fail(w, http.StatusBadRequest, map[string]any{"error": err.Error()})
		return
	}
	act.Env, act.Upstream, act.Requester, act.Scope = up.Env, up.Name, tok.ID, tok.Scope
	if up.Provider == "railway" && len(calls) > 0 {
		g.placeRailwayTargets(r.Context(), up, rest, calls, &act)
	}
	if up.Provider == "fly" {
		g.checkFlyMounts(r.Context(), up, rest, r.Method, r.URL.Query(), body, &act)
	}
	o := g.Gate.Decide(r.Context(), gate.Request{Entry: entry, Source: entry + ":" + up.Name, Action: act,
		NoSnapshot: noSnapshot(up)})
	if o.Verdict != gate.Forward {
		status, body := refusal(o)
		fail(w, status, body)
		return
	}
	g.forward(w, r, up, rest, body)
}

func (g *Gateway) limit(v, def int64) int64 {
	if v > 0 {
		return v
	}
	return def
}

// knownEncodings are the content codings a provider's answer is named by
// in an error.
var knownEncodings = map[string]bool{"gzip": true, "x-gzip": true, "deflate": true, "br": true, "compress": true, "x-compress": true, "zstd": true}

// upstreamURL is rest under the upstream's base URL. rest is the decoded,
// cleaned path the gateway judged; it is escaped whole before it is
// joined, so that the provider, decoding the request line once, reads
// exactly that path: "%2573top" was judged as the text "%73top" and must not
// reach the provider as "%73top", which it would read as "stop". The base
// is parsed once per text and keeps its own escaping.
func (g *Gateway) upstreamURL(up Upstream, rest string) (*url.URL, error) {
	b, ok := g.bases.Load(up.URL)
	if !ok {
		u, err := url.Parse(up.URL)
		if err != nil {
			return nil, err
		}
		if strings.LastIndex(u.Host, ":") > strings.LastIndex(u.Host, "]") {
			u.Host = strings.TrimSuffix(u.Host, ":") // an empty port, as http.NewRequest drops it
		}
		b, _ = g.bases.LoadOrStore(up.URL, u)
	}
	base := b.(*url.URL)
	escaped := strings.TrimSuffix(base.EscapedPath(), "/") + (&url.URL{Path: rest}).EscapedPath()
	decoded, err := url.PathUnescape(escaped)
	if err != nil {
		return nil, err
	}
	u := *base
	u.Path, u.RawPath = decoded, escaped
	return &u, nil
}

// upstreamRequest is what forward sends: the method, rest (a cleaned path)
// under the upstream's URL and the query, with body. The URL is set whole
// rather than written out and parsed again.
func (g *Gateway) upstreamRequest(ctx context.Context, method string, up Upstream, rest, rawQuery string, body []byte) (*http.Request, error) {
	target, err := g.upstreamURL(up, rest)
	if err != nil {
		return nil, err
	}
	target.RawQuery = rawQuery
	out, err := http.NewRequestWithContext(ctx, method, "", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	out.URL, out.Host = target, target.Host
	return out, nil
}

// forward sends the request on with the provider credential and streams
// the answer back.
func (g *Gateway) forward(w http.ResponseWriter, r *http.Request, up Upstream, rest string, body []byte) {
	ctx, cancel := context.WithTimeout(r.Context(), upstreamTimeout)
	defer cancel()
	out, err := g.upstreamRequest(ctx, r.Method, up, rest, r.URL.RawQuery, body)
	if err != nil {
		fail(w, http.StatusBadGateway, map[string]any{"error": "upstream " + up.Name + " is misconfigured in Chaperone"})
		return
	}
	for k, vs := range r.Header {
		if !withheld(k) {
			out.Header[k] = vs
		}
	}
	for _, h := range connectionNamed(r.Header) {
		out.Header.Del(h)
	}
	for _, h := range hopHeaders {
		out.Header.Del(h)
	}
	// The client asks for and inflates compression itself, so that the
	// answer can be searched for the credential before the agent gets it.
	out.Header.Del("Accept-Encoding")
	setCredential(out.Header, up)
	resp, err := g.transport().RoundTrip(out)
	if err != nil {
		if r.Context().Err() != nil { // the agent left; nothing to answer
			g.Log.Debug("agent left before the upstream answered", "upstream", up.Name)
			return
		}
		g.Log.Warn("upstream request failed", "upstream", up.Name, "err", scrub(err.Error(), up.Credential))
		fail(w, http.StatusBadGateway, map[string]any{"error": "upstream " + up.Name + " is unavailable"})
		return
	}
	defer resp.Body.Close()
	// An upstream that echoes the credential back (an error quoting the
	// request, a debug endpoint) must not hand it to the agent.
	if len(contentCodings(resp.Header)) > 0 {
		ce := strings.Join(resp.Header.Values("Content-Encoding"), ",")
		// The value is the provider's: it is named only when it is an
		// encoding's name, never echoed (it could carry the credential).
		named := "an encoding it does not name"
		if knownEncodings[strings.ToLower(strings.TrimSpace(ce))] {
			named = strings.ToLower(strings.TrimSpace(ce))
		}
		g.Log.Warn("upstream answered in an encoding Chaperone cannot search", "upstream", up.Name, "encoding", named)
		fail(w, http.StatusBadGateway, map[string]any{"error": "upstream " + up.Name + " answered in an encoding Chaperone cannot inspect (" + named + ")"})
		return
	}
	scrubHeader(resp.Header, up.Credential)
	for k, vs := range resp.Header {
		w.Header()[k] = vs
	}
	if r.Method != http.MethodHead && up.Credential != "" {
		w.Header().Del("Content-Length") // scrubbing may change it
	}
	rc := http.NewResponseController(w)
	rc.SetWriteDeadline(time.Now().Add(answerTimeout))
	w.WriteHeader(resp.StatusCode)
	sw := newScrubber(w, up.Credential)
	buf := copyBufs.Get().(*[]byte)
	_, err = io.CopyBuffer(sw, resp.Body, *buf)
	copyBufs.Put(buf)
	if err == nil {
		err = sw.Close()
	}
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			g.Log.Debug("relaying the upstream's answer", "upstream", up.Name, "err", err)
		}
		// The answer is cut short (the upstream broke off, or the agent
		// stopped reading): the agent must see a broken answer, not a
		// whole one that happens to be shorter. Aborting the handler
		// closes the connection (or resets the HTTP/2 stream) without
		// the answer's proper end.
		panic(http.ErrAbortHandler)
	}
}

// copyBufs hold the buffers answers are relayed through: io.Copy would
// allocate 32 KiB per request, which was most of the gateway's garbage.
var copyBufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

func scrub(s, secret string) string {
	if secret == "" {
		return s
	}
	return strings.ReplaceAll(s, secret, "[credential]")
}
