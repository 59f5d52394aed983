package shell

import (
	"testing"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/classify/graphql"
)

// A Railway service's start, build and pre-deploy commands run on the
// service: a mutation that sets one is judged by what the command does
// there, from the service's home.
func TestRailwayCommandsAreJudgedByTheShellGuard(t *testing.T) {
	for _, c := range []struct {
		input map[string]any
		want  action.Class
	}{
		{map[string]any{"startCommand": "rm -rf /data"}, action.ClassDestructive},
		{map[string]any{"startCommand": "rm -rf data"}, action.ClassDestructive},
		{map[string]any{"preDeployCommand": []any{"npm run migrate", "psql -c 'DROP TABLE users'"}}, action.ClassDestructive},
		{map[string]any{"buildCommand": "npm ci && npm run build"}, action.ClassWrite},
		{map[string]any{"startCommand": "npm start"}, action.ClassWrite},
	} {
		call := graphql.Call{Field: "serviceInstanceUpdate", Args: map[string]any{"environmentId": "e1", "serviceId": "s1", "input": c.input}}
		got := action.Highest(graphql.RailwayProfile{}.Judge(call))
		if got != c.want && !(c.want == action.ClassWrite && got == action.ClassRead) {
			t.Errorf("%v: %s, want %s (%v)", c.input, got, c.want, graphql.RailwayProfile{}.Judge(call))
		}
	}
}
