package http

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/net/http/httpguts"

	"github.com/chaperone/chaperone/internal/sockio"
)

// net/http's Transport gives every provider connection a reader and a
// writer goroutine, and hands each request and its answer between them and
// the caller over channels: under load those hand-offs and their wake-ups
// cost more than the HTTP itself on a small machine. syncTransport writes
// the request and reads the answer in the caller's goroutine, over a
// connection it owns for the exchange, and keeps idle connections for the
// next one. What it does not do itself (a proxy from the environment, a
// scheme other than http and https) goes to the standard Transport.

// idleTimeout is how long an idle provider connection is kept.
const idleTimeout = 90 * time.Second

type syncTransport struct {
	dial     func(ctx context.Context, network, addr string) (net.Conn, error)
	tls      *tls.Config // a template; ServerName is set per host
	fallback http.RoundTripper
	maxIdle  int // per host

	mu      sync.Mutex
	idle    map[string][]*providerConn
	sweeper *time.Timer
}

// providerConn is one HTTP/1.1 connection to a provider.
type providerConn struct {
	key  string
	conn net.Conn
	raw  syscall.RawConn // the socket under conn (and under its TLS)
	head *headLimit      // between br and conn: bounds an answer's head
	br   *bufio.Reader
	bw   *bufio.Writer
	used time.Time
}

func (t *syncTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if (req.URL.Scheme != "http" && req.URL.Scheme != "https") || req.URL.User != nil {
		return t.fallback.RoundTrip(req)
	}
	if p, err := http.ProxyFromEnvironment(req); err != nil || p != nil {
		return t.fallback.RoundTrip(req)
	}
	// What http.Transport checks before it writes: a header that could
	// end the head early never leaves.
	for k, vs := range req.Header {
		if !httpguts.ValidHeaderFieldName(k) {
			return nil, fmt.Errorf("invalid header field name %q", k)
		}
		for _, v := range vs {
			if !httpguts.ValidHeaderFieldValue(v) {
				return nil, fmt.Errorf("invalid header field value for %q", k)
			}
		}
	}
	ctx := req.Context()
	compressed := false
	if req.Header.Get("Accept-Encoding") == "" && req.Header.Get("Range") == "" && req.Method != http.MethodHead {
		// As net/http's Transport does: ask for gzip, and inflate it. The
		// caller's request is not changed: a copy with its own header map
		// (the values, which nothing here changes, are shared).
		r2 := new(http.Request)
		*r2 = *req
		r2.Header = make(http.Header, len(req.Header)+1)
		for k, vs := range req.Header {
			r2.Header[k] = vs
		}
		r2.Header["Accept-Encoding"] = acceptGzip
		req, compressed = r2, true
	}
	addr := canonicalAddr(req.URL.Scheme, req.URL.Host)
	for fresh := false; ; fresh = true {
		pc, reused, err := t.get(ctx, req.URL.Scheme, addr, req.URL.Hostname(), fresh)
		if err != nil {
			if req.Body != nil {
				req.Body.Close()
			}
			return nil, err
		}
		resp, sent, err := t.exchange(ctx, pc, req)
		if err != nil && reused && !sent && retryable(req) && ctx.Err() == nil {
			// A kept connection the provider closed just as it was
			// taken: nothing came back, and the request is one that
			// may be sent twice. Once more, on a new connection.
			continue
		}
		if err != nil {
			return nil, err
		}
		// Inflated only when gzip is the one coding: two header lines
		// (gzip twice) would leave the inner layer unread and unmarked.
		if ce := resp.Header.Values("Content-Encoding"); compressed && len(ce) == 1 && strings.EqualFold(strings.TrimSpace(ce[0]), "gzip") {
			resp.Header.Del("Content-Encoding")
			resp.Header.Del("Content-Length")
			resp.ContentLength = -1
			resp.Uncompressed = true
			resp.Body = &gunzipBody{body: resp.Body.(*exchangeBody)}
		}
		return resp, nil
	}
}

// max1xx bounds the informational answers read before the final one;
// maxHead the bytes read for their heads and the final one's.
const (
	max1xx  = 5
	maxHead = 1 << 20
)

// headLimit reads from r at most left bytes (any number while left is
// negative); past them it reports the end of the stream.
type headLimit struct {
	r    io.Reader
	left int64
}

