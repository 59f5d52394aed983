package token

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
)

// FromHeader is what an HTTP request presents as its token: a bearer
// token, or the header Railway's project tokens travel in (so that the
// provider's own clients, given a Chaperone token, send it unchanged).
// Every entry point that reads a token from HTTP reads it here, so that a
// request is routed by the same token it is checked with.
func FromHeader(h http.Header) string {
	if v, ok := strings.CutPrefix(h.Get("Authorization"), "Bearer "); ok {
		return strings.TrimSpace(v)
	}
	return strings.TrimSpace(h.Get("Project-Access-Token"))
}

// Fingerprint names a credential in the audit log without revealing it.
func Fingerprint(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return "sha256:" + hex.EncodeToString(sum[:6])
}
