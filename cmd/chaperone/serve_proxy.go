package main

import (
	"context"
	"log/slog"
	"net"

	"github.com/chaperone/chaperone/internal/audit"
	"github.com/chaperone/chaperone/internal/config"
	gwhttp "github.com/chaperone/chaperone/internal/gateway/http"
	"github.com/chaperone/chaperone/internal/gateway/proxy"
	"github.com/chaperone/chaperone/internal/store"
)

// startProxy builds the forward proxy on the same HTTP gateway as /u/ and
// opens its listener; with listen.proxy empty it returns nothing.
func startProxy(cfg *config.Config, gw *gwhttp.Gateway, st store.Store, log *slog.Logger) (*proxy.Proxy, net.Listener, error) {
	if cfg.Listen.Proxy == "" {
		return nil, nil, nil
	}
	ca, created, err := proxy.LoadOrCreateCA(cfg.StateDir())
	if err != nil {
		return nil, nil, inputErr(err)
	}
	if created {
		cert, _ := proxy.CAPaths(cfg.StateDir())
		log.Info("created the proxy CA: agents' clients must trust it", "cert", cert)
	}
	var ups []proxy.Upstream
	for _, u := range cfg.Upstreams {
		if u.Kind != config.KindHTTP {
			continue
		}
		hosts := u.Hosts
		if len(hosts) == 0 {
			hosts = gwhttp.ProviderHosts(u.Provider)
		}
		ups = append(ups, proxy.Upstream{Name: u.Name, Env: u.Env, URL: u.URL, Hosts: hosts})
	}
	p, err := proxy.New(proxy.Config{Serve: gw.Serve, Tokens: gw.Tokens, Upstreams: ups, AllowHosts: cfg.Proxy.AllowHosts, CA: ca, Log: log,
		Record: func(ctx context.Context, ev audit.Event) error { return audit.Record(ctx, st, ev) }})
	if err != nil {
		return nil, nil, inputErr(err)
	}
	ln, err := listen("forward proxy", cfg.Listen.Proxy, log)
	if err != nil {
		return nil, nil, err
	}
	return p, ln, nil
}
