package shell

import "strings"

// QuoteArgv quotes each word of argv for the shell and joins them into the
// one line a shell would run, so that an argv an agent or an API hands over
// is judged exactly as the command it runs.
func QuoteArgv(argv []string) string {
	quoted := make([]string, len(argv))
	for i, a := range argv {
		quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(quoted, " ")
}
