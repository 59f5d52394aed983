// Package localpg runs a private PostgreSQL server on this machine: initdb
// into a temporary directory, pg_ctl start on a free loopback port, password
// (SCRAM) authentication. PostgreSQL refuses to run as root, so as root the
// server's programs run as the postgres user. The tests and `chaperone demo`
// use it.
package localpg

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// Server is a running PostgreSQL.
type Server struct {
	Dir      string // data directory
	Port     int
	Password string // of the superuser "postgres"
	owner    *user.User
	bin      string
	opts     string // server options, for Restart
	// alive is held open while this process lives: its end tells the
	// watcher (watch) to stop the server.
	alive *os.File
}

// Start initialises and starts a server; Stop removes it.
func Start() (*Server, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	s := &Server{bin: bin, Password: randomHex(12)}
	if os.Geteuid() == 0 {
		if s.owner, err = user.Lookup("postgres"); err != nil {
			return nil, fmt.Errorf("running as root needs a postgres user: %v", err)
		}
	}
	root, err := os.MkdirTemp("", "chaperone-pg-")
	if err != nil {
		return nil, err
	}
	s.Dir = filepath.Join(root, "data")
	pwfile := filepath.Join(root, "pw")
	if err := os.WriteFile(pwfile, []byte(s.Password+"\n"), 0o600); err != nil {
		return nil, err
	}
	if err := s.chown(root, pwfile); err != nil {
		return nil, err
	}
	if out, err := s.run("initdb", "-D", s.Dir, "-U", "postgres", "--auth=scram-sha-256", "--pwfile="+pwfile,
		"-E", "UTF8", "--no-locale", "--no-sync"); err != nil {
		return nil, fmt.Errorf("initdb: %v\n%s", err, out)
	}
	os.Remove(pwfile)
	if s.Port, err = freePort(); err != nil {
		return nil, err
	}
	s.opts = fmt.Sprintf("-c listen_addresses=127.0.0.1 -c port=%d -c unix_socket_directories=%s -c fsync=off "+
		"-c synchronous_commit=off -c full_page_writes=off -c max_connections=500 -c shared_buffers=32MB", s.Port, root)
	if out, err := s.run("pg_ctl", "-D", s.Dir, "-w", "-t", "60", "-l", filepath.Join(root, "log"), "-o", s.opts, "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(root, "log"))
		return nil, fmt.Errorf("pg_ctl start: %v\n%s\n%s", err, out, log)
	}
	if err := s.watch(root); err != nil {
		s.Stop()
		return nil, err
	}
	return s, s.waitReady()
}

// pg_ctl starts the server as a daemon: it outlives a process that ends
// without calling Stop (killed, or a Go fuzz worker its coordinator ends),
// and such servers piled up. So a watcher, in a process group of its own,
// waits for this process to end (the pipe's write end closes with it,
// however it ends) and then stops the server and removes its files.
func (s *Server) watch(root string) error {
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	const script = `read _; "$0" -D "$1" -m immediate -w stop >/dev/null 2>&1; rm -rf "$2"`
	cmd := s.command("sh", "-c", script, filepath.Join(s.bin, "pg_ctl"), s.Dir, root)
	cmd.Stdin = r
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		w.Close()
		return fmt.Errorf("starting the server's watcher: %w", err)
	}
	go cmd.Wait()
	s.alive = w
	return nil
}

// DSN connects to database db as the superuser.
func (s *Server) DSN(db string) string {
	return fmt.Sprintf("postgres://postgres:%s@127.0.0.1:%d/%s?sslmode=disable", s.Password, s.Port, db)
}

// Addr is host:port.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port)) }

// Stop stops the server and removes its files.
func (s *Server) Stop() {
	s.run("pg_ctl", "-D", s.Dir, "-m", "immediate", "-w", "stop")
	os.RemoveAll(filepath.Dir(s.Dir))
	if s.alive != nil {
		s.alive.Close() // the watcher finds nothing left to do
	}
}

// Kill stops the server at once, as a crash would; Restart brings it back.
func (s *Server) Kill() error {
	_, err := s.run("pg_ctl", "-D", s.Dir, "-m", "immediate", "-w", "stop")
	return err
}

// Exec runs statements, in order, as the superuser on db.
func (s *Server) Exec(ctx context.Context, db string, stmts ...string) error {
	c, err := pgx.Connect(ctx, s.DSN(db))
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	for _, st := range stmts {
		if _, err := c.Exec(ctx, st); err != nil {
			return fmt.Errorf("%s: %w", st, err)
		}
	}
	return nil
}

// Count returns SELECT count(*) FROM table on db, or -1 when the table is
// gone; the error is for a server that cannot be reached.
func (s *Server) Count(ctx context.Context, db, table string) (int, error) {
	c, err := pgx.Connect(ctx, s.DSN(db))
	if err != nil {
		return 0, err
	}
	defer c.Close(ctx)
	var n int
	if err := c.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{table}.Sanitize()).Scan(&n); err != nil {
		return -1, nil
	}
	return n, nil
}

// Restart starts a killed server again on the same port and data.
func (s *Server) Restart() error {
	root := filepath.Dir(s.Dir)
	if out, err := s.run("pg_ctl", "-D", s.Dir, "-w", "-t", "60", "-l", filepath.Join(root, "log"), "-o", s.opts, "start"); err != nil {
		return fmt.Errorf("pg_ctl start: %v\n%s", err, out)
	}
	return s.waitReady()
}

func (s *Server) waitReady() error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		c, err := pgx.Connect(ctx, s.DSN("postgres"))
		if err == nil {
			c.Close(ctx)
			cancel()
			return nil
		}
		cancel()
		if time.Now().After(deadline) {
			return fmt.Errorf("PostgreSQL did not accept connections: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (s *Server) run(prog string, args ...string) ([]byte, error) {
	return s.command(filepath.Join(s.bin, prog), args...).CombinedOutput()
}

// command runs path as the server's owner, with none of the descriptors
// this process inherited.
func (s *Server) command(path string, args ...string) *exec.Cmd {
	closeInheritedOnExec()
	var cmd *exec.Cmd
	if s.owner != nil {
		cmd = exec.Command("runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	cmd.Dir = os.TempDir()
	return cmd
}

func (s *Server) chown(paths ...string) error {
	if s.owner == nil {
		return nil
	}
	uid, _ := strconv.Atoi(s.owner.Uid)
	gid, _ := strconv.Atoi(s.owner.Gid)
	for _, p := range paths {
		if err := os.Chown(p, uid, gid); err != nil {
			return err
		}
	}
	return nil
}

// binDir finds initdb: on PATH, else in Debian's versioned directories.
func binDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(matches) > 0 {
		return filepath.Dir(matches[len(matches)-1]), nil
	}
	return "", fmt.Errorf("PostgreSQL's initdb is not installed (scripts/test-deps.sh installs it)")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// RandomHex is n random bytes in hex: passwords and names.
func RandomHex(n int) string { return randomHex(n) }

// closeInheritedOnExec keeps descriptors this process inherited open (they
// are not close-on-exec, as its own are) from reaching the server: a
// postmaster outlives the process that started it, and one holding, say, a
// Go fuzz worker's pipe to its coordinator keeps the coordinator waiting
// for an end of file that never comes.
func closeInheritedOnExec() {
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return
	}
	for _, f := range fds {
		if fd, err := strconv.Atoi(f.Name()); err == nil && fd > 2 {
			syscall.CloseOnExec(fd)
		}
	}
}
