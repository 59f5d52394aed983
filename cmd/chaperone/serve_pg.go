package main

import (
	"context"
	"log/slog"
	"net"
	"time"

	"github.com/chaperone/chaperone/internal/audit"
	"github.com/chaperone/chaperone/internal/backup"
	"github.com/chaperone/chaperone/internal/config"
	"github.com/chaperone/chaperone/internal/gate"
	"github.com/chaperone/chaperone/internal/gateway/pg"
	"github.com/chaperone/chaperone/internal/store"
	"github.com/chaperone/chaperone/internal/tlscert"
	"github.com/chaperone/chaperone/internal/token"
)

// pgGateway builds the PostgreSQL gateway from the checked config: upstream
// DSNs resolved once (serve has already checked every ${VAR}), the TLS
// certificate loaded or generated, plain connections only where allowed.
func pgGateway(cfg *config.Config, g *gate.Gate, st store.Store, drills *backup.Drills, ln net.Listener, log *slog.Logger) (*pg.Gateway, error) {
	ups := map[string]pg.Upstream{}
	for _, u := range cfg.Upstreams {
		if u.Kind != config.KindPostgres {
			continue
		}
		dsn, err := u.Credential(sealOpener(cfg))
		if err != nil {
			return nil, inputErrf("upstream %s: %v", u.Name, err)
		}
		ups[u.Name] = pg.Upstream{Name: u.Name, Env: u.Env, DSN: dsn, MaxConnections: u.MaxConnections}
	}
	tlsCfg, err := tlscert.Config(cfg.TLS.Cert, cfg.TLS.Key, cfg.StateDir())
	if err != nil {
		return nil, inputErr(err)
	}
	lookup := func(name string) (pg.Upstream, bool) { u, ok := ups[name]; return u, ok }
	gw := &pg.Gateway{
		Upstream:    lookup,
		Tokens:      token.NewManager(st),
		Gate:        g,
		Backups:     &backup.Before{Open: func() (backup.Store, error) { return backupStore(cfg) }, Recipient: cfg.Backup.Recipient, Retain: time.Duration(cfg.Backup.Retain)},
		Record:      func(ctx context.Context, ev audit.Event) error { return audit.Record(ctx, st, ev) },
		TLS:         tlsCfg,
		AllowPlain:  isLoopback(ln.Addr()) || cfg.Listen.PGPlain,
		ApproveHint: cfg.Approvals.URL,
		Log:         log,

		MaxConnectionsPerToken: cfg.PG.MaxConnectionsPerToken,
	}
	gw.BackupStatus = backup.Status(drills)
	return gw, nil
}
