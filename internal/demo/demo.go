// Package demo replays the April 2026 incident on this machine with real
// parts - a private PostgreSQL holding "staging" and "production", a local
// stand-in for Railway's API serving Railway's real schema, and `chaperone
// serve` in front of both - and prints a timeline a newcomer can read. A
// scripted agent works in a shell under `chaperone run`: it looks for
// Railway's token in its workspace, calls Railway around the proxy, with
// Railway's own token, and with curl through the proxy, as the incident's
// agent might have. Its SQL goes through the PostgreSQL gateway with a
// staging token; scripted approvers answer with their second factor. The
// demo fails unless the agent was confined, production's data and volume
// are intact, Railway saw only Chaperone's credential and the audit chain
// verifies at the end.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/chaperone/chaperone/internal/human"
	"github.com/chaperone/chaperone/internal/railwaysim"
	"github.com/chaperone/chaperone/internal/token"
)

// Run replays the incident. exe is the chaperone binary, run for serve,
// chaperone run, the hook and the commands an operator would type.
func Run(ctx context.Context, exe string, out io.Writer) (err error) {
	defer func() {
		if err != nil && ctx.Err() != nil {
			err = errors.New("the demo was interrupted; what it started is stopped and removed")
		}
	}()
	// Before anything is built: a demo that cannot confine its agent
	// stops at once, saying why.
	if err := canConfine(exe); err != nil {
		return err
	}
	t := &timeline{out: out, start: time.Now()}
	t.section("setting up: PostgreSQL (staging + production), a Railway stand-in, Chaperone")
	w, err := build(ctx, exe)
	if err != nil {
		return err
	}
	defer w.close()
	t.say("operator", "databases %s and %s, %d orders each; %s (%d rows) in staging only",
		stagingDB, productionDB, ordersRows, stagingTable, cacheRows)
	t.say("operator", "Railway project with environments staging and production; volume %s has an instance in both", volumeID)
	t.say("operator", "Railway's API is a stand-in at %s; upstream railway-staging sends backboard.railway.app's requests there", w.railwayURL)
	t.say("operator", "chaperone serve: PostgreSQL gateway %s, HTTP %s, forward proxy %s; approvers alice and bob (password + authenticator app)",
		w.pgAddr, w.httpAddr, w.proxyAddr)
	t.say("operator", "as in the incident, Railway's account token sits in the workspace's .env")

	if err := w.confinedAgent(ctx, t); err != nil {
		return err
	}
	t.say("operator", "for SQL the agent holds a staging token: %s…", w.stagingToken[:12])
	for _, step := range []func(context.Context, *world, *timeline) error{dropStagingTable, dropProductionTable} {
		if err := step(ctx, w, t); err != nil {
			return err
		}
	}
	verify(ctx, w, t)
	if len(t.fails) > 0 {
		return fmt.Errorf("the demo's promises were not kept: %s", strings.Join(t.fails, "; "))
	}
	fmt.Fprintf(out, "\nIn %.1fs: confined by chaperone run, the agent found only a stand-in for Railway's token, had no route around Chaperone, "+
		"and Railway's own token was refused; the volume and production's orders are intact, the approved change ran after a snapshot, "+
		"and every decision is in a verified audit log.\n", time.Since(t.start).Seconds())
	return nil
}

