package pg

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/chaperone/chaperone/internal/audit"
	"github.com/chaperone/chaperone/internal/logging"
	"github.com/chaperone/chaperone/internal/sockio"
	"github.com/chaperone/chaperone/internal/store"
	"github.com/chaperone/chaperone/internal/token"
)

// passedParams are the startup parameters relayed to the upstream, by
// lower-cased name (PostgreSQL matches setting names without regard to
// case). Anything else a client names is dropped: a startup packet can set
// any server setting, session_replication_role and
// default_transaction_read_only among them. client_encoding and
// standard_conforming_strings are checked and pinned (pin.go).
var passedParams = map[string]string{
	"application_name": "application_name", "datestyle": "DateStyle", "timezone": "TimeZone",
	"intervalstyle": "IntervalStyle", "extra_float_digits": "extra_float_digits", "search_path": "search_path",
	"client_min_messages": "client_min_messages", "bytea_output": "bytea_output",
}

// sessionBuffer is the size of the buffers a session reads and writes
// through (buffers.go lends them only while they hold bytes). Larger
// messages stream through; 8 KiB is twice pgbouncer's pkt_buf, and 4 KiB
// cost about 10% more CPU on bulk COPY.
const sessionBuffer = 8 << 10

// errNoSession ends a connection that asked for no session: a cancel
// request, answered by forwarding it.
var errNoSession = errors.New("a cancel request, not a session")

// startup negotiates TLS, authenticates the token, checks its scope, opens
// the upstream and greets the client as the upstream would.
func (g *Gateway) startup(ctx context.Context, conn net.Conn) (*session, error) {
	conn = sockio.Wrap(conn)
	s := &session{g: g, client: conn}
	s.cr, s.cw = newMsgReader(conn), newMsgWriter(conn)
	params, secure, err := s.negotiate()
	if err != nil || params == nil {
		s.releaseBuffers()
		if err == nil {
			err = errNoSession
		}
		return nil, err
	}
	if !secure && !g.AllowPlain {
		return s, refuse(s.cw, "28000", "this Chaperone listener requires TLS: connect with sslmode=require")
	}
	if r := params["replication"]; r != "" && r != "false" && r != "0" && r != "off" {
		return s, refuse(s.cw, "0A000", "Chaperone does not relay replication connections")
	}
	name := params["database"]
	if name == "" {
		name = params["user"]
	}
	// The token is proven before the upstream is looked up, so that no one
	// without a token learns which upstream names exist.
	tok, err := s.authenticate(ctx, name)
	if err != nil {
		return s, err
	}
	s.tok = tok
	if err := g.acquire(tok.ID, s.upstream); err != nil {
		return s, refuse(s.cw, "53300", "Chaperone: "+err.Error())
	}
	s.counted = true
	if err := s.connectUpstream(ctx, params); err != nil {
		return s, err
	}
	// On the record before the client can use the session.
	if g.Record != nil {
		if err := g.Record(ctx, audit.Event{Type: audit.PGConnect, Actor: "token:" + tok.ID, Data: map[string]string{
			"upstream": s.upstream.Name, "env": s.upstream.Env, "remote": conn.RemoteAddr().String()}}); err != nil {
			g.Log.Warn("recording a gateway connection", "err", err)
		}
	}
	return s, s.ready()
}

// negotiate answers SSL and GSS requests and returns the startup parameters,
// or nil for a cancel request (which it has handled).
func (s *session) negotiate() (map[string]string, bool, error) {
	secure := false
	for {
		code, body, err := readStartup(s.cr)
		if err != nil {
			return nil, false, err
		}
		switch code {
		case sslRequest:
			if secure || s.cr.Buffered() > 0 {
				// Bytes sent before the handshake would be read as if they
				// had come over TLS.
				return nil, false, errors.New("data before the TLS handshake")
			}
			if s.g.TLS == nil {
				s.client.Write([]byte{'N'})
				continue
			}
			s.client.Write([]byte{'S'})
			tc := tls.Server(s.client, s.g.TLS)
			if err := tc.Handshake(); err != nil {
				return nil, false, err
			}
			s.client, secure = tc, true
			s.cr.release()
			s.cw.release()
			s.cr, s.cw = newMsgReader(tc), newMsgWriter(tc)
		case gssRequest:
			s.client.Write([]byte{'N'})
		case cancelCode:
			s.g.cancel(body)
			return nil, false, nil
		default:
			if code>>16 != 3 {
				return nil, false, refuse(s.cw, "0A000", fmt.Sprintf("unsupported frontend protocol %d.%d: Chaperone speaks 3.0", code>>16, code&0xffff))
			}
			params := map[string]string{}
			var unknown []string
			for rest := body; len(rest) > 1; {
				k, r, ok1 := cstring(rest)
				v, r, ok2 := cstring(r)
				if !ok1 || !ok2 {
					return nil, false, refuse(s.cw, "08P01", "malformed startup packet")
				}
				rest = r
				if strings.HasPrefix(k, "_pq_.") {
					// Protocol extensions: none is supported, and each is
					// named back to the client, as PostgreSQL does.
					unknown = append(unknown, k)
					continue
				}
				params[k] = v
			}
			if code != protocol30 || len(unknown) > 0 {
				// A newer 3.x client, or one asking for extensions, is told
				// what this server speaks and goes on with 3.0.
				send(s.cw, &pgproto3.NegotiateProtocolVersion{NewestMinorProtocol: 0, UnrecognizedOptions: unknown})
			}
			return params, secure, nil
		}
	}
}

