// Package argv quotes an argument vector into the one shell line that runs
// it. It is a leaf of its own so that the agent hook's small binary can use
// it without linking the shell classifier.
package argv

import "strings"

// Quote quotes each word of argv for the shell and joins them into the one
// line a shell would run, so that an argv an agent or an API hands over is
// judged exactly as the command it runs.
func Quote(argv []string) string {
	quoted := make([]string, len(argv))
	for i, a := range argv {
		quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(quoted, " ")
}
