// Package token mints and checks agent tokens. A token is shown once, when it
// is minted; Chaperone keeps only its SHA-256 hash and a SCRAM verifier.
package token

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/chaperone/chaperone/internal/audit"
	"github.com/chaperone/chaperone/internal/store"
)

// Prefix starts every token, so secret scanners and humans can recognise one.
const Prefix = "chp_"

// Scopes, narrowest first.
const (
	ScopeRead  = "read"
	ScopeWrite = "write"
	ScopeAll   = "all"
)

// AnyUpstream in a token's upstream list covers every upstream in its environment.
const AnyUpstream = "*"

// Refusals. Each carries a message saying which case it is.
var (
	ErrInvalid = errors.New("invalid token")
	ErrExpired = errors.New("token expired")
	ErrRevoked = errors.New("token revoked")
	ErrScope   = errors.New("token not scoped for this upstream")
	// ErrAlreadyRevoked is returned when revoking a token twice.
	ErrAlreadyRevoked = errors.New("token already revoked")
)

// Spec is what a new token may do.
type Spec struct {
	Name      string
	Env       string
	Upstreams []string
	Scope     string
	TTL       time.Duration // 0: never expires
	Actor     string        // who minted it, for the audit log
}

// Manager mints, checks and revokes tokens in a store.
type Manager struct {
	st  store.Store
	now func() time.Time

	cacheFor time.Duration
	mu       sync.Mutex
	cache    map[[32]byte]cachedToken
}

type cachedToken struct {
	k  store.Token
	at time.Time
}

// CacheFor makes Verify remember the tokens it found for d, for a gateway
// that checks a token on every request: a revocation made through another
// Manager or process is seen within d; one made through this Manager at
// once. Unknown tokens are never remembered: each is looked up.
func (m *Manager) CacheFor(d time.Duration) *Manager {
	m.cacheFor = d
	return m
}

func (m *Manager) cached(hash [32]byte, now time.Time) (store.Token, bool) {
	if m.cacheFor <= 0 {
		return store.Token{}, false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.cache[hash]
	if age := now.Sub(c.at); !ok || age < 0 || age >= m.cacheFor { // a clock that went back: stale too
		return store.Token{}, false
	}
	return c.k, true
}

func (m *Manager) remember(hash [32]byte, k store.Token, now time.Time) {
	if m.cacheFor <= 0 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cache == nil || len(m.cache) >= 10000 {
		m.cache = map[[32]byte]cachedToken{}
	}
	m.cache[hash] = cachedToken{k, now}
}

func (m *Manager) forget() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cache = nil
}

// NewManager returns a Manager on st.
func NewManager(st store.Store) *Manager {
	return &Manager{st: st, now: time.Now}
}

const saltKey = "scram.salt"

// Create mints a token and returns it with its stored record. The secret is
// returned here and nowhere else, ever.
func (m *Manager) Create(ctx context.Context, s Spec) (string, store.Token, error) {
	if err := validate(s); err != nil {
		return "", store.Token{}, err
	}
	secret := Prefix + base64.RawURLEncoding.EncodeToString(random(32))
	hash := sha256.Sum256([]byte(secret))
	now := m.now().UTC()
	k := store.Token{
		ID: "tok_" + hex.EncodeToString(random(6)), Name: s.Name, Env: s.Env,
		Upstreams: s.Upstreams, Scope: s.Scope, Hash: hash[:], CreatedAt: now,
	}
	if s.TTL > 0 {
		k.ExpiresAt = now.Add(s.TTL)
	}
	err := m.st.Update(ctx, func(tx store.Tx) error {
		salt, err := deploymentSalt(tx)
		if err != nil {
			return err
		}
		v, err := NewVerifier(secret, salt, SCRAMIterations)
		if err != nil {
			return err
		}
		k.SCRAM = v.String()
		if err := tx.InsertToken(k); err != nil {
			return err
		}
		_, err = audit.Append(tx, audit.Event{Type: audit.TokenCreated, Actor: s.Actor, Data: describe(k)}, now)
		return err
	})
	if err != nil {
		return "", store.Token{}, fmt.Errorf("minting token: %w", err)
	}
	return secret, k, nil
}

// deploymentSalt is one SCRAM salt for every token. A PostgreSQL client sends
// no token id before the server must name the salt, so it cannot be per token;
// tokens are 256 random bits, so a shared salt costs nothing against guessing.
func deploymentSalt(tx store.Tx) ([]byte, error) {
	v, ok, err := tx.Meta(saltKey)
	if err != nil {
		return nil, err
	}
	if ok {
		return base64.StdEncoding.DecodeString(v)
	}
	salt := random(16)
	return salt, tx.SetMeta(saltKey, base64.StdEncoding.EncodeToString(salt))
}

func validate(s Spec) error {
	if s.Env == "" {
		return fmt.Errorf("a token needs an environment (--env)")
	}
	if len(s.Upstreams) == 0 {
		return fmt.Errorf("a token needs at least one upstream (--upstream NAME[,NAME], or '*' for all in %s)", s.Env)
	}
	for _, u := range s.Upstreams {
		if u == "" {
			return fmt.Errorf("empty upstream name in %q", strings.Join(s.Upstreams, ","))
		}
	}
	if !slices.Contains([]string{ScopeRead, ScopeWrite, ScopeAll}, s.Scope) {
		return fmt.Errorf("unknown scope %q (want read, write or all)", s.Scope)
	}
	if s.TTL < 0 {
		return fmt.Errorf("ttl must not be negative")
	}
	return nil
}

