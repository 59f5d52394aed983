// Package doctor checks a Chaperone installation end to end and says what
// is wrong and how to fix it: where backups live and whether they can be
// deleted, how old the last verified backup is, who can read the state and
// its keys, tokens that never expire, and listeners beyond loopback.
package doctor

import (
	"context"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chaperone/chaperone/internal/backup"
	"github.com/chaperone/chaperone/internal/config"
	"github.com/chaperone/chaperone/internal/store"
)

// Level says how bad a finding is. Any Fail makes doctor exit non-zero.
type Level string

const (
	OK   Level = "ok"
	Warn Level = "warn"
	Fail Level = "FAIL"
)

// Finding is one check's outcome.
type Finding struct {
	Level   Level  `json:"level"`
	Check   string `json:"check"`
	Message string `json:"message"`
	Fix     string `json:"fix,omitempty"`
}

// Inputs is what doctor looks at.
type Inputs struct {
	Config *config.Config
	State  store.Store
	Backup backup.Store
	// DSN resolves an upstream's credential (nil: upstreams are not
	// contacted).
	DSN func(config.Upstream) (string, error)
	Now time.Time
}

// Run performs every check.
func Run(ctx context.Context, in Inputs) []Finding {
	var out []Finding
	add := func(l Level, check, msg, fix string) { out = append(out, Finding{l, check, msg, fix}) }
	cfg := in.Config

	// Backups: a recipient, a store whose deletions are really refused.
	if cfg.Backup.Recipient == "" {
		add(Fail, "backup.recipient", "no age recipient: no snapshot can be taken, so approved destruction is refused",
			"set backup.recipient to an age public key (age-keygen -y KEYFILE), and keep the identity off this machine")
	} else {
		add(OK, "backup.recipient", "snapshots are encrypted to "+cfg.Backup.Recipient, "")
	}
	if !cfg.Backup.SnapshotBeforeDestructive() {
		add(Fail, "backup.before_destructive", "approved destruction runs without a snapshot before it",
			"remove backup.before_destructive: false")
	}
	if id := filepath.Join(filepath.Dir(cfg.File), config.IdentityFile); cfg.File != "" {
		if _, err := os.Stat(id); err == nil {
			add(Warn, "backup.identity", id+" decrypts every snapshot and sits on the machine Chaperone runs on",
				"copy it off this machine (a password manager, an offline disk), then delete it here")
		}
	}
	if err := in.Backup.Check(ctx); err != nil {
		add(Fail, "backup.store", err.Error(), "fix the store (for S3: a bucket created with Object Lock)")
	} else if cfg.Backup.Store == "s3" {
		add(OK, "backup.store", in.Backup.Describe()+": Object Lock is on; every snapshot is locked in COMPLIANCE mode", "")
	} else {
		add(Warn, "backup.store", in.Backup.Describe()+" is only as isolated as its disk: anyone who can act as Chaperone's user could remove it by hand",
			"use backup.store: s3 with an Object Lock bucket")
		out = append(out, localStoreChecks(ctx, in)...)
	}
	out = append(out, drillChecks(ctx, in)...)
	out = append(out, privilegeChecks(ctx, in)...)

	// Files: the state, the sealing key and the TLS key belong to Chaperone alone.
	stateDir := cfg.StateDir()
	for _, f := range []struct {
		path string
		max  fs.FileMode
	}{{stateDir, 0o700}, {cfg.State.Path, 0o600}, {filepath.Join(stateDir, "secret.key"), 0o600}, {filepath.Join(stateDir, "tls.key"), 0o600}} {
		fi, err := os.Stat(f.path)
		if err != nil {
			continue // not created yet
		}
		if fi.Mode().Perm()&^f.max != 0 {
			add(Fail, "permissions", fmt.Sprintf("%s is mode %o: others can read it", f.path, fi.Mode().Perm()), fmt.Sprintf("chmod %o %s", f.max, f.path))
		}
	}

	// Tokens that never expire outlive the task they were made for.
	var never []string
	in.State.View(ctx, func(tx store.Tx) error {
		toks, err := tx.ListTokens()
		for _, t := range toks {
			if t.ExpiresAt.IsZero() && t.RevokedAt.IsZero() {
				never = append(never, t.ID)
			}
		}
		return err
	})
	if len(never) > 0 {
		add(Warn, "tokens", fmt.Sprintf("%d token(s) never expire: %v", len(never), never), "revoke them and create ones with --ttl")
	} else {
		add(OK, "tokens", "every active token expires", "")
	}

	// Listeners beyond loopback.
	for _, l := range []struct{ key, addr string }{{"listen.pg", cfg.Listen.PG}, {"listen.http", cfg.Listen.HTTP}} {
		host, _, _ := net.SplitHostPort(l.addr)
		ip := net.ParseIP(host)
		switch {
		case host == "localhost" || (ip != nil && ip.IsLoopback()):
			add(OK, l.key, l.addr+" is loopback only", "")
		case l.key == "listen.pg" && cfg.Listen.PGPlain:
			add(Fail, l.key, l.addr+" is reachable from the network and accepts plain (unencrypted) connections",
				"set listen.pg_plain: false so that tokens only travel over TLS")
		case l.key == "listen.http" && !cfg.Listen.HTTPTLS:
			add(Fail, l.key, l.addr+" is reachable from the network without TLS: approver passwords would travel in clear",
				"set listen.http_tls: true, or listen on loopback behind a TLS proxy")
		default:
			add(Warn, l.key, l.addr+" is reachable from the network (TLS on)", "make sure only the intended hosts can reach it")
		}
	}
	return out
}

