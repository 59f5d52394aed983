package main

import (
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/chaperone/chaperone/internal/approval"
	"github.com/chaperone/chaperone/internal/pgtest"
)

// atTerminal runs chaperone under a pseudo-terminal (script(1)), typing
// input, the way a human at a terminal would.
func atTerminal(t *testing.T, input string, args ...string) (string, error) {
	t.Helper()
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	cmd := exec.Command("script", "-q", "-e", "-c", binary(t)+" "+strings.Join(quoted, " "), "/dev/null")
	cmd.Stdin = strings.NewReader(input)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// converse runs chaperone under a pseudo-terminal and answers each prompt
// when it appears, computing the answer from what the terminal showed so
// far: an approver reading a TOTP secret and typing the app's code.
func converse(t *testing.T, steps []prompt, args ...string) (string, error) {
	t.Helper()
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	cmd := exec.Command("script", "-q", "-e", "-c", binary(t)+" "+strings.Join(quoted, " "), "/dev/null")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	outR, outW := io.Pipe()
	cmd.Stdout, cmd.Stderr = outW, outW
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		next := 0
		for {
			n, err := outR.Read(buf)
			out.Write(buf[:n])
			for next < len(steps) && strings.Contains(out.String(), steps[next].after) {
				io.WriteString(in, steps[next].answer(out.String())+"\n")
				steps[next].after = "\x00answered" // each prompt is answered once
				next++
			}
			if err != nil {
				return
			}
		}
	}()
	timer := time.AfterFunc(30*time.Second, func() { cmd.Process.Kill() })
	defer timer.Stop()
	err = cmd.Wait()
	outW.Close()
	<-done
	return out.String(), err
}

type prompt struct {
	after  string
	answer func(shown string) string
}

func say(after, text string) prompt {
	return prompt{after, func(string) string { return text }}
}

var totpSecret = regexp.MustCompile(`secret: ([A-Z2-7]+)`)

// enrollApprover adds an approver at a terminal, reading the TOTP secret off
// the screen, and returns the secret.
func enrollApprover(t *testing.T, cfg, name, password string) string {
	t.Helper()
	var secret string
	out, err := converse(t, []prompt{say("new password", password), say("again", password),
		{"code shown by the app", func(shown string) string {
			m := totpSecret.FindStringSubmatch(shown)
			if m == nil {
				return "no secret shown"
			}
			secret = m[1]
			// The code typed to enroll is spent: the previous step's, still
			// within the skew, leaves the current one for the first approval.
			return totpCode(t, secret, time.Now().Add(-30*time.Second))
		}}}, "--config", cfg, "approver", "add", name)
	if err != nil || secret == "" || !strings.Contains(out, "approver "+name+" added") {
		t.Fatalf("approver add: %v\n%s", err, out)
	}
	return secret
}

func totpCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func psql(t *testing.T, tok, addr, upstream, sql string) (string, error) {
	t.Helper()
	host, port, _ := strings.Cut(addr, ":")
	cmd := exec.Command("psql", "-X", "-v", "ON_ERROR_STOP=1", "-v", "VERBOSITY=verbose",
		"postgresql://agent@"+host+":"+port+"/"+upstream+"?sslmode=require", "-c", sql)
	cmd.Env = append(os.Environ(), "PGPASSWORD="+tok, "PGCONNECT_TIMEOUT=10")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestPsqlThroughTheGatewayHeldApprovedAtATerminalThenRunOnce(t *testing.T) {
	if _, err := exec.LookPath("psql"); err != nil {
		t.Fatal("psql is not installed (scripts/test-deps.sh installs it)")
	}
	pg := pgtest.Shared(t)
	db := pg.CreateDB(t)
	pg.Exec(t, db, "CREATE TABLE bookings (id int); INSERT INTO bookings SELECT generate_series(1, 48)")
	cfg := initDir(t, prodUpstream)
	r := chaperone(t, "", "--config", cfg, "token", "create", "--env", "production", "--upstream", "app-prod")
	if r.code != 0 {
		t.Fatalf("token: %+v", r)
	}
	tok := strings.TrimSpace(r.stdout)
	_, addr := startServe(t, cfg, "CHP_E2E_DSN="+pg.DSN(db))

	out, err := psql(t, tok, addr, "app-prod", "DROP TABLE bookings")
	if err == nil || !strings.Contains(out, "CP001") || !strings.Contains(out, "chaperone approvals approve apr_") {
		t.Fatalf("psql over TLS, held: %v\n%s", err, out)
	}
	if strings.Contains(out, pg.Password) {
		t.Fatal("the upstream password reached the client")
	}
	id := regexp.MustCompile(`apr_[0-9a-f]{16}`).FindString(out)
	if n := pg.Count(t, db, "bookings"); n != 48 {
		t.Fatalf("rows after hold: %d", n)
	}
	show := chaperone(t, "", "--config", cfg, "approvals", "show", id)
	if show.code != 0 || !strings.Contains(show.stdout, "DROP TABLE bookings") || !strings.Contains(show.stdout, "bookings: ~") {
		t.Fatalf("show: %+v", show)
	}

	// No terminal, no approval: a script or an agent cannot approve.
	if r := chaperone(t, "hunter2hunter2\n", "--config", cfg, "approvals", "approve", id, "--as", "alice"); r.code != exitInput || !strings.Contains(r.stderr, "terminal") {
		t.Fatalf("approve without a terminal: %+v", r)
	}
	secret := enrollApprover(t, cfg, "alice", "correct horse battery")
	if out, err := atTerminal(t, "wrong password here\n"+totpCode(t, secret, time.Now())+"\n", "--config", cfg, "approvals", "approve", id, "--as", "alice"); err == nil || !strings.Contains(out, "wrong approver name or password") {
		t.Fatalf("wrong password approved: %v\n%s", err, out)
	}
	if out, err := atTerminal(t, "correct horse battery\n000000\n", "--config", cfg, "approvals", "approve", id, "--as", "alice"); err == nil || !strings.Contains(out, "wrong or already used code") {
		t.Fatalf("wrong code approved: %v\n%s", err, out)
	}
	if out, err := atTerminal(t, "correct horse battery\n"+totpCode(t, secret, time.Now())+"\n", "--config", cfg, "approvals", "approve", id, "--as", "alice"); err != nil || !strings.Contains(out, id+" is approved") {
		t.Fatalf("approve: %v\n%s", err, out)
	}
	// --json has the API's shape, votes included.
	var shown approval.View
	if r := chaperone(t, "", "--config", cfg, "approvals", "show", id, "--json"); r.code != 0 || json.Unmarshal([]byte(r.stdout), &shown) != nil ||
		shown.State != "approved" || shown.Approvals != 1 || len(shown.Votes) != 1 || shown.Votes[0].Approver != "approver:alice" || len(shown.TextSHA256) != 64 {
		t.Fatalf("approvals show --json: %+v %+v", r, shown)
	}
	if out, err := psql(t, tok, addr, "app-prod", "DROP TABLE bookings"); err != nil {
		t.Fatalf("approved statement: %v\n%s", err, out)
	}
	if n := pg.Count(t, db, "bookings"); n != -1 {
		t.Fatal("the approved DROP did not run")
	}
	pg.Exec(t, db, "CREATE TABLE bookings (id int)")
	if out, err := psql(t, tok, addr, "app-prod", "DROP TABLE bookings"); err == nil || !strings.Contains(out, "CP001") || strings.Contains(out, id) {
		t.Fatalf("second try was not held anew: %v\n%s", err, out)
	}
	exported := chaperone(t, "", "--config", cfg, "audit", "export", "--format", "jsonl")
	for _, ev := range []string{"pg.connect", "approval.requested", "approval.voted", "approval.approved", "approval.consumed", "approver.added"} {
		if !strings.Contains(exported.stdout, `"type":"`+ev+`"`) {
			t.Errorf("audit log lacks %s", ev)
		}
	}
	if v := chaperone(t, "", "--config", cfg, "audit", "verify"); v.code != 0 {
		t.Fatalf("audit verify: %+v", v)
	}
}

func TestPgbenchReadsThroughTheGateway(t *testing.T) {
	pg := pgtest.Shared(t)
	db := pg.CreateDB(t)
	init := exec.Command("pgbench", "-i", "-s", "1", "-q", pg.DSN(db))
	if out, err := init.CombinedOutput(); err != nil {
		t.Fatalf("pgbench -i: %v\n%s", err, out)
	}
	// The upstream is added with a literal DSN, so serve opens a sealed one.
	cfg := initDir(t, "")
	if r := chaperone(t, "", "--config", cfg, "upstream", "add", "bench", "--env", "staging", "--dsn", pg.DSN(db)); r.code != 0 {
		t.Fatalf("upstream add: %+v", r)
	}
	tok := strings.TrimSpace(chaperone(t, "", "--config", cfg, "token", "create", "--env", "staging", "--upstream", "bench").stdout)
	_, addr := startServe(t, cfg)
	host, port, _ := strings.Cut(addr, ":")
	for _, mode := range []string{"simple", "extended", "prepared"} {
		cmd := exec.Command("pgbench", "-S", "-n", "-c", "4", "-t", "50", "-M", mode, "-h", host, "-p", port, "-U", "agent", "bench")
		cmd.Env = append(os.Environ(), "PGPASSWORD="+tok, "PGSSLMODE=disable")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "number of transactions actually processed: 200/200") {
			t.Fatalf("pgbench -M %s: %v\n%s", mode, err, out)
		}
	}
}

// A held statement is shown to the approver as written: escape sequences
// and carriage returns an agent put in it are printed as escapes, so they
// cannot move the cursor and draw a harmless statement over the real one.
func TestTheApproverSeesTheStatementNotWhatItDraws(t *testing.T) {
	pg := pgtest.Shared(t)
	db := pg.CreateDB(t)
	pg.Exec(t, db, "CREATE TABLE customers (id int)")
	cfg := initDir(t, prodUpstream)
	r := chaperone(t, "", "--config", cfg, "token", "create", "--env", "production", "--upstream", "app-prod")
	if r.code != 0 {
		t.Fatalf("token: %+v", r)
	}
	_, addr := startServe(t, cfg, "CHP_E2E_DSN="+pg.DSN(db))
	disguise := "TRUNCATE customers /*\r\x1b[1A\x1b[K\x1b[2K\rUPDATE customers SET id = id WHERE id = 42 -- \u202eOPS-42 */"
	out, err := psql(t, strings.TrimSpace(r.stdout), addr, "app-prod", disguise)
	id := regexp.MustCompile(`apr_[0-9a-f]{16}`).FindString(out)
	if err == nil || id == "" {
		t.Fatalf("not held: %v\n%s", err, out)
	}
	for _, args := range [][]string{{"approvals", "show", id}, {"approvals", "list"}} {
		shown := chaperone(t, "", append([]string{"--config", cfg}, args...)...)
		if shown.code != 0 || !strings.Contains(shown.stdout, "TRUNCATE customers") {
			t.Fatalf("%v: %+v", args, shown)
		}
		if strings.ContainsAny(shown.stdout, "\x1b\r\u202e") || !strings.Contains(shown.stdout, `\x1b[1A`) {
			t.Fatalf("%v printed what a terminal acts on:\n%q", args, shown.stdout)
		}
	}
}
