//go:build linux

package sandbox

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == InitArg {
		Init()
	}
	// What the relay's environment holds must not be readable inside.
	os.Setenv("RELAY_SECRET", "1")
	if os.Getenv("SANDBOX_TEST_ROLE") == "unprivileged" {
		os.Exit(unprivileged())
	}
	os.Exit(m.Run())
}

type world struct {
	dir, workspace, state, config, socketDir, socket, settings, env string
	serveLn                                                         net.Listener
	hookLn                                                          net.Listener
}

// newWorld lays out what a run sees: a workspace with a flagged .env and
// hook settings, Chaperone's config and state, a hook socket and a
// listener standing in for serve.
func newWorld(t *testing.T, base string) *world {
	t.Helper()
	w := &world{dir: base}
	w.workspace = filepath.Join(base, "ws")
	w.state = filepath.Join(base, "chp", "state")
	w.config = filepath.Join(base, "chp", "chaperone.yaml")
	w.socketDir = filepath.Join(base, "chp", "run")
	w.socket = filepath.Join(w.socketDir, "hook.sock")
	w.settings = filepath.Join(w.workspace, ".claude", "settings.json")
	w.env = filepath.Join(w.workspace, ".env")
	for _, d := range []string{w.state, w.socketDir, filepath.Dir(w.settings)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(w.state, "secret.key"), []byte("the-sealing-key"), 0o600)
	os.WriteFile(w.config, []byte("version: 1\n"), 0o600)
	os.WriteFile(w.settings, []byte(`{"hooks":{}}`), 0o644)
	os.WriteFile(w.env, []byte("RAILWAY_TOKEN=real-railway-secret\n"), 0o600)
	var err error
	if w.hookLn, err = net.Listen("unix", w.socket); err != nil {
		t.Fatal(err)
	}
	os.Chmod(w.socket, 0o666)
	go func() {
		for {
			c, err := w.hookLn.Accept()
			if err != nil {
				return
			}
			io.WriteString(c, "hook answered\n")
			c.Close()
		}
	}()
	if w.serveLn, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := w.serveLn.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				io.WriteString(c, "serve here: ")
				io.Copy(c, c)
			}()
		}
	}()
	hostSocks := listenHostSockets(base)
	t.Cleanup(func() {
		w.hookLn.Close()
		w.serveLn.Close()
		for _, l := range hostSocks {
			l.Close()
		}
	})
	return w
}

// listenHostSockets stands in for the host's own servers: an abstract
// socket (an X display or a D-Bus bus) and one on a path (Docker's).
func listenHostSockets(base string) []net.Listener {
	var out []net.Listener
	for _, addr := range []string{"@chaperone-test-abstract", filepath.Join(base, "docker.sock")} {
		if l, err := net.Listen("unix", addr); err == nil {
			out = append(out, l)
			go func() {
				for {
					c, err := l.Accept()
					if err != nil {
						return
					}
					c.Close()
				}
			}()
		}
	}
	if len(out) == 2 {
		os.Chmod(filepath.Join(base, "docker.sock"), 0o666)
	}
	return out
}

func (w *world) spec(t *testing.T, script string, out io.Writer) Spec {
	scratch := filepath.Join(w.dir, "scratch")
	os.MkdirAll(scratch, 0o700)
	return Spec{
		Command:  []string{"/bin/sh", "-c", script},
		Dir:      w.workspace,
		Env:      []string{"PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "SERVE=" + w.serveLn.Addr().String()},
		Listen:   []string{"127.0.0.1:5432", "127.0.0.1:8751"},
		Hide:     []string{w.state, w.config},
		ReadOnly: []string{w.settings},
		Replace:  map[string][]byte{w.env: []byte("RAILWAY_TOKEN=chp_stand_in\n")},
		Keep:     w.socket,
		Scratch:  scratch,
		Stdout:   out,
		Stderr:   out,
	}
}

// probe is run inside: each line says what a route around gave.
const probe = `
echo "links: $(ls /sys/class/net | tr '\n' ' ')"
echo "routes: $(tail -n +2 /proc/net/route | wc -l)"
echo "route6: $(awk '$10 != "lo"' /proc/net/ipv6_route | wc -l)"
cat /proc/net/tcp | awk 'NR>1 && $4=="0A" {print "listening: " $2}'
exec 3<>/dev/tcp/${SERVE%:*}/${SERVE#*:} 2>/dev/null && echo "reached serve directly" || echo "serve unreachable directly"
echo "state: $(ls -A STATE 2>&1 | tr '\n' ' ')"
echo "key: $(cat STATE/secret.key 2>&1)"
echo "config: [$(cat CONFIG 2>&1)]"
echo x > CONFIG 2>/dev/null && echo "config written" || echo "config not written"
touch STATE/new 2>/dev/null && echo "state written" || echo "state not written"
echo "env file: $(cat .env)"
echo '{"disableAllHooks":true}' > .claude/settings.json 2>/dev/null && echo "settings written" || echo "settings not written"
rm -f SOCKET 2>/dev/null && echo "socket removed" || echo "socket kept"
mv SOCKET SOCKET.x 2>/dev/null && echo "socket moved" || echo "socket not moved"
echo "sockdir: $(ls -A SOCKDIR | tr '\n' ' ')"
echo "uid: $(id -u) caps: $(grep CapEff /proc/self/status | tr -d '\t')"
`

func expand(w *world, s string) string {
	return strings.NewReplacer("HOSTSOCK", filepath.Join(w.dir, "docker.sock"), "STATE", w.state, "CONFIG", w.config, "SOCKDIR", w.socketDir, "SOCKET", w.socket).Replace(s)
}

func runProbe(t *testing.T, w *world, extra string) string {
	t.Helper()
	var out bytes.Buffer
	spec := w.spec(t, expand(w, probe+extra), &out)
	spec.Command = []string{"/bin/bash", "-c", spec.Command[2]}
	s, err := Start(spec)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	for _, ln := range s.Listeners {
		go Relay(ln, func(ctx context.Context) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "tcp", w.serveLn.Addr().String())
		}, slog.New(slog.DiscardHandler))
	}
	code, err := s.Wait()
	for _, ln := range s.Listeners {
		ln.Close()
	}
	if err != nil || code != 0 {
		t.Fatalf("exit %d %v:\n%s", code, err, out.String())
	}
	return out.String()
}