// localStoreChecks: a local store on the same filesystem as an upstream's
// data, or readable by other users, is no backup.
func localStoreChecks(ctx context.Context, in Inputs) []Finding {
	var out []Finding
	dir := in.Config.Backup.Local.Dir
	fi, err := os.Stat(dir)
	if err != nil {
		return out
	}
	if fi.Mode().Perm()&0o077 != 0 {
		out = append(out, Finding{Fail, "backup.local", fmt.Sprintf("%s is mode %o: other users can read the snapshots' directory", dir, fi.Mode().Perm()),
			"chmod 700 " + dir})
	}
	if in.DSN == nil {
		return out
	}
	backupDev := device(fi)
	for _, up := range in.Config.Upstreams {
		if up.Kind != config.KindPostgres {
			continue
		}
		dataDir, err := dataDirectory(ctx, in.DSN, up)
		if err != nil {
			out = append(out, Finding{Warn, "backup.local", fmt.Sprintf("could not tell where upstream %s keeps its data (%v)", up.Name, err),
				"check that the backup directory is not on the same disk as the database"})
			continue
		}
		if st, err := os.Stat(dataDir); err == nil && device(st) == backupDev {
			out = append(out, Finding{Fail, "backup.local", fmt.Sprintf("%s is on the same filesystem as upstream %s's data (%s): one failure takes both", dir, up.Name, dataDir),
				"move backup.local.dir to another disk, or use an S3 store"})
		}
	}
	return out
}

func device(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Dev)
	}
	return 0
}

func dataDirectory(ctx context.Context, resolve func(config.Upstream) (string, error), up config.Upstream) (string, error) {
	var dir string
	if err := queryUpstream(ctx, resolve, up, "SHOW data_directory", &dir); err != nil {
		return "", err
	}
	return dir, nil
}

// queryUpstream reads one row from an upstream, over its own credential,
// within a bound.
func queryUpstream(ctx context.Context, resolve func(config.Upstream) (string, error), up config.Upstream, query string, dest ...any) error {
	dsn, err := resolve(up)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return fmt.Errorf("cannot connect")
	}
	defer conn.Close(context.Background())
	if err := conn.QueryRow(ctx, query).Scan(dest...); err != nil {
		return fmt.Errorf("%s: %v", query, err)
	}
	return nil
}

// drillChecks: each postgres upstream needs a passing restore drill within
// the RPO.
func drillChecks(ctx context.Context, in Inputs) []Finding {
	drills, err := backup.LastDrills(ctx, in.State)
	if err != nil {
		return []Finding{{Fail, "backup.drill", "the audit log cannot be read: " + err.Error(), "check the state"}}
	}
	var out []Finding
	rpo := time.Duration(in.Config.Backup.RPO)
	for _, up := range in.Config.Upstreams {
		if up.Kind != config.KindPostgres {
			continue
		}
		check := "backup.drill " + up.Name
		d := drills[up.Name]
		age := in.Now.Sub(d.LastPassed).Round(time.Minute)
		switch {
		case d.Failing != "":
			out = append(out, Finding{Fail, check, "the last restore drill failed: " + d.Failing, "investigate, then run chaperone backup verify --latest again"})
		case d.LastPassed.IsZero():
			out = append(out, Finding{Fail, check, "no restore drill has ever passed: a backup nobody restored is a hope",
				fmt.Sprintf("chaperone backup verify --latest --upstream %s --scratch DSN", up.Name)})
		case age > rpo:
			out = append(out, Finding{Fail, check, fmt.Sprintf("the last verified backup is %s old, beyond the RPO of %s", age, rpo),
				"take and verify a snapshot (backup run, backup verify), or schedule them"})
		default:
			out = append(out, Finding{OK, check, fmt.Sprintf("last verified backup %s ago (RPO %s)", age, rpo), ""})
		}
	}
	return out
}

// privilegeChecks: an upstream that logs in as a superuser can change the
// server behind any statement Chaperone lets through (its catalogs, the
// other databases on it, its files), so least privilege starts with the
// login Chaperone holds.
func privilegeChecks(ctx context.Context, in Inputs) []Finding {
	var out []Finding
	if in.DSN == nil {
		return out
	}
	for _, up := range in.Config.Upstreams {
		if up.Kind != config.KindPostgres {
			continue
		}
		check := "upstream.privileges " + up.Name
		role, super, err := loginRole(ctx, in.DSN, up)
		switch {
		case err != nil:
			out = append(out, Finding{Warn, check, fmt.Sprintf("could not tell which role upstream %s logs in as (%v)", up.Name, err),
				"check that the upstream is reachable: chaperone upstream list"})
		case super:
			out = append(out, Finding{Warn, check, fmt.Sprintf("upstream %s logs in as %s, a superuser: it can change the system catalogs, the other databases on the server and the server's files behind statements Chaperone lets through", up.Name, role),
				fmt.Sprintf("give it a role that owns only its database (CREATE ROLE app LOGIN PASSWORD '...'; ALTER DATABASE ... OWNER TO app) and run chaperone upstream add %s --dsn postgres://app@...", up.Name)})
		default:
			out = append(out, Finding{OK, check, fmt.Sprintf("upstream %s logs in as %s, not a superuser", up.Name, role), ""})
		}
	}
	return out
}

func loginRole(ctx context.Context, resolve func(config.Upstream) (string, error), up config.Upstream) (role string, super bool, err error) {
	err = queryUpstream(ctx, resolve, up, "SELECT current_user::text, rolsuper FROM pg_roles WHERE rolname = current_user", &role, &super)
	return role, super, err
}
