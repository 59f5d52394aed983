// Package pg is Chaperone's PostgreSQL gateway. Agents connect with a token as
// their password and an upstream's name as the database; the gateway
// authenticates the token over SCRAM, checks that its scope covers the
// upstream, opens the upstream with Chaperone's own credentials, and relays
// the protocol, classifying every statement before it is forwarded. Held
// statements fail with SQLSTATE CP001 and wait for humans; once approved, the
// same token sending the same text runs it exactly once.
package pg

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/chaperone/chaperone/internal/audit"
	"github.com/chaperone/chaperone/internal/backup"
	"github.com/chaperone/chaperone/internal/gate"
	"github.com/chaperone/chaperone/internal/token"
)

// Upstream is a PostgreSQL server behind the gateway.
type Upstream struct {
	Name string
	Env  string
	DSN  string // Chaperone's credentials; never shown to a client
	// MaxConnections bounds the sessions open to it, all tokens together
	// (config.DefaultPGMaxConnectionsPerUpstream when 0).
	MaxConnections int
}

// Gateway serves the PostgreSQL wire protocol.
type Gateway struct {
	// Upstream finds an upstream by the database name a client asked for.
	Upstream func(name string) (Upstream, bool)
	// Tokens lists the tokens whose SCRAM verifiers a client may prove.
	Tokens *token.Manager
	// Gate decides every statement.
	Gate *gate.Gate
	// Backups snapshots what an approved destructive statement touches,
	// when the gate asks for it.
	Backups *backup.Before
	// BackupStatus, when set, says how recently the upstream's backups were
	// proven ("last verified backup 3 h ago"), for the impact estimate.
	BackupStatus func(ctx context.Context, upstream string) string
	// Record audits connections and refused connections.
	Record func(ctx context.Context, ev audit.Event) error
	// TLS, when set, is offered to clients that ask (sslmode=require).
	TLS *tls.Config
	// AllowPlain accepts connections without TLS.
	AllowPlain bool
	// ApproveHint tells a held client where humans approve.
	ApproveHint string
	// MaxConnectionsPerToken bounds one token's open sessions
	// (config.DefaultPGMaxConnectionsPerToken when 0).
	MaxConnectionsPerToken int
	Log                    *slog.Logger

	slots slots
	// resolveWait bounds how long a session waits for the upstream to say
	// where a statement's tables are (30 s when 0).
	resolveWait time.Duration
	cache       classCache
	cancels     sync.Map // uint32 pid -> *cancelTarget
	live        sessions
	ahead       ahead
	funcs       sync.Map // upstream + "\x00" + OID -> schema.name, for fast-path calls
	code        userCode
	// keyEpoch counts statements that could change which table a name
	// resolves to, or its unique indexes: sessions forget what they
	// learnt of unique keys when it moves (uniquekeys.go).
	keyEpoch atomic.Uint64
	wg       sync.WaitGroup
}

// Serve accepts connections until ln is closed, then waits for sessions to
// end or ctx to be done.
func (g *Gateway) Serve(ctx context.Context, ln net.Listener) error {
	wctx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	go g.watchTokens(wctx)
	var mu sync.Mutex
	conns := map[net.Conn]bool{}
	go func() {
		<-ctx.Done()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				g.wg.Wait()
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			return err
		}
		mu.Lock()
		conns[c] = true
		mu.Unlock()
		g.wg.Add(1)
		go func() {
			defer g.wg.Done()
			defer func() {
				mu.Lock()
				delete(conns, c)
				mu.Unlock()
			}()
			g.handle(ctx, c)
		}()
	}
}

// handle runs one client connection from its first byte to its last.
func (g *Gateway) handle(ctx context.Context, conn net.Conn) {
	defer conn.Close()
	defer func() {
		if r := recover(); r != nil {
			// A panic ends this session only; nothing was forwarded for it.
			g.Log.Error("pg session panicked", "panic", r)
		}
	}()
	conn.SetDeadline(time.Now().Add(30 * time.Second)) // the startup phase only
	s, err := g.startup(ctx, conn)
	if err != nil {
		if s != nil {
			s.uncount()
			if s.up != nil {
				s.up.Close()
			}
			// A session that failed after its key was given out (the
			// client gone before it was told it is ready) leaves no key
			// behind, here or in the shared state.
			if s.pid != 0 {
				g.forgetCancel(s.pid)
			}
		}
		if s != nil && s.cw != nil {
			s.cw.Flush()
		}
		if s != nil {
			s.releaseBuffers()
		}
		g.Log.Debug("pg connection refused", "remote", conn.RemoteAddr().String(), "err", err)
		return
	}
	defer s.close()
	g.live.add(s)
	defer g.live.remove(s)
	// A client that reconnects to run what was just approved starts its
	// transaction at once: it must find the approval among those to
	// snapshot ahead, not wait for the next check.
	g.refreshAhead(ctx, aheadFresh)
	s.client.SetDeadline(time.Time{})
	s.relay(ctx)
}

// refuse sends a FATAL error to a client that has not been admitted.
func refuse(w *msgWriter, code, msg string) error {
	send(w, fatal(code, msg))
	w.Flush()
	return errors.New(msg)
}

var _ = pgproto3.AuthTypeSASL
