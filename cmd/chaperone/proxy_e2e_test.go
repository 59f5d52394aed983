package main

import (
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chaperone/chaperone/internal/gateway/proxy"
	"github.com/chaperone/chaperone/internal/railwaysim"
)

// Unmodified clients (curl, Python's urllib, Node's https) with
// HTTPS_PROXY pointing at serve call Railway's own URL and are gated as
// through /u/<upstream>/: Railway (a local stand-in reached through the
// upstream's url) sees only Chaperone's credential; the incident's
// cross-environment volumeDelete is denied by name; the real token is
// refused and nothing reaches Railway; a host neither configured nor
// allowed is refused without being dialled; an allowed host is
// tunnelled; an echoed credential never comes back.
func TestProxyThroughServeWithRealClients(t *testing.T) {
	for _, tool := range []string{"curl", "python3", "node"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed", tool)
		}
	}
	sim := railwaysim.New(railwaysim.Incident())
	sim.Token = "RAILWAY-ACCOUNT-TOKEN"
	railway := httptest.NewServer(sim)
	defer railway.Close()
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Debug", r.Header.Get("Authorization"))
		fmt.Fprintf(w, `{"you_sent":%q}`, r.Header.Get("Authorization"))
	}))
	defer echo.Close()
	registry := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "a package") }))
	defer registry.Close()
	// A loopback service nobody allowed: it must never see a connection.
	forbidden, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer forbidden.Close()
	var dialled atomic.Int32
	go func() {
		for {
			c, err := forbidden.Accept()
			if err != nil {
				return
			}
			dialled.Add(1)
			c.Close()
		}
	}()

	cfg := initDir(t, `upstreams:
  - name: echo-staging
    kind: http
    env: staging
    url: `+echo.URL+`
    credential: ${CHP_TEST_ECHO_TOKEN}
    hosts: [api.echo.test]
`)
	registryHost := strings.TrimPrefix(registry.URL, "https://")
	setInConfig(t, cfg, "    - deb.debian.org\n", "    - deb.debian.org\n    - "+registryHost+"\n")
	for _, env := range []string{"production", "staging"} {
		if r := chaperone(t, "", "--config", cfg, "upstream", "add", "railway-"+env, "--kind", "http", "--provider", "railway",
			"--url", railway.URL, "--credential", "RAILWAY-ACCOUNT-TOKEN", "--env", env); r.code != 0 {
			t.Fatalf("upstream add: %+v", r)
		}
	}
	stg := strings.TrimSpace(chaperone(t, "", "--config", cfg, "token", "create", "--env", "staging", "--upstream", "railway-staging,echo-staging").stdout)
	caFile := filepath.Join(filepath.Dir(cfg), "state", proxy.CACertFile)
	if fi, err := os.Stat(caFile); err != nil || fi.Mode().Perm() != 0o644 {
		t.Fatalf("init did not write the proxy CA: %v", err)
	}
	if fi, err := os.Stat(filepath.Join(filepath.Dir(cfg), "state", proxy.CAKeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the proxy CA's key: %v %v", fi.Mode(), err)
	}
	_, addrs := startServeAddrs(t, cfg, "CHP_TEST_ECHO_TOKEN=ECHO-ACCOUNT-TOKEN")
	proxyURL := "http://" + addrs["proxy"]
	agentRequests := func() int {
		n := 0
		for _, r := range sim.Seen() {
			if r.Operation != "chaperoneResolve" {
				n++
			}
		}
		return n
	}
	curl := func(args ...string) (string, error) {
		cmd := exec.Command("curl", append([]string{"-sS", "--max-time", "20", "--proxy", proxyURL, "--cacert", caFile, "-w", "\n%{http_code}"}, args...)...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	const me = `{"query":"query { me { id } }"}`
	const incident = `{"query":"mutation { volumeDelete(volumeId: \"vol_3b8d0c\") }"}`

	// curl, a read, with the token where Railway's CLI sends a project token.
	out, err := curl("-H", "Project-Access-Token: "+stg, "-H", "Content-Type: application/json", "--data", me, "https://backboard.railway.app/graphql/v2")
	if err != nil || !strings.HasSuffix(out, "\n200") || !strings.Contains(out, `"me"`) {
		t.Fatalf("curl read: %v\n%s", err, out)
	}
	// curl, the incident's mutation: denied by name, Railway untouched.
	out, err = curl("-H", "Authorization: Bearer "+stg, "-H", "Content-Type: application/json", "--data", incident, "https://backboard.railway.com/graphql/v2")
	if err != nil || !strings.HasSuffix(out, "\n403") || !strings.Contains(out, "builtin.environment") ||
		!strings.Contains(out, "volume vol_3b8d0c has an instance in production; this token is scoped to staging") {
		t.Fatalf("curl volumeDelete: %v\n%s", err, out)
	}
	// curl with Railway's own token: refused, nothing reaches Railway.
	before := agentRequests()
	out, err = curl("-H", "Authorization: Bearer RAILWAY-ACCOUNT-TOKEN", "-H", "Content-Type: application/json", "--data", incident, "https://backboard.railway.app/graphql/v2")
	if err != nil || !strings.HasSuffix(out, "\n401") || agentRequests() != before {
		t.Fatalf("curl with the real token: %v\n%s", err, out)
	}
	// A host neither configured nor allowed: refused, never dialled.
	out, _ = curl("https://" + forbidden.Addr().String() + "/")
	if !strings.Contains(out, "403") {
		t.Fatalf("curl to a host not allowed: %s", out)
	}
	// An allowed host: tunnelled, its own certificate unchanged.
	regCA := filepath.Join(t.TempDir(), "registry.pem")
	os.WriteFile(regCA, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: registry.Certificate().Raw}), 0o644)
	out, err = curl("--cacert", regCA, registry.URL+"/pkg")
	if err != nil || out != "a package\n200" {
		t.Fatalf("curl to an allowed host: %v\n%s", err, out)
	}
	// An upstream that echoes the credential: scrubbed.
	out, err = curl("-i", "-H", "Authorization: Bearer "+stg, "https://api.echo.test/debug")
	if err != nil || strings.Contains(out, "ECHO-ACCOUNT-TOKEN") || !strings.Contains(out, "[credential]") {
		t.Fatalf("curl to an echoing upstream: %v\n%s", err, out)
	}

	// Python's urllib, configured only by the environment.
	py := exec.Command("python3", "-c", `
import json, sys, urllib.request, urllib.error
def send(body, **headers):
    req = urllib.request.Request("https://backboard.railway.app/graphql/v2", data=body.encode(), headers=dict(headers, **{"Content-Type": "application/json"}))
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
print(*send(sys.argv[1], Authorization="Bearer " + sys.argv[3]))
print(*send(sys.argv[2], Authorization="Bearer " + sys.argv[3]))
`, me, incident, stg)
	py.Env = []string{"PATH=" + os.Getenv("PATH"), "HTTPS_PROXY=" + proxyURL, "SSL_CERT_FILE=" + caFile}
	pyOut, err := py.CombinedOutput()
	lines := nonEmptyLines(string(pyOut))
	if err != nil || len(lines) != 2 || !strings.HasPrefix(lines[0], "200 ") || !strings.HasPrefix(lines[1], "403 ") || !strings.Contains(lines[1], "builtin.environment") {
		t.Fatalf("python: %v\n%s", err, pyOut)
	}

	// Node's https with a CONNECT through the proxy (Node 20's fetch does
	// not read HTTPS_PROXY, and undici is not bundled for require).
	node := exec.Command("node", "-e", `
const http = require("http"), https = require("https"), tls = require("tls"), fs = require("fs");
const [proxyHost, proxyPort] = process.env.PROXY.split(":");
function send(body) {
  return new Promise((resolve, reject) => {
    http.request({ host: proxyHost, port: proxyPort, method: "CONNECT", path: "backboard.railway.app:443" })
      .on("connect", (res, socket) => {
        if (res.statusCode !== 200) return reject(new Error("CONNECT " + res.statusCode));
        const req = https.request({ host: "backboard.railway.app", path: "/graphql/v2", method: "POST",
          headers: { "Authorization": "Bearer " + process.env.TOKEN, "Content-Type": "application/json" },
          createConnection: () => tls.connect({ socket, servername: "backboard.railway.app", ca: fs.readFileSync(process.env.CA) }) },
          (r) => { let b = ""; r.on("data", (d) => b += d); r.on("end", () => resolve(r.statusCode + " " + b)); });
        req.on("error", reject);
        req.end(body);
      }).on("error", reject).end();
  });
}
(async () => { console.log(await send(process.argv[1])); console.log(await send(process.argv[2])); })()
  .catch((e) => { console.error(e); process.exit(1); });
`, me, incident)
	node.Env = []string{"PATH=" + os.Getenv("PATH"), "PROXY=" + addrs["proxy"], "CA=" + caFile, "TOKEN=" + stg}
	nodeOut, err := node.CombinedOutput()
	lines = nonEmptyLines(string(nodeOut))
	if err != nil || len(lines) != 2 || !strings.HasPrefix(lines[0], "200 ") || !strings.HasPrefix(lines[1], "403 ") || !strings.Contains(lines[1], "builtin.environment") {
		t.Fatalf("node: %v\n%s", err, nodeOut)
	}

	time.Sleep(100 * time.Millisecond)
	if dialled.Load() != 0 {
		t.Fatalf("the proxy dialled a host it refused %d times", dialled.Load())
	}
	if m := sim.Mutations(); len(m) != 0 || !sim.HasVolume("vol_3b8d0c") {
		t.Fatalf("Railway ran %v", m)
	}
	for _, r := range sim.Seen() {
		if r.Authorization != "Bearer RAILWAY-ACCOUNT-TOKEN" {
			t.Fatalf("Railway saw %q", r.Authorization)
		}
	}
	exported := chaperone(t, "", "--config", cfg, "audit", "export", "--format", "jsonl").stdout
	for _, want := range []string{`"type":"proxy.refused"`, `"type":"credential.refused"`, `proxy:railway-staging`, `builtin.environment`} {
		if !strings.Contains(exported, want) {
			t.Errorf("the audit log lacks %s", want)
		}
	}
	if strings.Contains(exported, "RAILWAY-ACCOUNT-TOKEN") || strings.Contains(exported, "ECHO-ACCOUNT-TOKEN") {
		t.Error("a credential's value is in the audit log")
	}
}

func nonEmptyLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

// --proxy-listen overrides listen.proxy, is checked like the other
// listen flags, and "" turns the proxy off.
func TestProxyListenFlag(t *testing.T) {
	cfg := initDir(t, "")
	r := chaperone(t, "", "--config", cfg, "serve", "--http-listen", "127.0.0.1:0", "--pg-listen", "127.0.0.1:0", "--proxy-listen", "example.com:1")
	if r.code != exitInput || !strings.Contains(r.stderr, "--proxy-listen:") {
		t.Fatalf("%+v", r)
	}
	cmd := exec.Command(binary(t), "--config", cfg, "--log-format", "json", "serve", "--http-listen", "127.0.0.1:0", "--pg-listen", "127.0.0.1:0", "--proxy-listen", "")
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	buf := make([]byte, 64<<10)
	var got strings.Builder
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(got.String(), "chaperone serving") && time.Now().Before(deadline) {
		n, err := stderr.Read(buf)
		got.Write(buf[:n])
		if err != nil {
			break
		}
	}
	if !strings.Contains(got.String(), `"proxy":"off"`) {
		t.Fatalf("serve with --proxy-listen \"\":\n%s", got.String())
	}
}
