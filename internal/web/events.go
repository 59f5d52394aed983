package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/chaperone/chaperone/internal/store"
)

// Hub fans request changes out to live consoles (server-sent events). A
// subscriber that falls behind loses events, never the publisher's time:
// the gateway publishes, and must never wait for a browser.
type Hub struct {
	mu   sync.Mutex
	subs map[chan event]struct{}
}

type event struct {
	ID    string `json:"id"`
	State string `json:"state"`
	Env   string `json:"env"`
}

func (h *Hub) publish(a store.Approval) {
	ev := event{ID: a.ID, State: a.State, Env: a.Env}
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- ev:
		default: // a slow console catches up on its next event or reload
		}
	}
}

func (h *Hub) subscribe() (chan event, func()) {
	ch := make(chan event, 16)
	h.mu.Lock()
	if h.subs == nil {
		h.subs = map[chan event]struct{}{}
	}
	h.subs[ch] = struct{}{}
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		delete(h.subs, ch)
		h.mu.Unlock()
	}
}

// events streams request changes as server-sent events ("request", with the
// id, state and environment as JSON), with a comment every 20 s so that
// proxies keep the connection open. It ends with the session.
func (c *Console) events(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		writeError(w, http.StatusInternalServerError, "streaming unsupported")
		return
	}
	ch, cancel := c.hub.subscribe()
	defer cancel()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no")
	fmt.Fprint(w, ": chaperone\n\n")
	flusher.Flush()
	s := current(r)
	tick := time.NewTicker(20 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case ev := <-ch:
			b, _ := json.Marshal(ev)
			fmt.Fprintf(w, "event: request\ndata: %s\n\n", b)
		case <-tick.C:
			if c.sessions.get(r, c.now()) != s {
				return // signed out or expired
			}
			fmt.Fprint(w, ": keep-alive\n\n")
		}
		flusher.Flush()
	}
}
