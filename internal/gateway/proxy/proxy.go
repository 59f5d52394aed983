// Package proxy is Chaperone's forward proxy: an agent run with
// HTTPS_PROXY pointing here reaches a provider's API host only through the
// HTTP gateway. A CONNECT to a configured upstream's host is answered with a
// certificate from this installation's CA, and each request inside is gated
// by the HTTP gateway's Serve exactly as /u/<upstream>/ is; a host on the allow
// list is tunnelled unread; every other host is refused without being
// dialled. Anything the proxy cannot read or place is refused.
package proxy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/chaperone/chaperone/internal/audit"
	"github.com/chaperone/chaperone/internal/gate"
	"github.com/chaperone/chaperone/internal/token"
)

// Audit event types the proxy records itself; what it hands to the
// gateway is audited there.
const (
	EventRefused           = audit.ProxyRefused
	EventCredentialRefused = audit.CredentialRefused
)

// AllowKey is the config key that lets a host through, named in refusals.
const AllowKey = "proxy.allow_hosts"

// Timeouts. A tunnel lives while either side speaks within tunnelIdle.
const (
	dialTimeout      = 10 * time.Second
	handshakeTimeout = 10 * time.Second
	tunnelIdle       = 5 * time.Minute
	plainTimeout     = 60 * time.Second
)

// Upstream is an HTTP upstream: its name and environment, where its
// requests really go, and the API hosts whose traffic is its own.
type Upstream struct {
	Name  string
	Env   string
	URL   string
	Hosts []string
}

// Config is what New needs.
type Config struct {
	// Serve gates an intercepted request for the named upstream exactly as
	// the HTTP gateway gates /u/<upstream>/ (its Serve, given entry
	// "proxy"); the proxy decides nothing itself.
	Serve func(w http.ResponseWriter, r *http.Request, entry, upstream, path string)
	// Tokens reads the token a request presents, to choose among the
	// upstreams at one host the one it covers.
	Tokens    *token.Manager
	Upstreams []Upstream
	// AllowHosts are tunnelled unread: "host" (ports 443 and, for plain
	// HTTP, 80), "host:port", or "*.domain" for the hosts under domain.
	AllowHosts []string
	CA         *CA
	Record     func(ctx context.Context, ev audit.Event) error
	Log        *slog.Logger
	// Dial opens tunnels and plain HTTP connections to allowed hosts
	// (default: a net.Dialer).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Proxy serves the forward proxy. Start it with Serve.
type Proxy struct {
	cfg   Config
	hosts map[string][]string // intercepted host -> upstream names, sorted
	ups   map[string]Upstream
	allow []pattern
	plain *httputil.ReverseProxy

	inner *http.Server // serves the decrypted connections
	conns *connListener
	outer *http.Server
	once  sync.Once
}

type pattern struct {
	host   string // exact, or the domain under "*."
	suffix bool
	port   string // "" for the default ports
}

// New checks cfg and builds the proxy.
func New(cfg Config) (*Proxy, error) {
	if cfg.Serve == nil || cfg.Tokens == nil || cfg.CA == nil {
		return nil, errors.New("the proxy needs the HTTP gateway, the tokens and a CA")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Dial == nil {
		cfg.Dial = (&net.Dialer{Timeout: dialTimeout}).DialContext
	}
	p := &Proxy{cfg: cfg, hosts: map[string][]string{}, ups: map[string]Upstream{}}
	for _, u := range cfg.Upstreams {
		p.ups[u.Name] = u
		for _, h := range u.Hosts {
			n, ok := normalHost(h)
			if !ok || net.ParseIP(n) != nil {
				return nil, fmt.Errorf("upstream %s: %q is not a host name", u.Name, h)
			}
			if !slices.Contains(p.hosts[n], u.Name) {
				p.hosts[n] = append(p.hosts[n], u.Name)
				slices.Sort(p.hosts[n])
			}
		}
	}
	for _, a := range cfg.AllowHosts {
		pt, err := ParseAllow(a)
		if err != nil {
			return nil, err
		}
		if !pt.suffix && p.hosts[pt.host] != nil {
			return nil, fmt.Errorf("%s: %s is the API host of upstream %s and is always intercepted; remove it from the list",
				AllowKey, pt.host, strings.Join(p.hosts[pt.host], ", "))
		}
		p.allow = append(p.allow, pt)
	}
	p.plain = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL = pr.In.URL
			pr.Out.Host = ""
			pr.Out.Header.Del("Proxy-Authorization")
			pr.Out.Header.Del("Proxy-Connection")
		},
		Transport: &http.Transport{DialContext: cfg.Dial, ResponseHeaderTimeout: plainTimeout, MaxIdleConnsPerHost: 16,
			IdleConnTimeout: 90 * time.Second},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			cfg.Log.Debug("proxy: an allowed host did not answer", "host", r.URL.Host, "err", err)
			fail(w, http.StatusBadGateway, map[string]any{"error": "Chaperone's proxy could not reach " + r.URL.Host})
		},
	}
	p.conns = newConnListener()
	p.inner = &http.Server{
		Handler:           http.HandlerFunc(p.serveIntercepted),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(cfg.Log.Handler(), slog.LevelDebug),
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			if ic, ok := c.(*interceptedConn); ok {
				return context.WithValue(ctx, hostKey{}, ic.host)
			}
			return ctx
		},
	}
	p.outer = &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(cfg.Log.Handler(), slog.LevelDebug)}
	return p, nil
}

