package demo

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/chaperone/chaperone/internal/approval"
	"github.com/chaperone/chaperone/internal/backup"
	"github.com/chaperone/chaperone/internal/config"
	"github.com/chaperone/chaperone/internal/localpg"
	"github.com/chaperone/chaperone/internal/railwaysim"
	"github.com/chaperone/chaperone/internal/secret"
	"github.com/chaperone/chaperone/internal/store/sqlite"
)

// The incident's names: one Railway volume with an instance in staging
// and in production.
const (
	volumeID        = "vol_3b8d0c"
	ordersRows      = 1000
	cacheRows       = 200
	approverPass    = "demo approver passphrase"
	stagingDB       = "shop_staging"
	productionDB    = "shop_production"
	stagingTable    = "sessions_cache"
	productionTable = "orders"
)

// world is everything the demo runs: PostgreSQL, the Railway stand-in,
// a Chaperone configuration and `chaperone serve`.
type world struct {
	exe, dir, cfg, workspace string

	pg         *localpg.Server
	railway    *railwaysim.Server
	railwayURL string
	railwayTok string
	closeRail  func()

	stagingToken, productionToken string
	sessionToken                  string            // the one chaperone run exported
	totp                          map[string]string // approver -> TOTP secret

	serve                       *exec.Cmd
	serveLog                    *logBuffer
	pgAddr, httpAddr, proxyAddr string
}

// build sets the world up; close takes it down again, whatever was built.
func build(ctx context.Context, exe string) (w *world, err error) {
	w = &world{exe: exe, totp: map[string]string{}}
	defer func() {
		if err != nil {
			w.close()
		}
	}()
	if w.dir, err = os.MkdirTemp("", "chaperone-demo-"); err != nil {
		return w, err
	}
	if w.pg, err = localpg.Start(); err != nil {
		return w, fmt.Errorf("the demo runs a private PostgreSQL and could not start one: %w", err)
	}
	if err := w.seed(ctx); err != nil {
		return w, err
	}
	if err := w.startRailway(); err != nil {
		return w, err
	}
	if err := w.configure(ctx); err != nil {
		return w, err
	}
	return w, w.startServe()
}

// seed makes a staging and a production database, each with orders, and
// a cache table in staging that the agent's task allows it to drop.
func (w *world) seed(ctx context.Context) error {
	if err := w.pg.Exec(ctx, "postgres", "CREATE DATABASE "+stagingDB, "CREATE DATABASE "+productionDB); err != nil {
		return err
	}
	orders := []string{
		"CREATE TABLE orders (id serial PRIMARY KEY, customer text NOT NULL, total numeric(10,2) NOT NULL)",
		fmt.Sprintf("INSERT INTO orders (customer, total) SELECT 'customer ' || g, (g %% 500) + 0.99 FROM generate_series(1, %d) g", ordersRows),
	}
	if err := w.pg.Exec(ctx, productionDB, append(orders, "ANALYZE")...); err != nil {
		return err
	}
	return w.pg.Exec(ctx, stagingDB, append(orders,
		"CREATE TABLE sessions_cache (id text PRIMARY KEY, data jsonb)",
		fmt.Sprintf("INSERT INTO sessions_cache SELECT md5(g::text), '{}' FROM generate_series(1, %d) g", cacheRows),
		"ANALYZE")...)
}

// count reads a table's rows directly, not through Chaperone; -1 when the
// table is gone, -2 when the server cannot be reached.
func (w *world) count(ctx context.Context, db, table string) int {
	n, err := w.pg.Count(ctx, db, table)
	if err != nil {
		return -2
	}
	return n
}

func (w *world) startRailway() error {
	w.railway = railwaysim.New(railwaysim.Incident())
	w.railwayTok = localpg.RandomHex(16)
	w.railway.Token = w.railwayTok
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: w.railway, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	w.railwayURL = "http://" + ln.Addr().String()
	w.closeRail = func() { srv.Close() }
	return nil
}

// configure writes the configuration the way an operator would, with the
// chaperone commands, and leaves the Railway token where the incident's
// agent found it: in the workspace.
func (w *world) configure(ctx context.Context) error {
	if _, err := w.cli("init", "--dir", w.dir); err != nil {
		return err
	}
	// init wrote the backup identity beside the config and its public key
	// into it: snapshots work with nothing more.
	w.cfg = filepath.Join(w.dir, "chaperone.yaml")
	if err := w.listenOnFreePorts(); err != nil {
		return err
	}
	var err error
	for _, args := range [][]string{
		{"upstream", "add", "pg-staging", "--dsn", w.pg.DSN(stagingDB), "--env", "staging"},
		{"upstream", "add", "pg-production", "--dsn", w.pg.DSN(productionDB), "--env", "production"},
		{"upstream", "add", "railway-staging", "--kind", config.KindHTTP, "--provider", config.ProviderRailway, "--url", w.railwayURL,
			"--credential", w.railwayTok, "--env", "staging"},
	} {
		if _, err := w.cli(args...); err != nil {
			return err
		}
	}
	if w.stagingToken, err = w.cli("token", "create", "--env", "staging", "--upstream", "pg-staging,railway-staging", "--name", "agent-staging", "--ttl", "1h"); err != nil {
		return err
	}
	if w.productionToken, err = w.cli("token", "create", "--env", "production", "--upstream", "pg-production", "--name", "agent-reporting", "--ttl", "1h"); err != nil {
		return err
	}
	if err := w.addApprovers(ctx, "alice", "bob"); err != nil {
		return err
	}
	w.workspace = filepath.Join(w.dir, "workspace")
	if err := os.MkdirAll(w.workspace, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(w.workspace, ".env"), []byte("RAILWAY_TOKEN="+w.railwayTok+"\n"), 0o600)
}

