package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/chaperone/chaperone/internal/action"
	"github.com/chaperone/chaperone/internal/logging"
)

// maxText bounds the action text kept in one entry; the hash of the whole
// text is kept beside it, so a longer text can still be matched.
const maxText = 16 << 10

// DecisionData is what the log keeps about one decision. The text is kept
// with credentials redacted: the log is for reading, not for replaying.
type DecisionData struct {
	Source     string          `json:"source"` // "hook:claude-code", "pg", "http"
	Action     action.Action   `json:"action"`
	Decision   action.Decision `json:"decision"`
	TextSHA256 string          `json:"text_sha256"`
	Cwd        string          `json:"cwd,omitempty"`
}

// NewDecision builds the entry for one decision made for source; cwd is the
// agent's working directory where there is one.
func NewDecision(source, cwd string, act action.Action, d action.Decision) Event {
	sum := sha256.Sum256([]byte(act.Text))
	text := act.Text
	if len(text) > maxText {
		text = fmt.Sprintf("%s…(%d bytes)", text[:maxText], len(act.Text))
	}
	act.Text = logging.Redact(text)
	return Event{Type: Decision, Actor: source, Data: DecisionData{
		Source: source, Action: act, Decision: d, TextSHA256: hex.EncodeToString(sum[:]), Cwd: cwd,
	}}
}
