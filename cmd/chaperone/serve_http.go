package main

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/chaperone/chaperone/internal/audit"
	"github.com/chaperone/chaperone/internal/config"
	"github.com/chaperone/chaperone/internal/gate"
	gwhttp "github.com/chaperone/chaperone/internal/gateway/http"
	"github.com/chaperone/chaperone/internal/store"
	"github.com/chaperone/chaperone/internal/token"
)

// httpGateway builds the cloud API gateway from the checked config: each
// http upstream with its credential resolved once (serve has checked them).
func httpGateway(cfg *config.Config, g *gate.Gate, st store.Store, log *slog.Logger) (*gwhttp.Gateway, error) {
	ups := map[string]gwhttp.Upstream{}
	for _, u := range cfg.Upstreams {
		if u.Kind != config.KindHTTP {
			continue
		}
		cred, err := u.Credential(sealOpener(cfg))
		if err != nil {
			return nil, inputErrf("upstream %s: %v", u.Name, err)
		}
		up := gwhttp.Upstream{Name: u.Name, Env: u.Env, Provider: u.Provider, URL: u.URL, Credential: cred, Header: u.CredentialHeader}
		if up.Header == "" || http.CanonicalHeaderKey(up.Header) == "Authorization" {
			up.Header, up.Prefix = "Authorization", "Bearer "
		} // else a bare token in its own header (Railway's Project-Access-Token)
		ups[u.Name] = up
	}
	return &gwhttp.Gateway{
		Upstream: func(name string) (gwhttp.Upstream, bool) { u, ok := ups[name]; return u, ok },
		// Checked on every request: remembered for a second (a revocation
		// made elsewhere takes effect within it).
		Tokens:    token.NewManager(st).CacheFor(time.Second),
		Gate:      g,
		MaxBody:   cfg.HTTP.MaxBody,
		HardLimit: config.MaxHTTPBody,
		Log:       log,
		Record:    func(ctx context.Context, ev audit.Event) error { return audit.Record(ctx, st, ev) },
	}, nil
}
