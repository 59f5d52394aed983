package main

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"

	"github.com/chaperone/chaperone/internal/audit"
	"github.com/chaperone/chaperone/internal/backup"
	"github.com/chaperone/chaperone/internal/config"
	"github.com/chaperone/chaperone/internal/gate"
	"github.com/chaperone/chaperone/internal/hook/judge"
	"github.com/chaperone/chaperone/internal/hook/server"
	"github.com/chaperone/chaperone/internal/idlemem"
	"github.com/chaperone/chaperone/internal/notify"
	"github.com/chaperone/chaperone/internal/sockio"
	"github.com/chaperone/chaperone/internal/store"
	"github.com/chaperone/chaperone/internal/tlscert"
	"github.com/chaperone/chaperone/internal/token"
	"github.com/chaperone/chaperone/internal/web"
)

func (a *app) serveCommand() *cobra.Command {
	var httpListen, pgListen, proxyListen string
	cmd := &cobra.Command{
		Use:   "serve [--pg-listen ADDR] [--http-listen ADDR] [--proxy-listen ADDR]",
		Short: "Run Chaperone's listeners until interrupted",
		Long: `serve checks the whole config (secrets included), compiles the policy and
opens the state before it listens anywhere: an invalid config starts
nothing. The PostgreSQL gateway (listen.pg) admits chp_ tokens and relays
to the configured postgres upstreams, holding what the policy holds. The
HTTP listener serves /healthz (alive), /readyz (ready for new
sessions: the state answers at the known schema, every secret resolves)
and /metrics. The hook socket (listen.hook)
answers agent hooks, and records each decision in the audit log. The
forward proxy (listen.proxy) gates agents' HTTPS to the upstreams' API
hosts with the CA in the state directory (created on first use), tunnels
the hosts in proxy.allow_hosts, and refuses every other.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, eng, st, err := a.setup(cmd.Context(), true)
			if err != nil {
				return err
			}
			defer st.Close()
			log, err := a.logger(cfg)
			if err != nil {
				return err
			}
			for _, o := range []struct {
				flag, value string
				dst         *string
			}{
				{"--http-listen", httpListen, &cfg.Listen.HTTP}, {"--pg-listen", pgListen, &cfg.Listen.PG},
			} {
				if o.value == "" {
					continue
				}
				if err := config.CheckAddr(o.value); err != nil {
					return inputErrf("%s: %v", o.flag, err)
				}
				*o.dst = o.value
			}
			if cmd.Flags().Changed("proxy-listen") {
				if proxyListen != "" {
					if err := config.CheckAddr(proxyListen); err != nil {
						return inputErrf("--proxy-listen: %v", err)
					}
				}
				cfg.Listen.Proxy = proxyListen // "" turns the proxy off
			}
			ln, err := listen("HTTP", cfg.Listen.HTTP, log)
			if err != nil {
				return err
			}
			defer ln.Close()
			// Raw socket calls keep a request's goroutine on its processor
			// (sockio): on a small machine the hand-offs of blocking calls
			// cost more than the proxying.
			ln = sockio.Listener(ln)
			if cfg.Listen.HTTPTLS {
				tlsCfg, err := tlscert.Config(cfg.TLS.Cert, cfg.TLS.Key, cfg.StateDir())
				if err != nil {
					return inputErr(err)
				}
				ln = tls.NewListener(ln, tlsCfg)
			}
			pgLn, err := listen("PostgreSQL", cfg.Listen.PG, log)
			if err != nil {
				return err
			}
			defer pgLn.Close()
			// One approval service for the gateway that holds and the console
			// that decides, so that the console hears of every change.
			approvals := a.approvalService(cfg, st)
			notifier := &notify.Notifier{ConsoleURL: cfg.Approvals.URL, Log: log}
			for _, h := range cfg.Approvals.Webhooks {
				u, _ := h.URL.Resolve() // checked with every other secret before anything started
				notifier.Hooks = append(notifier.Hooks, notify.Webhook{URL: u, Format: h.Format})
			}
			approvals.Changed = notifier.Publish
			auditLog := &audit.Writer{Store: st, Log: log}
			defer auditLog.Close()
			g := &gate.Gate{Policy: eng, Approvals: approvals, Audit: auditLog, Store: st, Log: log,
				Snapshots: cfg.Backup.SnapshotBeforeDestructive()}
			// One follower of the drills in the log, for held statements'
			// impact, the console and the metrics.
			drills := &backup.Drills{State: st}
			gw, err := pgGateway(cfg, g, st, drills, pgLn, log)
			if err != nil {
				return err
			}
			apiGateway, err := httpGateway(cfg, g, st, log)
			if err != nil {
				return err
			}
			handler, err := a.httpHandler(cfg, g, st, drills, apiGateway, log)
			if err != nil {
				return err
			}
			prx, prxLn, err := startProxy(cfg, apiGateway, st, log)
			if err != nil {
				return err
			}
			if prxLn != nil {
				defer prxLn.Close()
			}
			hookLn, err := server.Listen(cfg.Listen.Hook)
			if err != nil {
				return inputErrf("hook socket: %v", err)
			}
			defer hookLn.Close()
			// A kept-alive connection that sends nothing more is closed, as
			// the proxy's are; a request's body and answer are bounded by
			// the gateway itself, not here: the console's live feed is a
			// response that lasts.
			srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			notifier.Start(ctx)
			go idlemem.Watch(ctx, 5*time.Second)
			stopBackups, err := scheduleBackups(ctx, cfg, st, log)
			if err != nil {
				return err
			}
			defer stopBackups() // waits for a running snapshot, before the state closes
			errc := make(chan error, 4)
			go func() { errc <- srv.Serve(ln) }()
			// Agents may not write Chaperone's own files, whichever hook asks.
			judge.ProtectedDirs = protectedDirs(cfg.File, cfg.State.Path, cfg.Listen.Hook)
			go func() { errc <- hookServer(ctx, g, log).Serve(hookLn) }()
			go func() { errc <- gw.Serve(ctx, pgLn) }()
			proxyAddr := "off"
			if prx != nil {
				proxyAddr = prxLn.Addr().String()
				go func() { errc <- prx.Serve(prxLn) }()
			}
			log.Info("chaperone serving", "http", ln.Addr().String(), "pg", pgLn.Addr().String(), "proxy", proxyAddr, "hook", cfg.Listen.Hook,
				"config", cfg.File, "state", cfg.State.Path)
			select {
			case err := <-errc:
				return err
			case <-ctx.Done():
			}
			log.Info("shutting down")
			shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if prx != nil {
				prx.Shutdown(shutdown)
			}
			if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&httpListen, "http-listen", "", "HTTP listen address (default from config: listen.http)")
	cmd.Flags().StringVar(&pgListen, "pg-listen", "", "PostgreSQL gateway listen address (default from config: listen.pg)")
	cmd.Flags().StringVar(&proxyListen, "proxy-listen", "", `forward proxy listen address, "" for none (default from config: listen.proxy)`)
	return cmd
}

// httpHandler serves /healthz and /metrics, and the approval console and
// its API on every other path.
func (a *app) httpHandler(cfg *config.Config, g *gate.Gate, st store.Store, drills *backup.Drills, apiGateway http.Handler, log *slog.Logger) (http.Handler, error) {
	approvals := g.Approvals
	console := &web.Console{Approvals: approvals, Tokens: token.NewManager(st), Store: st, Log: log, PublicURL: cfg.Approvals.URL,
		LocalBackups: cfg.Backup.Store != "s3",
		Drills:       drills.Last}
	if bs, err := backupStore(cfg); err == nil {
		console.BackupStore = bs.Describe()
	}
	for _, u := range cfg.Upstreams {
		console.Upstreams = append(console.Upstreams, web.Upstream{Name: u.Name, Kind: u.Kind, Env: u.Env, Credential: credentialSource(u)})
	}
	// Live consoles hear of every change, after whoever listened before,
	// and of other instances' changes through the shared state.
	feed := newSharedFeed(st, console.Publish, log)
	go feed.run(context.Background())
	before := approvals.Changed
	approvals.Changed = func(event string, a store.Approval) {
		if before != nil {
			before(event, a)
		}
		feed.local(event, a)
	}
	consoleHandler, err := console.Handler()
	if err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "chaperone_build_info", Help: "Always 1; labels say which build is running.",
		ConstLabels: prometheus.Labels{"version": version},
	}, func() float64 { return 1 }))
	var pgUpstreams []string
	for _, u := range cfg.Upstreams {
		if u.Kind == config.KindPostgres {
			pgUpstreams = append(pgUpstreams, u.Name)
		}
	}
	reg.MustRegister(drillCollector{drills: drills, upstreams: pgUpstreams})
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mountHealth(mux, cfg, st)
	mux.Handle("/u/", apiGateway)
	mux.Handle("/", consoleHandler)
	return mux, nil
}

// listen opens a TCP listener, warning when it is reachable beyond loopback.
func listen(what, addr string, log *slog.Logger) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, inputErrf("listening on %s for %s: %v", addr, what, err)
	}
	if !isLoopback(ln.Addr()) {
		log.Warn(what+" listener is not on loopback: anyone who can reach it can try to use it", "addr", ln.Addr().String())
	}
	return ln, nil
}

func isLoopback(addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}
