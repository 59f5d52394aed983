package http

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// providerServer is a real HTTP server on loopback that counts the
// connections made to it.
func providerServer(t *testing.T, tlsOn bool, h http.HandlerFunc) (*httptest.Server, *atomic.Int64, *syncTransport) {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	var conns atomic.Int64
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	tr := testTransport(t)
	if tlsOn {
		srv.StartTLS()
		pool := x509.NewCertPool()
		pool.AddCert(srv.Certificate())
		tr.tls = &tls.Config{RootCAs: pool}
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return srv, &conns, tr
}

func testTransport(t *testing.T) *syncTransport {
	tr := &syncTransport{dial: (&net.Dialer{Timeout: 5 * time.Second}).DialContext, tls: &tls.Config{},
		fallback: http.DefaultTransport, maxIdle: 4}
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

// rawProvider is a provider on loopback that speaks through serve, byte by
// byte, on each connection it accepts (closed when serve returns); it
// counts the connections.
func rawProvider(t *testing.T, serve func(net.Conn)) (string, *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var conns atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			go func() {
				defer c.Close()
				serve(c)
			}()
		}
	}()
	return "http://" + ln.Addr().String() + "/", &conns
}

func exchangeText(t *testing.T, tr http.RoundTripper, ctx context.Context, method, url, body string) (*http.Response, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the answer: %v", method, url, err)
	}
	return resp, string(b)
}

// Answers come back whole and in order over one kept connection, with
// HTTP and with TLS; what the request carried reached the provider.
func TestTransportKeepsOneConnection(t *testing.T) {
	for _, tlsOn := range []bool{false, true} {
		t.Run(fmt.Sprintf("tls=%v", tlsOn), func(t *testing.T) {
			srv, conns, tr := providerServer(t, tlsOn, func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				if r.URL.Query().Get("chunked") != "" {
					w.(http.Flusher).Flush() // no length: chunked
				}
				fmt.Fprintf(w, "%s %s %s %s", r.Method, r.URL.Path, r.Header.Get("X-Test"), b)
			})
			for i := range 20 {
				url := fmt.Sprintf("%s/p%d", srv.URL, i)
				if i%3 == 0 {
					url += "?chunked=1"
				}
				req, _ := http.NewRequest("POST", url, strings.NewReader(fmt.Sprintf("body%d", i)))
				req.Header.Set("X-Test", "h")
				resp, err := tr.RoundTrip(req)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if want := fmt.Sprintf("POST /p%d h body%d", i, i); string(b) != want || resp.StatusCode != 200 {
					t.Fatalf("answer %d: %d %q, want %q", i, resp.StatusCode, b, want)
				}
			}
			if n := conns.Load(); n != 1 {
				t.Fatalf("%d connections for 20 exchanges, want 1", n)
			}
		})
	}
}

// A kept connection the provider closed is not used: the next exchange
// dials, even for a request that must not be sent twice.
func TestTransportDropsConnectionsTheProviderClosed(t *testing.T) {
	srv, conns, tr := providerServer(t, false, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	exchangeText(t, tr, ctx, "POST", srv.URL, "x")
	srv.CloseClientConnections()
	time.Sleep(50 * time.Millisecond) // the FIN reaches this side
	if _, b := exchangeText(t, tr, ctx, "POST", srv.URL, "x"); b != "ok" {
		t.Fatalf("after the provider closed: %q", b)
	}
	if n := conns.Load(); n != 2 {
		t.Fatalf("%d connections, want 2", n)
	}
}

// An answer closed before its end closes its connection: the rest of it is
// never read as the next exchange's answer.
func TestTransportNeverReadsOneAnswerAsAnother(t *testing.T) {
	big := strings.Repeat("x", 1<<20)
	srv, conns, tr := providerServer(t, false, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/big" {
			io.WriteString(w, big)
			return
		}
		io.WriteString(w, "small")
	})
	req, _ := http.NewRequest("GET", srv.URL+"/big", nil)
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	io.ReadFull(resp.Body, make([]byte, 100))
	resp.Body.Close()
	if _, b := exchangeText(t, tr, ctx, "GET", srv.URL+"/small", ""); b != "small" {
		t.Fatalf("the next answer: %q", b[:min(len(b), 40)])
	}
	if n := conns.Load(); n != 2 {
		t.Fatalf("%d connections, want 2", n)
	}
}

// Bytes a provider sends while nobody asked (a second answer planted after
// the first) make its connection unusable.
func TestTransportRefusesUnaskedBytes(t *testing.T) {
	url, conns := rawProvider(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		for {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			io.Copy(io.Discard, req.Body)
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nreal")
			time.Sleep(20 * time.Millisecond)
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nforged")
		}
	})
	tr := testTransport(t)
	for i := range 3 {
		if _, b := exchangeText(t, tr, ctx, "POST", url, "q"); b != "real" {
			t.Fatalf("exchange %d got %q", i, b)
		}
		time.Sleep(60 * time.Millisecond)
	}
	if n := conns.Load(); n != 3 {
		t.Fatalf("%d connections, want 3 (none reused after unasked bytes)", n)
	}
}

