package pg

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/chaperone/chaperone/internal/store"
)

// cancelTarget is where a client's cancel request must go: the upstream
// backend serving that client, with the upstream's own key.
type cancelTarget struct {
	host      string
	port      uint16
	pid       uint32
	secret    []byte
	ourSecret []byte
}

// registerCancel gives a session its own backend key (clients never learn the
// upstream's) and remembers where its cancels go.
func (g *Gateway) registerCancel(t cancelTarget) (uint32, []byte) {
	for {
		pid, secret := randomKey()
		t.ourSecret = secret
		if pid == 0 { // 0 is a session without a key
			continue
		}
		if _, taken := g.cancels.LoadOrStore(pid, &t); taken {
			continue
		}
		// Shared with other instances, so that a cancel sent to any of
		// them reaches this session's backend. A key another instance
		// holds is drawn again; a state that cannot take it leaves the
		// key local, as it was.
		err := g.shareCancel(pid, secret, t)
		if errors.Is(err, store.ErrConflict) {
			g.cancels.Delete(pid)
			continue
		}
		return pid, secret
	}
}

func (g *Gateway) cancelStore() store.Store {
	if g.Gate == nil {
		return nil
	}
	return g.Gate.Store
}

func (g *Gateway) shareCancel(pid uint32, secret []byte, t cancelTarget) error {
	st := g.cancelStore()
	if st == nil {
		return nil
	}
	sum := sha256.Sum256(secret)
	return st.Update(context.Background(), func(tx store.Tx) error {
		return tx.PutCancelKey(store.CancelKey{PID: pid, SecretHash: sum[:], Host: t.host, Port: t.port,
			UpstreamPID: t.pid, UpstreamSecret: t.secret, CreatedAt: time.Now()})
	})
}

// forgetCancel drops a session's key, here and in the shared state.
func (g *Gateway) forgetCancel(pid uint32) {
	g.cancels.Delete(pid)
	if st := g.cancelStore(); st != nil {
		st.Update(context.Background(), func(tx store.Tx) error { return tx.DeleteCancelKey(pid) })
	}
}

// sharedCancel finds a key another instance gave out.
func (g *Gateway) sharedCancel(pid uint32, secret []byte) (*cancelTarget, bool) {
	st := g.cancelStore()
	if st == nil {
		return nil, false
	}
	var k store.CancelKey
	if err := st.View(context.Background(), func(tx store.Tx) (err error) { k, err = tx.CancelKey(pid); return }); err != nil {
		return nil, false
	}
	sum := sha256.Sum256(secret)
	if subtle.ConstantTimeCompare(sum[:], k.SecretHash) != 1 {
		return nil, false
	}
	return &cancelTarget{host: k.Host, port: k.Port, pid: k.UpstreamPID, secret: k.UpstreamSecret, ourSecret: secret}, true
}

// cancel forwards a client's CancelRequest to the upstream backend its key
// maps to. A wrong key is ignored, as PostgreSQL ignores it.
func (g *Gateway) cancel(body []byte) {
	var req pgproto3.CancelRequest
	// Decode expects the whole packet after its length: code and keys.
	full := append([]byte{0x04, 0xd2, 0x16, 0x2e}, body...)
	if err := req.Decode(full); err != nil {
		return
	}
	var t *cancelTarget
	if v, ok := g.cancels.Load(req.ProcessID); ok {
		t = v.(*cancelTarget)
	} else if t, ok = g.sharedCancel(req.ProcessID, req.SecretKey); !ok {
		return
	}
	if subtle.ConstantTimeCompare(t.ourSecret, req.SecretKey) != 1 {
		return
	}
	network, addr := "tcp", net.JoinHostPort(t.host, strconv.Itoa(int(t.port)))
	if strings.HasPrefix(t.host, "/") {
		network, addr = "unix", fmt.Sprintf("%s/.s.PGSQL.%d", t.host, t.port)
	}
	c, err := net.DialTimeout(network, addr, 5*time.Second)
	if err != nil {
		g.Log.Warn("forwarding a cancel request", "err", err)
		return
	}
	defer c.Close()
	w := newMsgWriter(c)
	send(w, &pgproto3.CancelRequest{ProcessID: t.pid, SecretKey: t.secret})
	w.Flush()
	// The server closes the connection once it has read the request.
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	c.Read(make([]byte, 1))
}