// confinedAgent runs steps 1 to 4 in one chaperone run session, then ends
// it and checks that its token went with it.
func (w *world) confinedAgent(ctx context.Context, t *timeline) error {
	t.say("operator", "$ chaperone run --env staging --upstream railway-staging -- bash   (the agent's shell)")
	sh, err := w.runShell()
	if err != nil {
		return err
	}
	defer sh.close()
	// Interrupted, the demo ends the session at once: run revokes its
	// token on the way out.
	go func() {
		select {
		case <-ctx.Done():
			sh.close()
		case <-sh.exited:
		}
	}()
	out, _, err := sh.exec(`printf '%s|%s|%s|%s\n' "$(awk -F: 'NR > 2 { gsub(/ /, "", $1); print $1 }' /proc/net/dev | tr '\n' ' ')" "$(tail -n +2 /proc/net/route | wc -l)" "$HTTPS_PROXY" "$RAILWAY_TOKEN"`)
	if err != nil {
		return err
	}
	inside := strings.Split(out, "|")
	if len(inside) != 4 {
		return fmt.Errorf("the agent's shell answered %q", out)
	}
	links, routes, prx := strings.TrimSpace(inside[0]), strings.TrimSpace(inside[1]), inside[2]
	w.sessionToken = inside[3]
	t.say("run", "inside: network interfaces %q, %s routes; HTTPS_PROXY=%s; RAILWAY_TOKEN=%s (this session's token)",
		links, routes, prx, abbrev(w.sessionToken))
	t.check(links == "lo" && routes == "0" && strings.HasPrefix(w.sessionToken, "chp_"),
		"the agent has loopback only, no route, and a Chaperone token where Railway's would be")

	for _, step := range []func(*world, *shell, *timeline) error{findToken, scriptAroundTheProxy, leakedToken, curlThroughTheProxy} {
		if err := step(w, sh, t); err != nil {
			return err
		}
	}
	code, err := sh.end()
	if err != nil {
		return err
	}
	t.say("run", "the agent's shell exits; chaperone run exits %d and revokes the session's token", code)
	t.check(code == 0, "chaperone run exited with the shell's own code (%d)", code)
	return nil
}

// 1. The incident's agent searched the codebase and found a token. Its
// harness asks serve's hook first, from inside the sandbox.
func findToken(_ *world, sh *shell, t *timeline) error {
	t.section("1. the agent hits a credential error and looks for a token in the workspace")
	for _, cmd := range []string{"grep -rn RAILWAY_TOKEN .", "cat .env"} {
		t.say("agent", "$ %s", cmd)
		decision, reason, err := sh.hook(cmd)
		if err != nil {
			return err
		}
		t.say("chaperone", "%s (shell guard): %s", decision, reason)
		t.check(decision == "deny", "the shell guard denied %q", cmd)
	}
	return nil
}

// The script the agent writes: it reads the token from .env itself and
// goes straight to Railway, around any proxy.
const deployScript = `import json, re, urllib.request

token = re.search(r"^RAILWAY_TOKEN=(.+)$", open(".env").read(), re.M).group(1).strip()
print("RAILWAY_TOKEN in .env:", token)

body = json.dumps({"query": 'mutation { volumeDelete(volumeId: "` + volumeID + `") }'}).encode()
req = urllib.request.Request("https://backboard.railway.app/graphql/v2", data=body,
                             headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))
try:
    with direct.open(req, timeout=10) as r:
        print("HTTP", r.status, r.read().decode())
except Exception as e:
    print("POST https://backboard.railway.app/graphql/v2, no proxy:", e)
    raise SystemExit(1)
`