// authenticate runs SCRAM-SHA-256 with the token as the password and checks
// that the token is usable and covers the upstream.
func (s *session) authenticate(ctx context.Context, upstream string) (store.Token, error) {
	g := s.g
	salt, err := g.Tokens.SCRAMSalt(ctx)
	if err != nil {
		return store.Token{}, refuse(s.cw, "58000", "Chaperone cannot read its state; nothing is admitted until it can")
	}
	send(s.cw, &pgproto3.AuthenticationSASL{AuthMechanisms: []string{"SCRAM-SHA-256"}})
	if err := s.cw.Flush(); err != nil {
		return store.Token{}, err
	}
	var first pgproto3.SASLInitialResponse
	if err := s.readAuth(&first); err != nil {
		return store.Token{}, err
	}
	if first.AuthMechanism != "SCRAM-SHA-256" {
		return store.Token{}, refuse(s.cw, "28000", "unsupported SASL mechanism "+first.AuthMechanism+
			": Chaperone offers SCRAM-SHA-256 only. Channel binding (SCRAM-SHA-256-PLUS, channel_binding=require) binds the password proof to the TLS connection it travels on; "+
			"Chaperone terminates that connection and opens its own to the database, so use channel_binding=prefer or disable and sslmode=verify-full to authenticate Chaperone's certificate")
	}
	srv := &token.SCRAMServer{Salt: salt, Iterations: token.SCRAMIterations}
	serverFirst, err := srv.First(first.Data)
	if err != nil {
		return store.Token{}, refuse(s.cw, "28000", err.Error())
	}
	send(s.cw, &pgproto3.AuthenticationSASLContinue{Data: serverFirst})
	if err := s.cw.Flush(); err != nil {
		return store.Token{}, err
	}
	var final pgproto3.SASLResponse
	if err := s.readAuth(&final); err != nil {
		return store.Token{}, err
	}
	toks, verifiers, err := g.Tokens.Verifiers(ctx)
	if err != nil {
		return store.Token{}, refuse(s.cw, "58000", "Chaperone cannot read its state; nothing is admitted until it can")
	}
	i, serverFinal, err := srv.Final(final.Data, verifiers)
	if err != nil {
		return store.Token{}, refuse(s.cw, "28P01", "authentication failed: the password must be a Chaperone token (chp_...) that has not been revoked")
	}
	tok := toks[i]
	up, ok := g.Upstream(upstream)
	if !ok {
		return tok, refuse(s.cw, "3D000", fmt.Sprintf("upstream %q is not configured in Chaperone (the database name selects the upstream)", logging.Redact(upstream)))
	}
	s.upstream = up
	err = token.Usable(tok, time.Now())
	if err == nil {
		err = token.Covers(tok, s.upstream.Name, s.upstream.Env)
	}
	if err != nil {
		// A real token used where it may not go (expired, revoked, another
		// environment) is what a stolen or misused token looks like: it is
		// audited. Failed proofs are not: anyone can send those.
		s.g.recordRefusal(ctx, tok, s.upstream, err)
		return tok, refuse(s.cw, "28000", err.Error())
	}
	send(s.cw, &pgproto3.AuthenticationSASLFinal{Data: serverFinal})
	return tok, nil
}

type decoder interface{ Decode([]byte) error }

// readAuth reads one password-type ('p') message into m.
func (s *session) readAuth(m decoder) error {
	typ, n, err := readHeader(s.cr)
	if err != nil {
		return err
	}
	if typ != 'p' {
		return refuse(s.cw, "08P01", fmt.Sprintf("expected a SASL response, got message %q", typ))
	}
	body, err := readBody(s.cr, n, maxStartup)
	if err != nil {
		return refuse(s.cw, "08P01", "malformed SASL response")
	}
	if err := m.Decode(body); err != nil {
		return refuse(s.cw, "08P01", "malformed SASL response")
	}
	return nil
}

