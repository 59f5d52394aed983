package graphql

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"io"
	"sync"

	"github.com/vektah/gqlparser/v2/ast"
)

// railwaySchema is Railway's public API schema (introspection JSON from the
// Railway CLI repository, gzipped).
//
//go:embed schemas/railway.json.gz
var railwaySchema []byte

// Railway returns Railway's schema, loaded once.
var Railway = sync.OnceValues(func() (*ast.Schema, error) {
	zr, err := gzip.NewReader(bytes.NewReader(railwaySchema))
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		return nil, err
	}
	return LoadIntrospection("railway", data)
})
