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
		{action.KindSQL, "WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x", action.ClassDestructive},
		{action.KindSQL, "frobnicate", action.ClassUnknown},
		{action.KindSQL, "", action.ClassUnknown},
		{action.KindShell, "ls -la", action.ClassRead},
		{action.KindShell, "git status", action.ClassRead},
		{action.KindShell, "rm -rf /", action.ClassDestructive},
		{action.KindShell, "terraform destroy", action.ClassDestructive},
		{action.KindShell, "cat .env", action.ClassCredentialAccess},
		{action.KindShell, "cat ~/.aws/credentials", action.ClassCredentialAccess},
		{action.KindShell, "printenv RAILWAY_TOKEN", action.ClassCredentialAccess},
		{action.KindShell, "env", action.ClassCredentialAccess},
		{action.KindShell, "ls | sh", action.ClassUnknown},
		{action.KindShell, "$x", action.ClassUnknown},
		{action.KindShell, "make build", action.ClassUnknown},
		{action.KindGraphQL, "query { me { id } }", action.ClassRead},
		{action.KindGraphQL, `mutation { volumeDelete(volumeId: "v") }`, action.ClassDestructive},
		{action.KindGraphQL, `mutation { serviceCreate(input: {}) { id } }`, action.ClassWrite},
		{action.KindGraphQL, "garbage", action.ClassUnknown},
		{action.KindFile, "/home/a/.ssh/id_rsa", action.ClassCredentialAccess},
		{action.KindFile, "src/main.go", action.ClassRead},
		{action.KindHTTP, "GET /", action.ClassUnknown},
	}
	for _, c := range cases {
		if got := class(c.kind, c.text); got != c.want {
			t.Errorf("%s %q: got %s, want %s", c.kind, c.text, got, c.want)
		}
	}
}
