package token

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// ErrSCRAM is a malformed or failed SCRAM exchange.
var ErrSCRAM = errors.New("SCRAM authentication failed")

// SCRAMServer is the server side of one SCRAM-SHA-256 exchange (RFC 5802,
// 7677) in which the client may hold any of many tokens. Every token shares
// the deployment salt, so the server can answer before it knows which token
// it is talking to; the client's proof then picks the token out.
type SCRAMServer struct {
	Salt       []byte
	Iterations int
	// Nonce is the server's part of the nonce; random when empty.
	Nonce string

	clientFirstBare string
	serverFirst     string
	nonce           string
}

// First reads the client-first message and returns the server-first one.
// Channel binding is not offered (the mechanism advertised is plain
// SCRAM-SHA-256), so a client that demands it is refused.
func (s *SCRAMServer) First(clientFirst []byte) ([]byte, error) {
	msg := string(clientFirst)
	var bare string
	switch {
	case strings.HasPrefix(msg, "n,,"), strings.HasPrefix(msg, "y,,"):
		bare = msg[3:]
	default:
		return nil, fmt.Errorf("%w: unsupported channel binding or authorization identity", ErrSCRAM)
	}
	var clientNonce string
	for _, attr := range strings.Split(bare, ",") {
		if v, ok := strings.CutPrefix(attr, "r="); ok {
			clientNonce = v
		}
		if strings.HasPrefix(attr, "m=") {
			return nil, fmt.Errorf("%w: unsupported extension", ErrSCRAM)
		}
	}
	if clientNonce == "" {
		return nil, fmt.Errorf("%w: client nonce missing", ErrSCRAM)
	}
	if s.Nonce == "" {
		s.Nonce = base64.RawStdEncoding.EncodeToString(random(18))
	}
	s.clientFirstBare = bare
	s.nonce = clientNonce + s.Nonce
	s.serverFirst = fmt.Sprintf("r=%s,s=%s,i=%d", s.nonce, base64.StdEncoding.EncodeToString(s.Salt), s.Iterations)
	return []byte(s.serverFirst), nil
}

// Final reads the client-final message and checks its proof against each
// verifier in turn. It returns the index of the one that matches and the
// server-final message proving the server knew that verifier too.
func (s *SCRAMServer) Final(clientFinal []byte, verifiers []Verifier) (int, []byte, error) {
	msg := string(clientFinal)
	withoutProof, proofAttr, ok := strings.Cut(msg, ",p=")
	if !ok {
		return -1, nil, fmt.Errorf("%w: proof missing", ErrSCRAM)
	}
	var binding, nonce string
	for _, attr := range strings.Split(withoutProof, ",") {
		if v, ok := strings.CutPrefix(attr, "c="); ok {
			binding = v
		}
		if v, ok := strings.CutPrefix(attr, "r="); ok {
			nonce = v
		}
	}
	if binding != "biws" && binding != "eSws" { // base64 of "n,," and "y,,"
		return -1, nil, fmt.Errorf("%w: unexpected channel binding", ErrSCRAM)
	}
	if subtle.ConstantTimeCompare([]byte(nonce), []byte(s.nonce)) != 1 {
		return -1, nil, fmt.Errorf("%w: nonce mismatch", ErrSCRAM)
	}
	proof, err := base64.StdEncoding.DecodeString(proofAttr)
	if err != nil || len(proof) != sha256.Size {
		return -1, nil, fmt.Errorf("%w: malformed proof", ErrSCRAM)
	}
	authMessage := []byte(s.clientFirstBare + "," + s.serverFirst + "," + withoutProof)
	clientKey := make([]byte, sha256.Size)
	for i, v := range verifiers {
		if len(v.StoredKey) != sha256.Size {
			continue
		}
		sig := hmac.New(sha256.New, v.StoredKey)
		sig.Write(authMessage)
		subtle.XORBytes(clientKey, sig.Sum(nil), proof)
		stored := sha256.Sum256(clientKey)
		if subtle.ConstantTimeCompare(stored[:], v.StoredKey) == 1 {
			srv := hmac.New(sha256.New, v.ServerKey)
			srv.Write(authMessage)
			return i, []byte("v=" + base64.StdEncoding.EncodeToString(srv.Sum(nil))), nil
		}
	}
	return -1, nil, fmt.Errorf("%w: no token matches the proof", ErrSCRAM)
}
