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
// part of a decision. Texts are looked up exactly, then by their shape
// (literals replaced), which is shared only by results that did not depend
// on a literal's value: SELECT ... WHERE id = 42 is judged once for every id,
// DELETE ... WHERE 1 = 1 is judged every time.
type classCache struct {
	mu sync.RWMutex
	m  map[string]sql.Result
}

// classify returns the action for text (to be completed with who and where)
// and the statement names it prepares and executes.
func (c *classCache) classify(text string) (action.Action, sql.Result) {
	shape, shaped := "", false
	c.mu.RLock()
	r, ok := c.m[text]
	if !ok {
		c.mu.RUnlock()
		shape, shaped = sql.Shape(text)
		c.mu.RLock()
		if shaped {
			r, ok = c.m[shape]
			ok = ok && !r.Literals
		}
	}
	c.mu.RUnlock()
	if !ok {
		r = sql.Classify(text)
		c.mu.Lock()
		if c.m == nil || len(c.m)+2 > maxCached {
			c.m = make(map[string]sql.Result, 256)
		}
		if shaped && !r.Literals {
			c.m[shape] = r // shapes hold NULs, which no statement text can
		} else {
			c.m[text] = r
		}
		c.mu.Unlock()
	}
	return actionOf(text, r), r
}

// actionOf is the action for text classified as r (to be completed with
// who and where).
func actionOf(text string, r sql.Result) action.Action {
	a := action.Action{Kind: action.KindSQL, Text: text, Class: action.ClassRead,
		Targets: slices.Clone(r.Targets)}
	for _, x := range r.Reasons {
		a.AddReason(x)
	}
	return a
}
