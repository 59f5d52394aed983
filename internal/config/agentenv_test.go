package config

import (
	"slices"
	"strings"
	"testing"
)

// Each provider's tools read their own variables; a list in the config
// replaces them, and a name no shell could export is refused.
func TestAgentEnvDefaultsAndChecks(t *testing.T) {
	c, err := Parse("/etc/chp/chaperone.yaml", []byte(`version: 1
upstreams:
  - {name: db, kind: postgres, env: staging, dsn: "${DSN}"}
  - {name: rw, kind: http, provider: railway, env: staging, url: "https://backboard.railway.com", credential: "${RW}"}
  - {name: fly, kind: http, provider: fly, env: staging, url: "https://api.machines.dev", credential: "${FLY}"}
  - {name: api, kind: http, env: staging, url: "https://api.example", credential: "${API}", agent_env: [EXAMPLE_TOKEN]}
`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"db":  {"DATABASE_URL", "PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE"},
		"rw":  {"RAILWAY_TOKEN", "RAILWAY_API_TOKEN"},
		"fly": {"FLY_API_TOKEN"},
		"api": {"EXAMPLE_TOKEN"},
	}
	for _, u := range c.Upstreams {
		if got := u.DefaultAgentEnv(); !slices.Equal(got, want[u.Name]) {
			t.Errorf("%s: %v, want %v", u.Name, got, want[u.Name])
		}
	}
	_, err = Parse("/etc/chp/chaperone.yaml", []byte(`version: 1
upstreams:
  - {name: db, kind: postgres, env: staging, dsn: "${DSN}", agent_env: [OK_1, "BAD-NAME"]}
`))
	if err == nil || !strings.Contains(err.Error(), "upstreams[0].agent_env[1]") || strings.Contains(err.Error(), "agent_env[0]") {
		t.Fatalf("bad names: %v", err)
	}
}

// An HTTP upstream's base URL is refused, naming the field and the reason,
// when a part of it would be dropped from every request or read two ways.
func TestAnUpstreamsBaseURLIsChecked(t *testing.T) {
	for raw, want := range map[string]string{
		"https://api.machines.dev/v1":    "",
		"http://127.0.0.1:8080/base/":    "",
		"https://api.example/b?k=v":      "query string",
		"https://api.example/b?":         "query string",
		"https://api.example/b#frag":     "fragment",
		"https://api.example:/v1":        "port is empty",
		"https://user:pw@api.example/v1": "user information",
		"ftp://api.example":              "https://",
		"https:///v1":                    "no host",
		"https://api.example/%zz":        "does not parse",
		"api.example/v1":                 "https://",
	} {
		_, err := Parse("/etc/chp/chaperone.yaml", []byte("version: 1\nupstreams:\n  - {name: api, kind: http, env: staging, url: \""+raw+"\", credential: \"${API}\"}\n"))
		switch {
		case want == "" && err != nil:
			t.Errorf("%s: %v", raw, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), "upstreams[0].url") || !strings.Contains(err.Error(), want)):
			t.Errorf("%s: %v, want an error on upstreams[0].url saying %q", raw, err, want)
		}
	}
}
