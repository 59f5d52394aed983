package graphql

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/fuzzbound"
)

// FuzzClassifyGraphQL: any query and variables, no panic or hang, and what
// does not validate is never below unknown.
func FuzzClassifyGraphQL(f *testing.F) {
	for _, q := range []string{`query { me { id } }`, `mutation { volumeDelete(volumeId: "v") }`,
		`mutation M { ...F } fragment F on Mutation { serviceDelete(id: "s") }`, `mutation($v: String!) { volumeDelete(volumeId: $v) }`,
		`{ __schema { types { name } } }`, `mutation { a: volumeDelete(volumeId: "1") b: volumeDelete(volumeId: "2") }`} {
		f.Add(q, "", `{"v": "vol_1"}`)
	}
	s, err := Railway()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, query, op, vars string) {
		var v map[string]any
		json.Unmarshal([]byte(vars), &v)
		var r Result
		fuzzbound.Run(t, 2*time.Second, func() {
			r = Classify(s, RailwayProfile{}, Request{Query: query, OperationName: op, Variables: v})
			for _, c := range r.Calls {
				RailwayTargets(c)
			}
		})
		if _, errs := gqlparser.LoadQuery(s, query); len(errs) > 0 && r.Class().Severity() < action.ClassUnknown.Severity() {
			t.Fatalf("%q does not validate but is %s", query, r.Class())
		}
	})
}
