// Package action is the vocabulary every part of Chaperone shares: what an agent
// tried to do (Action), how dangerous it is (Class), and what was decided (Decision).
// Every entry point builds the same Action and asks the same policy, so nothing
// classifies or decides twice.
package action

import (
	"fmt"
	"slices"
	"strings"
)

// Kind is the language or protocol an action was expressed in.
type Kind string

const (
	KindShell   Kind = "shell"
	KindSQL     Kind = "sql"
	KindGraphQL Kind = "graphql"
	KindHTTP    Kind = "http"
	KindFile    Kind = "file"
	// KindFileWrite is a file written or edited by an agent's own tool:
	// judged by its target and by what the content would do when run.
	KindFileWrite Kind = "file_write"
	// KindTool is an agent tool call judged by what the tool does (an MCP
	// server's tool, a web fetch, a subagent) rather than by one language.
	KindTool Kind = "tool"
)

// Kinds lists every kind, in a stable order for help texts and validation.
var Kinds = []Kind{KindShell, KindSQL, KindGraphQL, KindHTTP, KindFile, KindFileWrite, KindTool}

// ParseKind accepts a kind's name and rejects anything else.
func ParseKind(s string) (Kind, error) {
	k := Kind(s)
	if slices.Contains(Kinds, k) {
		return k, nil
	}
	return "", fmt.Errorf("unknown kind %q (want one of %v)", s, Kinds)
}

// Class is how much harm an action can do. The order matters: a higher class is
// more dangerous, and combining classes keeps the most dangerous one.
type Class string

const (
	ClassRead             Class = "read"
	ClassWrite            Class = "write"
	ClassUnknown          Class = "unknown"
	ClassDestructive      Class = "destructive"
	ClassCredentialAccess Class = "credential_access"
)

// Classes lists every class from least to most severe.
var Classes = []Class{ClassRead, ClassWrite, ClassUnknown, ClassDestructive, ClassCredentialAccess}

// ParseClass accepts a class's name and rejects anything else.
func ParseClass(s string) (Class, error) {
	c := Class(s)
	if slices.Contains(Classes, c) {
		return c, nil
	}
	return "", fmt.Errorf("unknown class %q (want one of %v)", s, Classes)
}

// Severity orders classes; an unrecognised class is as severe as unknown so that
// it can never rank below a real finding.
func (c Class) Severity() int {
	if i := slices.Index(Classes, c); i >= 0 {
		return i
	}
	return slices.Index(Classes, ClassUnknown)
}

// Max returns the more severe of two classes.
func Max(a, b Class) Class {
	if b.Severity() > a.Severity() {
		return b
	}
	return a
}

// Highest is the most severe class among findings; read when there are
// none.
func Highest(reasons []Reason) Class {
	c := ClassRead
	for _, r := range reasons {
		c = Max(c, r.Class)
	}
	return c
}

// Reason explains one finding of a classifier. ID is stable across releases so
// that policies, tests and dashboards can refer to it (e.g. "sql.drop-table").
type Reason struct {
	ID      string `json:"id"`
	Class   Class  `json:"class"`
	Message string `json:"message"`
}

// Action is one thing an agent tried to do, after classification.
type Action struct {
	Kind     Kind   `json:"kind"`
	Env      string `json:"env,omitempty"`
	Upstream string `json:"upstream,omitempty"`
	// Text is the exact text the agent sent: approvals bind to it byte for byte.
	Text string `json:"text"`
	// Targets are what the action touches: tables, paths, resource ids.
	Targets []string `json:"targets,omitempty"`
	Class   Class    `json:"class"`
	Reasons []Reason `json:"reasons,omitempty"`
	// Placements say where Chaperone found each target to live, asked of
	// the provider itself, never taken from the agent.
	Placements []Placement `json:"placements,omitempty"`
	// Requester identifies who asked (a token id); Scope is that token's scope.
	Requester string `json:"requester,omitempty"`
	Scope     string `json:"scope,omitempty"`
}

// Placement is one environment a target was found in.
type Placement struct {
	Target string `json:"target"` // "volume vol_3b8d0c"
	Env    string `json:"env"`
	// How says how the target relates to Env: "has an instance in", "is in".
	How string `json:"how"`
}

func (p Placement) String() string { return p.Target + " " + p.How + " " + p.Env }

// Elsewhere returns the placements outside env, compared as the providers
// compare environment names (case-insensitively).
func (a *Action) Elsewhere() []Placement {
	var out []Placement
	for _, p := range a.Placements {
		if !strings.EqualFold(p.Env, a.Env) {
			out = append(out, p)
		}
	}
	return out
}

// AddReason records a finding and raises the action's class to cover it.
func (a *Action) AddReason(r Reason) {
	a.Reasons = append(a.Reasons, r)
	a.Class = Max(a.Class, r.Class)
}

// ReasonIDs returns the ids of all findings, in order.
func (a *Action) ReasonIDs() []string {
	ids := make([]string, len(a.Reasons))
	for i, r := range a.Reasons {
		ids[i] = r.ID
	}
	return ids
}
