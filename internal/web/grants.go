package web

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/chaperone/chaperone/internal/approval"
)

// grantChoice reads an approval's optional grant: how long ("" for none)
// and whether it covers destructive statements.
func grantChoice(forValue string, destructive bool) (time.Duration, bool, error) {
	forValue = strings.TrimSpace(forValue)
	if forValue == "" {
		if destructive {
			return 0, false, errGrantDuration
		}
		return 0, false, nil
	}
	d, err := time.ParseDuration(forValue)
	if err != nil || d <= 0 {
		return 0, false, errGrantDuration
	}
	return d, destructive, nil
}

var errGrantDuration = errors.New(`a grant needs a duration such as "15m"`)

func (c *Console) grantViews(r *http.Request) ([]approval.GrantView, error) {
	gs, err := c.Approvals.Grants(r.Context(), 100)
	now := c.now()
	out := make([]approval.GrantView, 0, len(gs))
	for _, g := range gs {
		out = append(out, approval.GrantViewOf(g, now))
	}
	return out, err
}

func (c *Console) grantsPage(w http.ResponseWriter, r *http.Request) {
	c.showGrants(w, r, http.StatusOK, "", "")
}

func (c *Console) showGrants(w http.ResponseWriter, r *http.Request, status int, errMsg, notice string) {
	list, err := c.grantViews(r)
	if err != nil {
		errMsg = "The state is unavailable: " + err.Error()
		status = http.StatusInternalServerError
	}
	c.render(w, r, status, "grants", page{Error: errMsg, Notice: notice, Data: list})
}

func (c *Console) revokeGrantForm(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := c.Approvals.RevokeGrant(r.Context(), id, "approver:"+current(r).approver); err != nil {
		c.showGrants(w, r, decisionStatus(err), "Not revoked: "+err.Error(), "")
		return
	}
	c.showGrants(w, r, http.StatusOK, "", id+" is revoked.")
}

func (c *Console) apiGrants(w http.ResponseWriter, r *http.Request) {
	list, err := c.grantViews(r)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "state unavailable")
		return
	}
	writeJSON(w, http.StatusOK, list)
}

func (c *Console) apiRevokeGrant(w http.ResponseWriter, r *http.Request) {
	if err := c.Approvals.RevokeGrant(r.Context(), r.PathValue("id"), "approver:"+current(r).approver); err != nil {
		writeError(w, decisionStatus(err), err.Error())
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
