package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chaperone/chaperone/internal/pgtest"
	"github.com/chaperone/chaperone/internal/sandbox"
)

// freePort returns a loopback address nothing listens on now.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startServeAsConfigured runs serve on the config's own addresses, which
// is where run looks for it.
func startServeAsConfigured(t *testing.T, cfg string, env ...string) {
	t.Helper()
	cmd := exec.Command(binary(t), "--config", cfg, "--log-format", "json", "serve")
	cmd.Env = append(os.Environ(), env...)
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	ready := make(chan struct{})
	var logged strings.Builder
	var mu sync.Mutex
	go func() {
		sc := bufio.NewScanner(stderr)
		once := sync.Once{}
		for sc.Scan() {
			mu.Lock()
			logged.WriteString(sc.Text() + "\n")
			mu.Unlock()
			var line map[string]any
			if json.Unmarshal(sc.Bytes(), &line) == nil && line["msg"] == "chaperone serving" {
				once.Do(func() { close(ready) })
			}
		}
	}()
	select {
	case <-ready:
	case <-time.After(20 * time.Second):
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("serve did not start:\n%s", logged.String())
	}
}

// runWorld is a config with a PostgreSQL upstream and an HTTP API in
// staging, a workspace with a flagged .env, and serve running on both.
type runWorld struct {
	cfg, workspace, pgAddr, proxyAddr string
	pg                                *pgtest.Server
	db                                string
	seen                              chan string // Authorization headers the API received
}

const apiCredential = "upstream-real-api-credential-0123456789"

func newRunWorld(t *testing.T) *runWorld {
	t.Helper()
	w := &runWorld{seen: make(chan string, 16)}
	w.pg = pgtest.Shared(t)
	w.db = w.pg.CreateDB(t)
	w.pg.Exec(t, w.db, "CREATE TABLE bookings (id int); INSERT INTO bookings SELECT generate_series(1, 48)")
	api := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.seen <- r.Header.Get("Authorization")
		fmt.Fprintf(rw, "things from %s", r.URL.Path)
	}))
	t.Cleanup(api.Close)
	w.cfg = initDir(t, `upstreams:
  - name: app-staging
    kind: postgres
    env: staging
    dsn: ${CHP_E2E_DSN}
  - name: api-staging
    kind: http
    env: staging
    url: `+api.URL+`
    credential: ${CHP_E2E_API}
    hosts: [api.example.test]
  - name: app-prod
    kind: postgres
    env: production
    dsn: ${CHP_E2E_DSN}
`)
	w.pgAddr, w.proxyAddr = freePort(t), freePort(t)
	setInConfig(t, w.cfg, "pg: 127.0.0.1:6543", "pg: "+w.pgAddr)
	setInConfig(t, w.cfg, "http: 127.0.0.1:8750", "http: "+freePort(t))
	setInConfig(t, w.cfg, "proxy: 127.0.0.1:8751", "proxy: "+w.proxyAddr)
	w.workspace = t.TempDir()
	os.WriteFile(filepath.Join(w.workspace, ".env"), []byte("DATABASE_URL=postgres://app:"+w.pg.Password+"@db.internal:5432/app\nSTRIPE_SECRET_KEY=sk_live_51HxYzAbCdEfGhIjKlMnOpQr\n"), 0o600)
	os.MkdirAll(filepath.Join(w.workspace, ".claude"), 0o755)
	os.WriteFile(filepath.Join(w.workspace, ".claude", "settings.json"), []byte(`{"hooks":{}}`), 0o644)
	return w
}

func (w *runWorld) env() []string {
	return []string{"CHP_E2E_DSN=" + w.pg.DSN(w.db), "CHP_E2E_API=" + apiCredential}
}

// runIn runs `chaperone run` with args in the workspace.
func (w *runWorld) runIn(t *testing.T, extraEnv []string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(binary(t), append([]string{"--config", w.cfg, "run"}, args...)...)
	cmd.Dir = w.workspace
	cmd.Env = append(append(os.Environ(), w.env()...), extraEnv...)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), code
}

