package graphql

import (
	"testing"
)

func TestRailwaySchemaLoads(t *testing.T) {
	s, err := Railway()
	if err != nil {
		t.Fatal(err)
	}
	if s.Mutation == nil || s.Mutation.Fields.ForName("volumeDelete") == nil || s.Query.Fields.ForName("volumeInstance") == nil {
		t.Fatal("the schema lacks volumeDelete or volumeInstance")
	}
	if n := len(s.Mutation.Fields); n < 200 {
		t.Fatalf("%d mutations", n)
	}
}
