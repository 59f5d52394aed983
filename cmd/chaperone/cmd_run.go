package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/chaperone/chaperone/internal/audit"
	"github.com/chaperone/chaperone/internal/config"
	gwhttp "github.com/chaperone/chaperone/internal/gateway/http"
	"github.com/chaperone/chaperone/internal/gateway/proxy"
	"github.com/chaperone/chaperone/internal/hook"
	"github.com/chaperone/chaperone/internal/sandbox"
	"github.com/chaperone/chaperone/internal/token"
)

// The sandbox's first process is this binary, re-run; it must become the
// command before anything else of the CLI starts.
func init() {
	if len(os.Args) > 1 && os.Args[1] == sandbox.InitArg {
		sandbox.Init()
	}
}

// Audit event types of a run.
const (
	eventRunStarted    = "run.started"
	eventRunEnded      = "run.ended"
	eventRunUnconfined = "run.unconfined"
)

// Where the gateways listen inside the sandbox.
const (
	sandboxPG        = "127.0.0.1:5432"
	sandboxProxyPort = "8751"
)

type runOptions struct {
	env        string
	upstreams  []string
	ttl        time.Duration
	allowHosts []string
	workspace  string
	unconfined bool
}

func (a *app) runCommand() *cobra.Command {
	var o runOptions
	cmd := &cobra.Command{
		Use:   "run [--env E] [--upstream NAME]... [--ttl D] [--allow-host H]... [--workspace DIR] [--unconfined] -- COMMAND [ARG...]",
		Short: "Run an agent confined, with Chaperone as its only route to infrastructure",
		Long: `run starts COMMAND (an agent such as claude, codex or gemini, or any program)
in its own network namespace, where only loopback exists and only
Chaperone listens: the forward proxy (HTTPS_PROXY) and the PostgreSQL
gateway (127.0.0.1:5432), each relayed to the running serve of the same
config. It mints a token for the session (--env, every upstream of it
unless --upstream names some), exports it in each upstream's variables
(upstreams[].agent_env) and CHAPERONE_TOKEN, and revokes it when COMMAND
exits. In a private mount namespace Chaperone's config, state and keys are
hidden, the workspace's flagged credentials show stand-ins, and the
agents' hook settings are read-only. Where no namespace can be made run
refuses, unless --unconfined is given. See docs/run.md.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if n := cmd.ArgsLenAtDash(); n != 0 {
				return inputErrf("put the command after --: chaperone run [flags] -- COMMAND [ARG...]")
			}
			return a.runConfined(cmd.Context(), o, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.env, "env", "", "environment of the session (default: the one every upstream is in)")
	f.StringArrayVar(&o.upstreams, "upstream", nil, "upstream the session may reach (repeatable; default: every upstream of --env)")
	f.DurationVar(&o.ttl, "ttl", 8*time.Hour, "lifetime of the session's token; it is revoked when COMMAND exits")
	f.StringArrayVar(&o.allowHosts, "allow-host", nil, "host (port 443), host:port or *.domain this session may reach unread (repeatable)")
	f.StringVar(&o.workspace, "workspace", "", "the agent's workspace (default: the current directory)")
	f.BoolVar(&o.unconfined, "unconfined", false, "run COMMAND without confinement where none can be made (printed and audited)")
	return cmd
}

func (a *app) runConfined(ctx context.Context, o runOptions, command []string) error {
	cfg, err := a.loadConfig(true)
	if err != nil {
		return err
	}
	if o.ttl <= 0 {
		return inputErrf("--ttl must be positive: a session's token always expires")
	}
	env, ups, err := sessionUpstreams(cfg, o.env, o.upstreams)
	if err != nil {
		return err
	}
	for _, h := range o.allowHosts {
		if _, err := proxy.ParseAllow(h); err != nil {
			return inputErrf("--allow-host: %v", err)
		}
	}
	workspace := o.workspace
	if workspace == "" {
		if workspace, err = os.Getwd(); err != nil {
			return err
		}
	}
	workspace = absDir(workspace)
	if fi, err := os.Stat(workspace); err != nil || !fi.IsDir() {
		return inputErrf("workspace %s is not a directory", workspace)
	}
	pgAddr, proxyAddr, err := serveAddrs(cfg)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	log, err := a.logger(cfg)
	if err != nil {
		return err
	}

	names := make([]string, 0, len(ups))
	for _, u := range ups {
		names = append(names, u.Name)
	}
	// Signals are caught before the token exists and until the run ends:
	// one that came while the command was starting (or its start was
	// being audited) would otherwise end run with the default action,
	// before the deferred revocation, and leave the command running with
	// a live token. Caught early, it is passed on once the command runs.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT)
	defer signal.Stop(sigs)

	tokens := token.NewManager(st)
	secret, k, err := tokens.Create(ctx, token.Spec{Name: "run: " + filepath.Base(command[0]), Env: env, Upstreams: names,
		Scope: token.ScopeAll, TTL: o.ttl, Actor: actor()})
	if err != nil {
		return inputErr(err)
	}
	// From here the token exists: whatever happens, it is revoked.
	defer func() {
		if err := tokens.Revoke(context.WithoutCancel(ctx), k.ID, actor()); err != nil && !errors.Is(err, token.ErrAlreadyRevoked) {
			fmt.Fprintf(a.stderr, "chaperone: revoking the session's token %s: %v (revoke it with: chaperone token revoke %s)\n", k.ID, err, k.ID)
		}
	}()

	scratch, err := os.MkdirTemp("", "chaperone-run-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(scratch)
	bundle := filepath.Join(scratch, "ca.pem")
	if err := writeCABundle(cfg, bundle); err != nil {
		return err
	}

	var sups []sandbox.Upstream
	for _, u := range ups {
		sups = append(sups, sandbox.Upstream{Name: u.Name, Postgres: u.Kind == config.KindPostgres, Vars: u.DefaultAgentEnv()})
	}
	es := sandbox.EnvSpec{Base: os.Environ(), Strip: credentialVars(cfg), Token: secret, Env: env, Upstreams: sups,
		PGAddr: sandboxPG, CABundle: bundle, HookSocket: cfg.Listen.Hook}
	if proxyAddr != "" {
		es.ProxyURL = "http://127.0.0.1:" + sandboxProxyPort
	}
	if o.unconfined {
		es.PGAddr = pgAddr
		if proxyAddr != "" {
			es.ProxyURL = "http://" + proxyAddr
		}
	}
	cmdEnv, values := sandbox.Environment(es)
	record := func(typ string, data map[string]any) error {
		return audit.Record(context.WithoutCancel(ctx), st, audit.Event{Type: typ, Actor: actor(), Data: data})
	}
	started := map[string]any{"token": k.ID, "env": env, "upstreams": names, "command": command[0], "workspace": workspace,
		"confined": !o.unconfined}
	if len(o.allowHosts) > 0 {
		started["allow_hosts"] = o.allowHosts
	}

	var sess *sandbox.Session
	if o.unconfined {
		fmt.Fprintf(a.stderr, "chaperone: running %s UNCONFINED: it can reach anything this user can, around Chaperone; only its token is scoped (%s)\n", command[0], k.ID)
		if err := record(eventRunUnconfined, started); err != nil {
			return fmt.Errorf("auditing the run: %w", err)
		}
		sess, err = startUnconfined(command, workspace, cmdEnv, a)
	} else {
		standIns, serr := sandbox.StandIns(workspace, values)
		if serr != nil {
			return fmt.Errorf("reading the workspace for credentials: %w", serr)
		}
		listen := []string{sandboxPG}
		if proxyAddr != "" {
			listen = append(listen, "127.0.0.1:"+sandboxProxyPort)
		}
		sess, err = sandbox.Start(sandbox.Spec{Command: command, Dir: workspace, Env: cmdEnv, Listen: listen,
			Hide: hiddenPaths(cfg), ReadOnly: hookSettings(workspace), Replace: standIns, Keep: cfg.Listen.Hook,
			Scratch: scratch, Stdin: a.stdin, Stdout: a.stdout, Stderr: a.stderr})
		if err == nil {
			dial := func(addr string) sandbox.Dialer {
				return func(ctx context.Context) (net.Conn, error) {
					return (&net.Dialer{Timeout: 10 * time.Second}).DialContext(ctx, "tcp", addr)
				}
			}
			go sandbox.Relay(sess.Listeners[0], dial(pgAddr), log)
			if proxyAddr != "" {
				go sandbox.ProxyRelay(sess.Listeners[1], dial(proxyAddr), sandbox.NewAllow(o.allowHosts, interceptedHosts(cfg)), log)
			}
			defer func() {
				for _, ln := range sess.Listeners {
					ln.Close()
				}
			}()
		}
	}
	if err != nil {
		if errors.Is(err, sandbox.ErrUnavailable) {
			return &exitError{exitInternal, fmt.Errorf("%w; %s did not run", err, command[0])}
		}
		return err
	}
	if err := record(eventRunStarted, started); err != nil {
		sess.Signal(syscall.SIGKILL)
		sess.Wait()
		return fmt.Errorf("auditing the run: %w", err)
	}
	go func() {
		for s := range sigs {
			sess.Signal(s)
		}
	}()
	code, werr := sess.Wait()
	ended := map[string]any{"token": k.ID, "exit": code}
	if err := record(eventRunEnded, ended); err != nil {
		log.Warn("auditing the end of the run", "err", err)
	}
	if werr != nil {
		return werr
	}
	return silentExit(code)
}

// sessionUpstreams picks the session's environment and upstreams: those
// named, else every upstream of env; env defaults to the one they share.
func sessionUpstreams(cfg *config.Config, env string, names []string) (string, []config.Upstream, error) {
	var ups []config.Upstream
	if len(names) == 0 {
		if env == "" {
			envs := map[string]bool{}
			for _, u := range cfg.Upstreams {
				envs[u.Env] = true
			}
			if len(envs) != 1 {
				return "", nil, inputErrf("give --env: the upstreams in %s are in %d environments", cfg.File, len(envs))
			}
			for e := range envs {
				env = e
			}
		}
		for _, u := range cfg.Upstreams {
			if u.Env == env {
				ups = append(ups, u)
			}
		}
		if len(ups) == 0 {
			return "", nil, inputErrf("no upstream in %s is in environment %s", cfg.File, env)
		}
		return env, ups, nil
	}
	for _, n := range names {
		for _, one := range splitList(n) {
			u, ok := cfg.Upstream(one)
			if !ok {
				return "", nil, inputErrf("upstream %q is not configured in %s", one, cfg.File)
			}
			if env == "" {
				env = u.Env
			}
			if u.Env != env {
				return "", nil, inputErrf("upstream %s is %s; a session in %s cannot reach it", one, u.Env, env)
			}
			ups = append(ups, u)
		}
	}
	return env, ups, nil
}

// serveAddrs checks that serve of this config is running and returns where
// its PostgreSQL gateway and forward proxy answer ("" for no proxy). run
// holds no upstream credential: without serve there is nothing to relay to.
func serveAddrs(cfg *config.Config) (pg, prx string, err error) {
	notRunning := func(what, where string, cause error) error {
		return &exitError{exitInternal, fmt.Errorf("chaperone serve is not running for %s: nothing answers %s at %s (%v); start it with: chaperone serve --config %s",
			cfg.File, what, where, cause, cfg.File)}
	}
	c, err := net.DialTimeout("unix", cfg.Listen.Hook, 2*time.Second)
	if err != nil {
		return "", "", notRunning("on the hook socket (listen.hook)", cfg.Listen.Hook, err)
	}
	c.Close()
	reach := func(key, addr string) (string, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil || port == "0" {
			return "", inputErrf("%s is %q: run needs serve's fixed address there", key, addr)
		}
		if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
			host = "127.0.0.1"
		}
		addr = net.JoinHostPort(host, port)
		c, err := net.DialTimeout("tcp", addr, 2*time.Second)
		if err != nil {
			return "", notRunning("the "+key, addr, err)
		}
		c.Close()
		return addr, nil
	}
	if pg, err = reach("listen.pg", cfg.Listen.PG); err != nil {
		return "", "", err
	}
	if cfg.Listen.Proxy != "" {
		if prx, err = reach("listen.proxy", cfg.Listen.Proxy); err != nil {
			return "", "", err
		}
	}
	return pg, prx, nil
}

// writeCABundle writes the system's roots followed by the proxy's CA, so
// that clients given only this file trust both.
func writeCABundle(cfg *config.Config, path string) error {
	var bundle []byte
	for _, sys := range []string{"/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"} {
		if b, err := os.ReadFile(sys); err == nil {
			bundle = append(b, '\n')
			break
		}
	}
	if cfg.Listen.Proxy != "" {
		cert, _ := proxy.CAPaths(cfg.StateDir())
		b, err := os.ReadFile(cert)
		if err != nil {
			return fmt.Errorf("reading the proxy's CA certificate (serve creates it when its proxy starts): %w", err)
		}
		bundle = append(bundle, b...)
	}
	return os.WriteFile(path, bundle, 0o644)
}

// credentialVars names every variable the config reads a credential from:
// none of them reaches the command.
func credentialVars(cfg *config.Config) []string {
	var out []string
	for _, u := range cfg.Upstreams {
		out = append(out, u.Secret().Refs()...)
	}
	out = append(out, cfg.Backup.S3.AccessKey.Refs()...)
	out = append(out, cfg.Backup.S3.SecretKey.Refs()...)
	for _, h := range cfg.Approvals.Webhooks {
		out = append(out, h.URL.Refs()...)
	}
	return out
}

// hiddenPaths are Chaperone's own files (config, state, keys, the local
// backup store), the user's runtime directory, and the credential files
// of the providers Chaperone fronts.
func hiddenPaths(cfg *config.Config) []string {
	out := []string{cfg.StateDir(), cfg.State.Path, cfg.Backup.Local.Dir}
	if cfg.File != "" {
		out = append(out, cfg.File)
	}
	if cfg.TLS.Key != "" {
		out = append(out, cfg.TLS.Key)
	}
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		out = append(out, d)
	}
	out = append(out, fmt.Sprintf("/run/user/%d", os.Getuid()))
	if home, err := os.UserHomeDir(); err == nil {
		for _, p := range []string{".railway", ".fly", ".pgpass", ".config/railway"} {
			out = append(out, filepath.Join(home, p))
		}
	}
	return out
}

// hookSettings are the agents' settings files that hold Chaperone's hook,
// in the workspace and the home directory, and other hook locations the
// agents read.
func hookSettings(workspace string) []string {
	var out []string
	home, _ := os.UserHomeDir()
	for _, t := range hook.Targets {
		out = append(out, filepath.Join(workspace, t.Project))
		if home != "" {
			out = append(out, filepath.Join(home, t.User))
		}
	}
	for _, dir := range []string{workspace, home} {
		if dir == "" {
			continue
		}
		matches, _ := filepath.Glob(filepath.Join(dir, ".claude", "settings*.json"))
		out = append(out, matches...)
		out = append(out, filepath.Join(dir, ".codex"), filepath.Join(dir, ".gemini", "settings.json"), filepath.Join(dir, ".cursor", "hooks.json"))
	}
	out = append(out, filepath.Join(workspace, ".github", "hooks"))
	if home != "" {
		out = append(out, filepath.Join(home, ".copilot", "hooks"))
	}
	return out
}

// interceptedHosts are the upstreams' API hosts, which always go to serve.
func interceptedHosts(cfg *config.Config) []string {
	var out []string
	for _, u := range cfg.Upstreams {
		if u.Kind != config.KindHTTP {
			continue
		}
		if len(u.Hosts) > 0 {
			out = append(out, u.Hosts...)
		} else {
			out = append(out, gwhttp.ProviderHosts(u.Provider)...)
		}
	}
	return out
}

// startUnconfined runs the command as it is, for --unconfined.
func startUnconfined(command []string, dir string, env []string, a *app) (*sandbox.Session, error) {
	c := exec.Command(command[0], command[1:]...)
	c.Dir, c.Env = dir, env
	c.Stdin, c.Stdout, c.Stderr = a.stdin, a.stdout, a.stderr
	if err := c.Start(); err != nil {
		return nil, inputErr(err)
	}
	return sandbox.Unconfined(c), nil
}
