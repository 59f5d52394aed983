package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chaperone/chaperone/internal/approval"
	"github.com/chaperone/chaperone/internal/backup"
	"github.com/chaperone/chaperone/internal/pgtest"
)

// Real migration tools, driven through a real `chaperone serve` against a
// real PostgreSQL: what a human in the loop costs each of them, counted.

// toolUpstreams is a production and a staging upstream on two databases.
const toolUpstreams = `upstreams:
  - name: app-prod
    kind: postgres
    env: production
    dsn: ${CHP_TOOLS_PROD_DSN}
  - name: app-staging
    kind: postgres
    env: staging
    dsn: ${CHP_TOOLS_STAGING_DSN}
`

// toolEnv is one serve with both upstreams, a token for each and two
// approvers.
type toolEnv struct {
	t                 *testing.T
	pg                *pgtest.Server
	cfg, addr         string
	prodDB, stagingDB string
	tok               map[string]string // upstream -> token
	secrets           []string
	used              []int // codes each approver has spent
	approvals         int
	held              []string // the statements held, in order
}

func newToolEnv(t *testing.T) *toolEnv {
	t.Helper()
	e := &toolEnv{t: t, pg: pgtest.Shared(t), tok: map[string]string{}}
	e.prodDB, e.stagingDB = e.pg.CreateDB(t), e.pg.CreateDB(t)
	e.cfg = initDir(t, toolUpstreams)
	for up, env := range map[string]string{"app-prod": "production", "app-staging": "staging"} {
		r := chaperone(t, "", "--config", e.cfg, "token", "create", "--env", env, "--upstream", up, "--ttl", "1h")
		if r.code != 0 {
			t.Fatalf("token: %+v", r)
		}
		e.tok[up] = strings.TrimSpace(r.stdout)
	}
	// A TOTP code is good once and within a step of now, and the one typed
	// to enroll is spent: three approvers give six approvals in a burst.
	for _, name := range approverNames {
		e.secrets = append(e.secrets, enrollApprover(t, e.cfg, name, "correct horse battery"))
		e.used = append(e.used, 0)
	}
	_, e.addr = startServe(t, e.cfg, "CHP_TOOLS_PROD_DSN="+e.pg.DSN(e.prodDB), "CHP_TOOLS_STAGING_DSN="+e.pg.DSN(e.stagingDB))
	return e
}

func (e *toolEnv) hostPort() (string, string) {
	h, p, _ := strings.Cut(e.addr, ":")
	return h, p
}

// dsn is the connection string an agent is given.
func (e *toolEnv) dsn(upstream string) string {
	h, p := e.hostPort()
	return "postgresql://agent:" + e.tok[upstream] + "@" + h + ":" + p + "/" + upstream + "?sslmode=disable"
}

var approvalID = regexp.MustCompile(`apr_[0-9a-f]{16}`)

var approverNames = []string{"alice", "bob", "carol"}

// approve approves request id at a terminal, as the next approver with a
// fresh code; extra is --for D [--include-destructive].
func (e *toolEnv) approve(id string, extra ...string) {
	e.t.Helper()
	who := -1
	for i, n := range e.used {
		if n < 2 && (who < 0 || n < e.used[who]) {
			who = i
		}
	}
	if who < 0 {
		e.t.Fatalf("more than %d approvals asked for in one burst (held so far: %q)", 2*len(e.used), e.held)
	}
	// Now's step, then the next: each later than the last one spent.
	at := time.Now().Add(time.Duration(e.used[who]) * 30 * time.Second)
	e.used[who]++
	e.approvals++
	name := approverNames[who]
	args := append([]string{"--config", e.cfg, "approvals", "approve", id, "--as", name}, extra...)
	if out, err := atTerminal(e.t, "correct horse battery\n"+totpCode(e.t, e.secrets[who], at)+"\n", args...); err != nil || !strings.Contains(out, "is approved") {
		e.t.Fatalf("approve %s: %v\n%s", id, err, out)
	}
}

// show is `approvals show ID --json`.
func (e *toolEnv) show(id string) approval.View {
	e.t.Helper()
	var v approval.View
	r := chaperone(e.t, "", "--config", e.cfg, "approvals", "show", id, "--json")
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &v) != nil {
		e.t.Fatalf("approvals show %s: %+v", id, r)
	}
	return v
}

