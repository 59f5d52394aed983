package sockio

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// pair is a connected TCP or Unix pair, the first end wrapped.
func pair(t *testing.T, network string) (net.Conn, net.Conn) {
	t.Helper()
	addr := "127.0.0.1:0"
	if network == "unix" {
		addr = filepath.Join(t.TempDir(), "s")
	}
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	c, err := net.Dial(network, ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	peer := <-accepted
	if peer == nil {
		t.Fatal("accept failed")
	}
	w := Wrap(c)
	if _, raw := w.(*conn); !raw {
		t.Fatalf("%s socket was not wrapped", network)
	}
	t.Cleanup(func() { w.Close(); peer.Close() })
	return w, peer
}

// Bytes go both ways intact, including a write far larger than the
// socket's buffers (which waits for room in the poller), and the peer's
// close reads as EOF.
func TestRelaysBothWays(t *testing.T) {
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			c, peer := pair(t, network)
			big := bytes.Repeat([]byte("0123456789abcdef"), 1<<18) // 4 MiB
			got := make(chan []byte, 1)
			go func() {
				b, _ := io.ReadAll(io.LimitReader(peer, int64(len(big))))
				got <- b
			}()
			if n, err := c.Write(big); n != len(big) || err != nil {
				t.Fatalf("write: %d, %v", n, err)
			}
			if b := <-got; !bytes.Equal(b, big) {
				t.Fatalf("peer read %d bytes, not what was written", len(b))
			}
			if _, err := peer.Write([]byte("hello")); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 16)
			if n, err := io.ReadFull(c, buf[:5]); n != 5 || err != nil || string(buf[:5]) != "hello" {
				t.Fatalf("read %q, %v", buf[:n], err)
			}
			peer.Close()
			if n, err := c.Read(buf); n != 0 || err != io.EOF {
				t.Fatalf("after the peer closed: %d, %v", n, err)
			}
		})
	}
}

// A read waiting for data ends at its deadline, and at Close from another
// goroutine, with the errors the standard library gives.
func TestWaitsEndAtDeadlineAndClose(t *testing.T) {
	c, _ := pair(t, "tcp")
	c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past its deadline: %v", err)
	}
	c.SetReadDeadline(time.Time{})
	done := make(chan error, 1)
	go func() {
		_, err := c.Read(make([]byte, 1))
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	c.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("read after Close: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not end a waiting read")
	}
}

// Writing to a peer that has gone is an error, not a signal that ends the
// process.
func TestWriteToAGonePeerFails(t *testing.T) {
	c, peer := pair(t, "unix")
	peer.Close()
	var err error
	for i := 0; i < 100 && err == nil; i++ {
		_, err = c.Write([]byte("x"))
	}
	if err == nil {
		t.Fatal("writes to a closed peer kept succeeding")
	}
}

// Anything that is not a plain socket is left as it is.
func TestLeavesOtherConnsAlone(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	if Wrap(a) != a {
		t.Fatal("a pipe was wrapped")
	}
}