// ParseAllow reads one allow-list entry.
func ParseAllow(s string) (pattern, error) {
	bad := func() (pattern, error) {
		return pattern{}, fmt.Errorf("%s: %q is not a host name, host:port or *.domain", AllowKey, s)
	}
	var pt pattern
	h := s
	if host, port, err := net.SplitHostPort(s); err == nil {
		h, pt.port = host, port
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != port {
			return bad()
		}
	}
	if rest, ok := strings.CutPrefix(h, "*."); ok {
		h, pt.suffix = rest, true
	}
	n, ok := normalHost(h)
	if !ok || (pt.suffix && !strings.Contains(n, ".")) {
		return bad()
	}
	pt.host = n
	return pt, nil
}

// normalHost is h as the proxy compares it: lower case, without the final
// dot of a fully qualified name. Only ASCII names and IP literals are read.
func normalHost(h string) (string, bool) {
	h = strings.TrimSuffix(strings.ToLower(h), ".")
	if ip := net.ParseIP(h); ip != nil {
		return ip.String(), true
	}
	if h == "" || len(h) > 253 || strings.HasPrefix(h, ".") || strings.Contains(h, "..") {
		return "", false
	}
	for _, c := range h {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return "", false
		}
	}
	return h, true
}

// splitTarget reads host[:port] as the proxy compares it; port is def
// when the target has none.
func splitTarget(target, def string) (host, port string, ok bool) {
	host, port = target, def
	if h, p, err := net.SplitHostPort(target); err == nil {
		host, port = h, p
	} else if strings.Contains(target, ":") && !strings.HasPrefix(target, "[") && strings.Count(target, ":") == 1 {
		return "", "", false // "host:" or a port that does not parse
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != port {
		return "", "", false
	}
	host, ok = normalHost(host)
	return host, port, ok
}

func (p *Proxy) allowed(host, port, def string) bool {
	for _, a := range p.allow {
		if a.port == "" && port != def || a.port != "" && a.port != port {
			continue
		}
		if host == a.host && !a.suffix || a.suffix && strings.HasSuffix(host, "."+a.host) {
			return true
		}
	}
	return false
}

// Serve answers proxy clients on ln until Close.
func (p *Proxy) Serve(ln net.Listener) error {
	p.once.Do(func() { go p.inner.Serve(p.conns) })
	return p.outer.Serve(ln)
}

// Shutdown stops accepting, and waits for requests in flight until ctx
// ends. Tunnels and intercepted connections are closed.
func (p *Proxy) Shutdown(ctx context.Context) error {
	err := p.outer.Shutdown(ctx)
	if ierr := p.inner.Shutdown(ctx); err == nil {
		err = ierr
	}
	return err
}

// Close stops the proxy at once.
func (p *Proxy) Close() error {
	p.inner.Close()
	return p.outer.Close()
}

func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodConnect:
		p.connect(w, r)
	case r.URL.IsAbs() && r.URL.Scheme == "http":
		p.plainHTTP(w, r)
	case r.URL.IsAbs():
		p.refuse(w, r, r.URL.Host, http.StatusBadRequest, "only http:// URLs are sent as plain requests; https goes through CONNECT", "")
	default:
		fail(w, http.StatusBadRequest, map[string]any{"error": "this is Chaperone's forward proxy: set HTTPS_PROXY=http://" + r.Host +
			" and send requests to the provider's own URL"})
	}
}