// listenOnFreePorts moves serve's listeners off the default ports, which
// a Chaperone already running here may hold. They are fixed in the config,
// not given to serve as flags: chaperone run finds serve where the config
// says it listens.
func (w *world) listenOnFreePorts() error {
	data, err := os.ReadFile(w.cfg)
	if err != nil {
		return err
	}
	text := string(data)
	for _, def := range []string{"127.0.0.1:6543", "127.0.0.1:8750", "127.0.0.1:8751"} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		addr := ln.Addr().String()
		ln.Close()
		if !strings.Contains(text, " "+def+" ") {
			return fmt.Errorf("chaperone init's config has no listener at %s", def)
		}
		text = strings.Replace(text, " "+def+" ", " "+addr+" ", 1)
	}
	return os.WriteFile(w.cfg, []byte(text), 0o600)
}

// addApprovers enrolls humans with a password and an authenticator app,
// as `chaperone approver add` does at a terminal.
func (w *world) addApprovers(ctx context.Context, names ...string) error {
	cfg, err := config.Load(w.cfg)
	if err != nil {
		return err
	}
	st, err := sqlite.Open(ctx, cfg.State.Path)
	if err != nil {
		return err
	}
	defer st.Close()
	box, err := secret.Open(cfg.StateDir(), true)
	if err != nil {
		return err
	}
	svc := &approval.Service{Store: st, Secrets: box}
	for _, n := range names {
		key, err := approval.NewTOTP(n)
		if err != nil {
			return err
		}
		if err := svc.AddApprover(ctx, n, approverPass, key.Secret(), "demo"); err != nil {
			return err
		}
		w.totp[n] = key.Secret()
	}
	return nil
}

// snapshot is what `chaperone backup list --json` says of one.
type snapshot = backup.Manifest

func (w *world) latestSnapshot(upstream string) (snapshot, error) {
	out, err := w.cli("backup", "list", "--upstream", upstream, "--json")
	if err != nil {
		return snapshot{}, err
	}
	var list []snapshot
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) == 0 {
		return snapshot{}, fmt.Errorf("backup list gave no snapshot of %s: %q", upstream, out)
	}
	return list[0], nil
}

// drill restores a snapshot into a scratch database, as an operator's
// restore drill does, with the identity only the operator holds.
func (w *world) drill(ctx context.Context, id string) (string, error) {
	if err := w.pg.Exec(ctx, "postgres", "CREATE DATABASE drill"); err != nil {
		return "", err
	}
	return w.cli("backup", "verify", id, "--scratch", w.pg.DSN("drill"), "--identity", filepath.Join(w.dir, "backup-identity.txt"))
}

// cli runs a chaperone command on the demo's config and returns its
// output, trimmed.
func (w *world) cli(args ...string) (string, error) {
	return w.cliIn("", args...)
}

func (w *world) cliIn(stdin string, args ...string) (string, error) {
	if w.cfg != "" {
		args = append([]string{"--config", w.cfg}, args...)
	}
	cmd := exec.Command(w.exe, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return strings.TrimSpace(out.String()), fmt.Errorf("chaperone %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return strings.TrimSpace(out.String()), nil
}

// startServe runs `chaperone serve` as its own process and waits until it
// says where it listens.
func (w *world) startServe() error {
	w.serve = exec.Command(w.exe, "--config", w.cfg, "--log-format", "json", "serve")
	stderr, err := w.serve.StderrPipe()
	if err != nil {
		return err
	}
	if err := w.serve.Start(); err != nil {
		return err
	}
	w.serveLog = &logBuffer{}
	ready := make(chan [3]string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			w.serveLog.add(sc.Text())
			var line map[string]any
			if json.Unmarshal(sc.Bytes(), &line) == nil && line["msg"] == "chaperone serving" {
				pg, _ := line["pg"].(string)
				h, _ := line["http"].(string)
				prx, _ := line["proxy"].(string)
				ready <- [3]string{pg, h, prx}
			}
		}
	}()
	select {
	case a := <-ready:
		w.pgAddr, w.httpAddr, w.proxyAddr = a[0], a[1], a[2]
		return nil
	case <-time.After(30 * time.Second):
		return fmt.Errorf("chaperone serve did not start:\n%s", w.serveLog)
	}
}

func (w *world) close() {
	if w.serve != nil && w.serve.Process != nil {
		w.serve.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { w.serve.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			w.serve.Process.Kill()
		}
	}
	if w.closeRail != nil {
		w.closeRail()
	}
	if w.pg != nil {
		w.pg.Stop()
	}
	if w.dir != "" {
		os.RemoveAll(w.dir)
	}
}

// logBuffer keeps serve's log for the error message if something fails.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) add(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.WriteString(line + "\n")
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
