package proxy

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/chaperone/chaperone/internal/audit"
	"github.com/chaperone/chaperone/internal/gate"
	"github.com/chaperone/chaperone/internal/token"
)

type hostKey struct{}

// interceptedConn is a decrypted connection and the host it was opened to.
type interceptedConn struct {
	net.Conn
	host string
}

// intercept answers the CONNECT, completes TLS as host with a certificate
// from the CA, and hands the connection to the inner server, which reads
// its requests one by one (keep-alive, HTTP/1.1).
func (p *Proxy) intercept(w http.ResponseWriter, r *http.Request, host string) {
	conn, err := hijack(w)
	if err != nil {
		p.cfg.Log.Debug("proxy: taking over a CONNECT", "err", err)
		return
	}
	var mismatch string
	tc := tls.Server(conn, &tls.Config{
		MinVersion: tls.VersionTLS12,
		NextProtos: []string{"http/1.1"},
		GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
			// The client must be talking to the host it asked the tunnel
			// for: a name told one way to the proxy and another to TLS is
			// refused, not guessed between.
			if hello.ServerName != "" {
				if sni, _ := normalHost(hello.ServerName); sni != host {
					mismatch = hello.ServerName
					return nil, fmt.Errorf("TLS server name %q differs from the CONNECT host %q", hello.ServerName, host)
				}
			}
			return p.cfg.CA.Leaf(host)
		},
	})
	conn.SetDeadline(time.Now().Add(handshakeTimeout))
	if err := tc.HandshakeContext(r.Context()); err != nil {
		if mismatch != "" {
			p.record(r.Context(), audit.Event{Type: EventRefused, Actor: gate.EntryProxy, Data: map[string]string{
				"host": host + ":443", "method": "CONNECT", "reason": fmt.Sprintf("TLS server name %q differs from the CONNECT host", mismatch)}})
		}
		p.cfg.Log.Debug("proxy: TLS with the agent failed", "host", host, "err", err)
		conn.Close()
		return
	}
	conn.SetDeadline(time.Time{})
	if !p.conns.put(&interceptedConn{Conn: tc, host: host}) {
		tc.Close()
	}
}

// serveIntercepted gates one decrypted request.
func (p *Proxy) serveIntercepted(w http.ResponseWriter, r *http.Request) {
	host, _ := r.Context().Value(hostKey{}).(string)
	// The name must be the tunnel's; the port is not compared, as nothing
	// is routed by it (some clients write :80 over a socket they opened).
	h, _, ok := splitTarget(r.Host, "443")
	if host == "" || !ok || h != host {
		p.refuse(w, r, r.Host, http.StatusMisdirectedRequest,
			fmt.Sprintf("the request names host %q inside a tunnel opened to %s", r.Host, host), "")
		return
	}
	p.gateRequest(w, r, host)
}

// gateRequest picks the upstream that the request's token covers among
// those at host and hands the request to the gateway.
func (p *Proxy) gateRequest(w http.ResponseWriter, r *http.Request, host string) {
	names := p.hosts[host]
	serve := p.cfg.Serve
	// Each credential header present must hold the very token the gateway
	// checks: a second, real credential beside a Chaperone token is
	// refused, not dropped.
	secret := token.FromHeader(r.Header)
	if name, v, found := token.Stray(r.Header, secret); found {
		p.record(r.Context(), audit.Event{Type: EventCredentialRefused, Actor: gate.EntryProxy, Data: map[string]string{
			"upstream": strings.Join(names, ","), "host": host, "header": name, "fingerprint": token.Fingerprint(v)}})
		fail(w, http.StatusUnauthorized, map[string]any{"error": fmt.Sprintf(
			"a credential other than the Chaperone token was sent in %s; send only the chp_ token", name)})
		return
	}
	tok, err := p.cfg.Tokens.Verify(r.Context(), secret)
	if err == nil {
		err = token.Usable(tok, time.Now())
	}
	if err != nil {
		// The gateway refuses it, and records a provider's credential by
		// its fingerprint; the upstream it names is every one at host.
		serve(w, r, gate.EntryProxy, strings.Join(names, ","), r.URL.Path)
		return
	}
	var covered []Upstream
	var why []string
	for _, n := range names {
		up, ok := p.ups[n]
		if !ok {
			continue
		}
		if err := token.Covers(tok, up.Name, up.Env); err != nil {
			why = append(why, err.Error())
			continue
		}
		covered = append(covered, up)
	}
	actor := "token:" + tok.ID
	switch {
	case len(covered) == 0 && len(names) == 1:
		// As through /u/<upstream>/: the gateway refuses and audits it.
		serve(w, r, gate.EntryProxy, names[0], r.URL.Path)
	case len(covered) == 0:
		p.refuse(w, r, host, http.StatusForbidden, fmt.Sprintf("token %s covers none of the upstreams at %s (%s)",
			tok.ID, host, strings.Join(why, "; ")), actor)
	case len(covered) > 1:
		var ns []string
		for _, u := range covered {
			ns = append(ns, u.Name)
		}
		p.refuse(w, r, host, http.StatusForbidden, fmt.Sprintf("token %s covers several upstreams at %s (%s); Chaperone will not guess which: use a token for one of them",
			tok.ID, host, strings.Join(ns, ", ")), actor)
	default:
		up := covered[0]
		rest, ok := underBase(up.URL, r.URL.Path)
		if !ok {
			p.refuse(w, r, host, http.StatusForbidden, fmt.Sprintf("path %s is outside upstream %s's base URL", r.URL.Path, up.Name), actor)
			return
		}
		serve(w, r, gate.EntryProxy, up.Name, rest)
	}
}

