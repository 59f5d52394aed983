// Package web is the approval console and its JSON API: approvers sign in
// with their password, see held requests as they arrive, and approve or deny
// them with a second factor. Agent tokens are refused on every route: the
// console is for humans only, and a held action can be released only by one.
package web

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/chaperone/chaperone/internal/approval"
	"github.com/chaperone/chaperone/internal/backup"
	"github.com/chaperone/chaperone/internal/store"
	"github.com/chaperone/chaperone/internal/token"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Upstream is an upstream as the console shows it: never its credential.
type Upstream struct {
	Name       string `json:"name"`
	Kind       string `json:"kind"`
	Env        string `json:"env"`
	Credential string `json:"credential"`
	Backups    string `json:"backups,omitempty"` // how recently a restore drill passed
}

// Console serves the approval console and API.
type Console struct {
	Approvals *approval.Service
	Tokens    *token.Manager
	Store     store.Store
	Upstreams []Upstream
	Log       *slog.Logger
	Now       func() time.Time
	// BackupStore describes where snapshots go, shown with the upstreams;
	// LocalBackups says that is a local directory, which the console
	// flags as only as isolated as its disk.
	BackupStore  string
	LocalBackups bool
	// Drills, when set, reads every upstream's restore-drill record (once
	// per page: it reads the audit log).
	Drills func(ctx context.Context) (map[string]backup.DrillRecord, error)
	// PublicURL is where approvers open the console (approvals.url); it
	// names the passkeys' relying party. Empty: the host the browser used.
	PublicURL string

	hub      Hub
	sessions sessions
	logins   limiter
	pages    map[string]*template.Template
}

func (c *Console) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Publish tells live consoles that a request changed (approval.Service's
// Changed hook). It never blocks.
func (c *Console) Publish(_ string, a store.Approval) { c.hub.publish(a) }

// Handler returns the console's routes, to be mounted at the root of the
// HTTP listener.
func (c *Console) Handler() (http.Handler, error) {
	c.sessions.st = c.Store
	if err := c.parseTemplates(); err != nil {
		return nil, err
	}
	static, _ := fs.Sub(staticFS, "static")
	mux := http.NewServeMux()
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /login", c.loginPage)
	mux.HandleFunc("POST /login", c.login)
	mux.HandleFunc("POST /logout", c.human(c.logout))
	mux.HandleFunc("GET /{$}", c.human(c.pendingPage))
	mux.HandleFunc("GET /requests/{id}", c.human(c.requestPage))
	mux.HandleFunc("POST /requests/{id}/{verdict}", c.human(c.decideForm))
	mux.HandleFunc("GET /history", c.human(c.historyPage))
	mux.HandleFunc("GET /audit", c.human(c.auditPage))
	mux.HandleFunc("GET /grants", c.human(c.grantsPage))
	mux.HandleFunc("POST /grants/{id}/revoke", c.human(c.revokeGrantForm))
	mux.HandleFunc("GET /tokens", c.human(c.tokensPage))
	mux.HandleFunc("POST /tokens/{id}/revoke", c.human(c.revokeForm))
	mux.HandleFunc("GET /upstreams", c.human(c.upstreamsPage))
	mux.HandleFunc("GET /account", c.human(c.accountPage))
	mux.HandleFunc("GET /events", c.human(c.events))

	mux.HandleFunc("POST /api/session", c.apiLogin)
	mux.HandleFunc("DELETE /api/session", c.api(c.apiLogout))
	mux.HandleFunc("GET /api/requests", c.api(c.apiRequests))
	mux.HandleFunc("GET /api/requests/{id}", c.api(c.apiRequest))
	mux.HandleFunc("POST /api/requests/{id}/{verdict}", c.api(c.apiDecide))
	mux.HandleFunc("POST /api/requests/{id}/{verdict}/challenge", c.api(c.apiChallenge))
	mux.HandleFunc("POST /api/passkeys/begin", c.api(c.apiPasskeyBegin))
	mux.HandleFunc("POST /api/passkeys/finish", c.api(c.apiPasskeyFinish))
	mux.HandleFunc("GET /api/grants", c.api(c.apiGrants))
	mux.HandleFunc("POST /api/grants/{id}/revoke", c.api(c.apiRevokeGrant))
	mux.HandleFunc("GET /api/tokens", c.api(c.apiTokens))
	mux.HandleFunc("POST /api/tokens/{id}/revoke", c.api(c.apiRevoke))
	mux.HandleFunc("GET /api/upstreams", c.api(c.apiUpstreams))
	mux.HandleFunc("GET /api/audit", c.api(c.apiAudit))
	mux.HandleFunc("GET /api/events", c.api(c.events))
	return secured(mux), nil
}

// secured refuses agent credentials everywhere and sets the headers every
// response needs: no framing, no sniffing, no caching, scripts from here only.
func secured(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		// same-origin, not no-referrer: with no-referrer browsers send
		// "Origin: null" on form posts, which the origin check must refuse.
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		if hasAgentCredential(r) {
			writeError(w, http.StatusForbidden, "agent credentials cannot use the approval console or its API: only approvers, signed in with a password, can")
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead && !sameOrigin(r) {
			writeError(w, http.StatusForbidden, "cross-origin request refused")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// sameOrigin checks the Origin header when a browser sends one.
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true // not a browser's cross-site form or fetch; CSRF tokens still apply
	}
	_, host, ok := strings.Cut(o, "://")
	return ok && host == r.Host
}

type ctxKey struct{}

func current(r *http.Request) *session { s, _ := r.Context().Value(ctxKey{}).(*session); return s }

// human wraps console pages: a session is required (else the login page),
// and every POST carries the session's CSRF token.
func (c *Console) human(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s := c.sessions.get(r, c.now())
		if s == nil {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/login", http.StatusSeeOther)
				return
			}
			writeError(w, http.StatusUnauthorized, "sign in first")
			return
		}
		if r.Method == http.MethodPost && !s.csrfOK(r.PostFormValue("csrf")) {
			writeError(w, http.StatusForbidden, "missing or wrong CSRF token: reload the page and try again")
			return
		}
		next(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, s)))
	}
}

