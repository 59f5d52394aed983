package hook

import (
	"encoding/json"
	"testing"
)

// The header is written by hand; the server reads it with encoding/json,
// and must read what encoding/json would have written.
func TestHeaderLineReadsBackAsEncodingJSONsWould(t *testing.T) {
	for _, env := range []string{"", "staging", `pro"d\`, "a\nb\tc\x00\x1f\x7f", "prod\u2028<&>", "caf\xe9", "é漢字🙂"} {
		h := Header{Agent: "claude-code", Env: env}
		line := h.appendLine(nil)
		if line[len(line)-1] != '\n' {
			t.Fatalf("%q: no newline", line)
		}
		var got, want Header
		if err := json.Unmarshal(line, &got); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		std, _ := json.Marshal(h)
		if err := json.Unmarshal(std, &want); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("env %q: read back %+v, encoding/json's %+v", env, got, want)
		}
	}
}
