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
		// A Nixpacks plan's commands, as an object or a JSON string.
		{map[string]any{"nixpacksPlan": map[string]any{"start": map[string]any{"cmd": "rm -rf /data"}}}, action.ClassDestructive},
		{map[string]any{"nixpacksPlan": `{"phases":{"setup":{"cmds":["rm -rf /data"]}}}`}, action.ClassDestructive},
		{map[string]any{"nixpacksPlan": map[string]any{"start": map[string]any{"cmd": "node server.js"}}}, action.ClassWrite},
	} {
		call := graphql.Call{Field: "serviceInstanceUpdate", Args: map[string]any{"environmentId": "e1", "serviceId": "s1", "input": c.input}}
		got := action.Highest(graphql.RailwayProfile{}.Judge(call))
		if got != c.want && !(c.want == action.ClassWrite && got == action.ClassRead) {
			t.Errorf("%v: %s, want %s (%v)", c.input, got, c.want, graphql.RailwayProfile{}.Judge(call))
		}
	}
}

// Build variables that set the commands a service runs are judged as the
// commands, whichever mutation sets them.
func TestRailwayBuildVariablesAreJudgedAsCommands(t *testing.T) {
	for _, c := range []struct {
		call graphql.Call
		want action.Class
	}{
		{graphql.Call{Field: "variableUpsert", Args: map[string]any{"input": map[string]any{"projectId": "p", "environmentId": "e", "serviceId": "s",
			"name": "NIXPACKS_START_CMD", "value": "rm -rf /data"}}}, action.ClassDestructive},
		{graphql.Call{Field: "variableCollectionUpsert", Args: map[string]any{"input": map[string]any{"projectId": "p", "environmentId": "e", "serviceId": "s",
			"variables": map[string]any{"RAILPACK_START_CMD": "rm -rf /data"}}}}, action.ClassDestructive},
		{graphql.Call{Field: "environmentPatchCommit", Args: map[string]any{"environmentId": "e", "patch": map[string]any{"services": map[string]any{"s": map[string]any{
			"build": map[string]any{"nixpacksPlan": map[string]any{"phases": map[string]any{"setup": map[string]any{"cmds": []any{"rm -rf /data"}}}}}}}}}}, action.ClassDestructive},
		{graphql.Call{Field: "variableUpsert", Args: map[string]any{"input": map[string]any{"projectId": "p", "environmentId": "e", "serviceId": "s",
			"name": "NIXPACKS_START_CMD", "value": "npm start"}}}, action.ClassWrite},
		// A patch's variables are NAME: {value: ...}.
		{graphql.Call{Field: "environmentPatchCommit", Args: map[string]any{"environmentId": "e", "patch": map[string]any{"services": map[string]any{"s": map[string]any{
			"variables": map[string]any{"NIXPACKS_START_CMD": map[string]any{"value": "npm start"}}}}}}}, action.ClassWrite},
		{graphql.Call{Field: "environmentPatchCommit", Args: map[string]any{"environmentId": "e", "patch": map[string]any{"services": map[string]any{"s": map[string]any{
			"variables": map[string]any{"NIXPACKS_START_CMD": map[string]any{"value": "rm -rf /data"}}}}}}}, action.ClassDestructive},
		// Settings that point the build at a file of the repository.
		{graphql.Call{Field: "serviceInstanceUpdate", Args: map[string]any{"environmentId": "e", "serviceId": "s", "input": map[string]any{"railwayConfigFile": "evil/railway.json"}}}, action.ClassUnknown},
		{graphql.Call{Field: "variableUpsert", Args: map[string]any{"input": map[string]any{"projectId": "p", "environmentId": "e", "serviceId": "s",
			"name": "NIXPACKS_CONFIG_FILE", "value": "evil.toml"}}}, action.ClassUnknown},
	} {
		got := action.Highest(graphql.RailwayProfile{}.Judge(c.call))
		if got != c.want && !(c.want == action.ClassWrite && got == action.ClassRead) {
			t.Errorf("%s %v: %s, want %s (%v)", c.call.Field, c.call.Args, got, c.want, graphql.RailwayProfile{}.Judge(c.call))
		}
	}
}
