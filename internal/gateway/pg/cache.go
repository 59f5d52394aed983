package pg

import (
	"slices"
	"sync"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/classify/sql"
	"github.com/chaperone/chaperone/internal/memo"
)

// The classification cache is bounded in entries and in bytes
// (internal/memo): a statement can be 64 MiB, and agents choose them.
const (
	maxCached      = 10000
	maxCachedBytes = 32 << 20
)

// classCache remembers the classification of statement texts: applications
// send the same few statements over and over, and parsing is the expensive
// part of a decision. Texts are looked up exactly, then by their shape
// (literals replaced), which is shared only by results that did not depend
// on a literal's value: SELECT ... WHERE id = 42 is judged once for every id,
// DELETE ... WHERE 1 = 1 is judged every time. A result is shared by its
// shape only when the classifier marked no literal in it and the shape,
// filled with other values, is classified the same (sql.HoldsForShape).
type classCache struct {
	once sync.Once
	m    memo.Map[sql.Result]
}

func (c *classCache) results() *memo.Map[sql.Result] {
	c.once.Do(func() { c.m.MaxEntries, c.m.MaxBytes = maxCached, maxCachedBytes })
	return &c.m
}

// classify returns the action for text (to be completed with who and where)
// and the statement names it prepares and executes.
func (c *classCache) classify(text string) (action.Action, sql.Result) {
	m := c.results()
	r, ok := m.Get(text)
	shape, shaped := "", false
	if !ok {
		shape, shaped = sql.Shape(text)
		if shaped {
			r, ok = m.Get(shape)
			ok = ok && !r.Literals
		}
	}
	if !ok {
		r = sql.Classify(text)
		// The result's own size is about its text's: targets and
		// findings name parts of it.
		// HoldsForShape checks the mark by classifying the shape with
		// other values, once per shape: a finding that read a literal
		// unmarked keeps the result to its own text.
		if shaped && !r.Literals && sql.HoldsForShape(shape, r) {
			m.Put(shape, r, len(shape)) // shapes hold NULs, which no statement text can
		} else {
			m.Put(text, r, len(text))
		}
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