func checkConfined(t *testing.T, w *world, out string) {
	t.Helper()
	for _, want := range []string{
		"links: lo \n", "routes: 0\n", "route6: 0\n",
		"listening: 0100007F:1538\n", "listening: 0100007F:222F\n",
		"serve unreachable directly", "state: \n", "key: cat:", "config: []", "config not written", "state not written",
		"env file: RAILWAY_TOKEN=chp_stand_in", "settings not written", "socket kept", "socket not moved",
		"sockdir: hook.sock \n", "CapEff:0000000000000000",
		"through the relay: serve here: ping",
		"hook: hook answered",
		"umount refused", "nested umount refused", "setns refused", "nested setns refused", "relay environment unreadable",
		"relay root unreachable", "abstract socket unreachable", "host socket unreachable", "raw socket refused",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("inside, no %q in:\n%s", want, out)
		}
	}
	if strings.Count(out, "listening:") != 2 {
		t.Errorf("something else listens inside:\n%s", out)
	}
	// Outside, nothing changed.
	if b, _ := os.ReadFile(w.env); string(b) != "RAILWAY_TOKEN=real-railway-secret\n" {
		t.Errorf(".env on disk: %q", b)
	}
	if b, _ := os.ReadFile(w.settings); string(b) != `{"hooks":{}}` {
		t.Errorf("settings on disk: %q", b)
	}
	if fi, err := os.Lstat(w.socket); err != nil || fi.Mode()&os.ModeSocket == 0 {
		t.Errorf("hook socket outside: %v", err)
	}
}

// attacks are routes around the sandbox an agent might try.
const attacks = `
umount STATE 2>/dev/null && echo "unmounted the state" || echo "umount refused"
unshare -Urm sh -c 'umount -l STATE && ls STATE' 2>/dev/null | grep -q secret.key && echo "state revealed in a new namespace" || echo "nested umount refused"
nsenter --net=/proc/1/ns/net true 2>/dev/null && echo "entered the host network" || echo "setns refused"
unshare -Urn sh -c 'nsenter --net=/proc/1/ns/net true' 2>/dev/null && echo "entered the host network from a nested namespace" || echo "nested setns refused"
cat /proc/$PPID/environ 2>/dev/null | tr '\0' '\n' | grep -q RELAY_SECRET && echo "read the relay's environment" || echo "relay environment unreadable"
ls /proc/$PPID/root/ 2>/dev/null | grep -q . && echo "entered the relay's root" || echo "relay root unreachable"
python3 -c 'import socket; s=socket.socket(socket.AF_UNIX); s.connect("\0chaperone-test-abstract")' 2>/dev/null && echo "abstract socket reached" || echo "abstract socket unreachable"
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])' HOSTSOCK 2>/dev/null && echo "host socket reached" || echo "host socket unreachable"
python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)' 2>/dev/null && echo "raw socket made" || echo "raw socket refused"
`

const throughRelay = attacks + `
exec 3<>/dev/tcp/127.0.0.1/5432 && printf 'ping' >&3 && { read -t 5 -n 16 reply <&3; echo "through the relay: $reply"; }
echo "hook: $(python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); print(s.recv(100).decode().strip())' SOCKET 2>&1)"
`

