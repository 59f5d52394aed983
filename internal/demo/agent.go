package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// The scripted agent holds only chp_ tokens. Everything it does goes
// through Chaperone: its shell commands through the agent hook, its
// Railway calls through /u/, its SQL through the PostgreSQL gateway.

// hook asks Chaperone about a shell command the way Claude Code's
// PreToolUse hook does, and returns the decision and its reason.
func (w *world) hook(command string) (decision, reason string, err error) {
	in, _ := json.Marshal(map[string]any{"session_id": "demo", "hook_event_name": "PreToolUse", "tool_name": "Bash",
		"tool_input": map[string]any{"command": command}, "cwd": w.workspace})
	out, err := w.cliIn(string(in), "hook", "claude-code")
	if err != nil {
		return "", "", err
	}
	var ans struct {
		Out struct {
			Decision string `json:"permissionDecision"`
			Reason   string `json:"permissionDecisionReason"`
		} `json:"hookSpecificOutput"`
	}
	if err := json.Unmarshal([]byte(out), &ans); err != nil {
		return "", "", fmt.Errorf("the hook answered %q: %v", out, err)
	}
	return ans.Out.Decision, ans.Out.Reason, nil
}

// graphql posts a GraphQL request to Railway through Chaperone.
func (w *world) graphql(tok, upstream, query string, vars map[string]any) (int, string, error) {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequest("POST", "http://"+w.httpAddr+"/u/"+upstream+"/graphql/v2", bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

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
