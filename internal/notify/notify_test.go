package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chaperone/chaperone/internal/store"
)

var held = store.Approval{ID: "apr_1", State: "pending", Env: "production", Upstream: "app-prod", TokenID: "tok_a",
	Class: "destructive", Rule: "builtin.destructive", Text: "DROP TABLE bookings", Impact: "bookings: ~48211 rows", Required: 1}

type sink struct {
	mu     sync.Mutex
	bodies [][]byte
	got    chan []byte
}

func newSink() *sink { return &sink{got: make(chan []byte, 16)} }

func (s *sink) handler(fail int) http.HandlerFunc {
	calls := 0
	return func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		calls++
		n := calls
		s.mu.Unlock()
		if n <= fail {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		s.got <- b
	}
}

func notifier(hooks ...Webhook) *Notifier {
	return &Notifier{Hooks: hooks, ConsoleURL: "http://localhost:8750", Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Backoff: 10 * time.Millisecond}
}

func wait(t *testing.T, ch chan []byte) []byte {
	t.Helper()
	select {
	case b := <-ch:
		return b
	case <-time.After(10 * time.Second):
		t.Fatal("no delivery")
	}
	return nil
}

func TestGenericAndSlackBodiesWithRetries(t *testing.T) {
	generic, slack := newSink(), newSink()
	gs := httptest.NewServer(generic.handler(2)) // fails twice, then takes it
	defer gs.Close()
	ss := httptest.NewServer(slack.handler(0))
	defer ss.Close()
	n := notifier(Webhook{URL: gs.URL}, Webhook{URL: ss.URL, Format: "slack"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n.Start(ctx)
	n.Publish("voted", held) // not worth a message
	n.Publish("requested", held)

	var m Message
	if err := json.Unmarshal(wait(t, generic.got), &m); err != nil {
		t.Fatal(err)
	}
	if m.Event != "approval.requested" || m.Request.ID != "apr_1" || m.Request.Text != "DROP TABLE bookings" ||
		m.Request.URL != "http://localhost:8750/requests/apr_1" {
		t.Fatalf("generic body %+v", m)
	}
	var sm map[string]string
	if err := json.Unmarshal(wait(t, slack.got), &sm); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"waiting for approval", "```DROP TABLE bookings```", "bookings: ~48211 rows", "<http://localhost:8750/requests/apr_1|"} {
		if !strings.Contains(sm["text"], want) {
			t.Fatalf("slack text lacks %q: %q", want, sm["text"])
		}
	}
	denied := held
	denied.State, denied.DenyReason = "denied", "use the archive"
	n.Publish("denied", denied)
	if b := wait(t, generic.got); !bytes.Contains(b, []byte(`"event":"approval.denied"`)) || !bytes.Contains(b, []byte("use the archive")) {
		t.Fatalf("denied: %s", b)
	}
	select {
	case b := <-generic.got:
		t.Fatalf("a vote was announced: %s", b)
	default:
	}
}

// A webhook that hangs or refuses connections never makes Publish wait.
func TestDeadAndSlowWebhooksNeverBlockPublish(t *testing.T) {
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	defer slow.Close()
	defer close(release)
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close() // nothing listens there now
	n := notifier(Webhook{URL: slow.URL}, Webhook{URL: dead.URL})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n.Start(ctx)
	done := make(chan struct{})
	go func() {
		// More than the queue holds: the rest is dropped, not waited for.
		for range 3000 {
			n.Publish("requested", held)
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Publish blocked on a slow or dead webhook")
	}
}

func TestSlackURLsAreRedactedInLogs(t *testing.T) {
	if got := redactURL("https://hooks.slack.com/services/T000/B000/secret"); got != "https://hooks.slack.com/…" {
		t.Fatal(got)
	}
}
