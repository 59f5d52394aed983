package approval

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/chaperone/chaperone/internal/audit"
	"github.com/chaperone/chaperone/internal/store"
)

func code(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestPasswordAndCodeBothNeededAndACodeWorksOnce(t *testing.T) {
	s, now := service(t)
	key, err := NewTOTP("alice")
	if err != nil || !strings.HasPrefix(key.URL(), "otpauth://totp/Chaperone:alice?") {
		t.Fatalf("%v %v", key, err)
	}
	if _, ok := CheckCode(key.Secret(), code(t, key.Secret(), *now), *now); !ok {
		t.Fatal("enrollment code refused")
	}
	if _, ok := CheckCode(key.Secret(), "000000x", *now); ok {
		t.Fatal("CheckCode")
	}
	if err := s.AddApprover(ctx, "alice", "correct horse battery", key.Secret(), "cli:root"); err != nil {
		t.Fatal(err)
	}
	// The secret is sealed at rest.
	s.Store.View(ctx, func(tx store.Tx) error {
		a, _ := tx.ApproverByName("alice")
		if !strings.HasPrefix(a.TOTPSecret, "sealed:v1:") || strings.Contains(a.TOTPSecret, key.Secret()) {
			t.Fatalf("stored TOTP secret %q", a.TOTPSecret)
		}
		return nil
	})
	good := code(t, key.Secret(), *now)
	if err := s.Verify(ctx, "alice", "wrong password!", good); !errors.Is(err, ErrBadLogin) {
		t.Fatalf("wrong password: %v", err)
	}
	if err := s.Verify(ctx, "alice", "correct horse battery", good); err != nil {
		t.Fatalf("right password and code: %v", err)
	}
	if err := s.Verify(ctx, "alice", "correct horse battery", good); !errors.Is(err, ErrBadCode) {
		t.Fatalf("the same code twice: %v", err)
	}
	// The previous step's code is still accepted (clock drift) unless a
	// later one has been used; the next step's is accepted once.
	*now = now.Add(30 * time.Second)
	if err := s.VerifyCode(ctx, "alice", code(t, key.Secret(), now.Add(-30*time.Second))); !errors.Is(err, ErrBadCode) {
		t.Fatalf("an older code after a newer one: %v", err)
	}
	if err := s.VerifyCode(ctx, "alice", code(t, key.Secret(), *now)); err != nil {
		t.Fatalf("the next code: %v", err)
	}
	if err := s.VerifyCode(ctx, "alice", code(t, key.Secret(), now.Add(-10*time.Minute))); !errors.Is(err, ErrBadCode) {
		t.Fatalf("a stale code: %v", err)
	}
	if err := s.VerifyCode(ctx, "nobody", good); !errors.Is(err, ErrBadLogin) {
		t.Fatalf("unknown approver: %v", err)
	}
}

func TestWrongCodesAreCountedAuditedAndLock(t *testing.T) {
	s, now := service(t)
	key, _ := NewTOTP("alice")
	if err := s.AddApprover(ctx, "alice", "correct horse battery", key.Secret(), "cli:root"); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < MaxFailures; i++ {
		if err := s.VerifyCode(ctx, "alice", "123456"); !errors.Is(err, ErrBadCode) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	if err := s.VerifyCode(ctx, "alice", "123456"); !errors.Is(err, ErrLocked) {
		t.Fatalf("attempt %d: %v", MaxFailures, err)
	}
	// Locked: even the right code is refused until the lock ends.
	if err := s.VerifyCode(ctx, "alice", code(t, key.Secret(), *now)); !errors.Is(err, ErrLocked) {
		t.Fatalf("right code while locked: %v", err)
	}
	*now = now.Add(LockFor + time.Second)
	if err := s.VerifyCode(ctx, "alice", code(t, key.Secret(), *now)); err != nil {
		t.Fatalf("after the lock: %v", err)
	}
	failed := 0
	s.Store.View(ctx, func(tx store.Tx) error {
		es, _ := tx.AuditEntries(0, 100)
		for _, e := range es {
			if e.Type == "approver.code_failed" {
				failed++
			}
		}
		return nil
	})
	if failed != MaxFailures {
		t.Fatalf("%d failures audited, want %d", failed, MaxFailures)
	}
	if r, err := audit.Verify(ctx, s.Store); err != nil || !r.OK() {
		t.Fatalf("audit %+v %v", r, err)
	}
}

// The code typed to enroll proves the app works; it does not approve
// anything afterwards, within its 30 seconds or the skew around them.
func TestTheEnrollmentCodeIsSpent(t *testing.T) {
	s, now := service(t)
	key, err := NewTOTP("bob")
	if err != nil {
		t.Fatal(err)
	}
	enrolled := code(t, key.Secret(), *now)
	used, ok := CheckCode(key.Secret(), enrolled, *now)
	if !ok {
		t.Fatal("enrollment code refused")
	}
	if err := s.AddEnrolledApprover(ctx, "bob", "correct horse battery", key.Secret(), used, "cli:root"); err != nil {
		t.Fatal(err)
	}
	if err := s.Verify(ctx, "bob", "correct horse battery", enrolled); err == nil {
		t.Fatal("the enrollment code approved")
	}
	*now = now.Add(30 * time.Second)
	if err := s.Verify(ctx, "bob", "correct horse battery", code(t, key.Secret(), *now)); err != nil {
		t.Fatalf("the next code: %v", err)
	}
}
