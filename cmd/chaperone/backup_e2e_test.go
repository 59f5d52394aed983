package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/chaperone/chaperone/internal/approval"
	"github.com/chaperone/chaperone/internal/backup"
	"github.com/chaperone/chaperone/internal/doctor"
	"github.com/chaperone/chaperone/internal/pgtest"
)

// Before an approved DROP runs, serve snapshots the table into the
// write-once store; the DROP is then restorable from that snapshot. When the
// snapshot cannot be taken, the approved statement does not run.
func TestApprovedDestructionIsSnapshottedFirst(t *testing.T) {
	pg := pgtest.Shared(t)
	db := pg.CreateDB(t)
	pg.Exec(t, db, `CREATE TABLE bookings (id int PRIMARY KEY, note text);
		INSERT INTO bookings SELECT g, 'guest ' || g FROM generate_series(1, 1200) g;
		CREATE TABLE payments (id int); INSERT INTO payments SELECT generate_series(1, 40)`)
	// Nothing beyond init: it made the identity and named its key.
	cfg := initDir(t, prodUpstream)
	keyFile, err := os.ReadFile(filepath.Join(filepath.Dir(cfg), "backup-identity.txt"))
	if err != nil {
		t.Fatal(err)
	}
	ids, err := age.ParseIdentities(bytes.NewReader(keyFile))
	if err != nil || len(ids) != 1 {
		t.Fatalf("init's identity: %v", err)
	}
	id := ids[0].(*age.X25519Identity)
	tok := strings.TrimSpace(chaperone(t, "", "--config", cfg, "token", "create", "--env", "production", "--upstream", "app-prod").stdout)
	secret := enrollApprover(t, cfg, "alice", "correct horse battery")
	_, addr, httpAddr := startServeHTTP(t, cfg, "CHP_E2E_DSN="+pg.DSN(db))
	approvals := 0
	approve := func(sql string) string {
		t.Helper()
		// A code is good once: each approval uses the next step's.
		at := time.Now().Add(time.Duration(approvals) * 30 * time.Second)
		approvals++
		out, _ := psql(t, tok, addr, "app-prod", sql)
		req := regexp.MustCompile(`apr_[0-9a-f]{16}`).FindString(out)
		if req == "" {
			t.Fatalf("%s was not held:\n%s", sql, out)
		}
		if out, err := atTerminal(t, "correct horse battery\n"+totpCode(t, secret, at)+"\n", "--config", cfg,
			"approvals", "approve", req, "--as", "alice"); err != nil {
			t.Fatalf("approve: %v\n%s", err, out)
		}
		return req
	}

	req := approve("DROP TABLE bookings")
	if out, err := psql(t, tok, addr, "app-prod", "DROP TABLE bookings"); err != nil {
		t.Fatalf("the approved DROP: %v\n%s", err, out)
	}
	if n := pg.Count(t, db, "bookings"); n != -1 {
		t.Fatal("the DROP did not run")
	}
	var shown approval.View
	r := chaperone(t, "", "--config", cfg, "approvals", "show", req, "--json")
	if json.Unmarshal([]byte(r.stdout), &shown) != nil || shown.Snapshot == "" {
		t.Fatalf("the approval does not name its snapshot: %+v", r)
	}
	if !strings.Contains(shown.Impact, "bookings: ~") || !strings.Contains(shown.Impact, "no verified backup yet") {
		t.Fatalf("impact %q", shown.Impact)
	}
	if exported := chaperone(t, "", "--config", cfg, "audit", "export", "--format", "jsonl").stdout; !strings.Contains(exported, `"type":"backup.snapshot"`) ||
		!strings.Contains(exported, shown.Snapshot) {
		t.Fatal("the audit log does not name the snapshot")
	}
	// The snapshot holds just the dropped table, and brings it back.
	store := &backup.Local{Dir: filepath.Join(filepath.Dir(cfg), "backups")}
	objs, err := store.List(context.Background(), "app-prod/"+shown.Snapshot+".manifest")
	if err != nil || len(objs) != 1 {
		t.Fatalf("manifest %+v %v", objs, err)
	}
	m, err := backup.ReadManifest(context.Background(), store, objs[0])
	if err != nil || m.WholeDB || len(m.Tables) != 1 || m.Tables[0].Name != "public.bookings" || m.Tables[0].Rows != 1200 ||
		!strings.Contains(m.Reason, req) {
		t.Fatalf("manifest %+v %v", m, err)
	}
	if err := backup.Restore(context.Background(), store, m, id, pg.DSN(db), nil); err != nil {
		t.Fatal(err)
	}
	if n := pg.Count(t, db, "bookings"); n != 1200 {
		t.Fatalf("restored bookings: %d rows", n)
	}

	// No store, no destruction: the approved TRUNCATE does not run.
	approve("TRUNCATE payments")
	dir := filepath.Join(filepath.Dir(cfg), "backups")
	os.RemoveAll(dir)
	os.WriteFile(dir, []byte("not a directory"), 0o600)
	out, err := psql(t, tok, addr, "app-prod", "TRUNCATE payments")
	if err == nil || !strings.Contains(out, "CP004") || !strings.Contains(out, "snapshot") {
		t.Fatalf("TRUNCATE without a snapshot: %v\n%s", err, out)
	}
	if n := pg.Count(t, db, "payments"); n != 40 {
		t.Fatalf("payments has %d rows", n)
	}
	if strings.Contains(out, pg.Password) {
		t.Fatal("the upstream password reached the client")
	}

	// The CLI: a snapshot on demand, listed, drilled into a scratch
	// database, and one table restored from it.
	os.Remove(dir)
	os.MkdirAll(dir, 0o700)
	t.Setenv("CHP_E2E_DSN", pg.DSN(db))
	idFile := filepath.Join(t.TempDir(), "identity.txt")
	os.WriteFile(idFile, []byte(id.String()+"\n"), 0o600)
	r = chaperone(t, "", "--config", cfg, "backup", "run", "--upstream", "app-prod", "--reason", "nightly")
	snap := strings.TrimSpace(r.stdout)
	if r.code != 0 || snap == "" || !strings.Contains(r.stderr, "locked until") {
		t.Fatalf("backup run: %+v", r)
	}
	// At a terminal, a progress bar.
	if out, err := atTerminal(t, "", "--config", cfg, "backup", "run", "--upstream", "app-prod", "--reason", "at a terminal"); err != nil ||
		!regexp.MustCompile(`\[[#.]{30}\] [0-9.]+ [KMG]?i?B of ~`).MatchString(out) {
		t.Fatalf("backup run at a terminal: %v\n%q", err, out)
	}
	var listed []backup.Manifest
	r = chaperone(t, "", "--config", cfg, "backup", "list", "--json")
	if json.Unmarshal([]byte(r.stdout), &listed) != nil || len(listed) != 2 || listed[1].ID != snap || !listed[1].WholeDB || listed[1].Reason != "nightly" {
		t.Fatalf("backup list (the earlier snapshots went with the old directory): %+v", r)
	}
	// The contract scripts read: id, upstream, whole_database and
	// tables[].name as schema.table, on stdout alone.
	var raw []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &raw); err != nil || r.stderr != "" {
		t.Fatalf("backup list --json is not JSON alone on stdout: %v %q", err, r.stderr)
	}
	for _, m := range raw {
		tables, _ := m["tables"].([]any)
		if m["id"] == "" || m["upstream"] != "app-prod" || m["whole_database"] == nil || len(tables) == 0 {
			t.Fatalf("backup list --json entry %v", m)
		}
		for _, tb := range tables {
			if name, _ := tb.(map[string]any)["name"].(string); !regexp.MustCompile(`^[a-z_]+\.[a-z_]+$`).MatchString(name) {
				t.Fatalf("table name %q is not schema.table", name)
			}
		}
	}
	scratch := pg.CreateDB(t)
	if r := chaperone(t, "", "--config", cfg, "backup", "verify", "--latest", "--scratch", pg.DSN(scratch), "--identity", idFile); r.code != 0 ||
		!strings.Contains(r.stdout, "passed: 2 tables") {
		t.Fatalf("backup verify: %+v", r)
	}
	f, _ := doctorFindings(t, cfg)
	if f["backup.drill app-prod"].Level != doctor.OK {
		t.Fatalf("doctor after a passing drill: %+v", f["backup.drill app-prod"])
	}
	// The test server's login is its superuser: doctor says what that allows.
	if p := f["upstream.privileges app-prod"]; p.Level != doctor.Warn || !strings.Contains(p.Message, "a superuser") || !strings.Contains(p.Fix, "CREATE ROLE") {
		t.Fatalf("doctor on a superuser upstream: %+v", p)
	}
	// A drill into a database that is not empty fails, and says so.
	if r := chaperone(t, "", "--config", cfg, "backup", "verify", snap, "--scratch", pg.DSN(db), "--identity", idFile); r.code != exitInput ||
		!strings.Contains(r.stderr, "FAILED") {
		t.Fatalf("a failing drill: %+v", r)
	}
	// /metrics tells the same story: a drill passed, the latest failed.
	resp, err := http.Get("http://" + httpAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(metrics), `chaperone_backup_last_drill_ok{upstream="app-prod"} 0`) ||
		!regexp.MustCompile(`chaperone_backup_last_verified_timestamp_seconds\{upstream="app-prod"\} [1-9]`).Match(metrics) {
		t.Fatalf("metrics:\n%s", metrics)
	}
	pg.Exec(t, db, "DROP TABLE payments")
	if r := chaperone(t, "", "--config", cfg, "backup", "restore", snap, "--to", pg.DSN(db), "--table", "public.payments", "--identity", idFile); r.code != 0 {
		t.Fatalf("backup restore: %+v", r)
	}
	if n := pg.Count(t, db, "payments"); n != 40 {
		t.Fatalf("restored payments: %d rows", n)
	}
	// Without a terminal or a file there is no identity to restore with.
	if r := chaperone(t, "", "--config", cfg, "backup", "restore", snap, "--to", pg.DSN(db)); r.code != exitInput || !strings.Contains(r.stderr, "identity") {
		t.Fatalf("restore without an identity: %+v", r)
	}
	// doctor saw the passing drill, then the failing one.
	if f, _ := doctorFindings(t, cfg); f["backup.drill app-prod"].Level != doctor.Fail || !strings.Contains(f["backup.drill app-prod"].Message, "failed") {
		t.Fatalf("doctor after a failing drill: %+v", f["backup.drill app-prod"])
	}
	if exported := chaperone(t, "", "--config", cfg, "audit", "export", "--format", "jsonl").stdout; !strings.Contains(exported, `"type":"backup.verified"`) ||
		!strings.Contains(exported, `"type":"backup.restored"`) {
		t.Fatal("drills and restores are not audited")
	}
}

