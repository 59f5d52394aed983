package audit

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/store"
)

// Entries are the entry points a decision can come from.
var Entries = []string{"pg", "http", "proxy", "hook"}

// Filter selects decision entries by where they came from and how
// dangerous they were; an empty Filter selects every entry, decisions or
// not.
type Filter struct {
	Entry string
	Class action.Class
}

// NewFilter checks the names it is given.
func NewFilter(entry, class string) (Filter, error) {
	f := Filter{Entry: entry}
	if entry != "" && !slices.Contains(Entries, entry) {
		return f, fmt.Errorf("unknown entry point %q (want one of %v)", entry, Entries)
	}
	if class != "" {
		c, err := action.ParseClass(class)
		if err != nil {
			return f, err
		}
		f.Class = c
	}
	return f, nil
}

// Match reports whether e is selected.
func (f Filter) Match(e store.AuditEntry) bool {
	if f == (Filter{}) {
		return true
	}
	if e.Type != Decision {
		return false
	}
	var d struct {
		Entry string       `json:"entry"`
		Class action.Class `json:"class"`
	}
	if json.Unmarshal(e.Data, &d) != nil {
		return false
	}
	return (f.Entry == "" || d.Entry == f.Entry) && (f.Class == "" || d.Class == f.Class)
}
