// Package notify tells people about held requests: webhooks on new and
// decided requests, as a generic JSON body or Slack's incoming-webhook
// format, retried with backoff. Publishing only queues: a slow or dead
// webhook never delays the gateway that holds a statement.
package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/chaperone/chaperone/internal/store"
)

// Webhook is one endpoint.
type Webhook struct {
	URL    string
	Format string // "json" (default) or "slack"
}

// Events worth a message: a request waiting for humans, and its outcome.
var notified = map[string]bool{"requested": true, "approved": true, "denied": true}

// Notifier delivers messages to webhooks from a bounded queue.
type Notifier struct {
	Hooks []Webhook
	// ConsoleURL, when set, links each message to the request's page.
	ConsoleURL string
	Log        *slog.Logger
	Client     *http.Client
	// Attempts per message (default 5); Backoff is the first wait between
	// them, doubling each time (default 1 s).
	Attempts int
	Backoff  time.Duration

	once  sync.Once
	queue chan delivery
}

type delivery struct {
	hook Webhook
	body []byte
}

// Message is the generic JSON body.
type Message struct {
	Event   string    `json:"event"` // approval.requested, approval.approved, approval.denied
	Time    time.Time `json:"time"`
	Request Request   `json:"request"`
}

// Request is what a message says of a request: enough to decide whether to
// look, never a credential.
type Request struct {
	ID        string    `json:"id"`
	State     string    `json:"state"`
	Env       string    `json:"env"`
	Upstream  string    `json:"upstream"`
	Token     string    `json:"token"`
	Class     string    `json:"class"`
	Rule      string    `json:"rule"`
	Reason    string    `json:"reason"`
	Text      string    `json:"text"`
	Impact    string    `json:"impact"`
	Required  int       `json:"required"`
	ExpiresAt time.Time `json:"expires_at"`
	Denied    string    `json:"deny_reason,omitempty"`
	URL       string    `json:"url,omitempty"`
}

// Start runs the delivery workers until ctx ends.
func (n *Notifier) Start(ctx context.Context) {
	n.init()
	for range 2 {
		go func() {
			for {
				select {
				case <-ctx.Done():
					return
				case d := <-n.queue:
					n.deliver(ctx, d)
				}
			}
		}()
	}
}

func (n *Notifier) init() {
	n.once.Do(func() { n.queue = make(chan delivery, 1024) })
}

// Publish queues messages about a request change (approval.Service's
// Changed hook). It never blocks: when the queue is full the message is
// dropped and logged.
func (n *Notifier) Publish(event string, a store.Approval) {
	if !notified[event] || len(n.Hooks) == 0 {
		return
	}
	n.init()
	msg := Message{Event: "approval." + event, Time: time.Now().UTC(), Request: Request{ID: a.ID, State: a.State, Env: a.Env,
		Upstream: a.Upstream, Token: a.TokenID, Class: a.Class, Rule: a.Rule, Reason: a.Reason, Text: a.Text,
		Impact: a.Impact, Required: a.Required, ExpiresAt: a.ExpiresAt, Denied: a.DenyReason}}
	if n.ConsoleURL != "" {
		msg.Request.URL = strings.TrimRight(n.ConsoleURL, "/") + "/requests/" + a.ID
	}
	for _, h := range n.Hooks {
		body, err := encode(h.Format, msg)
		if err != nil {
			n.Log.Error("webhook message", "err", err)
			continue
		}
		select {
		case n.queue <- delivery{h, body}:
		default:
			n.Log.Warn("webhook queue full: message dropped", "event", msg.Event, "request", a.ID)
		}
	}
}

func encode(format string, m Message) ([]byte, error) {
	if format != "slack" {
		return json.Marshal(m)
	}
	r := m.Request
	var title string
	switch m.Event {
	case "approval.requested":
		title = fmt.Sprintf(":warning: *%s* on *%s* (%s) is waiting for approval", r.Class, r.Upstream, r.Env)
	case "approval.approved":
		title = fmt.Sprintf(":white_check_mark: %s was approved", r.ID)
	default:
		title = fmt.Sprintf(":no_entry: %s was denied: %s", r.ID, r.Denied)
	}
	text := title + "\n```" + truncate(r.Text, 1500) + "```"
	if r.Impact != "" {
		text += "\nImpact: " + r.Impact
	}
	text += fmt.Sprintf("\nRequest %s from %s, held by %s", r.ID, r.Token, r.Rule)
	if r.URL != "" {
		text += fmt.Sprintf("\n<%s|Open in the console>", r.URL)
	}
	return json.Marshal(map[string]string{"text": text})
}

func truncate(s string, n int) string {
	s = strings.ReplaceAll(s, "```", "'''")
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// deliver posts one message, retrying failures (network errors, 429, 5xx)
// with doubling waits.
func (n *Notifier) deliver(ctx context.Context, d delivery) {
	attempts, wait := n.Attempts, n.Backoff
	if attempts <= 0 {
		attempts = 5
	}
	if wait <= 0 {
		wait = time.Second
	}
	client := n.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	var last string
	for i := 1; i <= attempts; i++ {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, d.hook.URL, bytes.NewReader(d.body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "Chaperone")
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode < 300 {
				return
			}
			last = resp.Status
			if resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests {
				break // the endpoint refuses this message; retrying will not help
			}
		} else {
			last = err.Error()
		}
		if i < attempts {
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
			wait *= 2
		}
	}
	n.Log.Warn("webhook delivery failed", "url", redactURL(d.hook.URL), "error", last)
}

// redactURL keeps a webhook's host for logs: Slack's URLs carry their
// secret in the path.
func redactURL(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		if j := strings.IndexByte(u[i+3:], '/'); j >= 0 {
			return u[:i+3+j] + "/…"
		}
	}
	return u
}