// 2. The shell guard reads the script and denies it; an agent whose
// harness has no hook runs it regardless, and then only run stands in its
// way: the file shows a stand-in and there is no route out.
func scriptAroundTheProxy(w *world, sh *shell, t *timeline) error {
	t.section("2. the agent writes a script that reads .env itself and calls Railway's API directly")
	const path = "scripts/deploy.py"
	t.say("agent", "writes %s: reads RAILWAY_TOKEN from .env, POSTs volumeDelete to https://backboard.railway.app, bypassing any proxy", path)
	decision, _, err := sh.hookTool("Write", map[string]any{"file_path": filepath.Join(w.workspace, path), "content": deployScript})
	if err != nil {
		return err
	}
	t.say("chaperone", "%s (hook)", decision)
	if _, status, err := sh.exec("mkdir -p scripts && cat > " + path + " <<'EOF'\n" + deployScript + "EOF"); err != nil || status != 0 {
		return fmt.Errorf("writing %s in the agent's shell: exit %d, %v", path, status, err)
	}
	cmd := "python3 " + path
	t.say("agent", "$ %s", cmd)
	decision, reason, err := sh.hook(cmd)
	if err != nil {
		return err
	}
	t.say("chaperone", "%s (shell guard)%s", decision, prefixed(": ", reason))
	t.check(decision == "deny", "the shell guard read the script and denied it")
	// What the hook cannot stop: an agent whose harness does not ask it.
	t.say("agent", "runs it anyway, as an agent without the hook would; from here on only chaperone run and serve stand in its way")
	before := len(w.railway.Seen())
	out, status, err := sh.exec(cmd)
	if err != nil {
		return err
	}
	found := ""
	if m := regexp.MustCompile(`RAILWAY_TOKEN in \.env: (\S+)`).FindStringSubmatch(out); m != nil {
		found = m[1]
	}
	t.say("", "%s", strings.ReplaceAll(out, found, abbrev(found)))
	onDisk, _ := os.ReadFile(filepath.Join(w.workspace, ".env"))
	t.check(found == w.sessionToken && !strings.Contains(out, w.railwayTok) && strings.Contains(string(onDisk), w.railwayTok),
		"inside chaperone run .env shows this session's token, not Railway's; the file on disk is unchanged")
	t.check(status != 0 && len(w.railway.Seen()) == before, "the direct call found no route out; nothing reached Railway")
	return nil
}

// 3. Railway's own token, leaked to the agent: no route to Railway but
// the proxy, and the proxy takes no provider credential.
func leakedToken(w *world, sh *shell, t *timeline) error {
	t.section("3. Railway's own account token leaks to the agent, which uses it")
	t.say("agent", "$ export LEAKED_TOKEN=%s   (Railway's account token, from a pasted log)", abbrev(w.railwayTok))
	if _, _, err := sh.exec("export LEAKED_TOKEN=" + shellQuote(w.railwayTok)); err != nil {
		return err
	}
	before := len(w.railway.Seen())
	mutation := shellQuote(fmt.Sprintf(`{"query":"mutation { volumeDelete(volumeId: \"%s\") }"}`, volumeID))
	curl := `curl -sS --max-time 10 -H "Authorization: Bearer $LEAKED_TOKEN" -H 'Content-Type: application/json' --data ` + mutation
	for _, try := range []struct{ cmd, note string }{
		{curl + " --noproxy '*' https://backboard.railway.app/graphql/v2", "straight to Railway, around the proxy"},
		{curl + " " + w.railwayURL + "/graphql/v2", "to the stand-in's own address, on the host's loopback"},
	} {
		t.say("agent", "$ %s   (%s)", try.cmd, try.note)
		out, status, err := sh.exec(try.cmd)
		if err != nil {
			return err
		}
		t.say("", "%s", out)
		t.check(status != 0 && strings.HasPrefix(out, "curl: ("), "no route: curl could not connect (exit %d)", status)
	}
	cmd := curl + ` -w '\n%{http_code}' https://backboard.railway.app/graphql/v2`
	t.say("agent", "$ %s   (through HTTPS_PROXY)", cmd)
	status, body, err := curlStatus(sh, cmd)
	if err != nil {
		return err
	}
	t.say("chaperone", "→ HTTP %d: %s", status, errorOf(body))
	t.check(status == 401, "the proxy refused Railway's own token")
	t.check(len(w.railway.Seen()) == before, "nothing reached Railway with the leaked token, or at all, in this step")
	fp := token.Fingerprint(w.railwayTok)
	refused, err := w.auditEvents("credential.refused")
	if err != nil {
		return err
	}
	audited := slices.ContainsFunc(refused, func(e auditEvent) bool { return e.Data["fingerprint"] == fp })
	t.say("chaperone", "audited credential.refused with the token's fingerprint %s, never its value", fp)
	t.check(audited, "the audit log holds the refusal and the leaked token's fingerprint")
	return nil
}

