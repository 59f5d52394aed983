package pg

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"math/rand/v2"
	"net"
	"testing"
	"time"

	"github.com/chaperone/chaperone/internal/sockio"
)

// tcpPair is a loopback connection, both ends read and written raw;
// done ends the first end's writing.
func tcpPair(t *testing.T) (a, b net.Conn, done func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	peer := <-accepted
	if peer == nil {
		t.Fatal("accept failed")
	}
	a, b = sockio.Wrap(c), sockio.Wrap(peer)
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b, func() { c.(*net.TCPConn).CloseWrite() }
}

// Messages of every size around the buffer's go through a relay hop
// (msgWriter, socket, msgReader, copyRaw or readBody, msgWriter, socket)
// byte for byte, written in bursts that end mid-message.
func TestMessagesCrossTheBuffersIntact(t *testing.T) {
	base := buffersOut.Load()
	in1, out1, done1 := tcpPair(t)
	in2, out2, done2 := tcpPair(t)
	rng := rand.New(rand.NewPCG(1, 2))
	var want bytes.Buffer
	var msgs [][]byte
	for _, n := range []int{0, 1, 4, sessionBuffer - 5, sessionBuffer - 1, sessionBuffer, sessionBuffer + 1, 3*sessionBuffer + 7} {
		msgs = append(msgs, make([]byte, n))
	}
	for range 300 {
		msgs = append(msgs, make([]byte, rng.IntN(2*sessionBuffer)))
	}
	for i, m := range msgs {
		for j := range m {
			m[j] = byte(rng.Uint32())
		}
		var hdr [5]byte
		hdr[0] = 'a' + byte(i%26)
		binary.BigEndian.PutUint32(hdr[1:], uint32(len(m)+4))
		want.Write(hdr[:])
		want.Write(m)
	}

	// The sender writes through a msgWriter in bursts of random size.
	go func() {
		w := newMsgWriter(in1)
		src := want.Bytes()
		for len(src) > 0 {
			k := min(len(src), 1+rng.IntN(3*sessionBuffer))
			w.Write(src[:k])
			if rng.IntN(2) == 0 {
				w.Flush()
			}
			src = src[k:]
		}
		w.Flush()
		done1()
	}()
	got := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(out2)
		got <- b
	}()

	r, w := newMsgReader(out1), newMsgWriter(in2)
	for i := 0; ; i++ {
		typ, n, err := readHeader(r)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if i%2 == 0 {
			err = copyRaw(w, r, typ, n)
		} else {
			var body []byte
			if body, err = readBody(r, n, 1<<20); err == nil {
				err = writeRaw(w, typ, body)
			}
		}
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if r.Buffered() == 0 {
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	done2()
	select {
	case b := <-got:
		if !bytes.Equal(b, want.Bytes()) {
			t.Fatalf("relayed %d bytes, sent %d; they differ", len(b), want.Len())
		}
	case <-time.After(time.Minute):
		t.Fatal("the relayed bytes never arrived")
	}
	r.release()
	w.release()
	if out := buffersOut.Load() - base; out != 0 {
		t.Fatalf("%d buffers not given back", out)
	}
}

// A session that waits for its client, or for its upstream, holds no
// buffer: idle clients cost the gateway no buffer memory.
func TestIdleSessionsHoldNoBuffers(t *testing.T) {
	e := setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	base := buffersOut.Load()
	for _, tok := range []string{e.prodToken, e.prodToken2, e.readToken} {
		for range 3 {
			c := e.connect(t, tok, "app-prod")
			var n int
			if err := c.QueryRow(ctx, "SELECT count(*) FROM bookings WHERE id > $1", 10).Scan(&n); err != nil || n != 90 {
				t.Fatalf("count: %d, %v", n, err)
			}
			if _, err := c.Exec(ctx, "SELECT repeat('x', 100000)"); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Each session's goroutines go back to waiting once they have relayed
	// the last answer; wait for that, boundedly.
	for ctx.Err() == nil && buffersOut.Load() != base {
		time.Sleep(10 * time.Millisecond)
	}
	if out := buffersOut.Load() - base; out != 0 {
		t.Fatalf("9 idle sessions hold %d buffers", out)
	}
}
