package main

import (
	"bufio"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds the real chaperone binary once per test run.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "chaperone-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "chaperone")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = err
			t.Logf("%s", out)
		}
	})
	if buildErr != nil {
		t.Fatalf("building chaperone: %v", buildErr)
	}
	return binPath
}

func TestServeStartsChecksHealthAndStopsOnSignal(t *testing.T) {
	cfg := initDir(t, upstreams)
	const password = "Pg-Sup3r-S3cret-pw"
	cmd := exec.Command(binary(t), "--config", cfg, "--log-format", "json", "--log-level", "debug", "serve", "--http-listen", "127.0.0.1:0", "--pg-listen", "127.0.0.1:0",
		"--proxy-listen", "127.0.0.1:0")
	cmd.Env = append(os.Environ(),
		"CHP_TEST_STAGING_DSN=postgres://app:"+password+"@127.0.0.1:1/app",
		"CHP_TEST_PROD_DSN=postgres://app:"+password+"@127.0.0.1:2/app")
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var logged strings.Builder
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logged.WriteString(sc.Text() + "\n")
			var line map[string]any
			if json.Unmarshal(sc.Bytes(), &line) == nil && line["msg"] == "chaperone serving" {
				addr <- line["http"].(string)
			}
		}
		close(addr)
	}()
	var a string
	select {
	case a = <-addr:
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not report its address")
	}
	resp, err := http.Get("http://" + a + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "ok\n" {
		t.Fatalf("healthz: %d %q", resp.StatusCode, body)
	}
	resp, err = http.Get("http://" + a + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "chaperone_build_info") {
		t.Fatal("metrics lack chaperone_build_info")
	}
	// The approval console is on the same listener, for humans only.
	resp, err = http.Get("http://" + a + "/login")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "Sign in to approve") {
		t.Fatalf("console login page: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest("GET", "http://"+a+"/api/requests", nil)
	req.Header.Set("Authorization", "Bearer chp_whatever")
	if resp, err = http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("console API with an agent token: %v %v", resp, err)
	}
	resp.Body.Close()
	cmd.Process.Signal(syscall.SIGTERM)
	// The log is read to its end (serve closes stderr as it exits) before
	// Wait, which closes the pipe: waiting first could drop its last lines,
	// the shutdown among them.
	drained := make(chan struct{})
	go func() {
		for range addr {
		}
		close(drained)
	}()
	select {
	case <-drained:
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop on SIGTERM")
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("serve exited with %v", err)
	}
	if strings.Contains(logged.String(), password) {
		t.Fatalf("a password reached the log:\n%s", logged.String())
	}
	if !strings.Contains(logged.String(), `"msg":"shutting down"`) {
		t.Fatalf("no shutdown logged:\n%s", logged.String())
	}
}

func TestServeRefusesMissingSecretsBeforeTouchingState(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "chaperone.yaml")
	os.WriteFile(cfg, []byte(upstreams), 0o600)
	cmd := exec.Command(binary(t), "--config", cfg, "serve", "--http-listen", "127.0.0.1:0", "--pg-listen", "127.0.0.1:0")
	cmd.Env = os.Environ()
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != exitInput {
		t.Fatalf("exit %v: %s", err, out)
	}
	if !strings.Contains(string(out), "upstreams[0].dsn: environment variable CHP_TEST_STAGING_DSN is not set") {
		t.Fatalf("output: %s", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "state")); !os.IsNotExist(err) {
		t.Fatal("state was created by a server that refused to start")
	}
}

var (
	leanOnce sync.Once
	leanErr  error
)

// leanHook builds chaperone-hook beside the chaperone binary, where it looks
// for the full binary to decide locally.
func leanHook(t *testing.T) string {
	t.Helper()
	path := filepath.Join(filepath.Dir(binary(t)), "chaperone-hook")
	leanOnce.Do(func() {
		out, err := exec.Command("go", "build", "-o", path, "../chaperone-hook").CombinedOutput()
		if err != nil {
			leanErr = fmt.Errorf("%v: %s", err, out)
		}
	})
	if leanErr != nil {
		t.Fatalf("building chaperone-hook: %v", leanErr)
	}
	return path
}

// startServe runs `chaperone serve` on cfg until the test ends and returns
// once it reports that it is serving, with the PostgreSQL gateway's address.
func startServe(t *testing.T, cfg string, env ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd, pg, _ := startServeHTTP(t, cfg, env...)
	return cmd, pg
}

// startServeHTTP is startServe that also returns the HTTP listener's address.
func startServeHTTP(t *testing.T, cfg string, env ...string) (*exec.Cmd, string, string) {
	t.Helper()
	cmd, addrs := startServeAddrs(t, cfg, env...)
	return cmd, addrs["pg"], addrs["http"]
}

// startServeAddrs starts serve with every listener on a free loopback
// port and returns the addresses it logged (pg, http, proxy).
func startServeAddrs(t *testing.T, cfg string, env ...string) (*exec.Cmd, map[string]string) {
	t.Helper()
	cmd := exec.Command(binary(t), "--config", cfg, "--log-format", "json", "serve", "--http-listen", "127.0.0.1:0", "--pg-listen", "127.0.0.1:0",
		"--proxy-listen", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), env...)
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	ready := make(chan map[string]string, 1)
	var logged strings.Builder
	var mu sync.Mutex
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			mu.Lock()
			logged.WriteString(sc.Text() + "\n")
			mu.Unlock()
			var line map[string]any
			if json.Unmarshal(sc.Bytes(), &line) == nil && line["msg"] == "chaperone serving" {
				addrs := map[string]string{}
				for _, k := range []string{"pg", "http", "proxy"} {
					addrs[k], _ = line[k].(string)
				}
				ready <- addrs
			}
		}
	}()
	select {
	case addrs := <-ready:
		return cmd, addrs
	case <-time.After(20 * time.Second):
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("serve did not start:\n%s", logged.String())
	}
	return nil, nil
}

