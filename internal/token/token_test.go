package token

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chaperone/chaperone/internal/audit"
	"github.com/chaperone/chaperone/internal/store"
	"github.com/chaperone/chaperone/internal/store/sqlite"
)

var ctx = context.Background()

func manager(t *testing.T) (*Manager, string, *time.Time) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "chaperone.db")
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	m := NewManager(st)
	m.now = func() time.Time { return now }
	return m, path, &now
}

func spec() Spec {
	return Spec{Name: "agent", Env: "staging", Upstreams: []string{"app-staging"}, Scope: ScopeAll, TTL: 8 * time.Hour, Actor: "test"}
}

func TestTokenIsStoredOnlyAsHashAndVerifier(t *testing.T) {
	m, path, _ := manager(t)
	secret, k, err := m.Create(ctx, spec())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, "chp_") || len(secret) != 47 || !strings.HasPrefix(k.ID, "tok_") {
		t.Fatalf("secret %q id %q", secret, k.ID)
	}
	got, err := m.Verify(ctx, secret)
	if err != nil || got.ID != k.ID {
		t.Fatalf("Verify = %+v, %v", got, err)
	}
	// Nothing on disk may contain the token or a usable part of it.
	m.st.Close()
	for _, suffix := range []string{"", "-wal", "-shm"} {
		data, err := os.ReadFile(path + suffix)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		body := secret[len(Prefix):]
		for _, needle := range []string{secret, body[:16], body[20:36]} {
			if bytes.Contains(data, []byte(needle)) {
				t.Fatalf("%s contains the token (or part of it)", filepath.Base(path+suffix))
			}
		}
	}
}

func TestRefusalsSayWhich(t *testing.T) {
	m, _, now := manager(t)
	secret, k, err := m.Create(ctx, spec())
	if err != nil {
		t.Fatal(err)
	}
	last := "A"
	if secret[46] == 'A' {
		last = "B"
	}
	for _, bad := range []string{"", "chp_", "chp_short", "xyz_" + secret[4:], secret[:46] + last} {
		if _, err := m.Verify(ctx, bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("Verify(%q) = %v, want invalid", bad, err)
		}
	}
	*now = now.Add(8 * time.Hour)
	if _, err := m.Verify(ctx, secret); !errors.Is(err, ErrExpired) || !strings.Contains(err.Error(), k.ID+" expired at 2026-11-24T20:00:00Z") {
		t.Fatalf("expired: %v", err)
	}
	*now = now.Add(-time.Hour)
	if _, err := m.Verify(ctx, secret); err != nil {
		t.Fatalf("one hour before expiry: %v", err)
	}
	if err := m.Revoke(ctx, k.ID, "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Verify(ctx, secret); !errors.Is(err, ErrRevoked) || !strings.Contains(err.Error(), "was revoked at") {
		t.Fatalf("revoked: %v", err)
	}
	if err := m.Revoke(ctx, k.ID, "test"); !errors.Is(err, ErrAlreadyRevoked) || !strings.Contains(err.Error(), "was revoked at") {
		t.Fatalf("second revoke: %v", err)
	}
	if err := m.Revoke(ctx, "tok_missing", "test"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revoke unknown: %v", err)
	}
}

func TestNoTTLNeverExpires(t *testing.T) {
	m, _, now := manager(t)
	s := spec()
	s.TTL = 0
	secret, _, err := m.Create(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	*now = now.Add(10 * 365 * 24 * time.Hour)
	if _, err := m.Verify(ctx, secret); err != nil {
		t.Fatal(err)
	}
}

func TestSpecValidation(t *testing.T) {
	m, _, _ := manager(t)
	for _, c := range []struct {
		mut  func(*Spec)
		want string
	}{
		{func(s *Spec) { s.Env = "" }, "needs an environment"},
		{func(s *Spec) { s.Upstreams = nil }, "at least one upstream"},
		{func(s *Spec) { s.Upstreams = []string{"a", ""} }, "empty upstream"},
		{func(s *Spec) { s.Scope = "admin" }, `unknown scope "admin"`},
		{func(s *Spec) { s.TTL = -time.Second }, "negative"},
	} {
		s := spec()
		c.mut(&s)
		if _, _, err := m.Create(ctx, s); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("want %q, got %v", c.want, err)
		}
	}
}

func TestCoversNamesBothEnvironments(t *testing.T) {
	k := store.Token{ID: "tok_1", Env: "staging", Upstreams: []string{"app-staging"}}
	if err := Covers(k, "app-staging", "staging"); err != nil {
		t.Fatal(err)
	}
	err := Covers(k, "app-prod", "production")
	if !errors.Is(err, ErrScope) || !strings.Contains(err.Error(), "token is scoped to staging; upstream app-prod is production") {
		t.Fatalf("got %v", err)
	}
	if err := Covers(k, "other-staging", "staging"); !errors.Is(err, ErrScope) {
		t.Fatalf("unlisted upstream: %v", err)
	}
	k.Upstreams = []string{AnyUpstream}
	if err := Covers(k, "other-staging", "staging"); err != nil {
		t.Fatalf("wildcard: %v", err)
	}
	if err := Covers(k, "app-prod", "production"); !errors.Is(err, ErrScope) {
		t.Fatal("wildcard crossed environments")
	}
}

