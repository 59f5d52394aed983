package main

import (
	"context"
	"log/slog"
	"net"
	"path/filepath"

	"github.com/chaperone/chaperone/internal/approval"
	"github.com/chaperone/chaperone/internal/audit"
	"github.com/chaperone/chaperone/internal/config"
	"github.com/chaperone/chaperone/internal/gateway/pg"
	"github.com/chaperone/chaperone/internal/policy"
	"github.com/chaperone/chaperone/internal/store"
	"github.com/chaperone/chaperone/internal/tlscert"
	"github.com/chaperone/chaperone/internal/token"
)

// pgGateway builds the PostgreSQL gateway from the checked config: upstream
// DSNs resolved once (serve has already checked every ${VAR}), the TLS
// certificate loaded or generated, plain connections only where allowed.
func pgGateway(cfg *config.Config, eng *policy.Engine, st store.Store, approvals *approval.Service, ln net.Listener, log *slog.Logger) (*pg.Gateway, error) {
	ups := map[string]pg.Upstream{}
	for _, u := range cfg.Upstreams {
		if u.Kind != "postgres" {
			continue
		}
		dsn, err := u.Credential(sealOpener(cfg))
		if err != nil {
			return nil, inputErrf("upstream %s: %v", u.Name, err)
		}
		ups[u.Name] = pg.Upstream{Name: u.Name, Env: u.Env, DSN: dsn}
	}
	tlsCfg, err := tlscert.Config(cfg.TLS.Cert, cfg.TLS.Key, filepath.Dir(cfg.State.Path))
	if err != nil {
		return nil, inputErr(err)
	}
	lookup := func(name string) (pg.Upstream, bool) { u, ok := ups[name]; return u, ok }
	gw := &pg.Gateway{
		Upstream:    lookup,
		Tokens:      token.NewManager(st),
		Decide:      eng.Decide,
		Approvals:   approvals,
		Record:      func(ctx context.Context, ev audit.Event) error { return audit.Record(ctx, st, ev) },
		TLS:         tlsCfg,
		AllowPlain:  isLoopback(ln.Addr()) || cfg.Listen.PGPlain,
		ApproveHint: cfg.Approvals.URL,
		Log:         log,
	}
	gw.BackupStatus = backupStatus(st)
	if cfg.Backup.SnapshotBeforeDestructive() {
		gw.BeforeDestructive = snapshotBeforeDestructive(cfg, st, lookup, log)
	}
	return gw, nil
}
