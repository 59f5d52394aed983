package config

import (
	"slices"
	"strings"
	"testing"
)

// The proxy listens on loopback unless told otherwise; an empty address
// turns it off, and an empty allow list tunnels nothing.
func TestProxyDefaultsAndOff(t *testing.T) {
	c, err := Parse("/etc/chp/chaperone.yaml", []byte("version: 1\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen.Proxy != DefaultProxyListen || !slices.Equal(c.Proxy.AllowHosts, DefaultAllowHosts) {
		t.Fatalf("defaults: %q %v", c.Listen.Proxy, c.Proxy.AllowHosts)
	}
	c, err = Parse("/etc/chp/chaperone.yaml", []byte("version: 1\nlisten:\n  proxy: \"\"\nproxy:\n  allow_hosts: []\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen.Proxy != "" || len(c.Proxy.AllowHosts) != 0 {
		t.Fatalf("off: %q %v", c.Listen.Proxy, c.Proxy.AllowHosts)
	}
}

func TestProxyHostsAreChecked(t *testing.T) {
	_, err := Parse("/etc/chp/chaperone.yaml", []byte(`version: 1
listen:
  proxy: example.com:8751
proxy:
  allow_hosts: ["registry.npmjs.org", "*.pythonhosted.org", "127.0.0.1:8080", "https://github.com", "a b"]
upstreams:
  - name: railway-staging
    kind: http
    provider: railway
    env: staging
    url: https://backboard.railway.com
    credential: ${RAILWAY_TOKEN}
    hosts: [backboard.railway.app, "backboard.railway.app/graphql"]
  - name: app
    kind: postgres
    env: staging
    dsn: ${DSN}
    hosts: [db.example]
`))
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	for _, want := range []string{"listen.proxy", `proxy.allow_hosts[3]`, `proxy.allow_hosts[4]`, "upstreams[0].hosts[1]", "upstreams[1].hosts"} {
		if !strings.Contains(msg, want) {
			t.Errorf("no error at %s in:\n%s", want, msg)
		}
	}
	for _, ok := range []string{"allow_hosts[0]", "allow_hosts[1]", "allow_hosts[2]", "hosts[0]"} {
		if strings.Contains(msg, ok+":") {
			t.Errorf("%s was refused:\n%s", ok, msg)
		}
	}
}