// pending lists the ids of pending requests, which is where a tool that
// hides the gateway's message leaves the human to look.
func (e *toolEnv) pending() []string {
	e.t.Helper()
	r := chaperone(e.t, "", "--config", e.cfg, "approvals", "list", "--json")
	var list []approval.View
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &list) != nil {
		e.t.Fatalf("approvals list: %+v", r)
	}
	var ids []string
	for _, v := range list {
		if v.State == "pending" {
			ids = append(ids, v.ID)
		}
	}
	return ids
}

// converge runs a tool until it succeeds, approving what it is held on
// (the first with grant, when given), and returns the approvals it needed.
// A tool that needs more than limit approvals fails the test: retrying
// must not cost approvals that were already given.
func (e *toolEnv) converge(what string, limit int, grant []string, run func() (string, error)) int {
	e.t.Helper()
	start := e.approvals
	for {
		out, err := run()
		if err == nil {
			n := e.approvals - start
			e.t.Logf("%s: done after %d approvals", what, n)
			return n
		}
		id := approvalID.FindString(out)
		if id == "" {
			// The tool did not show the request (or failed otherwise): the
			// human finds it among the pending ones.
			if p := e.pending(); len(p) == 1 {
				id = p[0]
			}
		}
		if id == "" {
			e.t.Fatalf("%s failed, and nothing is pending: %v\n%s", what, err, out)
		}
		v := e.show(id)
		if v.State != "pending" {
			e.t.Fatalf("%s failed on %s, which is %s: %v\n%s", what, id, v.State, err, out)
		}
		e.held = append(e.held, v.Text)
		e.t.Logf("%s held (%d): %s\n%s", what, e.approvals-start+1, v.Text, lastLines(out, 6))
		if e.approvals-start >= limit {
			e.t.Fatalf("%s needs more than %d approvals; held so far:\n%s", what, limit, strings.Join(e.held, "\n"))
		}
		if e.approvals == start && grant != nil {
			e.approve(id, grant...)
		} else {
			e.approve(id)
		}
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// tool runs a command with a deadline, the agent's view of a hung gateway.
func tool(t *testing.T, dir string, env []string, timeout time.Duration, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("%s %v did not finish within %s:\n%s", name, args, timeout, out)
	}
	return string(out), err
}

func need(t *testing.T, cmds ...string) {
	t.Helper()
	for _, c := range cmds {
		if _, err := exec.LookPath(c); err != nil {
			t.Fatalf("%s is not installed (scripts/test-deps.sh installs it)", c)
		}
	}
}

// psqlFile runs a migration file the way a careful script does: one
// transaction, stopping at the first error.
func (e *toolEnv) psqlFile(upstream, file string) (string, error) {
	return tool(e.t, "", nil, 30*time.Second, "psql", "-X", "-1", "-v", "ON_ERROR_STOP=1", "-f", file, e.dsn(upstream))
}

func writeFile(t *testing.T, path, text string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// A production migration of three writes in one transaction: each held
// statement is approved once, and a retry runs what was approved without
// asking again. With a grant, one approval covers it.
func TestToolPsqlSingleTransactionMigrationOnProduction(t *testing.T) {
	need(t, "psql")
	e := newToolEnv(t)
	e.pg.Exec(t, e.prodDB, `CREATE TABLE bookings (id int PRIMARY KEY, note varchar(50))`)
	dir := t.TempDir()
	m1 := writeFile(t, filepath.Join(dir, "001.sql"), `CREATE TABLE guests (id int PRIMARY KEY, name text);
INSERT INTO bookings VALUES (1, 'first');
ALTER TABLE bookings ADD COLUMN guest_id int REFERENCES guests (id);
`)
	n := e.converge("psql -1 001.sql", 3, nil, func() (string, error) { return e.psqlFile("app-prod", m1) })
	if e.pg.Count(t, e.prodDB, "guests") != 0 || e.pg.Count(t, e.prodDB, "bookings") != 1 {
		t.Fatal("the migration did not run")
	}
	m2 := writeFile(t, filepath.Join(dir, "002.sql"), `CREATE TABLE rooms (id int PRIMARY KEY);
INSERT INTO rooms SELECT generate_series(1, 10);
ALTER TABLE bookings ADD COLUMN room_id int REFERENCES rooms (id);
`)
	g := e.converge("psql -1 002.sql with a grant", 1, []string{"--for", "15m"}, func() (string, error) { return e.psqlFile("app-prod", m2) })
	if e.pg.Count(t, e.prodDB, "rooms") != 10 {
		t.Fatal("the granted migration did not run")
	}
	t.Logf("approvals: psql -1 (3 writes) %d, with a grant %d", n, g)
}

// A staging transaction that adds a column, then drops another: the drop is
// approved once, snapshotted first (the snapshot must not wait on the lock
// the transaction itself holds), and the transaction completes in bounded
// time. A killed client leaves nothing behind upstream.
func TestToolPsqlStagingTransactionDropIsSnapshottedWithoutDeadlock(t *testing.T) {
	need(t, "psql")
	e := newToolEnv(t)
	e.pg.Exec(t, e.stagingDB, `CREATE TABLE bookings (id int PRIMARY KEY, legacy text);
		INSERT INTO bookings SELECT g, 'old ' || g FROM generate_series(1, 500) g`)
	m := writeFile(t, filepath.Join(t.TempDir(), "003.sql"), `ALTER TABLE bookings ADD COLUMN note text;
ALTER TABLE bookings DROP COLUMN legacy;
`)
	began := time.Now()
	n := e.converge("psql -1 003.sql", 1, nil, func() (string, error) { return e.psqlFile("app-staging", m) })
	if d := time.Since(began); d > 45*time.Second {
		t.Fatalf("the transaction took %s", d)
	}
	if n != 1 {
		t.Fatalf("%d approvals for one DROP COLUMN", n)
	}
	var id string
	for _, v := range e.list() {
		if strings.Contains(v.Text, "DROP COLUMN legacy") {
			id = v.ID
		}
	}
	v := e.show(id)
	if v.Snapshot == "" {
		t.Fatalf("the approved DROP COLUMN names no snapshot: %+v", v)
	}
	store := &backup.Local{Dir: filepath.Join(filepath.Dir(e.cfg), "backups")}
	objs, err := store.List(context.Background(), "app-staging/"+v.Snapshot+".manifest")
	if err != nil || len(objs) != 1 {
		t.Fatalf("manifest %+v %v", objs, err)
	}
	man, err := backup.ReadManifest(context.Background(), store, objs[0])
	if err != nil || len(man.Tables) != 1 || man.Tables[0].Name != "public.bookings" || man.Tables[0].Rows != 500 {
		t.Fatalf("the snapshot does not hold the dropped data: %+v %v", man, err)
	}

	// A client killed inside its transaction, holding the table's lock.
	h, p := e.hostPort()
	cmd := exec.Command("psql", "-X", "-v", "ON_ERROR_STOP=1", "-h", h, "-p", p, "-U", "agent", "app-staging",
		"-c", "BEGIN", "-c", "ALTER TABLE bookings ADD COLUMN scratch int", "-c", "SELECT pg_sleep(60)")
	cmd.Env = append(os.Environ(), "PGPASSWORD="+e.tok["app-staging"], "PGSSLMODE=disable")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 15*time.Second, "the killed client's session to start sleeping", func() bool { return e.upstreamSessions(t, "pg_sleep") > 0 })
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	waitFor(t, 15*time.Second, "the killed client's upstream session and locks to go", func() bool {
		return e.upstreamSessions(t, "") == 0 && e.relationLocks(t, "bookings") == 0
	})
}

func (e *toolEnv) list() []approval.View {
	e.t.Helper()
	var list []approval.View
	r := chaperone(e.t, "", "--config", e.cfg, "approvals", "list", "--json")
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &list) != nil {
		e.t.Fatalf("approvals list: %+v", r)
	}
	return list
}

