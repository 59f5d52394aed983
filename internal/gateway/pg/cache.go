package pg

import (
	"slices"
	"sync"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/classify/sql"
)

// maxCached bounds the classification cache; when full it starts over, which
// costs a re-parse and never a wrong answer.
const maxCached = 10000

// classCache remembers the classification of statement texts: applications
// send the same few statements over and over, and parsing is the expensive
// part of a decision.
type classCache struct {
	mu sync.RWMutex
	m  map[string]sql.Result
}

// classify returns the action for text (to be completed with who and where)
// and the statement names it prepares and executes.
func (c *classCache) classify(text string) (action.Action, sql.Result) {
	c.mu.RLock()
	r, ok := c.m[text]
	c.mu.RUnlock()
	if !ok {
		r = sql.Classify(text)
		c.mu.Lock()
		if c.m == nil || len(c.m) >= maxCached {
			c.m = make(map[string]sql.Result, 256)
		}
		c.m[text] = r
		c.mu.Unlock()
	}
	a := action.Action{Kind: action.KindSQL, Text: text, Class: action.ClassRead,
		Targets: slices.Clone(r.Targets)}
	for _, x := range r.Reasons {
		a.AddReason(x)
	}
	return a, r
}
