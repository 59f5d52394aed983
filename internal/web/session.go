package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/chaperone/chaperone/internal/store"
)

// Sessions are approvers signed in with their password. The cookie carries a
// random id; the server keeps only its SHA-256, so a copy of the server's
// memory names no usable cookie. Each session has its own CSRF token.
const (
	cookieName  = "chaperone_session"
	idleTimeout = 30 * time.Minute
	maxLifetime = 12 * time.Hour
)

type session struct {
	approver  string
	csrf      string
	created   time.Time
	lastSeen  time.Time
	idHashKey [32]byte

	mu         sync.Mutex
	ceremonies map[string]*webauthn.SessionData // passkey challenges in flight
}

// setCeremony remembers a passkey challenge for one purpose; takeCeremony
// returns it once. A challenge answered twice is refused.
func (s *session) setCeremony(purpose string, d *webauthn.SessionData) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ceremonies == nil {
		s.ceremonies = map[string]*webauthn.SessionData{}
	}
	s.ceremonies[purpose] = d
}

func (s *session) takeCeremony(purpose string) *webauthn.SessionData {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.ceremonies[purpose]
	delete(s.ceremonies, purpose)
	return d
}

// sessions are kept in the state (only the cookie's hash), so that an
// approver signed in through one instance is signed in at every instance
// sharing it; m holds this instance's copies, for what must stay in one
// process (passkey challenges in flight) and so that one session is one
// value here. Without a store (tests of the console alone) m is all there is.
type sessions struct {
	st store.Store
	mu sync.Mutex
	m  map[[32]byte]*session
}

// touchEvery bounds how often a session's last use is written to the state:
// idle expiry is measured in minutes, and each write takes the state's lock.
const touchEvery = time.Minute

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// start creates a session for approver and returns the cookie value; a
// session the state cannot record is not started.
func (ss *sessions) start(ctx context.Context, approver string, now time.Time) (string, *session, error) {
	id := randomToken()
	s := &session{approver: approver, csrf: randomToken(), created: now, lastSeen: now, idHashKey: sha256.Sum256([]byte(id))}
	if ss.st != nil {
		err := ss.st.Update(ctx, func(tx store.Tx) error {
			if err := tx.DeleteConsoleSessions(now.Add(-idleTimeout), now.Add(-maxLifetime)); err != nil {
				return err
			}
			return tx.PutConsoleSession(store.ConsoleSession{IDHash: s.idHashKey[:], Approver: approver, CSRF: s.csrf, CreatedAt: now, LastSeen: now})
		})
		if err != nil {
			return "", nil, err
		}
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.m == nil {
		ss.m = map[[32]byte]*session{}
	}
	for k, old := range ss.m { // sweep the expired while here
		if expired(old, now) {
			delete(ss.m, k)
		}
	}
	ss.m[s.idHashKey] = s
	return id, s, nil
}

func expired(s *session, now time.Time) bool {
	return now.Sub(s.lastSeen) > idleTimeout || now.Sub(s.created) > maxLifetime
}

// get returns the live session of r's cookie and marks it seen. With a
// store, the state decides: a session ended or expired at another instance
// is ended here too, and a state that cannot be read signs no one in.
func (ss *sessions) get(r *http.Request, now time.Time) *session {
	c, err := r.Cookie(cookieName)
	if err != nil || c.Value == "" {
		return nil
	}
	key := sha256.Sum256([]byte(c.Value))
	if ss.st == nil {
		return ss.getLocal(key, now)
	}
	var rec store.ConsoleSession
	if err := ss.st.View(r.Context(), func(tx store.Tx) (err error) { rec, err = tx.ConsoleSession(key[:]); return }); err != nil {
		ss.forget(key)
		return nil
	}
	s := &session{approver: rec.Approver, csrf: rec.CSRF, created: rec.CreatedAt, lastSeen: rec.LastSeen, idHashKey: key}
	if expired(s, now) {
		ss.forget(key)
		return nil
	}
	if now.Sub(rec.LastSeen) > touchEvery {
		// A failed touch only shortens the session.
		ss.st.Update(r.Context(), func(tx store.Tx) error { return tx.TouchConsoleSession(key[:], now) })
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.m == nil {
		ss.m = map[[32]byte]*session{}
	}
	if mine := ss.m[key]; mine != nil {
		mine.lastSeen = now
		return mine
	}
	s.lastSeen = now
	ss.m[key] = s
	return s
}

func (ss *sessions) getLocal(key [32]byte, now time.Time) *session {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s := ss.m[key]
	if s == nil {
		return nil
	}
	if expired(s, now) {
		delete(ss.m, key)
		return nil
	}
	s.lastSeen = now
	return s
}

func (ss *sessions) forget(key [32]byte) {
	ss.mu.Lock()
	delete(ss.m, key)
	ss.mu.Unlock()
}

// end signs a session out everywhere.
func (ss *sessions) end(ctx context.Context, s *session) {
	if s == nil {
		return
	}
	if ss.st != nil {
		// On failure the cookie is cleared all the same, and the record
		// expires with its idle time.
		ss.st.Update(ctx, func(tx store.Tx) error { return tx.DeleteConsoleSession(s.idHashKey[:]) })
	}
	ss.forget(s.idHashKey)
}

func (s *session) csrfOK(token string) bool {
	return token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(s.csrf)) == 1
}

func setCookie(w http.ResponseWriter, r *http.Request, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
}

// limiter counts failed logins per client address: maxFailures within
// window and that address waits until the oldest falls out of it.
type limiter struct {
	mu       sync.Mutex
	failures map[string][]time.Time
}

const (
	maxFailures = 5
	window      = 5 * time.Minute
)

func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// wait returns how long addr must wait before trying again (0: it may).
func (l *limiter) wait(addr string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	recent := l.prune(addr, now)
	if len(recent) < maxFailures {
		return 0
	}
	return recent[0].Add(window).Sub(now)
}

func (l *limiter) fail(addr string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.failures == nil {
		l.failures = map[string][]time.Time{}
	}
	l.failures[addr] = append(l.prune(addr, now), now)
}

func (l *limiter) prune(addr string, now time.Time) []time.Time {
	list := l.failures[addr]
	for len(list) > 0 && now.Sub(list[0]) > window {
		list = list[1:]
	}
	if len(list) == 0 {
		delete(l.failures, addr)
	} else {
		l.failures[addr] = list
	}
	return list
}

// hasAgentCredential reports a request that carries an Authorization
// header: agents authenticate that way, humans never do here.
func hasAgentCredential(r *http.Request) bool {
	return strings.TrimSpace(r.Header.Get("Authorization")) != ""
}