// underBase is p relative to the path of the upstream's base URL: a
// client of https://api.machines.dev/v1 sends /v1/apps, which is /apps
// under it. A path outside the base is not the upstream's.
func underBase(base, p string) (string, bool) {
	u, err := url.Parse(base)
	if err != nil {
		return "", false
	}
	prefix := strings.TrimSuffix(u.Path, "/")
	if prefix == "" {
		return p, true
	}
	clean := path.Clean("/" + p)
	if strings.HasSuffix(p, "/") && clean != "/" {
		clean += "/"
	}
	if clean == prefix {
		return "/", true
	}
	rest, ok := strings.CutPrefix(clean, prefix+"/")
	return "/" + rest, ok
}

// connListener hands intercepted connections to the inner server.
type connListener struct {
	ch     chan net.Conn
	done   chan struct{}
	closed sync.Once
}

func newConnListener() *connListener {
	return &connListener{ch: make(chan net.Conn), done: make(chan struct{})}
}

func (l *connListener) put(c net.Conn) bool {
	select {
	case l.ch <- c:
		return true
	case <-l.done:
		return false
	}
}

func (l *connListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *connListener) Close() error {
	l.closed.Do(func() { close(l.done) })
	return nil
}

func (l *connListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }

// tunnel relays bytes between the client and an allowed host, unread.
func (p *Proxy) tunnel(w http.ResponseWriter, r *http.Request, host, port string) {
	ctx, cancel := context.WithTimeout(r.Context(), dialTimeout)
	defer cancel()
	up, err := p.cfg.Dial(ctx, "tcp", net.JoinHostPort(host, port))
	if err != nil {
		p.cfg.Log.Debug("proxy: an allowed host did not answer", "host", host, "err", err)
		fail(w, http.StatusBadGateway, map[string]any{"error": "Chaperone's proxy could not reach " + net.JoinHostPort(host, port)})
		return
	}
	conn, err := hijack(w)
	if err != nil {
		up.Close()
		return
	}
	relay(conn, up, tunnelIdle)
}

// relay copies both ways until both sides are done or neither has sent
// anything for idle.
func relay(a, b net.Conn, idle time.Duration) {
	var mu sync.Mutex
	last := time.Now()
	touch := func() { mu.Lock(); last = time.Now(); mu.Unlock() }
	quiet := func() bool { mu.Lock(); defer mu.Unlock(); return time.Since(last) >= idle }
	var wg sync.WaitGroup
	copyTo := func(dst, src net.Conn) {
		defer wg.Done()
		buf := make([]byte, 32<<10)
		for {
			src.SetReadDeadline(time.Now().Add(idle))
			n, err := src.Read(buf)
			if n > 0 {
				touch()
				dst.SetWriteDeadline(time.Now().Add(idle))
				if _, werr := dst.Write(buf[:n]); werr != nil {
					break
				}
			}
			if err != nil {
				if ne, ok := err.(net.Error); ok && ne.Timeout() && !quiet() {
					continue // the other way is busy
				}
				break
			}
		}
		if cw, ok := dst.(interface{ CloseWrite() error }); ok {
			cw.CloseWrite()
		} else {
			dst.Close()
		}
	}
	wg.Add(2)
	go copyTo(a, b)
	go copyTo(b, a)
	wg.Wait()
	a.Close()
	b.Close()
}