// Writers on several goroutines at once each get their bytes through
// whole, as net.Conn promises.
func TestConcurrentWritersKeepTheirBytesWhole(t *testing.T) {
	c, peer := pair(t, "tcp")
	const writers, each = 8, 200
	chunk := func(w int) []byte { return bytes.Repeat([]byte{byte('a' + w)}, 1000) }
	got := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(io.LimitReader(peer, writers*each*1000))
		got <- b
	}()
	done := make(chan struct{})
	for w := range writers {
		go func() {
			defer func() { done <- struct{}{} }()
			for range each {
				if _, err := c.Write(chunk(w)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for range writers {
		<-done
	}
	b := <-got
	if len(b) != writers*each*1000 {
		t.Fatalf("read %d bytes", len(b))
	}
	for i := 0; i < len(b); i += 1000 {
		if !bytes.Equal(b[i:i+1000], bytes.Repeat(b[i:i+1], 1000)) {
			t.Fatalf("writes interleaved at byte %d", i)
		}
	}
}

// Data that arrived while nobody was reading is read at once: a read must
// try the socket before it waits, since the poller forgets readiness that
// came before the wait began.
func TestDataThatArrivedEarlierIsReadAtOnce(t *testing.T) {
	c, peer := pair(t, "tcp")
	buf := make([]byte, 10)
	for _, b := range []string{"a", "b", "c"} {
		if _, err := peer.Write([]byte(b)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if n, err := c.Read(buf); n != 1 || err != nil || string(buf[:1]) != b {
			t.Fatalf("read %q, %v", buf[:n], err)
		}
	}
}

// A lazy read holds no buffer while it waits: the buffer it took for the
// first try (nothing there yet) is given back before the wait, and the
// one it returns holds the data. At EOF, and when Close ends the wait,
// nothing stays taken.
func TestLazyReadsHoldNoBufferWhileWaiting(t *testing.T) {
	c, peer := pair(t, "tcp")
	lr, ok := c.(LazyReader)
	if !ok {
		t.Fatal("a wrapped socket does not read lazily")
	}
	var mu sync.Mutex
	out := 0
	take := func() []byte { mu.Lock(); out++; mu.Unlock(); return make([]byte, 64) }
	give := func([]byte) { mu.Lock(); out--; mu.Unlock() }
	held := func() int { mu.Lock(); defer mu.Unlock(); return out }

	type result struct {
		b   []byte
		n   int
		err error
	}
	done := make(chan result, 1)
	read := func() { b, n, err := lr.ReadLazily(take, give); done <- result{b, n, err} }
	go read()
	time.Sleep(50 * time.Millisecond) // let it reach the poller; either way it must hold nothing
	if h := held(); h != 0 {
		t.Fatalf("a read waiting for data holds %d buffers", h)
	}
	peer.Write([]byte("hello"))
	r := <-done
	if r.err != nil || string(r.b[:r.n]) != "hello" || held() != 1 {
		t.Fatalf("read %q, %v, %d buffers held", r.b[:r.n], r.err, held())
	}
	give(r.b)

	peer.Close()
	go read()
	if r := <-done; r.err != io.EOF || r.b != nil || held() != 0 {
		t.Fatalf("at EOF: %v, buffer %v, %d held", r.err, r.b != nil, held())
	}

	c2, _ := pair(t, "unix")
	lr = c2.(LazyReader)
	go read()
	time.Sleep(20 * time.Millisecond)
	c2.Close()
	select {
	case r := <-done:
		if !errors.Is(r.err, net.ErrClosed) || held() != 0 {
			t.Fatalf("after Close: %v, %d held", r.err, held())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not end a waiting lazy read")
	}
}

// Connections accepted through Listener and opened through Dialer read and
// write raw, and CloseWrite half-closes: the peer reads EOF and can still
// answer.
func TestListenerDialerAndHalfClose(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	wl := Listener(ln)
	defer wl.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := wl.Accept()
		accepted <- c
	}()
	c, err := Dialer((&net.Dialer{}).DialContext)(context.Background(), "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s := <-accepted
	if s == nil {
		t.Fatal("accept failed")
	}
	defer s.Close()
	for _, x := range []net.Conn{c, s} {
		if _, raw := x.(*conn); !raw {
			t.Fatalf("%T is not wrapped", x)
		}
	}
	c.Write([]byte("ping"))
	if err := c.(interface{ CloseWrite() error }).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	if b, err := io.ReadAll(s); err != nil || string(b) != "ping" {
		t.Fatalf("server read %q, %v", b, err)
	}
	s.Write([]byte("pong"))
	s.Close()
	if b, err := io.ReadAll(c); err != nil || string(b) != "pong" {
		t.Fatalf("client read %q, %v after its half-close", b, err)
	}
}
