package token

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// SCRAMIterations is PostgreSQL's default; every SCRAM client accepts it.
const SCRAMIterations = 4096

// Verifier is a SCRAM-SHA-256 verifier (RFC 7677), the only form in which the
// PostgreSQL gateway knows a token: it proves a client holds the token without
// ever holding it.
type Verifier struct {
	Iterations int
	Salt       []byte
	StoredKey  []byte
	ServerKey  []byte
}

// NewVerifier derives the verifier for secret. Tokens are ASCII, so SASLprep
// leaves them unchanged.
func NewVerifier(secret string, salt []byte, iterations int) (Verifier, error) {
	salted, err := pbkdf2.Key(sha256.New, secret, salt, iterations, sha256.Size)
	if err != nil {
		return Verifier{}, err
	}
	clientKey := mac(salted, "Client Key")
	stored := sha256.Sum256(clientKey)
	return Verifier{Iterations: iterations, Salt: salt, StoredKey: stored[:], ServerKey: mac(salted, "Server Key")}, nil
}

func mac(key []byte, msg string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(msg))
	return h.Sum(nil)
}

var b64 = base64.StdEncoding

// String encodes the verifier the way PostgreSQL stores one in pg_authid:
// SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>.
func (v Verifier) String() string {
	return fmt.Sprintf("SCRAM-SHA-256$%d:%s$%s:%s", v.Iterations, b64.EncodeToString(v.Salt),
		b64.EncodeToString(v.StoredKey), b64.EncodeToString(v.ServerKey))
}

// ParseVerifier reads the form String writes.
func ParseVerifier(s string) (Verifier, error) {
	bad := fmt.Errorf("malformed SCRAM verifier")
	rest, ok := strings.CutPrefix(s, "SCRAM-SHA-256$")
	if !ok {
		return Verifier{}, bad
	}
	params, keys, ok := strings.Cut(rest, "$")
	if !ok {
		return Verifier{}, bad
	}
	iter, salt, ok1 := strings.Cut(params, ":")
	stored, server, ok2 := strings.Cut(keys, ":")
	if !ok1 || !ok2 {
		return Verifier{}, bad
	}
	var v Verifier
	var err error
	if v.Iterations, err = strconv.Atoi(iter); err != nil || v.Iterations < 1 {
		return Verifier{}, bad
	}
	for _, f := range []struct {
		dst *[]byte
		src string
	}{{&v.Salt, salt}, {&v.StoredKey, stored}, {&v.ServerKey, server}} {
		if *f.dst, err = b64.DecodeString(f.src); err != nil {
			return Verifier{}, bad
		}
	}
	return v, nil
}