// connectUpstream opens the upstream with Chaperone's credentials. Its errors
// are logged, not relayed: they can name hosts and users.
func (s *session) connectUpstream(ctx context.Context, params map[string]string) error {
	cfg, err := pgconn.ParseConfig(s.upstream.DSN)
	if err != nil {
		s.g.Log.Error("upstream DSN does not parse", "upstream", s.upstream.Name)
		return refuse(s.cw, "08006", fmt.Sprintf("upstream %s is misconfigured in Chaperone", s.upstream.Name))
	}
	if cfg.ConnectTimeout == 0 || cfg.ConnectTimeout > 10*time.Second {
		cfg.ConnectTimeout = 10 * time.Second
	}
	passed, err := upstreamParams(params)
	if err != nil {
		return refuse(s.cw, "22023", err.Error())
	}
	for k, v := range passed {
		cfg.RuntimeParams[k] = v
	}
	if s.tok.Scope == token.ScopeRead {
		cfg.RuntimeParams["default_transaction_read_only"] = "on"
	}
	dial := cfg.DialFunc
	cfg.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return sockio.Wrap(c), nil
	}
	pc, err := pgconn.ConnectConfig(ctx, cfg)
	if err != nil {
		s.g.Log.Warn("upstream connection failed", "upstream", s.upstream.Name, "err", err)
		return refuse(s.cw, "08006", fmt.Sprintf("upstream %s is unavailable", s.upstream.Name))
	}
	hj, err := pc.Hijack()
	if err != nil {
		pc.Close(ctx)
		return refuse(s.cw, "08006", fmt.Sprintf("upstream %s is unavailable", s.upstream.Name))
	}
	if err := settle(hj); err != nil {
		hj.Conn.Close()
		s.g.Log.Warn("upstream connection failed", "upstream", s.upstream.Name, "err", err)
		return refuse(s.cw, "08006", fmt.Sprintf("upstream %s is unavailable", s.upstream.Name))
	}
	s.up = hj.Conn
	s.ur, s.uw = newMsgReader(hj.Conn), newMsgWriter(hj.Conn)
	s.tx = hj.TxStatus
	s.upstreamPID = hj.PID
	s.pid, s.secret = s.g.registerCancel(cancelTarget{host: hj.Config.Host, port: hj.Config.Port, pid: hj.PID, secret: hj.SecretKey})
	s.params = hj.ParameterStatuses
	if err := s.checkPinned(); err != nil {
		s.g.Log.Warn("upstream session not as pinned", "upstream", s.upstream.Name, "err", err)
		return refuse(s.cw, "08006", fmt.Sprintf("upstream %s did not open the session as Chaperone requires: %v", s.upstream.Name, err))
	}
	return nil
}

// settle makes the hijacked connection safe to read directly. When one of
// pgconn's writes was slow (15 ms, which a loaded machine reaches while
// many sessions connect), pgconn starts a background read on the
// connection; stopping it does not interrupt the read, which then takes the
// upstream's next bytes - the answer to the client's first statement - and
// the session waits forever. One Sync answered through pgconn's own reader
// ends that read; after its ReadyForQuery nothing else is in flight.
func settle(hj *pgconn.HijackedConn) error {
	hj.Conn.SetDeadline(time.Now().Add(10 * time.Second))
	defer hj.Conn.SetDeadline(time.Time{})
	hj.Frontend.Send(&pgproto3.Sync{})
	if err := hj.Frontend.Flush(); err != nil {
		return err
	}
	for {
		m, err := hj.Frontend.Receive()
		if err != nil {
			return err
		}
		switch x := m.(type) {
		case *pgproto3.ReadyForQuery:
			if hj.Frontend.ReadBufferLen() != 0 {
				return fmt.Errorf("the upstream sent more than ReadyForQuery")
			}
			hj.TxStatus = x.TxStatus
			return nil
		case *pgproto3.ErrorResponse:
			return fmt.Errorf("upstream error %s: %s", x.Code, x.Message)
		}
	}
}

// ready tells the client the session is open: authentication done, the
// upstream's parameters, its cancel key, ready for a query.
func (s *session) ready() error {
	msgs := []encoder{&pgproto3.AuthenticationOk{}}
	names := make([]string, 0, len(s.params))
	for k := range s.params {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		msgs = append(msgs, &pgproto3.ParameterStatus{Name: k, Value: s.params[k]})
	}
	msgs = append(msgs, &pgproto3.BackendKeyData{ProcessID: s.pid, SecretKey: s.secret}, &pgproto3.ReadyForQuery{TxStatus: s.tx})
	if err := send(s.cw, msgs...); err != nil {
		return err
	}
	return s.cw.Flush()
}

func randomKey() (uint32, []byte) {
	var b [8]byte
	rand.Read(b[:])
	return binary.BigEndian.Uint32(b[:4]) &^ (1 << 31), b[4:]
}

func (g *Gateway) recordRefusal(ctx context.Context, tok store.Token, up Upstream, reason error) {
	if g.Record == nil {
		return
	}
	if err := g.Record(ctx, audit.Event{Type: audit.PGRefused, Actor: "token:" + tok.ID, Data: map[string]string{
		"upstream": up.Name, "env": up.Env, "reason": reason.Error()}}); err != nil {
		g.Log.Warn("recording a refused connection", "err", err)
	}
}
