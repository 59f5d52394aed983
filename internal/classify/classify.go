// Package classify turns the text of an agent's action into a classified
// action.Action, choosing the classifier for its kind.
package classify

import (
	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/classify/keyword"
	"github.com/chaperone/chaperone/internal/classify/shell"
	"github.com/chaperone/chaperone/internal/classify/sql"
)

var shellClassifier = shell.Classifier{SQL: sql.Reasons}

// Classify classifies text of the given kind. It never returns a class lower
// than the text deserves: what it cannot read is unknown.
func Classify(kind action.Kind, text string) action.Action {
	a := action.Action{Kind: kind, Text: text, Class: action.ClassRead}
	var reasons []action.Reason
	switch kind {
	case action.KindShell:
		r := shellClassifier.Classify(text)
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
