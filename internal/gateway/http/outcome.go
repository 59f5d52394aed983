package http

import (
	"net/http"

	"github.com/chaperone/chaperone/internal/classify/rest"
	"github.com/chaperone/chaperone/internal/gate"
)

// refusal is the answer for an outcome that forwards nothing.
func refusal(o gate.Outcome) (int, map[string]any) {
	d, req := o.Decision, o.Request
	switch o.Verdict {
	case gate.Refused:
		msg := "Chaperone denied this request"
		if m := o.Misplaced(); m != "" {
			msg += ": " + m
		}
		return http.StatusForbidden, map[string]any{"error": msg, "rule": d.Rule, "reason": d.Reason, "findings": o.Action.Reasons}
	case gate.HumanDenied:
		return http.StatusForbidden, map[string]any{"error": "a human denied this request", "request": req.ID, "reason": req.DenyReason}
	case gate.Held:
		return http.StatusForbidden, map[string]any{"error": "Chaperone held this request for approval", "request": req.ID,
			"rule": d.Rule, "reason": d.Reason, "findings": o.Action.Reasons,
			"hint": "approve it with: chaperone approvals approve " + req.ID + "; then send the same request again with the same token"}
	}
	if o.Cause == gate.CauseSpent {
		return http.StatusForbidden, map[string]any{"error": o.Message}
	}
	return http.StatusServiceUnavailable, map[string]any{"error": o.Message}
}

// noSnapshot says, for the approval and the audit, why approved
// destruction through an HTTP upstream runs without a snapshot.
func noSnapshot(up Upstream) string {
	why := "Chaperone cannot copy the resources of an HTTP API, so no snapshot was taken"
	if w := recoveryWindow[up.Provider]; w != "" {
		why += "; " + w
	}
	return why
}

// recoveryWindow is what each provider itself keeps after a deletion, as
// its documentation states.
var recoveryWindow = map[string]string{
	rest.Fly.Name: "Fly keeps daily volume snapshots for 5 days by default (fly volumes snapshots list)",
}