// upstreamSessions counts the sessions on the staging database other than
// the one asking whose query contains like ("" for any).
func (e *toolEnv) upstreamSessions(t *testing.T, like string) int {
	return e.count(t, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
		AND backend_type = 'client backend' AND query LIKE '%' || $1 || '%'`, like)
}

func (e *toolEnv) relationLocks(t *testing.T, table string) int {
	return e.count(t, `SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
		WHERE l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) AND c.relname = $1 AND l.pid <> pg_backend_pid()`, table)
}

func (e *toolEnv) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, e.pg.DSN(e.stagingDB))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var n int
	if err := c.QueryRow(ctx, q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func waitFor(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", d, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// debianPython is the interpreter the Debian packages (Django, psycopg2,
// SQLAlchemy, Alembic) are installed for.
func debianPython(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(p, "-c", "import django, psycopg2").Run() == nil {
			return p
		}
	}
	t.Fatal("Django and psycopg2 are not installed (scripts/test-deps.sh installs python3-django and python3-psycopg2)")
	return ""
}

// djangoProject is a fresh `django-admin startproject` whose database is
// upstream through the gateway, with the token as the password.
func (e *toolEnv) djangoProject(upstream string) (py, dir string) {
	e.t.Helper()
	py = debianPython(e.t)
	dir = e.t.TempDir()
	if out, err := exec.Command(py, "-m", "django", "startproject", "mysite", dir).CombinedOutput(); err != nil {
		e.t.Fatalf("startproject: %v\n%s", err, out)
	}
	h, p := e.hostPort()
	settings := filepath.Join(dir, "mysite", "settings.py")
	text, err := os.ReadFile(settings)
	if err != nil {
		e.t.Fatal(err)
	}
	text = append(text, fmt.Sprintf(`
DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": %q, "USER": "agent",
    "PASSWORD": %q, "HOST": %q, "PORT": %q, "OPTIONS": {"sslmode": "disable"}}}
