// Command hookbaseline is the floor for a hook written in Go: it reads the
// agent's JSON and answers allow, deciding nothing. bench/hook.sh runs it
// beside `chaperone hook` so the difference is Chaperone's own cost.
package main

import (
	"encoding/json"
	"io"
	"os"
)

func main() {
	var in map[string]any
	data, _ := io.ReadAll(os.Stdin)
	json.Unmarshal(data, &in)
	json.NewEncoder(os.Stdout).Encode(map[string]any{"hookSpecificOutput": map[string]string{
		"hookEventName": "PreToolUse", "permissionDecision": "allow", "permissionDecisionReason": "baseline"}})
}
