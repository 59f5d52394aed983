package classify

import (
	"slices"
	"strings"
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

// psql's SQL is judged by PostgreSQL's parser, as the gateway judges it, not
// by keywords: a DELETE with a real WHERE is a write, a string is data.
func TestPsqlStatementsUseTheSQLClassifier(t *testing.T) {
	for cmd, want := range map[string]action.Class{
		`psql -c "DELETE FROM bookings WHERE id = 7"`:                action.ClassWrite,
		`psql -c "SELECT 'drop table bookings' AS note"`:             action.ClassRead,
		`psql -c "DELETE FROM bookings"`:                             action.ClassDestructive,
		"psql app <<'SQL'\nBEGIN;\nTRUNCATE bookings;\nCOMMIT;\nSQL": action.ClassDestructive,
		`echo "DROP SCHEMA app CASCADE" | psql -d app`:               action.ClassDestructive,
		`psql -c "DO \$\$ BEGIN EXECUTE 'x'; END \$\$"`:              action.ClassUnknown,
		// Other dialects keep the conservative keyword check.
		`mysql -e "DELETE FROM bookings WHERE id = 7"`: action.ClassDestructive,
		// A filter that pins no column to one value may reach every row,
		// and from the shell nothing can ask the data: unknown, unless
		// the line carries a Chaperone token (the gateway asks).
		`psql -c "DELETE FROM users WHERE id > 0"`:                                       action.ClassUnknown,
		`psql -c "UPDATE accounts SET balance = 0 WHERE balance >= 0"`:                   action.ClassUnknown,
		`sqlite3 app.db "UPDATE users SET x = 1 WHERE length(name) >= 0"`:                action.ClassUnknown,
		`PGPASSWORD=chp_x psql -h 127.0.0.1 -c "DELETE FROM t WHERE created_at < now()"`: action.ClassWrite,
	} {
		if got := Classify(action.KindShell, cmd); got.Class != want {
			t.Errorf("%s: %s %v, want %s", cmd, got.Class, got.Reasons, want)
		}
	}
	if got := Classify(action.KindSQL, "DROP TABLE public.bookings"); got.Class != action.ClassDestructive || len(got.Targets) != 1 || got.Targets[0] != "public.bookings" {
		t.Errorf("sql: %+v", got)
	}
}

// A request to a provider's REST API from the shell is judged by the same
// profile the gateway uses.
// Other dialects' clients keep the keyword reading, and PostgreSQL's parser
// adds what reaches every row where it reads the text.
func TestOtherDialectsGainEveryRowFromTheParser(t *testing.T) {
	for cmd, want := range map[string]action.Class{
		`sqlite3 app.db "UPDATE users SET x=1 WHERE 1"`:        action.ClassDestructive,
		`mysql -e "UPDATE users SET x=1 WHERE 2>1"`:            action.ClassDestructive,
		`mariadb -e "UPDATE users SET x=1 WHERE true OR id=1"`: action.ClassDestructive,
		`sqlite3 app.db "UPDATE users SET x=1 WHERE id = 3"`:   action.ClassWrite,
		`sqlite3 app.db "SELECT datetime('now')"`:              action.ClassRead,
	} {
		if got := Classify(action.KindShell, cmd).Class; got != want {
			t.Errorf("%s: %s, want %s", cmd, got, want)
		}
	}
}

func TestShellRequestsToProvidersUseTheGatewaysProfile(t *testing.T) {
	for cmd, want := range map[string]struct {
		class action.Class
		id    string
	}{
		"curl -X DELETE https://api.machines.dev/v1/apps/web/machines/abc":                                      {action.ClassDestructive, "fly.machine-delete"},
		`curl -X POST https://api.machines.dev/v1/apps/web/machines/abc/exec -d '{"cmd":"rm -rf /data"}'`:       {action.ClassDestructive, "fs.rm-recursive"},
		`curl -X POST https://api.machines.dev/v1/apps/web/machines/abc/exec -d '{"command":["rm","-rf","/"]}'`: {action.ClassDestructive, ""},
		"curl 'https://api.machines.dev/v1/apps/web/secrets?show_secrets=true'":                                 {action.ClassCredentialAccess, ""},
		`curl -X PUT https://api.machines.dev/v1/apps/web/volumes/v -d '{"auto_backup_enabled":false}'`:         {action.ClassDestructive, ""},
		"curl https://api.machines.dev/v1/apps/web/machines":                                                    {action.ClassRead, ""},
	} {
		a := Classify(action.KindShell, cmd)
		if a.Class != want.class || want.id != "" && !slices.Contains(a.ReasonIDs(), want.id) {
			t.Errorf("%s: %s %v, want %s %s", cmd, a.Class, a.ReasonIDs(), want.class, want.id)
		}
	}
}

// A remembered redaction is the one worked out for that kind of text: the
// same text of another kind is redacted by its own rules, and a text seen
// again gives the same answer.
func TestRedactRemembersPerKind(t *testing.T) {
	text := `POST /graphql
{"query":"mutation { volumeDelete(volumeId: \"vol-secret\") }"}`
	for range 2 {
		g, gfp := Redact(action.KindGraphQL, text)
		s, sfp := Redact(action.KindShell, text)
		if strings.Contains(g, "vol-secret") || g == s || gfp == sfp {
			t.Fatalf("graphql %q (%s), shell %q (%s)", g, gfp, s, sfp)
		}
	}
}