// As root (CI), no user namespace is made; every capability is dropped.
func TestRunIsConfinedAsRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, as CI runs it (TestRunIsConfinedUnprivileged, also from root, covers the unprivileged path)")
	}
	w := newWorld(t, t.TempDir())
	out := runProbe(t, w, expand(w, throughRelay))
	checkConfined(t, w, out)
	if !strings.Contains(out, "uid: 0 ") {
		t.Errorf("uid: %s", out)
	}
}

// unprivileged runs as the child of TestRunIsConfinedUnprivileged, as
// nobody; it prints what the probe saw, or the refusal.
func unprivileged() int {
	base := os.Getenv("SANDBOX_TEST_BASE")
	w := &world{dir: base, workspace: filepath.Join(base, "ws"), state: filepath.Join(base, "chp", "state"),
		config: filepath.Join(base, "chp", "chaperone.yaml"), socketDir: filepath.Join(base, "chp", "run")}
	w.socket = filepath.Join(w.socketDir, "hook.sock")
	w.settings = filepath.Join(w.workspace, ".claude", "settings.json")
	w.env = filepath.Join(w.workspace, ".env")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 3
	}
	w.serveLn = ln
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); io.WriteString(c, "serve here: "); io.Copy(c, c) }()
		}
	}()
	var out bytes.Buffer
	spec := w.spec(nil, expand(w, probe+throughRelay), &out)
	spec.Command = []string{"/bin/bash", "-c", spec.Command[2]}
	s, err := Start(spec)
	if err != nil {
		os.Stdout.WriteString("refused: " + err.Error() + "\n")
		if errors.Is(err, ErrUnavailable) {
			return 0
		}
		return 4
	}
	for _, l := range s.Listeners {
		go Relay(l, func(ctx context.Context) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "tcp", ln.Addr().String())
		}, slog.New(slog.DiscardHandler))
	}
	code, err := s.Wait()
	os.Stdout.Write(out.Bytes())
	if err != nil || code != 0 {
		return 5
	}
	return 0
}

// Without root, a user namespace is made where the kernel allows one; where
// it does not, run refuses and names the setting.
func TestRunIsConfinedUnprivileged(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to become nobody")
	}
	base, err := os.MkdirTemp("", "sandbox-unpriv")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	os.Chmod(base, 0o755)
	exe, _ := os.Executable()
	self := filepath.Join(base, "sandbox.test")
	data, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(self, data, 0o755)
	w := newWorld(t, base)
	nobody := uint32(65534)
	os.MkdirAll(filepath.Join(base, "scratch"), 0o700)
	for _, p := range []string{filepath.Join(base, "scratch"), w.workspace, w.env, w.settings, filepath.Dir(w.settings), w.state, w.config, filepath.Join(w.state, "secret.key"), w.socketDir, filepath.Join(base, "chp")} {
		os.Chown(p, int(nobody), int(nobody))
	}
	run := func(extraEnv ...string) string {
		cmd := exec.Command(self, "-test.run=^$")
		cmd.Env = append([]string{"PATH=/usr/bin:/bin", "SANDBOX_TEST_ROLE=unprivileged", "SANDBOX_TEST_BASE=" + base}, extraEnv...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("as nobody: %v\n%s", err, out)
		}
		return string(out)
	}
	out := run()
	if strings.HasPrefix(out, "refused: ") {
		// The kernel forbids it here: the refusal must say what to change.
		if !strings.Contains(out, "user.max_user_namespaces") && !strings.Contains(out, "unprivileged_userns_clone") {
			t.Fatalf("refusal does not name the setting: %s", out)
		}
		t.Logf("unprivileged user namespaces are not allowed here; run refused: %s", out)
	} else {
		checkConfined(t, w, out)
		if !strings.Contains(out, "uid: 65534 ") {
			t.Errorf("uid: %s", out)
		}
	}
	forced := run(FailEnv + "=namespace")
	if !strings.HasPrefix(forced, "refused: ") || !strings.Contains(forced, "user.max_user_namespaces") || !strings.Contains(forced, "--unconfined") {
		t.Fatalf("forced failure: %s", forced)
	}
}

// A namespace that cannot be made stops the run before anything starts.
func TestRunRefusesWithoutNamespaces(t *testing.T) {
	t.Setenv(FailEnv, "namespace")
	w := newWorld(t, t.TempDir())
	marker := filepath.Join(w.dir, "ran")
	spec := w.spec(t, "touch "+marker, io.Discard)
	_, err := Start(spec)
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "--unconfined") {
		t.Fatalf("start: %v", err)
	}
	time.Sleep(100 * time.Millisecond)
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("the command ran")
	}
}
