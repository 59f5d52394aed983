package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// The scripted agent holds only chp_ tokens: its shell commands and its
// Railway calls run under chaperone run (confined.go), its SQL goes
// through the PostgreSQL gateway.

// sql connects to an upstream through the gateway: the token is the
// password, the upstream's name the database.
func (w *world) sql(ctx context.Context, tok, upstream string) (*pgx.Conn, error) {
	u := url.URL{Scheme: "postgres", User: url.UserPassword("agent", tok), Host: w.pgAddr, Path: "/" + upstream,
		RawQuery: "sslmode=disable"}
	return pgx.Connect(ctx, u.String())
}

var requestID = regexp.MustCompile(`apr_[0-9a-f]{16}`)

// refusal describes the error Chaperone answered with, and the approval
// request it names, if any.
func refusal(err error) (text, request string) {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		text = pe.Code + " " + pe.Message
		if pe.Hint != "" {
			text += "\nhint: " + pe.Hint
		}
		return text, requestID.FindString(pe.Message)
	}
	if err == nil {
		return "", ""
	}
	return err.Error(), ""
}

// abbrev shows enough of a token to tell which one it is.
func abbrev(tok string) string {
	if len(tok) <= 12 {
		return tok
	}
	return tok[:12] + "…"
}

func prefixed(prefix, s string) string {
	if s == "" {
		return ""
	}
	return prefix + s
}

// auditEvent is one line of `chaperone audit export --format jsonl`.
type auditEvent struct {
	Type  string         `json:"type"`
	Actor string         `json:"actor"`
	Data  map[string]any `json:"data"`
}

// auditEvents reads the audit log as an operator does, and returns the
// events of the types given.
func (w *world) auditEvents(types ...string) ([]auditEvent, error) {
	out, err := w.cli("audit", "export", "--format", "jsonl")
	if err != nil {
		return nil, err
	}
	var events []auditEvent
	for _, line := range strings.Split(out, "\n") {
		var e auditEvent
		if json.Unmarshal([]byte(line), &e) != nil {
			return nil, fmt.Errorf("audit export printed %q", line)
		}
		if slices.Contains(types, e.Type) {
			events = append(events, e)
		}
	}
	return events, nil
}

// checkSession checks the run session's record in the audit log: its
// start and end, its token revoked, the shell guard's denials and the
// proxy's volumeDelete refusal in the session's environment, and
// Railway's token nowhere.
func (w *world) checkSession(t *timeline) {
	out, err := w.cli("audit", "export", "--format", "jsonl")
	t.check(err == nil && !strings.Contains(out, w.railwayTok), "Railway's token is nowhere in the audit log")
	events, err := w.auditEvents("run.started", "run.ended", "token.revoked", "decision")
	if err != nil {
		t.check(false, "the audit log reads back (%v)", err)
		return
	}
	var id string
	ended, revoked := false, false
	hookDenials, proxyDenials := 0, 0
	for _, e := range events {
		switch {
		case e.Type == "run.started" && e.Data["confined"] == true:
			id, _ = e.Data["token"].(string)
		case e.Type == "run.ended" && id != "" && e.Data["token"] == id:
			ended = e.Data["exit"] == float64(0)
		case e.Type == "token.revoked" && id != "" && e.Data["id"] == id:
			revoked = true
		case e.Type == "decision" && e.Data["entry"] == "hook" && e.Data["env"] == "staging" && e.Data["decision"] == "deny":
			hookDenials++
		case e.Type == "decision" && e.Data["entry"] == "proxy" && id != "" && e.Data["token"] == id &&
			e.Data["upstream"] == "railway-staging" && e.Data["rule"] == "builtin.environment" && e.Data["decision"] == "deny":
			proxyDenials++
		}
	}
	t.check(id != "" && ended && revoked, "the audit log has the confined session (%s) start, end and its token revoked", id)
	t.check(hookDenials == 3 && proxyDenials == 1,
		"the audit log has the shell guard's 3 denials in staging (%d) and the proxy's volumeDelete denial for the session's token (%d)",
		hookDenials, proxyDenials)
}

// errorOf picks the message out of a gateway's JSON error.
func errorOf(body string) string {
	var v struct {
		Error string `json:"error"`
	}
	if json.Unmarshal([]byte(body), &v) == nil && v.Error != "" {
		return v.Error
	}
	return strings.TrimSpace(body)
}