const runProbe = `
echo "links: $(ls /sys/class/net | tr '\n' ' ')"
echo "routes: $(tail -n +2 /proc/net/route | wc -l)"
echo "listening: $(awk 'NR>1 && $4=="0A" {print $2}' /proc/net/tcp /proc/net/tcp6 | sort | tr '\n' ' ')"
(exec 3<>/dev/tcp/${SERVE_PG%:*}/${SERVE_PG#*:}) 2>/dev/null && echo "serve reached directly" || echo "serve unreachable directly"
(exec 3<>/dev/tcp/1.1.1.1/443) 2>/dev/null && echo "internet reached" || echo "internet unreachable"
echo "psql: $(psql -X -At -c 'SELECT count(*) FROM bookings' 2>&1)"
echo "psql url: $(psql -X -At "$DATABASE_URL" -c 'SELECT 1' 2>&1)"
echo "curl: $(curl -sS https://api.example.test/v1/curl -H "Authorization: Bearer $CHAPERONE_TOKEN" 2>&1)"
echo "python: $(python3 -c 'import os,urllib.request as u; print(u.urlopen(u.Request("https://api.example.test/v1/python", headers={"Authorization": "Bearer "+os.environ["CHAPERONE_TOKEN"]})).read().decode())' 2>&1)"
echo "elsewhere: $(curl -sS -o /dev/null -w '%{http_code}' https://example.com/ 2>&1)"
echo "state: [$(ls -A @STATE@ 2>&1 | tr '\n' ' ')] db: $(head -c 16 @STATE@/chaperone.db 2>&1 | tr -dc 'A-Za-z: ' | cut -c1-17)"
echo "config: [$(cat @CONFIG@ 2>&1)]"
rm -f @SOCKET@ 2>/dev/null; ln -sf /dev/null @SOCKET@ 2>/dev/null; [ -S @SOCKET@ ] && echo "socket kept" || echo "socket replaced"
echo "dsn var: [$CHP_E2E_DSN] [$CHP_E2E_API] config var: [$CHAPERONE_CONFIG]"
echo "env file: $(cat .env | tr '\n' ' ')"
echo '{}' > .claude/settings.json 2>/dev/null && echo "settings written" || echo "settings read-only"
echo "hook: $(printf '%s' '{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"terraform destroy -auto-approve"}}' | @CHP@ hook claude-code 2>&1)"
echo "env: $CHAPERONE_ENV proxy: $HTTPS_PROXY ca: $(grep -c 'BEGIN CERT' "$SSL_CERT_FILE")"
`