// api wraps JSON routes: a session is required, and every request that
// changes something carries the session's CSRF token in X-CSRF-Token.
func (c *Console) api(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s := c.sessions.get(r, c.now())
		if s == nil {
			writeError(w, http.StatusUnauthorized, "an approver session is required: POST /api/session")
			return
		}
		if r.Method != http.MethodGet && !s.csrfOK(r.Header.Get("X-CSRF-Token")) {
			writeError(w, http.StatusForbidden, "missing or wrong X-CSRF-Token")
			return
		}
		next(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, s)))
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// decisionStatus maps the errors of a vote to HTTP statuses.
func decisionStatus(err error) int {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, approval.ErrBadCode), errors.Is(err, approval.ErrBadLogin), errors.Is(err, approval.ErrNoFactor),
		errors.Is(err, errPasskey):
		return http.StatusForbidden
	case errors.Is(err, approval.ErrLocked):
		return http.StatusTooManyRequests
	case errors.Is(err, approval.ErrNotPending), errors.Is(err, store.ErrConflict), errors.Is(err, approval.ErrSelf),
		errors.Is(err, token.ErrAlreadyRevoked):
		return http.StatusConflict
	case errors.Is(err, errReasonNeeded), errors.Is(err, errGrantDuration), errors.Is(err, approval.ErrGrantTooLong),
		errors.Is(err, approval.ErrGrantNeedsApproval):
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}

// decide checks the vote, verifies the approver's second factor (second)
// and records the vote.
func (c *Console) decide(ctx context.Context, s *session, id, verdict, note string, grantFor time.Duration, destructive bool,
	second func() error) (store.Approval, error) {
	if verdict != "approve" && verdict != "deny" {
		return store.Approval{}, store.ErrNotFound
	}
	if verdict == "deny" && strings.TrimSpace(note) == "" {
		return store.Approval{}, errReasonNeeded
	}
	if err := second(); err != nil {
		return store.Approval{}, err
	}
	if verdict == "approve" && grantFor > 0 {
		a, _, err := c.Approvals.ApproveFor(ctx, id, "approver:"+s.approver, note, grantFor, destructive)
		return a, err
	}
	if verdict == "approve" {
		return c.Approvals.Approve(ctx, id, "approver:"+s.approver, note)
	}
	return c.Approvals.Deny(ctx, id, "approver:"+s.approver, note)
}

var errReasonNeeded = errors.New("a denial needs a reason: the agent is shown it")
