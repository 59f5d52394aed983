package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/chaperone/chaperone/internal/audit"
	"github.com/chaperone/chaperone/internal/store"
)

// followEvery is how often an instance reads the shared audit log for what
// other instances did; PostgreSQL's NOTIFY wakes it sooner.
const followEvery = 250 * time.Millisecond

// sharedFeed tells this instance's live consoles of request changes made
// anywhere: its own at once (local), and every instance's as they reach the
// shared audit log (run), each change once.
type sharedFeed struct {
	st      store.Store
	publish func(event string, a store.Approval)
	log     *slog.Logger

	mu   sync.Mutex
	seen map[string]time.Time
}

func newSharedFeed(st store.Store, publish func(string, store.Approval), log *slog.Logger) *sharedFeed {
	return &sharedFeed{st: st, publish: publish, log: log, seen: map[string]time.Time{}}
}

// first reports whether key has not been published yet, and remembers it
// for a minute, long enough for the log to bring back what was published
// locally.
func (f *sharedFeed) first(key string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now()
	if len(f.seen) > 4096 {
		for k, at := range f.seen {
			if now.Sub(at) > time.Minute {
				delete(f.seen, k)
			}
		}
	}
	if _, ok := f.seen[key]; ok {
		return false
	}
	f.seen[key] = now
	return true
}

// local is approval.Service's Changed hook for this instance's changes.
// Votes are not deduplicated: several may leave a request pending.
func (f *sharedFeed) local(event string, a store.Approval) {
	if event == "voted" || f.first(a.ID+"/"+event) {
		f.publish(event, a)
	}
}

// run follows the audit log until ctx is done.
func (f *sharedFeed) run(ctx context.Context) {
	var wake <-chan struct{}
	if n, ok := f.st.(interface {
		AuditAppended(context.Context) <-chan struct{}
	}); ok {
		wake = n.AuditAppended(ctx)
	}
	for ctx.Err() == nil {
		err := audit.Follow(ctx, f.st, followEvery, wake, audit.ApprovalPrefix, f.entry)
		if err != nil {
			f.log.Warn("following the shared audit log", "err", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(followEvery):
		}
	}
}

func (f *sharedFeed) entry(e store.AuditEntry) {
	event, ok := strings.CutPrefix(e.Type, audit.ApprovalPrefix)
	if !ok {
		return
	}
	var data struct {
		Request string `json:"request"`
	}
	if json.Unmarshal(e.Data, &data) != nil || data.Request == "" {
		return
	}
	if event != "voted" && !f.first(data.Request+"/"+event) {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var a store.Approval
	if err := f.st.View(ctx, func(tx store.Tx) (err error) { a, err = tx.ApprovalByID(data.Request); return }); err != nil {
		return
	}
	f.publish(event, a)
}