func TestRunConfinesAnAgentAndChaperoneIsItsOnlyRoute(t *testing.T) {
	for _, tool := range []string{"psql", "curl", "python3"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed", tool)
		}
	}
	w := newRunWorld(t)
	// Without serve, run refuses before anything starts.
	if out, code := w.runIn(t, nil, "--env", "staging", "--", "touch", "ran"); code != exitInternal || !strings.Contains(out, "chaperone serve is not running") {
		t.Fatalf("without serve: %d %s", code, out)
	}
	if _, err := os.Stat(filepath.Join(w.workspace, "ran")); err == nil {
		t.Fatal("the command ran without serve")
	}
	startServeAsConfigured(t, w.cfg, w.env()...)
	dir := filepath.Dir(w.cfg)
	script := strings.NewReplacer("@STATE@", filepath.Join(dir, "state"), "@CONFIG@", w.cfg, "@SOCKET@", filepath.Join(dir, "run", "hook.sock"),
		"@CHP@", binary(t)).Replace(runProbe)
	out, code := w.runIn(t, []string{"SERVE_PG=" + w.pgAddr}, "--env", "staging", "--", "bash", "-c", script)
	if code != 0 {
		t.Fatalf("run: exit %d\n%s", code, out)
	}
	for _, want := range []string{
		"links: lo \n", "routes: 0\n", "listening: 0100007F:1538 0100007F:222F \n",
		"serve unreachable directly", "internet unreachable",
		"psql: 48\n", "psql url: 1\n",
		"curl: things from /v1/curl\n", "python: things from /v1/python\n",
		"elsewhere: curl: (56) CONNECT tunnel failed, response 403",
		"state: [] db: head: cannot open", "config: []", "socket kept",
		"dsn var: [] [] config var: []",
		"env file: DATABASE_URL=postgres://agent:chp_", "STRIPE_SECRET_KEY=" + sandbox.Placeholder,
		"settings read-only",
		`"permissionDecision":"ask"`, "iac.destroy",
		"env: staging proxy: http://127.0.0.1:8751 ca: ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("inside, no %q in:\n%s", want, out)
		}
	}
	if strings.Contains(out, w.pg.Password) || strings.Contains(out, apiCredential) {
		t.Errorf("a real credential reached the sandbox:\n%s", out)
	}
	for i := 0; i < 2; i++ {
		select {
		case auth := <-w.seen:
			if auth != "Bearer "+apiCredential {
				t.Errorf("the API saw %q, not Chaperone's credential", auth)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("the API was not reached")
		}
	}
	// On disk, the workspace is as it was.
	if b, _ := os.ReadFile(filepath.Join(w.workspace, ".env")); !strings.Contains(string(b), w.pg.Password) {
		t.Errorf(".env on disk changed: %s", b)
	}
	// The session's token was minted, audited and revoked.
	exported := chaperone(t, "", "--config", w.cfg, "audit", "export", "--format", "jsonl")
	for _, ev := range []string{`"type":"run.started"`, `"type":"run.ended"`, `"type":"token.revoked"`, `"env":"staging"`} {
		if !strings.Contains(exported.stdout, ev) {
			t.Errorf("audit lacks %s", ev)
		}
	}
	if !strings.Contains(exported.stdout, `"actor":"hook:claude-code"`) {
		t.Errorf("the hook inside was not answered by serve:\n%s", exported.stdout)
	}
	list := chaperone(t, "", "--config", w.cfg, "token", "list")
	if !strings.Contains(list.stdout, "revoked") {
		t.Errorf("token list: %s", list.stdout)
	}
	// The exit code is the command's.
	if _, code := w.runIn(t, nil, "--env", "staging", "--", "sh", "-c", "exit 7"); code != 7 {
		t.Errorf("exit code %d, want 7", code)
	}
}

// Where no namespace can be made, run refuses, names the setting, runs
// nothing; --unconfined runs it, says so and audits it.
func TestRunRefusesWithoutNamespacesUnlessUnconfined(t *testing.T) {
	w := newRunWorld(t)
	startServeAsConfigured(t, w.cfg, w.env()...)
	force := []string{sandbox.FailEnv + "=namespace"}
	out, code := w.runIn(t, force, "--env", "staging", "--", "touch", "ran")
	if code != exitInternal || !strings.Contains(out, "--unconfined") || !strings.Contains(out, "did not run") {
		t.Fatalf("refusal: %d %s", code, out)
	}
	if _, err := os.Stat(filepath.Join(w.workspace, "ran")); err == nil {
		t.Fatal("the command ran")
	}
	out, code = w.runIn(t, force, "--env", "staging", "--unconfined", "--", "sh", "-c", "touch ran; echo token=${CHAPERONE_TOKEN%%_*}")
	if code != 0 || !strings.Contains(out, "UNCONFINED") || !strings.Contains(out, "token=chp") {
		t.Fatalf("unconfined: %d %s", code, out)
	}
	exported := chaperone(t, "", "--config", w.cfg, "audit", "export", "--format", "jsonl")
	if !strings.Contains(exported.stdout, `"type":"run.unconfined"`) {
		t.Errorf("no run.unconfined in the audit log")
	}

	// Interrupted, run passes the signal on and still revokes the token.
	cmd := exec.Command(binary(t), "--config", w.cfg, "run", "--env", "staging", "--", "sh", "-c", "echo started; exec sleep 30")
	cmd.Dir = w.workspace
	cmd.Env = append(os.Environ(), w.env()...)
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	if line != "started\n" {
		cmd.Process.Kill()
		t.Fatalf("the command did not start: %q", line)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("run did not end on SIGTERM")
	}
	if code := cmd.ProcessState.ExitCode(); code != 128+int(syscall.SIGTERM) {
		t.Errorf("exit code %d after SIGTERM", code)
	}
	list := chaperone(t, "", "--config", w.cfg, "token", "list", "--json")
	if strings.Count(list.stdout, `"status": "revoked"`) != 3 {
		t.Errorf("every session's token is not revoked:\n%s", list.stdout)
	}
}
