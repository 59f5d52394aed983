// Package classify turns the text of an agent's action into a classified
// action.Action, choosing the classifier for its kind.
package classify

import (
	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/classify/keyword"
)

// Classify classifies text of the given kind. It never returns a class lower
// than the text deserves: what it cannot read is unknown.
func Classify(kind action.Kind, text string) action.Action {
	a := action.Action{Kind: kind, Text: text, Class: action.ClassRead}
	for _, r := range keyword.Classify(kind, text) {
		a.AddReason(r)
	}
	return a
}