`, upstream, e.tok[upstream], h, p)...)
	if err := os.WriteFile(settings, text, 0o644); err != nil {
		e.t.Fatal(err)
	}
	return py, dir
}

func (e *toolEnv) manage(py, dir string, args ...string) (string, error) {
	return tool(e.t, dir, nil, 60*time.Second, py, append([]string{"manage.py"}, args...)...)
}

// Django's migrate on production completes with one grant; on staging it
// needs an approval for each step that destroys data, and no more (the
// max_length changes only widen columns).
func TestToolDjangoMigrate(t *testing.T) {
	e := newToolEnv(t)
	py, dir := e.djangoProject("app-prod")
	n := e.converge("manage.py migrate (production)", 1, []string{"--for", "15m", "--include-destructive"}, func() (string, error) {
		return e.manage(py, dir, "migrate", "--noinput")
	})
	if out, err := e.manage(py, dir, "migrate", "--noinput"); err != nil || !strings.Contains(out, "No migrations to apply") {
		t.Fatalf("migrate again: %v\n%s", err, out)
	}
	py, dir = e.djangoProject("app-staging")
	e.held = nil
	s := e.converge("manage.py migrate (staging)", 1, nil, func() (string, error) {
		return e.manage(py, dir, "migrate", "--noinput")
	})
	for _, h := range e.held {
		if !strings.Contains(h, "DROP COLUMN") {
			t.Errorf("held, but destroys nothing: %s", h)
		}
	}
	if out, err := e.manage(py, dir, "migrate", "--noinput"); err != nil || !strings.Contains(out, "No migrations to apply") {
		t.Fatalf("migrate again: %v\n%s", err, out)
	}
	t.Logf("approvals: Django migrate on production %d (a grant), on staging %d", n, s)
}

// Django's flush is one TRUNCATE of every table, whose order Django does
// not keep; it hides the gateway's message, so the human finds the request
// among the pending ones. Run twice under a grant, the second needs nothing.
func TestToolDjangoFlushConverges(t *testing.T) {
	e := newToolEnv(t)
	e.pg.Exec(t, e.stagingDB, `SELECT 1`)
	py, dir := e.djangoProject("app-staging")
	e.converge("manage.py migrate (staging)", 1, nil, func() (string, error) { return e.manage(py, dir, "migrate", "--noinput") })
	e.pg.Exec(t, e.stagingDB, `INSERT INTO auth_group (name) VALUES ('a'), ('b')`)
	first := e.converge("manage.py flush", 1, nil, func() (string, error) { return e.manage(py, dir, "flush", "--noinput") })
	if e.pg.Count(t, e.stagingDB, "auth_group") != 0 {
		t.Fatal("flush did not empty auth_group")
	}
	e.pg.Exec(t, e.stagingDB, `INSERT INTO auth_group (name) VALUES ('c')`)
	second := e.converge("manage.py flush, again", 1, nil, func() (string, error) { return e.manage(py, dir, "flush", "--noinput") })
	if e.pg.Count(t, e.stagingDB, "auth_group") != 0 {
		t.Fatal("the second flush did not empty auth_group")
	}
	// Under a grant that covers destruction, neither run asks again.
	py, dir = e.djangoProject("app-prod")
	e.converge("manage.py migrate (production)", 1, []string{"--for", "15m", "--include-destructive"}, func() (string, error) {
		return e.manage(py, dir, "migrate", "--noinput")
	})
	for i := 0; i < 2; i++ {
		if g := e.converge("manage.py flush under a grant", 0, nil, func() (string, error) { return e.manage(py, dir, "flush", "--noinput") }); g != 0 {
			t.Fatalf("flush under a grant needed %d approvals", g)
		}
	}
	t.Logf("approvals: Django flush on staging %d, then %d; under a grant 0", first, second)
}

// toolsNodeModules is where scripts/test-deps.sh installs knex, Sequelize
// and node-postgres (testdata/tools/package-lock.json).
func toolsNodeModules(t *testing.T) string {
	t.Helper()
	need(t, "node")
	dir, err := filepath.Abs(filepath.Join("testdata", "tools", "node_modules"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"knex", "sequelize", "pg"} {
		if _, err := os.Stat(filepath.Join(dir, m, "package.json")); err != nil {
			t.Fatalf("%s is not installed in %s (scripts/test-deps.sh runs npm ci there)", m, dir)
		}
	}
	return dir
}

// knex's migrate:latest runs its pending migrations in one transaction; a
// second run has nothing to do and asks for nothing.
func TestToolKnexMigrateLatestConverges(t *testing.T) {
	mods := toolsNodeModules(t)
	e := newToolEnv(t)
	h, p := e.hostPort()
	dir := t.TempDir()
	// The CLI's migrate:latest, run as a script: knex's CLI looks for knex
	// in the project's own node_modules.
	writeFile(t, filepath.Join(dir, "migrate.js"), fmt.Sprintf(`const knex = require(%q)({
  client: 'pg',
  connection: { host: %q, port: %s, user: 'agent', password: %q, database: 'app-staging', ssl: false },
  migrations: { directory: __dirname + '/migrations' },
});
knex.migrate.latest()
  .then(([batch, log]) => { console.log('Batch ' + batch + ' run: ' + log.length + ' migrations'); return knex.destroy(); })
  .catch((err) => { console.error(err.message); process.exit(1); });
