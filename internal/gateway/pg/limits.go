package pg

import (
	"fmt"
	"sync"

	"github.com/chaperone/chaperone/internal/config"
)

// slots counts open sessions by token and by upstream. An agent that
// opens sessions in a loop would otherwise take every connection slot the
// server has, its other clients' included; the limits are checked after
// authentication (so that only a token holder learns them) and before the
// upstream connection is opened.
type slots struct {
	mu        sync.Mutex
	tokens    map[string]int
	upstreams map[string]int
}

func (g *Gateway) acquire(tokID string, up Upstream) error {
	perToken := g.MaxConnectionsPerToken
	if perToken <= 0 {
		perToken = config.DefaultPGMaxConnectionsPerToken
	}
	perUp := up.MaxConnections
	if perUp <= 0 {
		perUp = config.DefaultPGMaxConnectionsPerUpstream
	}
	l := &g.slots
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.tokens == nil {
		l.tokens, l.upstreams = map[string]int{}, map[string]int{}
	}
	if n := l.tokens[tokID]; n >= perToken {
		return fmt.Errorf("token %s already has %d open sessions through Chaperone, its limit (pg_gateway.max_connections_per_token); close one and connect again", tokID, n)
	}
	if n := l.upstreams[up.Name]; n >= perUp {
		return fmt.Errorf("upstream %s already has %d sessions through Chaperone, its limit (upstreams[].max_connections), which keeps slots free for its other clients; close one and connect again", up.Name, n)
	}
	l.tokens[tokID]++
	l.upstreams[up.Name]++
	return nil
}

func (g *Gateway) release(tokID, upstream string) {
	l := &g.slots
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.tokens[tokID]--; l.tokens[tokID] <= 0 {
		delete(l.tokens, tokID)
	}
	if l.upstreams[upstream]--; l.upstreams[upstream] <= 0 {
		delete(l.upstreams, upstream)
	}
}
