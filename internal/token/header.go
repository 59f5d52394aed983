package token

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"
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

// CGIName is a header's name as servers that map headers to CGI variables
// read it: case folded, '_' as '-' (X_Api_Key is X-Api-Key).
func CGIName(name string) string {
	return strings.ToLower(strings.ReplaceAll(name, "_", "-"))
}

// credentialHeaders are where provider clients send a credential, named as
// CGIName gives them.
var credentialHeaders = []string{"authorization", "project-access-token", "team-access-token", "x-api-key", "proxy-authorization"}

// Stray finds a credential beside the token a request presents (secret,
// from FromHeader): a value in a credential header that is not that token,
// such as a provider's own token the agent found, or a second
// Authorization header. Header names are read as servers read them
// (CGIName). Such a request is refused and recorded, not forwarded with the
// stray value dropped.
func Stray(h http.Header, secret string) (header, value string, found bool) {
	seen := 0 // the token itself may be sent once: a second copy is a second header
	for k, vs := range h {
		if !slices.Contains(credentialHeaders, CGIName(k)) {
			continue
		}
		for _, v := range vs {
			v = strings.TrimSpace(v)
			if b, ok := strings.CutPrefix(v, "Bearer "); ok {
				v = strings.TrimSpace(b)
			}
			if v != "" && v != secret {
				return k, v, true
			}
			if v == secret {
				if seen++; seen > 1 {
					return k, v, true
				}
			}
		}
	}
	return "", "", false
}

// Fingerprint names a credential in the audit log without revealing it.
func Fingerprint(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return "sha256:" + hex.EncodeToString(sum[:6])
}
