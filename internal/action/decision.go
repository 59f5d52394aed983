package action

import (
	"fmt"
	"slices"
)

// Verdict is what happens to an action.
type Verdict string

const (
	Allow   Verdict = "allow"
	Approve Verdict = "approve" // held until enough humans approve exactly this action
	Deny    Verdict = "deny"
)

var verdicts = []Verdict{Allow, Approve, Deny}

// ParseVerdict accepts a verdict's name and rejects anything else.
func ParseVerdict(s string) (Verdict, error) {
	v := Verdict(s)
	if slices.Contains(verdicts, v) {
		return v, nil
	}
	return "", fmt.Errorf("unknown decision %q (want allow, approve or deny)", s)
}

// Stricter reports whether v holds back more than w.
func (v Verdict) Stricter(w Verdict) bool {
	return slices.Index(verdicts, v) > slices.Index(verdicts, w)
}

// Decision is the policy's answer for one action.
type Decision struct {
	Verdict Verdict `json:"decision"`
	// Rule names the policy rule that decided, e.g. "builtin.destructive".
	Rule string `json:"rule"`
	// Reason is a sentence for the human or agent reading the decision.
	Reason string `json:"reason"`
	// Approvals is how many distinct humans must approve; set when Verdict is Approve.
	Approvals int `json:"approvals,omitempty"`
}