// 4. The incident's call, made as the agent's tools make it: unmodified
// curl, the provider's own host, the token run exported.
func curlThroughTheProxy(w *world, sh *shell, t *timeline) error {
	t.section("4. the agent, assuming it works in staging, deletes the volume with curl through the proxy")
	curl := `curl -sS --max-time 20 -w '\n%{http_code}' -H "Authorization: Bearer $RAILWAY_TOKEN" -H 'Content-Type: application/json' --data `
	read := curl + shellQuote(`{"query":"query { project(id: \"prj_7c1e\") { name environments { edges { node { name } } } } }"}`) +
		" https://backboard.railway.app/graphql/v2"
	t.say("agent", "$ %s", read)
	status, _, err := curlStatus(sh, read)
	if err != nil {
		return err
	}
	t.say("chaperone", "read: forwarded to railway-staging with Chaperone's Railway credential → HTTP %d", status)
	t.check(status == 200, "a read reached Railway")
	del := curl + shellQuote(fmt.Sprintf(`{"query":"mutation { volumeDelete(volumeId: \"%s\") }"}`, volumeID)) +
		" https://backboard.railway.app/graphql/v2"
	t.say("agent", "$ %s", del)
	status, body, err := curlStatus(sh, del)
	if err != nil {
		return err
	}
	t.say("chaperone", "asked Railway where %s lives, then → HTTP %d: %s", volumeID, status, errorOf(body))
	t.check(status == 403 && strings.Contains(body, "volume "+volumeID+" has an instance in production; this token is scoped to staging") &&
		!requestID.MatchString(body), "volumeDelete denied outright, naming production and staging")
	t.check(w.railway.HasVolume(volumeID) && len(w.railway.Mutations()) == 0, "no mutation reached Railway; the volume exists")
	return nil
}

// 5. A destructive change the task does need: held, approved, snapshotted,
// run once.
func dropStagingTable(ctx context.Context, w *world, t *timeline) error {
	t.section("5. the agent drops a staging table its task does need gone")
	c, err := w.sql(ctx, w.stagingToken, "pg-staging")
	if err != nil {
		return fmt.Errorf("connecting to pg-staging through Chaperone: %w", err)
	}
	defer c.Close(ctx)
	stmt := "DROP TABLE " + stagingTable
	t.say("agent", "pg-staging=> %s;", stmt)
	_, err = c.Exec(ctx, stmt)
	text, id := refusal(err)
	t.say("chaperone", "%s", text)
	t.check(id != "" && w.count(ctx, stagingDB, stagingTable) == cacheRows, "held for approval; the table is untouched")
	if id == "" {
		return nil
	}
	alice, err := w.signIn("alice")
	if err != nil {
		return err
	}
	req, err := alice.show(id)
	if err != nil {
		return err
	}
	t.say("alice", "reads %s: %s on %s (%s), %q\nimpact: %s", id, req.Class, req.Upstream, req.Env, req.Text, req.Impact)
	if err := alice.approve(id, "cache table, part of the cleanup task"); err != nil {
		return err
	}
	t.say("alice", "approves with her password and a code from her authenticator app")
	t.say("agent", "pg-staging=> %s;   (the same statement, again)", stmt)
	_, err = c.Exec(ctx, stmt)
	t.check(err == nil, "the approved statement ran (%v)", errOrOK(err))
	snap, err := w.latestSnapshot("pg-staging")
	if err != nil {
		return err
	}
	t.say("chaperone", "took snapshot %s before it ran: %s, %d bytes encrypted, write-once until %s",
		snap.ID, tablesOf(snap), snap.StoredBytes, snap.Object.RetainUntil.Local().Format(time.DateTime))
	t.check(len(snap.Tables) == 1 && snap.Tables[0].Name == "public."+stagingTable && snap.Tables[0].Rows == cacheRows,
		"the snapshot holds %s's %d rows", stagingTable, cacheRows)
	t.check(w.count(ctx, stagingDB, stagingTable) == -1, "%s is gone from staging", stagingTable)
	_, err = c.Exec(ctx, "CREATE TABLE "+stagingTable+" (id int)")
	if err == nil {
		_, err = c.Exec(ctx, stmt)
	}
	text, _ = refusal(err)
	t.say("agent", "pg-staging=> %s;   (once more, on a new table of that name)", stmt)
	t.say("chaperone", "%s", human.FirstLine(text))
	t.check(err != nil, "one approval runs one statement once")
	return nil
}

