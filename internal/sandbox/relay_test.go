package sandbox

import "testing"

// The session's own allow list opens tunnels from outside; an upstream's API
// host never goes that way, whatever the list says.
func TestSessionAllowList(t *testing.T) {
	a := NewAllow([]string{"api.anthropic.com", "*.githubcopilot.com", "registry.example:8443", "10.0.0.1", "backboard.railway.app"},
		[]string{"backboard.railway.app"})
	for line, want := range map[string]string{
		"CONNECT api.anthropic.com:443 HTTP/1.1\r\n":          "api.anthropic.com:443",
		"CONNECT API.Anthropic.com.:443 HTTP/1.1\r\n":         "api.anthropic.com:443",
		"CONNECT x.githubcopilot.com:443 HTTP/1.1\r\n":        "x.githubcopilot.com:443",
		"CONNECT registry.example:8443 HTTP/1.1\r\n":          "registry.example:8443",
		"CONNECT 10.0.0.1:443 HTTP/1.1\r\n":                   "10.0.0.1:443",
		"CONNECT api.anthropic.com:22 HTTP/1.1\r\n":           "",
		"CONNECT githubcopilot.com:443 HTTP/1.1\r\n":          "",
		"CONNECT registry.example:443 HTTP/1.1\r\n":           "",
		"CONNECT backboard.railway.app:443 HTTP/1.1\r\n":      "",
		"CONNECT evil.api.anthropic.com:443 HTTP/1.1\r\n":     "",
		"GET http://api.anthropic.com/ HTTP/1.1\r\n":          "",
		"CONNECT api.anthropic.com:443 HTTP/1.1 x\r\n":        "",
		"CONNECT 10.0.0.2:443 HTTP/1.1\r\n":                   "",
		"CONNECT api.anthropic.com.evil.com:443 HTTP/1.1\r\n": "",
	} {
		got, ok := a.connectTarget(line)
		if got != want || ok != (want != "") {
			t.Errorf("%q: %q %v, want %q", line, got, ok, want)
		}
	}
	if _, ok := (*Allow)(nil).connectTarget("CONNECT api.anthropic.com:443 HTTP/1.1\r\n"); ok {
		t.Error("no list tunnelled a host")
	}
}