func (h *headLimit) Read(p []byte) (int, error) {
	if h.left < 0 {
		return h.r.Read(p)
	}
	if h.left == 0 {
		return 0, io.ErrUnexpectedEOF
	}
	if int64(len(p)) > h.left {
		p = p[:h.left]
	}
	n, err := h.r.Read(p)
	h.left -= int64(n)
	return n, err
}

// acceptGzip is the Accept-Encoding the transport asks with; shared, never
// changed.
var acceptGzip = []string{"gzip"}

// exchange writes req on pc and reads the answer's head; sent is whether
// any of the answer came back.
func (t *syncTransport) exchange(ctx context.Context, pc *providerConn, req *http.Request) (resp *http.Response, sent bool, err error) {
	// A deadline in the past unblocks whatever the exchange is doing when
	// the caller gives up.
	stop := context.AfterFunc(ctx, func() { pc.conn.SetDeadline(time.Unix(1, 0)) })
	fail := func(err error) (*http.Response, bool, error) {
		stop()
		pc.conn.Close()
		return nil, sent, ctxErr(ctx, err)
	}
	if err := req.Write(pc.bw); err != nil {
		return fail(err)
	}
	if err := pc.bw.Flush(); err != nil {
		return fail(err)
	}
	// The heads of the answers (1xx included) may take maxHead bytes
	// from the connection, as http.Transport's MaxResponseHeaderBytes
	// bounds them: a provider that never ends its head must not take
	// the gateway's memory.
	pc.head.left = maxHead
	defer func() { pc.head.left = -1 }()
	for n := 0; ; n++ {
		if _, err := pc.br.Peek(1); err != nil {
			return fail(err)
		}
		sent = true
		resp, err = http.ReadResponse(pc.br, req)
		if err != nil {
			if pc.head.left == 0 {
				err = fmt.Errorf("the provider's answer has a head over %d bytes", maxHead)
			}
			return fail(err)
		}
		// 1xx answers before the final one are skipped, as net/http
		// does; 101 (a protocol switch) is never asked for here.
		if resp.StatusCode >= 200 {
			break
		}
		if resp.StatusCode == http.StatusSwitchingProtocols || n == max1xx {
			return fail(fmt.Errorf("the provider answered %d, which Chaperone does not relay", resp.StatusCode))
		}
	}
	resp.Body = &exchangeBody{rc: resp.Body, t: t, pc: pc, stop: stop, reuse: !resp.Close && !req.Close}
	return resp, true, nil
}

// retryable says whether req may be sent twice: a method without effects
// and no body.
func retryable(req *http.Request) bool {
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return req.Body == nil || req.Body == http.NoBody
	}
	return false
}

// get takes a kept connection to scheme://addr that is still good, or
// dials one (only dials when fresh).
func (t *syncTransport) get(ctx context.Context, scheme, addr, host string, fresh bool) (pc *providerConn, reused bool, err error) {
	key := scheme + "://" + addr
	for !fresh {
		t.mu.Lock()
		list := t.idle[key]
		pc = nil
		if n := len(list); n > 0 {
			pc = list[n-1]
			t.idle[key] = list[:n-1]
		}
		t.mu.Unlock()
		if pc == nil {
			break
		}
		if time.Since(pc.used) < idleTimeout && pc.alive() {
			return pc, true, nil
		}
		pc.conn.Close()
	}
	c, err := t.dial(ctx, "tcp", addr)
	if err != nil {
		return nil, false, err
	}
	var raw syscall.RawConn
	if sc, ok := c.(syscall.Conn); ok {
		raw, _ = sc.SyscallConn()
	}
	c = sockio.Wrap(c)
	if scheme == "https" {
		cfg := t.tls.Clone()
		if cfg.ServerName == "" {
			cfg.ServerName = host
		}
		cfg.NextProtos = []string{"http/1.1"}
		tc := tls.Client(c, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			c.Close()
			return nil, false, err
		}
		c = tc
	}
	head := &headLimit{r: c, left: -1}
	return &providerConn{key: key, conn: c, raw: raw, head: head, br: bufio.NewReaderSize(head, 4096), bw: bufio.NewWriterSize(c, 4096)}, false, nil
}