func runHook(t *testing.T, stdin string, env []string, exe string, args ...string) string {
	t.Helper()
	cmd := exec.Command(exe, args...)
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %v: %v (%s)", exe, args, err, out)
	}
	return string(out)
}

func TestLeanHookAsksServeThenDecidesLocallyThenDenies(t *testing.T) {
	cfg := initDir(t, "")
	socket := filepath.Join(filepath.Dir(cfg), "run", "hook.sock")
	lean := leanHook(t)
	env := append(os.Environ(), "CHAPERONE_CONFIG=", "CHAPERONE_HOOK_SOCKET=")
	const secret = "ghp_abcdefghijklmnopqrstuvwxyz0123456789"
	in := `{"cwd":"/w","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"GH_TOKEN=` + secret + ` terraform destroy -auto-approve"}}`
	want := func(out string) {
		t.Helper()
		if !strings.HasPrefix(out, `{"hookSpecificOutput":{"hookEventName":"PreToolUse","permissionDecision":"ask","permissionDecisionReason":"Chaperone [builtin.destructive]`) ||
			!strings.Contains(out, "iac.destroy") {
			t.Fatalf("hook answered %s", out)
		}
	}
	serve, _ := startServe(t, cfg)
	want(runHook(t, in, env, lean, "claude-code", "--socket", socket))
	// The config alone leads to serve's socket, as install writes it.
	want(runHook(t, in, env, lean, "claude-code", "--config", cfg))
	// The full binary asks serve too.
	want(runHook(t, in, env, binary(t), "--config", cfg, "hook", "claude-code"))
	exported := chaperone(t, "", "--config", cfg, "audit", "export", "--format", "jsonl")
	if exported.code != 0 || strings.Count(exported.stdout, `"actor":"hook:claude-code"`) != 3 ||
		!strings.Contains(exported.stdout, "terraform destroy") || strings.Contains(exported.stdout, secret) {
		t.Fatalf("audit export: %+v", exported)
	}
	hooks := chaperone(t, "", "--config", cfg, "audit", "export", "--format", "jsonl", "--entry", "hook", "--class", "destructive")
	if hooks.code != 0 || strings.Count(hooks.stdout, "\n") != 3 || strings.Count(hooks.stdout, `"entry":"hook"`) != 3 {
		t.Fatalf("audit export --entry hook --class destructive: %+v", hooks)
	}
	// Serve's own files are out of an agent's reach, by any write tool.
	write := `{"cwd":"/w","hook_event_name":"PreToolUse","tool_name":"Write","tool_input":{"file_path":"` + cfg + `","content":"policy: {}"}}`
	if out := runHook(t, write, env, lean, "claude-code", "--socket", socket); !strings.Contains(out, `"permissionDecision":"deny"`) {
		t.Fatalf("a write to serve's config: %s", out)
	}
	if none := chaperone(t, "", "--config", cfg, "audit", "export", "--entry", "pg"); none.code != 0 || none.stdout != "" {
		t.Fatalf("audit export --entry pg: %+v", none)
	}
	if bad := chaperone(t, "", "--config", cfg, "audit", "export", "--entry", "ftp"); bad.code != exitInput || !strings.Contains(bad.stderr, "unknown entry point") {
		t.Fatalf("audit export --entry ftp: %+v", bad)
	}

	// Without serve, the full binary beside it decides.
	serve.Process.Signal(syscall.SIGTERM)
	serve.Wait()
	if _, err := os.Stat(socket); !os.IsNotExist(err) {
		t.Fatalf("serve left its socket behind: %v", err)
	}
	want(runHook(t, in, env, lean, "claude-code", "--config", cfg, "--socket", socket))

	// Alone, with no full binary to ask, it denies, and still exits 0.
	alone := filepath.Join(t.TempDir(), "chaperone-hook")
	data, _ := os.ReadFile(lean)
	os.WriteFile(alone, data, 0o755)
	out := runHook(t, in, append(env, "PATH=/nonexistent"), alone, "codex", "--socket", socket)
	if !strings.HasPrefix(out, `{"hookSpecificOutput":{"hookEventName":"PreToolUse","permissionDecision":"deny"`) || !strings.Contains(out, "no chaperone binary") {
		t.Fatalf("alone: %s", out)
	}
	// Tools that act only inside the agent need no one.
	if out := runHook(t, `{"tool_name":"TodoWrite","tool_input":{"todos":[]}}`, append(env, "PATH=/nonexistent"), alone, "claude-code"); out != "" {
		t.Fatalf("uninspected tool: %q", out)
	}
	cmd := exec.Command(alone, "vim")
	if err := cmd.Run(); err == nil || cmd.ProcessState.ExitCode() != 2 {
		t.Fatalf("unknown agent: %v", err)
	}
}

// listen.http_tls serves the console, API and metrics over TLS only.
func TestServeHTTPOverTLS(t *testing.T) {
	cfg := initDir(t, "")
	setInConfig(t, cfg, "http_tls: false", "http_tls: true")
	_, _, addr := startServeHTTP(t, cfg)
	insecure := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, Timeout: 10 * time.Second}
	resp, err := insecure.Get("https://" + addr + "/login")
	if err != nil || resp.StatusCode != 200 || resp.TLS == nil {
		t.Fatalf("console over TLS: %v %v", resp, err)
	}
	resp.Body.Close()
	if resp, err := (&http.Client{Timeout: 10 * time.Second}).Get("http://" + addr + "/login"); err == nil && resp.StatusCode == 200 {
		t.Fatal("the console answered in plain HTTP with http_tls on")
	}
}