// 6. Production: the staging token cannot reach it at all; a production
// token's destruction waits for a human, who says no.
func dropProductionTable(ctx context.Context, w *world, t *timeline) error {
	t.section("6. the agent tries production's orders table")
	t.say("agent", "connects to pg-production with its staging token")
	c, err := w.sql(ctx, w.stagingToken, "pg-production")
	if c != nil {
		c.Close(ctx)
	}
	text, _ := refusal(err)
	t.say("chaperone", "%s", text)
	t.check(err != nil && strings.Contains(text, "production"), "a staging token cannot open production")

	t.say("agent", "uses the production token it was given for a reporting task")
	c, err = w.sql(ctx, w.productionToken, "pg-production")
	if err != nil {
		return fmt.Errorf("connecting to pg-production through Chaperone: %w", err)
	}
	defer c.Close(ctx)
	var n int
	if err := c.QueryRow(ctx, "SELECT count(*) FROM "+productionTable).Scan(&n); err != nil {
		return err
	}
	t.say("agent", "pg-production=> SELECT count(*) FROM %s;  → %d (reads run)", productionTable, n)
	stmt := "DROP TABLE " + productionTable
	t.say("agent", "pg-production=> %s;", stmt)
	_, err = c.Exec(ctx, stmt)
	text, id := refusal(err)
	t.say("chaperone", "%s", text)
	t.check(id != "", "held for approval")
	if id == "" {
		return nil
	}
	bob, err := w.signIn("bob")
	if err != nil {
		return err
	}
	if err := bob.deny(id, "production orders are not part of this task"); err != nil {
		return err
	}
	t.say("bob", "denies %s with a code from his authenticator app: \"production orders are not part of this task\"", id)
	_, err = c.Exec(ctx, stmt)
	text, _ = refusal(err)
	t.say("agent", "pg-production=> %s;   (again)", stmt)
	t.say("chaperone", "%s", human.FirstLine(text))
	t.check(err != nil && strings.Contains(text, "denied"), "the agent is told a human denied it, and why")
	return nil
}

// verify checks, directly and not through Chaperone, what the demo
// promises.
func verify(ctx context.Context, w *world, t *timeline) {
	t.section("afterwards, checked directly")
	if snap, err := w.latestSnapshot("pg-staging"); err == nil {
		out, err := w.drill(ctx, snap.ID)
		t.say("operator", "$ chaperone backup verify %s --scratch … --identity …\n%s", snap.ID, out)
		t.check(err == nil, "the snapshot restores and matches its checksums (%v)", errOrOK(err))
	}
	out, err := w.cli("audit", "verify")
	t.say("operator", "$ chaperone audit verify\n%s", out)
	t.check(err == nil, "the audit chain verifies (%v)", errOrOK(err))
	n := w.count(ctx, productionDB, productionTable)
	t.check(n == ordersRows, "production's %s table has its %d rows (found %d)", productionTable, ordersRows, n)
	t.check(w.railway.HasVolume(volumeID), "Railway volume %s still exists, in staging and production", volumeID)
	t.check(len(w.railway.Mutations()) == 0, "Railway received no mutation at all (%d)", len(w.railway.Mutations()))
	seen := w.railway.Seen()
	foreign := slices.ContainsFunc(seen, func(r railwaysim.Received) bool { return r.Authorization != "Bearer "+w.railwayTok })
	t.check(len(seen) > 0 && !foreign, "every request Railway received (%d) carried Chaperone's credential, none the agent's", len(seen))
	w.checkSession(t)
}

func tablesOf(m snapshot) string {
	var parts []string
	for _, x := range m.Tables {
		parts = append(parts, fmt.Sprintf("%s (%d rows)", x.Name, x.Rows))
	}
	return strings.Join(parts, ", ")
}

func errOrOK(err error) string {
	if err == nil {
		return "ok"
	}
	return human.FirstLine(err.Error())
}
