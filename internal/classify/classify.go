// Package classify turns the text of an agent's action into a classified
// action.Action, choosing the classifier for its kind.
package classify

import (
	"net/url"
	"strings"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/classify/graphql"
	"github.com/chaperone/chaperone/internal/classify/keyword"
	"github.com/chaperone/chaperone/internal/classify/rest"
	"github.com/chaperone/chaperone/internal/classify/shell"
	"github.com/chaperone/chaperone/internal/classify/sql"
	"github.com/chaperone/chaperone/internal/strictjson"
)

var shellClassifier = shell.Classifier{SQL: sql.Unasked, REST: restReasons}

// restReasons judges a provider REST request from the shell exactly as the
// gateway's profile for that provider does.
func restReasons(provider, method, path string, query url.Values, body []byte) []action.Reason {
	return rest.For(provider).Classify(rest.Request{Method: method, Path: path, Query: query, Body: body})
}

// Classify classifies text of the given kind. It never returns a class lower
// than the text deserves: what it cannot read is unknown.
func Classify(kind action.Kind, text string) action.Action {
	return ClassifyIn(kind, text, "")
}

// ClassifyIn is Classify for an action taken in the working directory dir
// (the agent's), where the scripts a command runs are read from; empty
// means this process's own.
func ClassifyIn(kind action.Kind, text, dir string) action.Action {
	a := action.Action{Kind: kind, Text: text, Class: action.ClassRead}
	var reasons []action.Reason
	switch kind {
	case action.KindShell:
		var r shell.Result
		if dir != "" {
			r = shellClassifier.ClassifyIn(text, dir)
		} else {
			r = shellClassifier.Classify(text)
		}
		reasons, a.Targets = r.Reasons, r.Targets
	case action.KindFile:
		// One definition of a credential file serves shell arguments and
		// agents' file reads alike.
		a.Targets = []string{text}
		if shell.IsSecretPath(text) {
			reasons = []action.Reason{{ID: "creds.read-secret-file", Class: action.ClassCredentialAccess, Message: text + " holds credentials"}}
		}
	case action.KindSQL:
		r := sql.Classify(text)
		reasons, a.Targets = r.Reasons, r.Targets
	default:
		reasons = keyword.Classify(kind, text)
	}
	for _, r := range reasons {
		a.AddReason(r)
	}
	return a
}

// ForProvider classifies text meant for a provider's API: a GraphQL
// request for a provider whose schema Chaperone has is judged against it,
// as the gateway would; anything else as Classify does.
func ForProvider(kind action.Kind, provider, text string) action.Action {
	if kind != action.KindGraphQL || provider != "railway" {
		return Classify(kind, text)
	}
	act := action.Action{Kind: kind, Text: text, Class: action.ClassRead}
	schema, err := graphql.Railway()
	if err != nil {
		act.AddReason(action.Reason{ID: "graphql.schema", Class: action.ClassUnknown, Message: "the provider schema did not load"})
		return act
	}
	req := graphql.Request{Query: text}
	if t := strings.TrimSpace(text); strings.HasPrefix(t, "{\"") || strings.HasPrefix(t, "{ \"") {
		if strictjson.Unmarshal([]byte(text), &req) != nil {
			req = graphql.Request{Query: text}
		}
	}
	for _, r := range graphql.Classify(schema, graphql.RailwayProfile{}, req).Reasons {
		act.AddReason(r)
	}
	return act
}
