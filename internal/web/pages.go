package web

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/chaperone/chaperone/internal/approval"
	"github.com/chaperone/chaperone/internal/audit"
	"github.com/chaperone/chaperone/internal/config"
	"github.com/chaperone/chaperone/internal/human"
	"github.com/chaperone/chaperone/internal/store"
)

// page is what every template gets: the signed-in approver, the CSRF token
// for its forms, the section for the navigation, and the page's own data.
type page struct {
	Approver string
	CSRF     string
	Section  string
	Error    string
	Notice   string
	Data     any
}

var funcs = template.FuncMap{
	"ago": func(t time.Time) string { return human.Ago(time.Since(t)) },
	"when": func(v any) string {
		var t time.Time
		switch x := v.(type) {
		case time.Time:
			t = x
		case *time.Time:
			if x != nil {
				t = *x
			}
		}
		if t.IsZero() {
			return "never"
		}
		return t.Local().Format("2006-01-02 15:04:05")
	},
	"sql":   func(s string) string { return human.Visible(formatSQL(s)) },
	"short": func(s string) string { return human.OneLine(s, 90) },
	"join":  strings.Join,
	"left": func(seconds int64) string {
		return (time.Duration(seconds) * time.Second).String()
	},
}

func (c *Console) parseTemplates() error {
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return err
	}
	c.pages = map[string]*template.Template{}
	for _, name := range []string{"login", "pending", "request", "history", "audit", "grants", "tokens", "upstreams", "account"} {
		files := []string{"templates/" + name + ".html"}
		if name == "pending" || name == "history" {
			files = append(files, "templates/requests.html")
		}
		t, err := template.Must(layout.Clone()).ParseFS(templateFS, files...)
		if err != nil {
			return err
		}
		c.pages[name] = t
	}
	return nil
}

