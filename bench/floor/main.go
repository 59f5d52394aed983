// Command floor is a proxy that does no work of its own, to show what a Go
// proxy costs on this machine before it reads, judges or records anything:
// the floor under Chaperone's gateways, beside PgBouncer's and nginx's.
//
//   - goroutines: TCP bytes forwarded unread, two goroutines per connection
//     with raw non-blocking system calls (as Chaperone's gateways do), the
//     runtime's poller waking them;
//   - epoll: TCP bytes forwarded unread by one thread over one epoll set,
//     level-triggered, as PgBouncer and nginx run;
//   - http: Go's net/http server and httputil.ReverseProxy, keep-alive to
//     the upstream, the request's Authorization header replaced;
//   - fasthttp: the same with github.com/valyala/fasthttp's server and
//     HostClient, which reuse their buffers and run no goroutine per
//     connection beside the one serving it;
//   - http-transport: net/http's server, each request read whole and sent
//     with http.Transport's RoundTrip called directly (no ReverseProxy);
//   - http-fastclient: the same server, sending with fasthttp's HostClient:
//     with the two above, what net/http's server and its client each cost.
//
// bench/pg.sh and bench/http.sh run it when FLOOR=1.
//
//	floor -listen 127.0.0.1:6000 -upstream 127.0.0.1:5432 -mode epoll
package main

import (
	"bytes"
	"flag"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"runtime"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
	"golang.org/x/sys/unix"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	upstream := flag.String("upstream", "", "address to forward to")
	mode := flag.String("mode", "epoll", "goroutines, epoll, http, fasthttp, http-transport or http-fastclient")
	flag.Parse()
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	switch *mode {
	case "goroutines":
		goroutines(ln, *upstream)
	case "epoll":
		epoll(ln, *upstream)
	case "http":
		reverseProxy(ln, *upstream)
	case "fasthttp":
		fastProxy(ln, *upstream)
	case "http-transport":
		netServer(ln, *upstream, transportClient(*upstream))
	case "http-fastclient":
		netServer(ln, *upstream, fastClient(*upstream))
	default:
		log.Fatalf("unknown mode %q", *mode)
	}
}

func goroutines(ln net.Listener, upstream string) {
	for {
		c, err := ln.Accept()
		if err != nil {
			log.Fatal(err)
		}
		u, err := net.Dial("tcp", upstream)
		if err != nil {
			log.Print(err)
			c.Close()
			continue
		}
		go pipe(c.(*net.TCPConn), u.(*net.TCPConn))
		go pipe(u.(*net.TCPConn), c.(*net.TCPConn))
	}
}

// pipe copies with raw reads and writes: the runtime's poller is only
// asked to wait when a read finds nothing.
func pipe(from, to *net.TCPConn) {
	defer from.Close()
	defer to.Close()
	rf, _ := from.SyscallConn()
	wf, _ := to.SyscallConn()
	buf := make([]byte, 64<<10)
	for {
		var n int
		var rerr error
		err := rf.Read(func(fd uintptr) bool {
			n, rerr = unix.Read(int(fd), buf)
			return rerr != unix.EAGAIN
		})
		if err != nil || rerr != nil || n <= 0 {
			return
		}
		for off := 0; off < n; {
			var m int
			var werr error
			err := wf.Write(func(fd uintptr) bool {
				m, werr = unix.Write(int(fd), buf[off:n])
				return werr != unix.EAGAIN
			})
			if err != nil || werr != nil {
				return
			}
			off += m
		}
	}
}