// serve takes scheduled snapshots and prunes what the policy no longer
// keeps, once it is unlocked.
func TestScheduledBackupsAndPruning(t *testing.T) {
	pg := pgtest.Shared(t)
	db := pg.CreateDB(t)
	pg.Exec(t, db, "CREATE TABLE t (x int); INSERT INTO t SELECT generate_series(1, 10)")
	id, _ := age.GenerateX25519Identity()
	cfg := initDir(t, prodUpstream+"    backup_schedule: \"@every 1s\"\n")
	setRecipient(t, cfg, id.Recipient().String())
	setInConfig(t, cfg, "  retain: 720h", "  retain: 1s") // locks pass quickly here
	setInConfig(t, cfg, "    daily: 7\n    weekly: 4\n    monthly: 6\n", "    daily: 1\n    weekly: 0\n    monthly: 0\n")
	startServe(t, cfg, "CHP_E2E_DSN="+pg.DSN(db))
	t.Setenv("CHP_E2E_DSN", pg.DSN(db))
	deadline := time.Now().Add(60 * time.Second)
	for {
		exported := chaperone(t, "", "--config", cfg, "audit", "export", "--format", "jsonl").stdout
		snaps := strings.Count(exported, `"type":"backup.snapshot"`)
		if snaps >= 4 && strings.Contains(exported, `"type":"backup.pruned"`) {
			if !strings.Contains(exported, `"actor":"system:schedule"`) || strings.Contains(exported, `"type":"backup.failed"`) {
				t.Fatalf("audit:\n%s", exported)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after a minute, %d snapshots and no pruning:\n%s", snaps, exported)
		}
		time.Sleep(500 * time.Millisecond)
	}
	var listed []backup.Manifest
	r := chaperone(t, "", "--config", cfg, "backup", "list", "--json")
	if json.Unmarshal([]byte(r.stdout), &listed) != nil || len(listed) == 0 || len(listed) > 3 || !strings.HasPrefix(listed[0].Reason, "scheduled") {
		t.Fatalf("snapshots left after pruning: %+v", r)
	}
}
