package token

import (
	"time"

	"github.com/chaperone/chaperone/internal/store"
)

// View is a token as the CLI (token list --json) and the console's API
// show it: everything about it but its secret. A token that never expires
// or was never revoked has null there.
type View struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Env       string     `json:"env"`
	Upstreams []string   `json:"upstreams"`
	Scope     string     `json:"scope"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at"`
	RevokedAt *time.Time `json:"revoked_at"`
	Status    string     `json:"status"`
}

// ViewOf is k as shown at now.
func ViewOf(k store.Token, now time.Time) View {
	return View{ID: k.ID, Name: k.Name, Env: k.Env, Upstreams: k.Upstreams, Scope: k.Scope, CreatedAt: k.CreatedAt,
		ExpiresAt: timePtr(k.ExpiresAt), RevokedAt: timePtr(k.RevokedAt), Status: Status(k, now)}
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
