package approval

import (
	"encoding/hex"
	"time"

	"github.com/chaperone/chaperone/internal/store"
)

// View is a request as the API and `approvals list|show --json` show it.
type View struct {
	ID         string     `json:"id"`
	State      string     `json:"state"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  time.Time  `json:"expires_at"`
	Token      string     `json:"token"`
	Env        string     `json:"env"`
	Upstream   string     `json:"upstream"`
	Kind       string     `json:"kind"`
	Text       string     `json:"text"`
	TextSHA256 string     `json:"text_sha256"`
	Class      string     `json:"class"`
	Rule       string     `json:"rule"`
	Reason     string     `json:"reason"`
	Required   int        `json:"required"`
	Approvals  int        `json:"approvals"`
	Impact     string     `json:"impact"`
	DenyReason string     `json:"deny_reason,omitempty"`
	Snapshot   string     `json:"snapshot,omitempty"` // taken before it ran
	Votes      []VoteView `json:"votes,omitempty"`
}

// VoteView is one approver's vote.
type VoteView struct {
	Approver string    `json:"approver"`
	Approve  bool      `json:"approve"`
	Comment  string    `json:"comment"`
	At       time.Time `json:"at"`
}

// ViewOf makes the view of a request and its votes.
func ViewOf(a store.Approval, votes []store.Vote) View {
	r := View{ID: a.ID, State: a.State, CreatedAt: a.CreatedAt, ExpiresAt: a.ExpiresAt, Token: a.TokenID, Env: a.Env,
		Upstream: a.Upstream, Kind: a.Kind, Text: a.Text, TextSHA256: hex.EncodeToString(a.TextHash), Class: a.Class, Rule: a.Rule, Reason: a.Reason,
		Required: a.Required, Impact: a.Impact, DenyReason: a.DenyReason, Snapshot: a.Snapshot}
	for _, v := range votes {
		r.Votes = append(r.Votes, VoteView{Approver: v.Approver, Approve: v.Approve, Comment: v.Comment, At: v.At})
		if v.Approve {
			r.Approvals++
		}
	}
	return r
}
