package policy

import (
	"testing"
	"time"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/classify"
	"github.com/chaperone/chaperone/internal/fuzzbound"
)

// FuzzDecide: whatever text an agent sends, in whatever kind, classification
// and the built-in policy never panic, and nothing that is not plainly a read
// or a write is ever allowed.
func FuzzDecide(f *testing.F) {
	e := engine(f, "")
	for _, s := range []string{"rm -rf /", "SELECT 1", "DROP TABLE x", "mutation { a }", "cat .env", "", "\x00\xff"} {
		for k := range action.Kinds {
			f.Add(k, s, "production")
		}
	}
	f.Fuzz(func(t *testing.T, k int, text, env string) {
		if k < 0 {
			k = -k
		}
		var a action.Action
		var d action.Decision
		fuzzbound.Run(t, 2*time.Second, func() {
			a = classify.Classify(action.Kinds[k%len(action.Kinds)], text)
			a.Env = env
			d = e.Decide(&a)
		})
		if d.Verdict == action.Allow && a.Class != action.ClassRead && a.Class != action.ClassWrite {
			t.Fatalf("%s %q allowed with class %s", a.Kind, text, a.Class)
		}
		if d.Rule == "" || d.Reason == "" {
			t.Fatalf("decision without rule or reason: %+v", d)
		}
	})
}