func TestLifecycleIsAuditedWithoutSecrets(t *testing.T) {
	m, _, _ := manager(t)
	secret, k, _ := m.Create(ctx, spec())
	if err := m.Revoke(ctx, k.ID, "cli:alice"); err != nil {
		t.Fatal(err)
	}
	var types []string
	err := audit.Each(ctx, m.st, 0, func(e store.AuditEntry) error {
		types = append(types, e.Type+"/"+e.Actor)
		if bytes.Contains(e.Data, []byte(secret[4:20])) || !bytes.Contains(e.Data, []byte(k.ID)) {
			t.Errorf("entry %s data: %s", e.Type, e.Data)
		}
		return nil
	})
	if err != nil || strings.Join(types, ",") != "token.created/test,token.revoked/cli:alice" {
		t.Fatalf("audit = %v, %v", types, err)
	}
	if r, _ := audit.Verify(ctx, m.st); !r.OK() {
		t.Fatalf("chain: %+v", r.Break)
	}
}

func TestAllTokensShareTheDeploymentSalt(t *testing.T) {
	m, _, _ := manager(t)
	_, a, _ := m.Create(ctx, spec())
	_, b, _ := m.Create(ctx, spec())
	va, _ := ParseVerifier(a.SCRAM)
	vb, _ := ParseVerifier(b.SCRAM)
	if !bytes.Equal(va.Salt, vb.Salt) || len(va.Salt) != 16 || bytes.Equal(va.StoredKey, vb.StoredKey) {
		t.Fatalf("salts %x %x", va.Salt, vb.Salt)
	}
}

// TestVerifierCompletesRFC7677Exchange checks the verifier against the
// SCRAM-SHA-256 example exchange in RFC 7677 section 3: a server holding only
// the verifier must accept the client's proof and produce the same signature.
func TestVerifierCompletesRFC7677Exchange(t *testing.T) {
	salt, _ := base64.StdEncoding.DecodeString("W22ZaJ0SNY7soEsUEjb6gQ==")
	v, err := NewVerifier("pencil", salt, 4096)
	if err != nil {
		t.Fatal(err)
	}
	round, err := ParseVerifier(v.String())
	if err != nil || !bytes.Equal(round.StoredKey, v.StoredKey) || round.Iterations != 4096 {
		t.Fatalf("round trip: %v", err)
	}
	// The RFC's exchange, run by the server among other tokens' verifiers.
	other, _ := NewVerifier("chp_other", salt, 4096)
	srv := &SCRAMServer{Salt: salt, Iterations: 4096, Nonce: "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"}
	first, err := srv.First([]byte("n,,n=user,r=rOprNGfwEbeRWgbNEkqO"))
	if err != nil || string(first) != "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096" {
		t.Fatalf("server-first %q %v", first, err)
	}
	final := "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
	i, serverFinal, err := srv.Final([]byte(final), []Verifier{other, round})
	if err != nil || i != 1 || string(serverFinal) != "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=" {
		t.Fatalf("server-final %d %q %v", i, serverFinal, err)
	}
	if _, _, err := srv.Final([]byte(final), []Verifier{other}); !errors.Is(err, ErrSCRAM) {
		t.Fatalf("a proof no verifier matches was accepted: %v", err)
	}
	tampered := strings.Replace(final, "p=dHzb", "p=dHzc", 1)
	if _, _, err := srv.Final([]byte(tampered), []Verifier{round}); !errors.Is(err, ErrSCRAM) {
		t.Fatalf("a tampered proof was accepted: %v", err)
	}
	if _, err := (&SCRAMServer{Salt: salt, Iterations: 4096}).First([]byte("p=tls-server-end-point,,n=,r=x")); !errors.Is(err, ErrSCRAM) {
		t.Fatalf("channel binding demanded and accepted: %v", err)
	}
	for _, bad := range []string{"", "SCRAM-SHA-256$x:AA==$AA==:AA==", "SCRAM-SHA-256$4096:AA==$AA==", "md5abc"} {
		if _, err := ParseVerifier(bad); err == nil {
			t.Errorf("ParseVerifier(%q) accepted", bad)
		}
	}
}

// A cached token still expires on time; a revocation through the same
// Manager is seen at once, one made elsewhere within the cache's lifetime.
func TestVerifyCache(t *testing.T) {
	m, path, now := manager(t)
	m.CacheFor(time.Second)
	secret, k, err := m.Create(ctx, spec())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Verify(ctx, secret); err != nil {
		t.Fatal(err)
	}
	*now = now.Add(8*time.Hour - time.Millisecond)
	m.remember(sha256.Sum256([]byte(secret)), k, *now) // fresh in the cache at the edge of expiry
	*now = now.Add(time.Millisecond)
	if _, err := m.Verify(ctx, secret); !errors.Is(err, ErrExpired) {
		t.Fatalf("a cached token past its expiry: %v", err)
	}
	*now = now.Add(-time.Hour)
	// Revoked by another process: the cache answers for at most a second.
	st2, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	other := NewManager(st2)
	if _, err := m.Verify(ctx, secret); err != nil {
		t.Fatal(err)
	}
	if err := other.Revoke(ctx, k.ID, "test"); err != nil {
		t.Fatal(err)
	}
	*now = now.Add(time.Second)
	if _, err := m.Verify(ctx, secret); !errors.Is(err, ErrRevoked) {
		t.Fatalf("revoked elsewhere, a second later: %v", err)
	}
	// Revoked through this Manager: at once.
	secret2, k2, _ := m.Create(ctx, spec())
	m.Verify(ctx, secret2)
	if err := m.Revoke(ctx, k2.ID, "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Verify(ctx, secret2); !errors.Is(err, ErrRevoked) {
		t.Fatalf("revoked here: %v", err)
	}
}
