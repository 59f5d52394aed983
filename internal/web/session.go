package web

import (
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

type sessions struct {
	mu sync.Mutex
	m  map[[32]byte]*session
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// start creates a session for approver and returns the cookie value.
func (ss *sessions) start(approver string, now time.Time) (string, *session) {
	id := randomToken()
	s := &session{approver: approver, csrf: randomToken(), created: now, lastSeen: now, idHashKey: sha256.Sum256([]byte(id))}
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
	return id, s
}

func expired(s *session, now time.Time) bool {
	return now.Sub(s.lastSeen) > idleTimeout || now.Sub(s.created) > maxLifetime
}

// get returns the live session of r's cookie and marks it seen.
func (ss *sessions) get(r *http.Request, now time.Time) *session {
	c, err := r.Cookie(cookieName)
	if err != nil || c.Value == "" {
		return nil
	}
	key := sha256.Sum256([]byte(c.Value))
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

func (ss *sessions) end(s *session) {
	ss.mu.Lock()
	delete(ss.m, s.idHashKey)
	ss.mu.Unlock()
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