func random(n int) []byte {
	b := make([]byte, n)
	rand.Read(b) // never fails: crypto/rand panics rather than return weak bytes
	return b
}

// describe is what the audit log records of a token: everything but secrets.
func describe(k store.Token) map[string]any {
	d := map[string]any{"id": k.ID, "name": k.Name, "env": k.Env, "upstreams": k.Upstreams, "scope": k.Scope}
	if !k.ExpiresAt.IsZero() {
		d["expires_at"] = k.ExpiresAt
	}
	return d
}

// Verify checks a presented token and returns its record. It refuses unknown,
// expired and revoked tokens with an error that says which.
func (m *Manager) Verify(ctx context.Context, secret string) (store.Token, error) {
	if !strings.HasPrefix(secret, Prefix) || len(secret) != len(Prefix)+43 {
		return store.Token{}, fmt.Errorf("%w: not a Chaperone token", ErrInvalid)
	}
	hash := sha256.Sum256([]byte(secret))
	now := m.now()
	if k, ok := m.cached(hash, now); ok {
		return k, Usable(k, now)
	}
	var k store.Token
	err := m.st.View(ctx, func(tx store.Tx) (err error) { k, err = tx.TokenByHash(hash[:]); return })
	if errors.Is(err, store.ErrNotFound) {
		return store.Token{}, fmt.Errorf("%w: unknown token", ErrInvalid)
	}
	if err != nil {
		return store.Token{}, fmt.Errorf("checking token: %w", err)
	}
	// The lookup was by hash; compare anyway, in constant time, so that a
	// store that matched loosely can never let a different token through.
	if subtle.ConstantTimeCompare(k.Hash, hash[:]) != 1 {
		return store.Token{}, fmt.Errorf("%w: unknown token", ErrInvalid)
	}
	m.remember(hash, k, now)
	return k, Usable(k, now)
}

// Usable says whether a stored token may be used at time now.
func Usable(k store.Token, now time.Time) error {
	if !k.RevokedAt.IsZero() {
		return fmt.Errorf("%w: token %s was revoked at %s", ErrRevoked, k.ID, k.RevokedAt.Format(time.RFC3339))
	}
	if !k.ExpiresAt.IsZero() && !now.Before(k.ExpiresAt) {
		return fmt.Errorf("%w: token %s expired at %s", ErrExpired, k.ID, k.ExpiresAt.Format(time.RFC3339))
	}
	return nil
}

// Covers says whether token k may reach upstream name, which lives in env.
// The refusal names both environments, so nobody has to guess.
func Covers(k store.Token, name, env string) error {
	if k.Env != env {
		return fmt.Errorf("%w: token is scoped to %s; upstream %s is %s", ErrScope, k.Env, name, env)
	}
	if !slices.Contains(k.Upstreams, name) && !slices.Contains(k.Upstreams, AnyUpstream) {
		return fmt.Errorf("%w: token %s may reach %s, not %s", ErrScope, k.ID, strings.Join(k.Upstreams, ", "), name)
	}
	return nil
}

// Revoke revokes a token for good.
func (m *Manager) Revoke(ctx context.Context, id, actor string) error {
	defer m.forget()
	return m.st.Update(ctx, func(tx store.Tx) error {
		k, err := tx.TokenByID(id)
		if err != nil {
			return err
		}
		if !k.RevokedAt.IsZero() {
			return fmt.Errorf("%w: %s was revoked at %s", ErrAlreadyRevoked, id, k.RevokedAt.Format(time.RFC3339))
		}
		now := m.now().UTC()
		if err := tx.RevokeToken(id, now); err != nil {
			return err
		}
		_, err = audit.Append(tx, audit.Event{Type: audit.TokenRevoked, Actor: actor, Data: map[string]any{"id": id}}, now)
		return err
	})
}

// List returns every token record (no secrets exist to return).
func (m *Manager) List(ctx context.Context) ([]store.Token, error) {
	var ks []store.Token
	err := m.st.View(ctx, func(tx store.Tx) (err error) { ks, err = tx.ListTokens(); return })
	return ks, err
}

// SCRAMSalt returns the deployment's SCRAM salt, creating it on first use, so
// that a server can name it before any token exists.
func (m *Manager) SCRAMSalt(ctx context.Context) ([]byte, error) {
	var salt []byte
	err := m.st.View(ctx, func(tx store.Tx) error {
		v, ok, err := tx.Meta(saltKey)
		if err != nil || !ok {
			return err
		}
		salt, err = base64.StdEncoding.DecodeString(v)
		return err
	})
	if err != nil || salt != nil {
		return salt, err
	}
	err = m.st.Update(ctx, func(tx store.Tx) (err error) { salt, err = deploymentSalt(tx); return })
	return salt, err
}

// Verifiers returns every token (usable or not, so that a refusal can say
// why) with its parsed SCRAM verifier, in matching order.
func (m *Manager) Verifiers(ctx context.Context) ([]store.Token, []Verifier, error) {
	ks, err := m.List(ctx)
	if err != nil {
		return nil, nil, err
	}
	vs := make([]Verifier, len(ks))
	for i, k := range ks {
		vs[i], _ = ParseVerifier(k.SCRAM) // a malformed one matches nothing
	}
	return ks, vs, nil
}

// Status is a token's state at now: active, expired or revoked.
func Status(k store.Token, now time.Time) string {
	switch {
	case !k.RevokedAt.IsZero():
		return "revoked"
	case !k.ExpiresAt.IsZero() && !now.Before(k.ExpiresAt):
		return "expired"
	}
	return "active"
}
