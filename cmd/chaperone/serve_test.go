package main

import (
	"bufio"
	"encoding/json"
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
	cmd := exec.Command(binary(t), "--config", cfg, "--log-format", "json", "--log-level", "debug", "serve", "--http-listen", "127.0.0.1:0")
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
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve exited with %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop on SIGTERM")
	}
	for range addr {
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
	cmd := exec.Command(binary(t), "--config", cfg, "serve", "--http-listen", "127.0.0.1:0")
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