`, filepath.Join(mods, "knex"), h, p, e.tok["app-staging"]))
	writeFile(t, filepath.Join(dir, "migrations", "20240101000000_bookings.js"), `
exports.up = (knex) => knex.schema.createTable('bookings', (t) => {
  t.increments('id');
  t.string('note', 50);
  t.integer('nights');
  t.text('legacy');
});
exports.down = (knex) => knex.schema.dropTable('bookings');
`)
	knex := func() (string, error) {
		return tool(t, dir, nil, 60*time.Second, "node", filepath.Join(dir, "migrate.js"))
	}
	first := e.converge("knex migrate:latest", 0, nil, knex)
	// Widening is judged against the catalog, so the table must be there
	// before the transaction that widens it: a later migrate:latest.
	writeFile(t, filepath.Join(dir, "migrations", "20240102000000_widen.js"), `
exports.up = (knex) => knex.schema.alterTable('bookings', (t) => {
  t.string('note', 255).alter();
  t.bigInteger('nights').alter();
  t.string('guest', 100);
});
exports.down = () => {};
`)
	widened := e.converge("knex migrate:latest (widen, add a column)", 0, nil, knex)
	writeFile(t, filepath.Join(dir, "migrations", "20240103000000_drop.js"), `
exports.up = (knex) => knex.schema.alterTable('bookings', (t) => { t.dropColumn('legacy'); });
exports.down = () => {};
`)
	drop := e.converge("knex migrate:latest (a DROP COLUMN)", 1, nil, knex)
	again := e.converge("knex migrate:latest, again", 0, nil, knex)
	t.Logf("approvals: knex migrate:latest %d (create), %d (widen), %d (drop a column), %d (nothing to do)", first, widened, drop, again)
}

// Sequelize's sync({alter: true}) re-declares every column of every model
// on each run: the same types, so nothing to approve the second time.
func TestToolSequelizeSyncAlterConverges(t *testing.T) {
	mods := toolsNodeModules(t)
	e := newToolEnv(t)
	h, p := e.hostPort()
	script := writeFile(t, filepath.Join(t.TempDir(), "sync.js"), fmt.Sprintf(`
