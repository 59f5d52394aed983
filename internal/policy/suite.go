package policy

import (
	"bytes"
	"fmt"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/chaperone/chaperone/internal/action"
)

// Case is one row of a policy test file: an action and the decision expected.
type Case struct {
	Name      string     `yaml:"name"`
	Action    CaseAction `yaml:"action"`
	Expect    string     `yaml:"expect"`
	Rule      string     `yaml:"rule"`      // optional: the rule expected to decide
	Approvals int        `yaml:"approvals"` // optional: for expect: approve
	Line      int        `yaml:"-"`
}

// CaseAction describes the action. Without a class, text is classified the
// way the gateways would classify it.
type CaseAction struct {
	Kind      string   `yaml:"kind"`
	Text      string   `yaml:"text"`
	Env       string   `yaml:"env"`
	Upstream  string   `yaml:"upstream"`
	Class     string   `yaml:"class"`
	Targets   []string `yaml:"targets"`
	Reasons   []string `yaml:"reasons"`
	Scope     string   `yaml:"scope"`
	Requester string   `yaml:"requester"`
	// Placements are where the targets were found to live, as a gateway
	// resolves them: {target: "volume vol_1", env: production}.
	Placements []CasePlacement `yaml:"placements"`
}

// CasePlacement is one resolved environment of a target.
type CasePlacement struct {
	Target string `yaml:"target"`
	Env    string `yaml:"env"`
}

// Failure is a case whose decision differs from what it expects.
type Failure struct {
	Case Case
	Got  action.Decision
	Msg  string
}

// LoadCases reads a policy test file:
//
//	cases:
//	  - name: drops in production wait for a human
//	    action: {kind: sql, text: "DROP TABLE users", env: production}
//	    expect: approve
//	    rule: builtin.destructive
func LoadCases(path string) ([]Case, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var file struct {
		Cases []Case `yaml:"cases"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&file); err != nil {
		return nil, fmt.Errorf("%s: %s", path, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	var nodes struct {
		Cases []yaml.Node `yaml:"cases"`
	}
	if err := yaml.Unmarshal(data, &nodes); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if len(file.Cases) == 0 {
		return nil, fmt.Errorf("%s: no cases (want a top-level `cases:` list)", path)
	}
	for i := range file.Cases {
		c := &file.Cases[i]
		c.Line = nodes.Cases[i].Line
		if err := c.check(); err != nil {
			return nil, fmt.Errorf("%s:%d: case %d: %v", path, c.Line, i, err)
		}
	}
	return file.Cases, nil
}

func (c *Case) check() error {
	if c.Name == "" {
		return fmt.Errorf("no name")
	}
	if _, err := action.ParseVerdict(c.Expect); err != nil {
		return fmt.Errorf("expect: %v", err)
	}
	if _, err := action.ParseKind(c.Action.Kind); err != nil {
		return fmt.Errorf("action.kind: %v", err)
	}
	if c.Action.Class != "" {
		if _, err := action.ParseClass(c.Action.Class); err != nil {
			return fmt.Errorf("action.class: %v", err)
		}
	} else if c.Action.Text == "" {
		return fmt.Errorf("action needs a class or a text to classify")
	}
	return nil
}

// Classifier classifies text the way the gateways do.
type Classifier func(kind action.Kind, text string) action.Action

// Run decides every case and returns those that fail.
func (e *Engine) Run(cases []Case, classify Classifier) []Failure {
	var fails []Failure
	for _, c := range cases {
		a := c.toAction(classify)
		d := e.Decide(&a)
		var msgs []string
		if string(d.Verdict) != c.Expect {
			msgs = append(msgs, fmt.Sprintf("expected %s, got %s", c.Expect, d.Verdict))
		}
		if c.Rule != "" && c.Rule != d.Rule {
			msgs = append(msgs, fmt.Sprintf("expected rule %s, got %s", c.Rule, d.Rule))
		}
		if c.Approvals != 0 && c.Approvals != d.Approvals {
			msgs = append(msgs, fmt.Sprintf("expected %d approvals, got %d", c.Approvals, d.Approvals))
		}
		if len(msgs) > 0 {
			fails = append(fails, Failure{Case: c, Got: d, Msg: strings.Join(msgs, "; ")})
		}
	}
	return fails
}

func (c Case) toAction(classify Classifier) action.Action {
	ca := c.Action
	kind := action.Kind(ca.Kind)
	var a action.Action
	if ca.Class != "" {
		a = action.Action{Kind: kind, Text: ca.Text, Class: action.Class(ca.Class)}
	} else {
		a = classify(kind, ca.Text)
	}
	for _, id := range ca.Reasons {
		a.Reasons = append(a.Reasons, action.Reason{ID: id, Class: a.Class})
	}
	a.Env, a.Upstream, a.Scope, a.Requester = ca.Env, ca.Upstream, ca.Scope, ca.Requester
	if ca.Targets != nil {
		a.Targets = ca.Targets
	}
	for _, p := range ca.Placements {
		a.Placements = append(a.Placements, action.Placement{Target: p.Target, Env: p.Env, How: "is in"})
	}
	return a
}