// gzip is asked for and inflated, as net/http's transport does, so that the
// answer can be searched; the connection is kept after it. Informational
// answers before the final one are skipped.
func TestTransportInflatesAndSkipsInformational(t *testing.T) {
	srv, conns, tr := providerServer(t, false, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</x>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		if r.Header.Get("Accept-Encoding") != "gzip" {
			io.WriteString(w, "not asked for gzip")
			return
		}
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		io.WriteString(zw, "inflated answer")
		zw.Close()
	})
	for range 3 {
		resp, b := exchangeText(t, tr, ctx, "POST", srv.URL, "q")
		if b != "inflated answer" || resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "" || !resp.Uncompressed {
			t.Fatalf("%d %q %v", resp.StatusCode, b, resp.Header)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Fatalf("%d connections, want 1", n)
	}
	// A caller that asks for an encoding itself gets the bytes as sent.
	req, _ := http.NewRequest("POST", srv.URL, strings.NewReader("q"))
	req.Header.Set("Accept-Encoding", "identity")
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "not asked for gzip" {
		t.Fatalf("%q", b)
	}
}

// A caller that gives up ends the exchange at once, and its connection is
// not kept.
func TestTransportStopsWhenTheCallerGivesUp(t *testing.T) {
	release := make(chan struct{})
	srv, conns, tr := providerServer(t, false, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/slow-head":
			<-release
		case "/hang":
			w.WriteHeader(200)
			w.(http.Flusher).Flush()
			<-release
			return
		}
		io.WriteString(w, "ok")
	})
	defer close(release)
	// While waiting for the head.
	gone, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(gone, "GET", srv.URL+"/slow-head", nil)
	done := make(chan error, 1)
	go func() { _, err := tr.RoundTrip(req); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("a caller that gave up waiting for the head: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the exchange did not stop when its caller gave up")
	}
	// While reading the body.
	gone2, cancel2 := context.WithCancel(ctx)
	req, _ = http.NewRequestWithContext(gone2, "GET", srv.URL+"/hang", nil)
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	read := make(chan error, 1)
	go func() { _, err := io.ReadAll(resp.Body); read <- err }()
	cancel2()
	select {
	case err := <-read:
		if err == nil {
			t.Fatal("a body cut off by its caller read as whole")
		}
	case <-time.After(time.Minute):
		t.Fatal("reading the body did not stop when its caller gave up")
	}
	resp.Body.Close()
	if _, b := exchangeText(t, tr, ctx, "GET", srv.URL+"/", ""); b != "ok" {
		t.Fatalf("after: %q", b)
	}
	if n := conns.Load(); n != 3 {
		t.Fatalf("%d connections, want 3 (none kept after its caller gave up)", n)
	}
}

// A header that could end the request's head early never leaves, as with
// net/http's transport.
func TestTransportRefusesHeadersThatSplitTheHead(t *testing.T) {
	srv, conns, tr := providerServer(t, false, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	for _, h := range []http.Header{
		{"X-A": {"v\r\nX-Injected: 1"}},
		{"X-A": {"v\nGET /other HTTP/1.1"}},
		{"X-A\r\nX-Injected": {"1"}},
		{"X A": {"1"}},
	} {
		req, _ := http.NewRequest("GET", srv.URL, nil)
		req.Header = h
		if resp, err := tr.RoundTrip(req); err == nil {
			resp.Body.Close()
			t.Fatalf("%q was sent", h)
		}
	}
	if n := conns.Load(); n != 0 {
		t.Fatalf("%d connections made for refused requests", n)
	}
}

// A provider that never ends its answer's head gets an error once the head
// passes a bound, not the gateway's memory.
func TestTransportBoundsTheAnswersHead(t *testing.T) {
	var wrote atomic.Int64
	url, _ := rawProvider(t, func(c net.Conn) {
		http.ReadRequest(bufio.NewReader(c))
		io.WriteString(c, "HTTP/1.1 200 OK\r\n")
		line := "X-A: " + strings.Repeat("a", 64<<10) + "\r\n"
		for wrote.Load() < 256<<20 { // far more than any bound
			n, err := io.WriteString(c, line)
			wrote.Add(int64(n))
			if err != nil {
				return
			}
		}
	})
	req, _ := http.NewRequest("GET", url, nil)
	resp, err := testTransport(t).RoundTrip(req)
	if err == nil {
		resp.Body.Close()
		t.Fatal("an endless head was taken for an answer")
	}
	if !strings.Contains(err.Error(), "head over") {
		t.Fatalf("an endless head: %v", err)
	}
	if w := wrote.Load(); w >= 256<<20 {
		t.Fatalf("the whole endless head was read (%d bytes)", w)
	}
}
