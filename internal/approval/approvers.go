package approval

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/chaperone/chaperone/internal/audit"
	"github.com/chaperone/chaperone/internal/store"
)

// ErrBadLogin is a wrong approver name or password; which one is not said.
var ErrBadLogin = errors.New("wrong approver name or password")

// MinPassword is the shortest password an approver may set.
const MinPassword = 12

// argon2id parameters (RFC 9106's second recommended option, with more
// passes): 64 MiB, 3 passes, 2 lanes.
const (
	argonTime    = 3
	argonMemory  = 64 * 1024
	argonThreads = 2
	argonKeyLen  = 32
)

var approverName = regexp.MustCompile(`^[a-z][a-z0-9._-]{0,62}$`)

// AddApprover creates a human approver with a password (stored as argon2id)
// and the TOTP secret they enrolled (stored sealed; see NewTOTP).
func (s *Service) AddApprover(ctx context.Context, name, password, totpSecret, actor string) error {
	return s.AddEnrolledApprover(ctx, name, password, totpSecret, 0, actor)
}

// AddEnrolledApprover is AddApprover for an approver who proved the secret
// with the code of time step used (CheckCode): that code, and any earlier,
// is spent.
func (s *Service) AddEnrolledApprover(ctx context.Context, name, password, totpSecret string, used int64, actor string) error {
	if !approverName.MatchString(name) {
		return fmt.Errorf("bad approver name %q (want lowercase letters, digits, . _ -, starting with a letter)", name)
	}
	if utf8.RuneCountInString(password) < MinPassword {
		return fmt.Errorf("password too short: at least %d characters", MinPassword)
	}
	if totpSecret == "" || s.Secrets == nil {
		return ErrNoFactor
	}
	sealed, err := s.Secrets.Seal(totpSealName(name), totpSecret)
	if err != nil {
		return err
	}
	hash := hashPassword(password)
	return s.Store.Update(ctx, func(tx store.Tx) error {
		if err := tx.InsertApprover(store.Approver{Name: name, Password: hash, CreatedAt: s.now(), TOTPSecret: sealed, TOTPLastStep: used}); err != nil {
			return err
		}
		_, err := audit.Append(tx, audit.Event{Type: audit.ApproverAdded, Actor: actor, Data: map[string]string{"approver": name}}, s.now())
		return err
	})
}

// RemoveApprover deletes an approver.
func (s *Service) RemoveApprover(ctx context.Context, name, actor string) error {
	return s.Store.Update(ctx, func(tx store.Tx) error {
		if err := tx.DeleteApprover(name); err != nil {
			return err
		}
		_, err := audit.Append(tx, audit.Event{Type: audit.ApproverRemoved, Actor: actor, Data: map[string]string{"approver": name}}, s.now())
		return err
	})
}

// Approvers lists approvers (names and creation times; hashes stay inside).
func (s *Service) Approvers(ctx context.Context) (list []store.Approver, err error) {
	err = s.Store.View(ctx, func(tx store.Tx) error {
		list, err = tx.ListApprovers()
		return err
	})
	for i := range list {
		list[i].Password = ""
		if list[i].TOTPSecret != "" {
			list[i].TOTPSecret = "enrolled"
		}
	}
	return list, err
}

// Authenticate checks an approver's password. An unknown name costs the same
// hashing as a known one, so timing does not tell names apart.
func (s *Service) Authenticate(ctx context.Context, name, password string) error {
	var a store.Approver
	err := s.Store.View(ctx, func(tx store.Tx) error {
		var err error
		a, err = tx.ApproverByName(name)
		return err
	})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if err != nil {
		checkPassword(dummyHash(), password)
		return ErrBadLogin
	}
	if !checkPassword(a.Password, password) {
		return ErrBadLogin
	}
	return nil
}

// dummyHash makes a login with an unknown name take as long as one with a
// wrong password. It is computed on first use: at package init it would cost
// every process 64 MiB and a tenth of a second, and raise the gateway's
// garbage-collection target for good.
var dummyHash = sync.OnceValue(func() string { return hashPassword("chaperone-dummy-password") })

// argonSlots bounds the argon2id computations running at once: each takes
// 64 MiB, and a burst of sign-in attempts from many addresses must queue,
// not exhaust the memory of the process that also runs the gateway.
var argonSlots = make(chan struct{}, 2)

// inArgonSlot, when set (tests), runs while a slot is held.
var inArgonSlot func()

func argonKey(password, salt []byte, t, mem uint32, threads uint8, n uint32) []byte {
	argonSlots <- struct{}{}
	defer func() { <-argonSlots }()
	if inArgonSlot != nil {
		inArgonSlot()
	}
	return argon2.IDKey(password, salt, t, mem, threads, n)
}

func hashPassword(password string) string {
	salt := make([]byte, 16)
	rand.Read(salt)
	key := argonKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// checkPassword verifies password against a PHC argon2id string, with the
// parameters the string records.
func checkPassword(phc, password string) bool {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var mem uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &t, &p); err != nil {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := argonKey([]byte(password), salt, t, mem, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}
