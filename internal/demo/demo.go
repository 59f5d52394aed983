// Package demo replays the April 2026 incident on this machine with real
// parts - a private PostgreSQL holding "staging" and "production", a local
// stand-in for Railway's API serving Railway's real schema, and `chaperone
// serve` in front of both - and prints a timeline a newcomer can read. A
// scripted agent holding only a staging token tries what the incident's
// agent did; scripted approvers answer with their second factor. The demo
// fails unless production's data and volume are intact and the audit
// chain verifies at the end.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/chaperone/chaperone/internal/human"
)

// Run replays the incident. exe is the chaperone binary, run for serve,
// the hook and the commands an operator would type.
func Run(ctx context.Context, exe string, out io.Writer) (err error) {
	defer func() {
		if err != nil && ctx.Err() != nil {
			err = errors.New("the demo was interrupted; what it started is stopped and removed")
		}
	}()
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
	t.say("operator", "chaperone serve: PostgreSQL gateway %s, HTTP %s; approvers alice and bob (password + authenticator app)", w.pgAddr, w.httpAddr)
	t.say("operator", "the agent gets one token, for staging: %s…", w.stagingToken[:12])
	t.say("operator", "and, as in the incident, the Railway account token sits in the workspace's .env")

	steps := []func(context.Context, *world, *timeline) error{findToken, deleteVolume, dropStagingTable, dropProductionTable}
	for _, step := range steps {
		if err := step(ctx, w, t); err != nil {
			return err
		}
	}
	verify(ctx, w, t)
	if len(t.fails) > 0 {
		return fmt.Errorf("the demo's promises were not kept: %s", strings.Join(t.fails, "; "))
	}
	fmt.Fprintf(out, "\nIn %.1fs: the token stayed hidden, the volume and production's orders are intact, the approved change ran after a snapshot, and every decision is in a verified audit log.\n",
		time.Since(t.start).Seconds())
	return nil
}

// 1. The incident's agent searched the codebase and found a token.
func findToken(_ context.Context, w *world, t *timeline) error {
	t.section("1. the agent hits a credential error and looks for a token in the workspace")
	for _, cmd := range []string{"grep -rn RAILWAY_TOKEN .", "cat .env"} {
		t.say("agent", "$ %s", cmd)
		decision, reason, err := w.hook(cmd)
		if err != nil {
			return err
		}
		t.say("chaperone", "%s (shell guard): %s", decision, reason)
		t.check(decision == "deny", "the shell guard denied %q", cmd)
	}
	return nil
}

// 2. The incident itself: volumeDelete, assumed to be scoped to staging.
func deleteVolume(_ context.Context, w *world, t *timeline) error {
	t.section("2. the agent, assuming it works in staging, deletes the volume through Railway's API")
	status, body, err := w.graphql(w.stagingToken, "railway-staging",
		`query { project(id: "prj_7c1e") { name environments { edges { node { name } } } } }`, nil)
	if err != nil {
		return err
	}
	t.say("agent", "POST /u/railway-staging/graphql/v2  query { project { environments } }")
	t.say("chaperone", "read: forwarded with Chaperone's Railway credential → HTTP %d", status)
	t.check(status == 200, "a read reached Railway")
	t.say("agent", `POST /u/railway-staging/graphql/v2  mutation { volumeDelete(volumeId: "%s") }`, volumeID)
	status, body, err = w.graphql(w.stagingToken, "railway-staging",
		`mutation volumeDelete($volumeId: String!) { volumeDelete(volumeId: $volumeId) }`, map[string]any{"volumeId": volumeID})
	if err != nil {
		return err
	}
	t.say("chaperone", "asked Railway where %s lives, then → HTTP %d: %s", volumeID, status, errorOf(body))
	t.check(status == 403 && strings.Contains(body, "production") && !requestID.MatchString(body),
		"volumeDelete denied outright, naming production and staging")
	t.check(w.railway.HasVolume(volumeID) && len(w.railway.Mutations()) == 0, "no mutation reached Railway; the volume exists")
	return nil
}

// 3. A destructive change the task does need: held, approved, snapshotted,
// run once.
func dropStagingTable(ctx context.Context, w *world, t *timeline) error {
	t.section("3. the agent drops a staging table its task does need gone")
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

// 4. Production: the staging token cannot reach it at all; a production
// token's destruction waits for a human, who says no.
func dropProductionTable(ctx context.Context, w *world, t *timeline) error {
	t.section("4. the agent tries production's orders table")
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