func (p *Proxy) connect(w http.ResponseWriter, r *http.Request) {
	host, port, ok := splitTarget(r.Host, "")
	if !ok {
		p.refuse(w, r, r.Host, http.StatusBadRequest, "the CONNECT target is not host:port", "")
		return
	}
	if p.hosts[host] != nil {
		if port != "443" {
			p.refuse(w, r, net.JoinHostPort(host, port), http.StatusForbidden,
				"an upstream's API host is reached on port 443 only, through Chaperone", "")
			return
		}
		p.intercept(w, r, host)
		return
	}
	if !p.allowed(host, port, "443") {
		p.refuseHost(w, r, host, port, "443")
		return
	}
	p.tunnel(w, r, host, port)
}

func (p *Proxy) plainHTTP(w http.ResponseWriter, r *http.Request) {
	host, port, ok := splitTarget(r.URL.Host, "80")
	if !ok {
		p.refuse(w, r, r.URL.Host, http.StatusBadRequest, "the request's host is not host[:port]", "")
		return
	}
	if p.hosts[host] != nil {
		if port != "80" {
			p.refuse(w, r, net.JoinHostPort(host, port), http.StatusForbidden,
				"an upstream's API host is reached on port 443 (or 80 as plain HTTP) only, through Chaperone", "")
			return
		}
		r.Header.Del("Proxy-Authorization")
		p.gateRequest(w, r, host)
		return
	}
	if !p.allowed(host, port, "80") {
		p.refuseHost(w, r, host, port, "80")
		return
	}
	p.plain.ServeHTTP(w, r)
}

// refuseHost refuses a host that is neither intercepted nor allowed.
func (p *Proxy) refuseHost(w http.ResponseWriter, r *http.Request, host, port, def string) {
	entry := host
	if port != def {
		entry = net.JoinHostPort(host, port)
	}
	p.refuse(w, r, net.JoinHostPort(host, port), http.StatusForbidden,
		fmt.Sprintf("%s is not an upstream's API host and is not in %s; add %q there to let it through unread", net.JoinHostPort(host, port), AllowKey, entry), "")
}

// refuse answers status, records the refusal, and for a CONNECT closes
// the connection: nothing sent after a refused CONNECT is read.
func (p *Proxy) refuse(w http.ResponseWriter, r *http.Request, target string, status int, reason, actor string) {
	if actor == "" {
		actor = gate.EntryProxy
	}
	p.record(r.Context(), audit.Event{Type: EventRefused, Actor: actor, Data: map[string]string{
		"host": target, "method": r.Method, "reason": reason}})
	if r.Method == http.MethodConnect {
		w.Header().Set("Connection", "close")
	}
	fail(w, status, map[string]any{"error": "Chaperone's proxy refused this request: " + reason, "host": target, "allow_with": AllowKey})
}

func (p *Proxy) record(ctx context.Context, ev audit.Event) {
	if p.cfg.Record == nil {
		return
	}
	// Whether or not the agent is still there, and for a bounded time.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := p.cfg.Record(ctx, ev); err != nil {
		p.cfg.Log.Warn("recording a proxy event", "type", ev.Type, "err", err)
	}
}

func fail(w http.ResponseWriter, status int, body map[string]any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(body)
}

// hijack takes the client's connection over and tells it the tunnel is
// open; bytes the client sent early are kept in front of the connection.
func hijack(w http.ResponseWriter) (net.Conn, error) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return nil, errors.New("the connection cannot be taken over")
	}
	conn, rw, err := hj.Hijack()
	if err != nil {
		return nil, err
	}
	if _, err := conn.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n")); err != nil {
		conn.Close()
		return nil, err
	}
	if n := rw.Reader.Buffered(); n > 0 {
		early, _ := rw.Reader.Peek(n)
		return &prefixConn{Conn: conn, r: io.MultiReader(strings.NewReader(string(early)), conn)}, nil
	}
	return conn, nil
}

type prefixConn struct {
	net.Conn
	r io.Reader
}

func (c *prefixConn) Read(b []byte) (int, error) { return c.r.Read(b) }

// CloseWrite half-closes the underlying TCP connection, for tunnels.
func (c *prefixConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return c.Conn.Close()
}
