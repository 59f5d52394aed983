package graphql

import (
	"sync"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// Agents send the same few queries over and over; parsing and validating
// one against a schema of Railway's size costs more than forwarding it. A
// document that validated is kept (it is not changed by use: variables are
// applied when it is read), bounded in count and in the size of each.
const (
	docCacheEntries  = 1024
	docCacheMaxQuery = 8 << 10
)

type docKey struct {
	schema *ast.Schema
	query  string
}

var docs = struct {
	sync.RWMutex
	m map[docKey]*ast.QueryDocument
}{m: map[docKey]*ast.QueryDocument{}}

// load parses and validates query against schema, or returns the document
// it validated before.
func load(schema *ast.Schema, query string) (*ast.QueryDocument, error) {
	key := docKey{schema, query}
	docs.RLock()
	doc, ok := docs.m[key]
	docs.RUnlock()
	if ok {
		return doc, nil
	}
	doc, errs := gqlparser.LoadQuery(schema, query)
	if len(errs) > 0 {
		return nil, errs
	}
	if len(query) <= docCacheMaxQuery {
		docs.Lock()
		if len(docs.m) >= docCacheEntries {
			clear(docs.m)
		}
		docs.m[key] = doc
		docs.Unlock()
	}
	return doc, nil
}
