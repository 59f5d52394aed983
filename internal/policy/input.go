package policy

import (
	"github.com/chaperone/chaperone/internal/action"
)

// Action is what a rule's CEL expression sees as `action`. It is a flat copy of
// action.Action with plain strings, so rules compare with string literals.
type Action struct {
	Kind      string   `cel:"kind"`
	Class     string   `cel:"class"`
	Env       string   `cel:"env"`
	Upstream  string   `cel:"upstream"`
	Text      string   `cel:"text"`
	Targets   []string `cel:"targets"`
	Reasons   []string `cel:"reasons"` // reason ids, e.g. "sql.drop-table"
	Requester string   `cel:"requester"`
	Scope     string   `cel:"scope"`
	// Placements are where Chaperone found the targets to live.
	Placements []Placement `cel:"placements"`
}

// Placement is one environment a target was found in.
type Placement struct {
	Target string `cel:"target"`
	Env    string `cel:"env"`
}

// Env is what a rule sees as `env`: the environment the action really targets.
type Env struct {
	Name      string `cel:"name"`
	Protected bool   `cel:"protected"`
}

func inputOf(a *action.Action) *Action {
	return &Action{
		Kind:       string(a.Kind),
		Class:      string(a.Class),
		Env:        a.Env,
		Upstream:   a.Upstream,
		Text:       a.Text,
		Targets:    nonNil(a.Targets),
		Reasons:    nonNil(a.ReasonIDs()),
		Requester:  a.Requester,
		Scope:      a.Scope,
		Placements: placements(a.Placements),
	}
}

func placements(ps []action.Placement) []Placement {
	out := make([]Placement, len(ps))
	for i, p := range ps {
		out[i] = Placement{Target: p.Target, Env: p.Env}
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