// render writes a page whole or not at all: a template error never leaves
// half a page in the browser.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	if s := current(r); s != nil {
		p.Approver, p.CSRF = s.approver, s.csrf
	}
	p.Section = name
	var buf bytes.Buffer
	if err := c.pages[name].ExecuteTemplate(&buf, "layout.html", p); err != nil {
		c.Log.Error("console template", "page", name, "err", err)
		http.Error(w, "the console could not draw this page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func (c *Console) loginPage(w http.ResponseWriter, r *http.Request) {
	if c.sessions.get(r, c.now()) != nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	c.render(w, r, http.StatusOK, "login", page{})
}

func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	s, answered := c.signIn(w, r, r.PostFormValue("name"), r.PostFormValue("password"))
	if !answered {
		return
	}
	if s == nil {
		c.render(w, r, http.StatusUnauthorized, "login", page{Error: "Wrong approver name or password."})
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (c *Console) logout(w http.ResponseWriter, r *http.Request) {
	c.sessions.end(r.Context(), current(r))
	setCookie(w, r, "", -1)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

func (c *Console) pendingPage(w http.ResponseWriter, r *http.Request) {
	list, err := c.Approvals.List(r.Context(), "pending", 200)
	c.listPage(w, r, "pending", list, err)
}

func (c *Console) historyPage(w http.ResponseWriter, r *http.Request) {
	all, err := c.Approvals.List(r.Context(), "", 500)
	var done []store.Approval
	for _, a := range all {
		if a.State != "pending" {
			done = append(done, a)
		}
	}
	c.listPage(w, r, "history", done, err)
}

func (c *Console) listPage(w http.ResponseWriter, r *http.Request, name string, list []store.Approval, err error) {
	if err != nil {
		c.render(w, r, http.StatusInternalServerError, name, page{Error: "The state is unavailable: " + err.Error()})
		return
	}
	reqs := make([]approval.View, 0, len(list))
	for _, a := range list {
		if name == "pending" && a.State != "pending" {
			continue // expired while waiting
		}
		reqs = append(reqs, approval.ViewOf(a, nil))
	}
	c.render(w, r, http.StatusOK, name, page{Data: reqs})
}

func (c *Console) requestPage(w http.ResponseWriter, r *http.Request) {
	c.showRequest(w, r, http.StatusOK, "", "")
}

func (c *Console) showRequest(w http.ResponseWriter, r *http.Request, status int, errMsg, notice string) {
	a, votes, err := c.Approvals.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		c.render(w, r, decisionStatus(err), "request", page{Error: err.Error()})
		return
	}
	if a.State == "pending" && !c.now().Before(a.ExpiresAt) {
		a.State = "expired"
	}
	c.render(w, r, status, "request", page{Error: errMsg, Notice: notice, Data: approval.ViewOf(a, votes)})
}

func (c *Console) decideForm(w http.ResponseWriter, r *http.Request) {
	verdict := r.PathValue("verdict")
	note := r.PostFormValue("comment")
	s := current(r)
	d, destructive, err := grantChoice(r.PostFormValue("for"), r.PostFormValue("include_destructive") != "")
	if err != nil {
		c.showRequest(w, r, http.StatusBadRequest, "Not recorded: "+err.Error(), "")
		return
	}
	a, err := c.decide(r.Context(), s, r.PathValue("id"), verdict, note, d, destructive, func() error {
		return c.Approvals.VerifyCode(r.Context(), s.approver, r.PostFormValue("code"))
	})
	if err != nil {
		c.showRequest(w, r, decisionStatus(err), "Not recorded: "+err.Error(), "")
		return
	}
	c.showRequest(w, r, http.StatusOK, "", fmt.Sprintf("Your %s is recorded; the request is %s.", map[string]string{"approve": "approval", "deny": "denial"}[verdict], a.State))
}

func (c *Console) auditPage(w http.ResponseWriter, r *http.Request) {
	res, err := audit.Verify(r.Context(), c.Store)
	if err != nil {
		c.render(w, r, http.StatusInternalServerError, "audit", page{Error: "The state is unavailable: " + err.Error()})
		return
	}
	var entries []store.AuditEntry
	after := max(res.HeadSeq-100, 0)
	err = c.Store.View(r.Context(), func(tx store.Tx) error {
		var err error
		entries, err = tx.AuditEntries(after, 100)
		return err
	})
	for i, j := 0, len(entries)-1; i < j; i, j = i+1, j-1 {
		entries[i], entries[j] = entries[j], entries[i] // newest first
	}
	if err != nil {
		c.render(w, r, http.StatusInternalServerError, "audit", page{Error: "The state is unavailable: " + err.Error()})
		return
	}
	c.render(w, r, http.StatusOK, "audit", page{Data: struct {
		Result  audit.Result
		Entries []store.AuditEntry
	}{res, entries}})
}

func (c *Console) tokensPage(w http.ResponseWriter, r *http.Request) {
	c.showTokens(w, r, http.StatusOK, "", "")
}

func (c *Console) showTokens(w http.ResponseWriter, r *http.Request, status int, errMsg, notice string) {
	list, err := c.tokens(r)
	if err != nil {
		errMsg = "The state is unavailable: " + err.Error()
		status = http.StatusInternalServerError
	}
	c.render(w, r, status, "tokens", page{Error: errMsg, Notice: notice, Data: list})
}

func (c *Console) revokeForm(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := c.Tokens.Revoke(r.Context(), id, "approver:"+current(r).approver); err != nil {
		c.showTokens(w, r, decisionStatus(err), "Not revoked: "+err.Error(), "")
		return
	}
	c.showTokens(w, r, http.StatusOK, "", id+" is revoked.")
}

func (c *Console) accountPage(w http.ResponseWriter, r *http.Request) {
	c.render(w, r, http.StatusOK, "account", page{Data: c.passkeys(r.Context(), current(r).approver)})
}

func (c *Console) upstreamsPage(w http.ResponseWriter, r *http.Request) {
	c.render(w, r, http.StatusOK, "upstreams", page{Data: struct {
		Upstreams    []Upstream
		Store        string
		LocalBackups bool
	}{c.upstreams(r.Context()), c.BackupStore, c.LocalBackups}})
}

// upstreams are the configured upstreams with their backup status.
func (c *Console) upstreams(ctx context.Context) []Upstream {
	out := append([]Upstream(nil), c.Upstreams...)
	if c.Drills == nil {
		return out
	}
	drills, err := c.Drills(ctx)
	for i := range out {
		switch {
		case out[i].Kind != config.KindPostgres:
		case err != nil:
			out[i].Backups = "backup status unknown"
		default:
			out[i].Backups = drills[out[i].Name].Describe(c.now())
		}
	}
	return out
}
