package approval

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/chaperone/chaperone/internal/audit"
	"github.com/chaperone/chaperone/internal/store"
)

// Second factors: a password alone never approves. Each approver enrolls a
// TOTP secret (RFC 6238: 30-second steps, 6 digits, SHA-1, as every
// authenticator app expects); passkeys come with the web console.
const (
	totpPeriod = 30
	totpSkew   = 1 // steps either side of now, for clocks that drift
	// MaxFailures consecutive wrong codes lock the approver for LockFor.
	MaxFailures = 5
	LockFor     = 15 * time.Minute
)

var (
	// ErrBadCode is a wrong, stale or already used second-factor code.
	ErrBadCode = errors.New("wrong or already used code")
	// ErrLocked is an approver locked after too many wrong codes.
	ErrLocked = errors.New("too many wrong codes: this approver is locked for now")
	// ErrNoFactor is an approver without a second factor, who cannot approve.
	ErrNoFactor = errors.New("this approver has no second factor enrolled: remove and add them again")
)

// NewTOTP makes a TOTP secret for an approver to enroll: show its secret and
// URL (as a QR code), then check a code from the app with CheckCode before
// AddApprover stores it.
func NewTOTP(name string) (*otp.Key, error) {
	return totp.Generate(totp.GenerateOpts{Issuer: "Chaperone", AccountName: name, Period: totpPeriod,
		SecretSize: 20, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
}

// CheckCode reports whether code is valid for secret at now (enrollment),
// and the time step it belongs to: AddApprover is given it, so that the
// code typed to enroll does not approve anything afterwards.
func CheckCode(secret, code string, now time.Time) (int64, bool) {
	return matchStep(secret, code, now, 0)
}

// matchStep finds the time step within the skew whose code is code and which
// is later than after, so that no code is accepted twice.
func matchStep(secret, code string, now time.Time, after int64) (int64, bool) {
	if len(code) != 6 {
		return 0, false
	}
	if _, err := strconv.Atoi(code); err != nil {
		return 0, false
	}
	now0 := now.Unix() / totpPeriod
	found := int64(0)
	for step := now0 - totpSkew; step <= now0+totpSkew; step++ {
		want, err := totp.GenerateCodeCustom(secret, time.Unix(step*totpPeriod, 0), totp.ValidateOpts{
			Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		// Every step is compared, so the time taken does not say which matched.
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && step > after && found == 0 {
			found = step
		}
	}
	return found, found != 0
}

// Verify checks an approver's password and TOTP code: the proof that a human
// is approving. A wrong code is counted, audited and, MaxFailures in a row,
// locks the approver for LockFor; a code is good only once.
func (s *Service) Verify(ctx context.Context, name, password, code string) error {
	if err := s.Authenticate(ctx, name, password); err != nil {
		return err
	}
	return s.VerifyCode(ctx, name, code)
}

// VerifyCode checks the second factor of an approver whose password (or
// session) is already established.
func (s *Service) VerifyCode(ctx context.Context, name, code string) error {
	if s.Secrets == nil {
		return errors.New("approval: no secret box to open TOTP secrets with")
	}
	now := s.now()
	var outcome error
	err := s.Store.Update(ctx, func(tx store.Tx) error {
		a, err := tx.ApproverByName(name)
		if err != nil {
			return err
		}
		if now.Before(a.LockedUntil) {
			outcome = fmt.Errorf("%w (until %s)", ErrLocked, a.LockedUntil.Local().Format(time.TimeOnly))
			return nil
		}
		if a.TOTPSecret == "" {
			outcome = ErrNoFactor
			return nil
		}
		secret, err := s.Secrets.Open(totpSealName(name), a.TOTPSecret)
		if err != nil {
			return fmt.Errorf("opening %s's TOTP secret: %w", name, err)
		}
		if step, ok := matchStep(secret, code, now, a.TOTPLastStep); ok {
			return tx.SetApproverFactor(name, step, 0, time.Time{})
		}
		failures, locked := a.Failures+1, time.Time{}
		outcome = ErrBadCode
		if failures >= MaxFailures {
			failures, locked = 0, now.Add(LockFor)
			outcome = fmt.Errorf("%w (until %s)", ErrLocked, locked.Local().Format(time.TimeOnly))
		}
		if err := tx.SetApproverFactor(name, a.TOTPLastStep, failures, locked); err != nil {
			return err
		}
		data := map[string]any{"approver": name, "failures": a.Failures + 1}
		if !locked.IsZero() {
			data["locked_until"] = locked.UTC().Format(time.RFC3339)
		}
		_, err = audit.Append(tx, audit.Event{Type: audit.ApproverCodeFailed, Actor: "approver:" + name, Data: data}, now)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return ErrBadLogin
	}
	if err != nil {
		return err
	}
	return outcome
}

func totpSealName(approver string) string { return "approver-totp:" + approver }

// AddPasskey stores a WebAuthn credential an approver enrolled (record is
// the credential as JSON) and audits it.
func (s *Service) AddPasskey(ctx context.Context, approver string, id []byte, record string) error {
	now := s.now()
	return s.Store.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.ApproverByName(approver); err != nil {
			return err
		}
		if err := tx.PutPasskey(store.Passkey{ID: id, Approver: approver, Data: record, CreatedAt: now}); err != nil {
			return err
		}
		_, err := audit.Append(tx, audit.Event{Type: audit.ApproverPasskeyAdded, Actor: "approver:" + approver,
			Data: map[string]any{"approver": approver, "credential": fmt.Sprintf("%x", id)}}, now)
		return err
	})
}

// UpdatePasskey records a credential's new state after a use (its sign
// counter), so that a cloned authenticator shows.
func (s *Service) UpdatePasskey(ctx context.Context, approver string, id []byte, record string) error {
	return s.Store.Update(ctx, func(tx store.Tx) error {
		return tx.PutPasskey(store.Passkey{ID: id, Approver: approver, Data: record, CreatedAt: s.now()})
	})
}

// Passkeys returns an approver's enrolled passkeys.
func (s *Service) Passkeys(ctx context.Context, approver string) (list []store.Passkey, err error) {
	err = s.Store.View(ctx, func(tx store.Tx) error {
		list, err = tx.Passkeys(approver)
		return err
	})
	return list, err
}
