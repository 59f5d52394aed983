package pg

import (
	"bufio"
	"crypto/subtle"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
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
		if _, taken := g.cancels.LoadOrStore(pid, &t); !taken {
			return pid, secret
		}
	}
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
	v, ok := g.cancels.Load(req.ProcessID)
	if !ok {
		return
	}
	t := v.(*cancelTarget)
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
	w := bufio.NewWriter(c)
	send(w, &pgproto3.CancelRequest{ProcessID: t.pid, SecretKey: t.secret})
	w.Flush()
	// The server closes the connection once it has read the request.
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	c.Read(make([]byte, 1))
}
