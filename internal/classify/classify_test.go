package classify

import (
	"testing"

	"github.com/chaperone/chaperone/internal/action"
)

// File reads (an agent's Read tool) and shell arguments must agree on what a
// credential file is.
func TestFileReadsUseTheShellGuardsCredentialFiles(t *testing.T) {
	for path, want := range map[string]action.Class{
		"/home/a/.pgpass":             action.ClassCredentialAccess,
		"/home/a/.git-credentials":    action.ClassCredentialAccess,
		"/w/.env.production":          action.ClassCredentialAccess,
		"/home/a/.ssh/id_ed25519":     action.ClassCredentialAccess,
		"/home/a/.aws/credentials":    action.ClassCredentialAccess,
		"/w/.env.example":             action.ClassRead,
		"/w/src/main.go":              action.ClassRead,
		"/home/a/.ssh/id_ed25519.pub": action.ClassRead,
	} {
		file := Classify(action.KindFile, path)
		sh := Classify(action.KindShell, "cat "+path)
		if file.Class != want {
			t.Errorf("read %s: %s, want %s", path, file.Class, want)
		}
		if (sh.Class == action.ClassCredentialAccess) != (want == action.ClassCredentialAccess) {
			t.Errorf("cat %s: %s disagrees with the file read", path, sh.Class)
		}
	}
}