// epoll runs every connection in this thread: accept, and for each
// readable socket one read and a write of it to its peer (blocking the
// loop if the peer's buffer is full, which small messages never do).
func epoll(ln net.Listener, upstream string) {
	runtime.LockOSThread()
	lf, _ := ln.(*net.TCPListener).File()
	lfd := int(lf.Fd())
	unix.SetNonblock(lfd, true)
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		log.Fatal(err)
	}
	add := func(fd int) {
		if err := unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)}); err != nil {
			log.Fatal(err)
		}
	}
	add(lfd)
	ua, err := net.ResolveTCPAddr("tcp", upstream)
	if err != nil {
		log.Fatal(err)
	}
	sa := &unix.SockaddrInet4{Port: ua.Port}
	copy(sa.Addr[:], ua.IP.To4())
	peer := map[int]int{}
	closeBoth := func(fd int) {
		p := peer[fd]
		unix.Close(fd)
		unix.Close(p)
		delete(peer, fd)
		delete(peer, p)
	}
	buf := make([]byte, 64<<10)
	events := make([]unix.EpollEvent, 128)
	for {
		n, err := unix.EpollWait(ep, events, -1)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			log.Fatal(err)
		}
		for _, ev := range events[:n] {
			fd := int(ev.Fd)
			if fd == lfd {
				c, _, err := unix.Accept4(lfd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
				if err != nil {
					continue
				}
				u, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
				if err == nil {
					err = unix.Connect(u, sa)
				}
				if err != nil {
					unix.Close(c)
					continue
				}
				unix.SetNonblock(u, true)
				unix.SetsockoptInt(c, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
				unix.SetsockoptInt(u, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
				peer[c], peer[u] = u, c
				add(c)
				add(u)
				continue
			}
			p, ok := peer[fd]
			if !ok {
				continue
			}
			m, err := unix.Read(fd, buf)
			if err == unix.EAGAIN {
				continue
			}
			if err != nil || m == 0 {
				closeBoth(fd)
				continue
			}
			if !writeAll(p, buf[:m]) {
				closeBoth(fd)
			}
		}
	}
}

func writeAll(fd int, b []byte) bool {
	for len(b) > 0 {
		m, err := unix.Write(fd, b)
		if err == unix.EAGAIN {
			unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}, -1)
			continue
		}
		if err != nil {
			return false
		}
		b = b[m:]
	}
	return true
}

func reverseProxy(ln net.Listener, upstream string) {
	target := &url.URL{Scheme: "http", Host: upstream}
	p := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			r.Out.URL.Path = strings.TrimPrefix(r.In.URL.Path, "/u/bench")
			r.Out.Header.Set("Authorization", "Bearer BENCH-CREDENTIAL")
		},
		Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: 90 * time.Second},
	}
	log.Fatal(http.Serve(ln, p))
}

func fastProxy(ln net.Listener, upstream string) {
	hc := &fasthttp.HostClient{Addr: upstream, MaxConns: 512}
	log.Fatal(fasthttp.Serve(ln, func(ctx *fasthttp.RequestCtx) {
		req := &ctx.Request
		req.SetRequestURI(strings.TrimPrefix(string(req.URI().Path()), "/u/bench"))
		req.Header.SetHost(upstream)
		req.Header.Set("Authorization", "Bearer BENCH-CREDENTIAL")
		if err := hc.Do(req, &ctx.Response); err != nil {
			ctx.Error(err.Error(), fasthttp.StatusBadGateway)
		}
	}))
}

// roundTripper is what netServer forwards with: the method, path and body
// in, the status, content type and body out.
type roundTripper func(method, path string, body []byte, auth string) (int, string, []byte, error)

// netServer is net/http's server, reading each request whole and writing
// the answer whole, forwarding with rt.
func netServer(ln net.Listener, upstream string, rt roundTripper) {
	log.Fatal(http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		status, ctype, out, err := rt(r.Method, strings.TrimPrefix(r.URL.Path, "/u/bench"), body, "Bearer BENCH-CREDENTIAL")
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		w.Header().Set("Content-Type", ctype)
		w.WriteHeader(status)
		w.Write(out)
	})))
}

func transportClient(upstream string) roundTripper {
	t := &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: 90 * time.Second}
	return func(method, path string, body []byte, auth string) (int, string, []byte, error) {
		req, err := http.NewRequest(method, "http://"+upstream+path, bytes.NewReader(body))
		if err != nil {
			return 0, "", nil, err
		}
		req.Header.Set("Authorization", auth)
		req.Header.Set("Content-Type", "application/json")
		resp, err := t.RoundTrip(req)
		if err != nil {
			return 0, "", nil, err
		}
		defer resp.Body.Close()
		out, err := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type"), out, err
	}
}

func fastClient(upstream string) roundTripper {
	hc := &fasthttp.HostClient{Addr: upstream, MaxConns: 512}
	return func(method, path string, body []byte, auth string) (int, string, []byte, error) {
		req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
		defer fasthttp.ReleaseRequest(req)
		defer fasthttp.ReleaseResponse(resp)
		req.Header.SetMethod(method)
		req.SetRequestURI(path)
		req.Header.SetHost(upstream)
		req.Header.Set("Authorization", auth)
		req.Header.SetContentType("application/json")
		req.SetBody(body)
		if err := hc.Do(req, resp); err != nil {
			return 0, "", nil, err
		}
		return resp.StatusCode(), string(resp.Header.ContentType()), append([]byte(nil), resp.Body()...), nil
	}
}