const { Sequelize, DataTypes } = require(%q);
const db = new Sequelize('app-staging', 'agent', %q, { host: %q, port: %s, dialect: 'postgres', logging: false });
db.define('Booking', {
  note: { type: DataTypes.STRING(120) },
  nights: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 1 },
  price: { type: DataTypes.DECIMAL(10, 2) },
  body: { type: DataTypes.TEXT },
});
db.define('Guest', { name: { type: DataTypes.STRING, allowNull: false } });
db.sync({ alter: true })
  .then(() => db.close())
  .catch((err) => { console.error(err.message); process.exit(1); });
`, filepath.Join(mods, "sequelize"), e.tok["app-staging"], h, p))
	sync := func() (string, error) { return tool(t, "", nil, 60*time.Second, "node", script) }
	first := e.converge("sequelize sync({alter: true})", 0, nil, sync)
	second := e.converge("sequelize sync({alter: true}), again", 0, nil, sync)
	t.Logf("approvals: Sequelize sync({alter: true}) %d, then %d", first, second)
}

// pg_dump reads a production database through the gateway, its large
// objects included, and pg_restore brings it back. libpq reads large
// objects with fast-path function calls ('F' messages): pg_dump calls
// lo_open (OID 952), loread (954) and lo_close (953); pg_restore writes with
// lo_create (715), lo_open, lowrite (955) and lo_close. The gateway must
// relay such calls, judged by the function they name (lo_unlink, 964, is
// destructive).
func TestToolPgDumpWithLargeObjectsRestores(t *testing.T) {
	need(t, "pg_dump", "pg_restore")
	e := newToolEnv(t)
	e.pg.Exec(t, e.prodDB, `CREATE TABLE docs (id int PRIMARY KEY, body oid);
		INSERT INTO docs VALUES (1, lo_from_bytea(0, convert_to(repeat('chaperone ', 5000), 'UTF8')))`)
	dump := filepath.Join(t.TempDir(), "prod.dump")
	if out, err := tool(t, "", nil, 30*time.Second, "pg_dump", "-Fc", "-f", dump, e.dsn("app-prod")); err != nil {
		t.Fatalf("pg_dump through the gateway: %v\n%s", err, out)
	}
	if ids := e.pending(); len(ids) != 0 {
		t.Fatalf("pg_dump only reads, yet %v are pending", ids)
	}
	scratch := e.pg.CreateDB(t)
	if out, err := tool(t, "", nil, 30*time.Second, "pg_restore", "-1", "--no-owner", "-d", e.pg.DSN(scratch), dump); err != nil {
		t.Fatalf("pg_restore: %v\n%s", err, out)
	}
	if n := e.pg.Count(t, scratch, "docs"); n != 1 {
		t.Fatalf("restored docs: %d rows", n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, e.pg.DSN(scratch))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var body string
	if err := c.QueryRow(ctx, `SELECT convert_from(lo_get(body), 'UTF8') FROM docs WHERE id = 1`).Scan(&body); err != nil || body != strings.Repeat("chaperone ", 5000) {
		t.Fatalf("the restored large object: %d bytes, %v", len(body), err)
	}
}
