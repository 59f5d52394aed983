package sandbox

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"
)

// Dialer opens a connection to serve, outside the sandbox.
type Dialer func(ctx context.Context) (net.Conn, error)

// Relay copies each connection accepted on ln (inside the sandbox) to a
// new connection from dial (outside), until ln is closed.
func Relay(ln net.Listener, dial Dialer, log *slog.Logger) {
	serve(ln, log, func(c net.Conn) {
		up, err := dial(context.Background())
		if err != nil {
			log.Warn("run: serve did not answer a connection from the sandbox", "err", err)
			return
		}
		splice(c, up, nil)
	})
}

// ProxyRelay is Relay for the forward proxy, except that a CONNECT to a
// host of allow (the session's own --allow-host list, never an upstream's
// API host) is tunnelled from here: the person who started the session let
// it through for this session only. Everything else goes to serve's proxy,
// which intercepts, tunnels or refuses it.
func ProxyRelay(ln net.Listener, dial Dialer, allow *Allow, log *slog.Logger) {
	serve(ln, log, func(c net.Conn) {
		br := bufio.NewReaderSize(c, 8192)
		c.SetReadDeadline(time.Now().Add(30 * time.Second))
		line, err := br.ReadSlice('\n')
		if err != nil {
			return
		}
		head := string(line)
		if target, ok := allow.connectTarget(head); ok {
			// Read the rest of the request's head; nothing of it goes on.
			for {
				l, err := br.ReadSlice('\n')
				if err != nil {
					return
				}
				if strings.TrimRight(string(l), "\r\n") == "" {
					break
				}
			}
			c.SetReadDeadline(time.Time{})
			up, err := (&net.Dialer{Timeout: 10 * time.Second}).Dial("tcp", target)
			if err != nil {
				io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
				return
			}
			log.Info("run: tunnelled a host this session allows", "host", target)
			if _, err := io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
				up.Close()
				return
			}
			splice(c, up, br)
			return
		}
		c.SetReadDeadline(time.Time{})
		up, err := dial(context.Background())
		if err != nil {
			log.Warn("run: serve's proxy did not answer", "err", err)
			io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
			return
		}
		if _, err := up.Write(line); err != nil {
			up.Close()
			return
		}
		splice(c, up, br)
	})
}

func serve(ln net.Listener, log *slog.Logger, handle func(net.Conn)) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			handle(c)
		}()
	}
}

// splice copies both ways until both sides are done; in, when given, is
// what has already been read from c.
func splice(c, up net.Conn, in io.Reader) {
	defer up.Close()
	if in == nil {
		in = c
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		io.Copy(up, in)
		closeWrite(up)
	}()
	io.Copy(c, up)
	closeWrite(c)
	wg.Wait()
}

func closeWrite(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
		return
	}
	c.Close()
}

// Allow is a session's own list of hosts to tunnel: "host" (port 443),
// "host:port" or "*.domain", never one of Never.
type Allow struct {
	entries []allowEntry
	never   map[string]bool
}

type allowEntry struct {
	host   string
	suffix bool
	port   string
}

// NewAllow reads entries (already checked by the caller's syntax) and the
// hosts that must always reach serve.
func NewAllow(entries, never []string) *Allow {
	a := &Allow{never: map[string]bool{}}
	for _, n := range never {
		a.never[strings.ToLower(strings.TrimSuffix(n, "."))] = true
	}
	for _, e := range entries {
		var en allowEntry
		h := strings.ToLower(e)
		if host, port, err := net.SplitHostPort(h); err == nil {
			h, en.port = host, port
		}
		if rest, ok := strings.CutPrefix(h, "*."); ok {
			h, en.suffix = rest, true
		}
		en.host = strings.TrimSuffix(h, ".")
		a.entries = append(a.entries, en)
	}
	return a
}

// connectTarget reads a request line; a CONNECT to an allowed host gives
// the host:port to dial.
func (a *Allow) connectTarget(line string) (string, bool) {
	if a == nil || len(a.entries) == 0 {
		return "", false
	}
	f := strings.Fields(line)
	if len(f) != 3 || f[0] != "CONNECT" || !strings.HasPrefix(f[2], "HTTP/1.") {
		return "", false
	}
	host, port, err := net.SplitHostPort(f[1])
	if err != nil {
		return "", false
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if a.never[host] || net.ParseIP(host) != nil && !a.exact(host) {
		return "", false
	}
	for _, e := range a.entries {
		if e.port == "" && port != "443" || e.port != "" && e.port != port {
			continue
		}
		if host == e.host && !e.suffix || e.suffix && strings.HasSuffix(host, "."+e.host) {
			return net.JoinHostPort(host, port), true
		}
	}
	return "", false
}

func (a *Allow) exact(host string) bool {
	for _, e := range a.entries {
		if !e.suffix && e.host == host {
			return true
		}
	}
	return false
}
