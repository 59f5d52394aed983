package hook

import (
	"regexp"
	"testing"
)

// kiroMCP and firstURL stand in for regular expressions (the hook binary
// links none); they must read every name and prompt as those did.
func TestNameReadersMatchTheirExpressions(t *testing.T) {
	mcp := regexp.MustCompile(`^@([^/]+)/(.+)$`)
	for _, name := range []string{"@github/create_issue", "@aws/s3/list", "@/tool", "@server/", "@server", "github/x", "",
		"@a/b\nc", "@a\nb/c", " @a/b", "@@a/b", "@a//b", "@ü/ß"} {
		server, tool, ok := kiroMCP(name)
		m := mcp.FindStringSubmatch(name)
		if ok != (m != nil) || ok && (server != m[1] || tool != m[2]) {
			t.Errorf("kiroMCP(%q) = %q %q %v; the expression gives %q", name, server, tool, ok, m)
		}
	}
	url := regexp.MustCompile(`https?://[^\s"'<>]+`)
	for _, prompt := range []string{"summarise https://example.com/a?b=c please", "http://x", "see <https://a.b/c> and http://d",
		"https:// then http://later.example/x", "no url here", "httpss://x https://y", "'http://q'", "http://\thttps://t",
		"HTTPS://upper.example http://lower.example", "xhttp://embedded.example/y", "https://", "http://a\nb", "ühttps://ä.example/ö"} {
		if got, want := firstURL(prompt), url.FindString(prompt); got != want {
			t.Errorf("firstURL(%q) = %q, the expression gives %q", prompt, got, want)
		}
	}
}