// alive reports a kept connection the provider has not closed or written
// to: anything readable on an idle connection (its end, or bytes nobody
// asked for) makes it unusable, and a request sent on it could be lost.
func (pc *providerConn) alive() bool {
	return pc.br.Buffered() == 0 && pc.raw != nil && idleSocketQuiet(pc.raw)
}

// put keeps pc for the next exchange with its provider.
func (t *syncTransport) put(pc *providerConn) {
	pc.used = time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.idle == nil {
		t.idle = map[string][]*providerConn{}
	}
	if len(t.idle[pc.key]) >= t.maxIdle {
		pc.conn.Close()
		return
	}
	t.idle[pc.key] = append(t.idle[pc.key], pc)
	if t.sweeper == nil {
		t.sweeper = time.AfterFunc(idleTimeout, t.sweep)
	}
}

// sweep closes the connections idle for longer than idleTimeout, and comes
// back while any are kept.
func (t *syncTransport) sweep() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for key, list := range t.idle {
		// Kept in the order they were put back: the old ones first.
		n := 0
		for n < len(list) && time.Since(list[n].used) >= idleTimeout {
			list[n].conn.Close()
			n++
		}
		if t.idle[key] = list[n:]; len(t.idle[key]) == 0 {
			delete(t.idle, key)
		}
	}
	if len(t.idle) > 0 {
		t.sweeper.Reset(idleTimeout)
	} else {
		t.sweeper = nil
	}
}

// CloseIdleConnections closes the kept connections.
func (t *syncTransport) CloseIdleConnections() {
	t.mu.Lock()
	idle := t.idle
	t.idle = nil
	t.mu.Unlock()
	for _, list := range idle {
		for _, pc := range list {
			pc.conn.Close()
		}
	}
	if c, ok := t.fallback.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// exchangeBody is an answer's body: read to its end and closed, it gives
// its connection back for the next exchange; closed before its end, it
// closes the connection (what is left of the answer would be read as the
// next one's).
type exchangeBody struct {
	rc    io.ReadCloser
	t     *syncTransport
	pc    *providerConn
	stop  func() bool
	reuse bool
	eof   bool
	done  bool
}

func (b *exchangeBody) Read(p []byte) (int, error) {
	if b.done {
		return 0, errors.New("read on a closed answer")
	}
	n, err := b.rc.Read(p)
	if err == io.EOF {
		b.eof = true
	}
	return n, err
}

func (b *exchangeBody) Close() error {
	if b.done {
		return nil
	}
	b.done = true
	// stop is false once the caller's context fired: the connection's
	// deadline is then in the past, and it is not kept.
	if b.stop() && b.reuse && (b.eof || b.rc == http.NoBody) {
		if err := b.rc.Close(); err != nil {
			b.pc.conn.Close()
			return err
		}
		b.t.put(b.pc)
		return nil
	}
	// Closed first, so that the body's Close does not read the rest of
	// a long answer.
	b.pc.conn.Close()
	b.rc.Close()
	return nil
}

// gunzipBody inflates a gzip answer asked for by the transport.
type gunzipBody struct {
	body *exchangeBody
	zr   *gzip.Reader
	err  error
}

func (g *gunzipBody) Read(p []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	if g.zr == nil {
		zr, err := gzip.NewReader(g.body)
		if err != nil {
			g.err = err
			return 0, err
		}
		g.zr = zr
	}
	n, err := g.zr.Read(p)
	if err == io.EOF {
		// The gzip stream ended: the body behind it must end too, so
		// that its connection can be kept.
		if _, rerr := g.body.Read(make([]byte, 1)); rerr != io.EOF {
			g.body.reuse = false
		}
	}
	if err != nil {
		g.err = err
	}
	return n, err
}

func (g *gunzipBody) Close() error { return g.body.Close() }

// canonicalAddr is host:port, with the scheme's port when none is given.
func canonicalAddr(scheme, host string) string {
	if _, _, err := net.SplitHostPort(host); err == nil {
		return host
	}
	if scheme == "https" {
		return net.JoinHostPort(strings.Trim(host, "[]"), "443")
	}
	return net.JoinHostPort(strings.Trim(host, "[]"), "80")
}

// ctxErr is the caller's context's error when it ended the exchange.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}
