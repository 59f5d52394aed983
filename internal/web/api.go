package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/chaperone/chaperone/internal/approval"
	"github.com/chaperone/chaperone/internal/audit"
	"github.com/chaperone/chaperone/internal/token"
)

type loginBody struct {
	Name     string `json:"name"`
	Password string `json:"password"`
}

// signIn checks a password login, rate-limited per client address.
func (c *Console) signIn(w http.ResponseWriter, r *http.Request, name, password string) (*session, bool) {
	now := c.now()
	addr := clientAddr(r)
	if wait := c.logins.wait(addr, now); wait > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		writeError(w, http.StatusTooManyRequests, fmt.Sprintf("too many failed sign-ins from here: try again in %s", wait.Round(time.Second)))
		return nil, false
	}
	if err := c.Approvals.Authenticate(r.Context(), name, password); err != nil {
		c.logins.fail(addr, now)
		if errors.Is(err, approval.ErrBadLogin) {
			return nil, true
		}
		c.Log.Error("approver sign-in", "err", err)
		writeError(w, http.StatusInternalServerError, "Chaperone cannot check sign-ins right now")
		return nil, false
	}
	id, s, err := c.sessions.start(r.Context(), name, now)
	if err != nil {
		c.Log.Error("approver sign-in: recording the session", "err", err)
		writeError(w, http.StatusServiceUnavailable, "Chaperone cannot record sign-ins right now")
		return nil, false
	}
	setCookie(w, r, id, int(maxLifetime.Seconds()))
	return s, true
}

func (c *Console) apiLogin(w http.ResponseWriter, r *http.Request) {
	var body loginBody
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&body); err != nil {
		writeError(w, http.StatusBadRequest, "want {\"name\": ..., \"password\": ...}")
		return
	}
	s, answered := c.signIn(w, r, body.Name, body.Password)
	if !answered {
		return
	}
	if s == nil {
		writeError(w, http.StatusUnauthorized, approval.ErrBadLogin.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"approver": s.approver, "csrf": s.csrf})
}

func (c *Console) apiLogout(w http.ResponseWriter, r *http.Request) {
	c.sessions.end(r.Context(), current(r))
	setCookie(w, r, "", -1)
	w.WriteHeader(http.StatusNoContent)
}

func (c *Console) apiRequests(w http.ResponseWriter, r *http.Request) {
	list, err := c.Approvals.List(r.Context(), r.URL.Query().Get("state"), 200)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "state unavailable")
		return
	}
	out := make([]approval.View, 0, len(list))
	for _, a := range list {
		out = append(out, approval.ViewOf(a, nil))
	}
	writeJSON(w, http.StatusOK, out)
}

func (c *Console) apiRequest(w http.ResponseWriter, r *http.Request) {
	a, votes, err := c.Approvals.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		writeError(w, decisionStatus(err), err.Error())
		return
	}
	writeJSON(w, http.StatusOK, approval.ViewOf(a, votes))
}

type decideBody struct {
	Code    string `json:"code"`
	Comment string `json:"comment"`
	Reason  string `json:"reason"`
	// For, with an approval, also grants the token an elevation on the
	// request's upstream for that long ("15m"); IncludeDestructive makes it
	// cover destructive statements too.
	For                string `json:"for"`
	IncludeDestructive bool   `json:"include_destructive"`
	// Passkey is the browser's answer to POST .../challenge, instead of a
	// code.
	Passkey json.RawMessage `json:"passkey"`
}

func (c *Console) apiDecide(w http.ResponseWriter, r *http.Request) {
	var body decideBody
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&body); err != nil {
		writeError(w, http.StatusBadRequest, "want {\"code\": ..., \"comment\" or \"reason\": ...}")
		return
	}
	note := body.Comment
	if r.PathValue("verdict") == "deny" {
		note = body.Reason
	}
	s := current(r)
	d, destructive, err := grantChoice(body.For, body.IncludeDestructive)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	a, err := c.decide(r.Context(), s, r.PathValue("id"), r.PathValue("verdict"), note, d, destructive, func() error {
		if len(body.Passkey) > 0 {
			return c.verifyPasskey(r, s, body.Passkey)
		}
		return c.Approvals.VerifyCode(r.Context(), s.approver, body.Code)
	})
	if err != nil {
		writeError(w, decisionStatus(err), err.Error())
		return
	}
	writeJSON(w, http.StatusOK, approval.ViewOf(a, nil))
}

func (c *Console) tokens(r *http.Request) ([]token.View, error) {
	list, err := c.Tokens.List(r.Context())
	now := c.now()
	out := make([]token.View, 0, len(list))
	for _, t := range list {
		out = append(out, token.ViewOf(t, now))
	}
	return out, err
}

func (c *Console) apiTokens(w http.ResponseWriter, r *http.Request) {
	list, err := c.tokens(r)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "state unavailable")
		return
	}
	writeJSON(w, http.StatusOK, list)
}

func (c *Console) apiRevoke(w http.ResponseWriter, r *http.Request) {
	if err := c.Tokens.Revoke(r.Context(), r.PathValue("id"), "approver:"+current(r).approver); err != nil {
		writeError(w, decisionStatus(err), err.Error())
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (c *Console) apiUpstreams(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, c.upstreams(r.Context()))
}

func (c *Console) apiAudit(w http.ResponseWriter, r *http.Request) {
	res, err := audit.Verify(r.Context(), c.Store)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "state unavailable")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": res.OK(), "verify": res})
}
