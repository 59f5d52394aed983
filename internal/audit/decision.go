package audit

import (
	"github.com/chaperone/chaperone/internal/action"
)

// DecisionData is what the log keeps about one decision, in the same shape
// whichever entry point asked. The text is kept redacted (values replaced
// by placeholders, credentials removed) with its fingerprint: the log is
// for reading and correlating, never for replaying data.
type DecisionData struct {
	Entry    string         `json:"entry"`  // pg, http, proxy, hook
	Source   string         `json:"source"` // the entry point and what it serves: "pg:prod", "hook:claude-code"
	Token    string         `json:"token,omitempty"`
	Upstream string         `json:"upstream,omitempty"`
	Env      string         `json:"env,omitempty"`
	Kind     action.Kind    `json:"kind"`
	Class    action.Class   `json:"class"`
	Rule     string         `json:"rule"`
	Decision action.Verdict `json:"decision"`
	Outcome  string         `json:"outcome"`
	Reason   string         `json:"reason,omitempty"`
	Findings []string       `json:"findings,omitempty"` // reason ids
	Targets  []string       `json:"targets,omitempty"`
	// Placements are where Chaperone found the targets to live.
	Placements  []action.Placement `json:"placements,omitempty"`
	Request     string             `json:"request,omitempty"`
	Grant       string             `json:"grant,omitempty"`
	Snapshot    string             `json:"snapshot,omitempty"`
	Text        string             `json:"text"`
	Fingerprint string             `json:"fingerprint"`
	Cwd         string             `json:"cwd,omitempty"`
}
