package audit

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/chaperone/chaperone/internal/store"
)

// maxBatch bounds how many entries share one transaction, so that one
// commit never grows without limit under a flood.
const maxBatch = 2048

// maxQueued bounds what may wait for the writer; beyond it Post waits, so
// a flood slows down instead of going unrecorded.
const maxQueued = 4 * maxBatch

// postDelay is how long entries nobody waits for (reads) may gather before
// they are committed: a synced commit per read would cost more than the
// read, and a commit's own cost (the chain head read, the synced WAL write)
// was half the writer's at 5 ms under pgbench -S. An entry someone waits
// for is committed at once, with whatever has gathered.
const postDelay = 20 * time.Millisecond

// Writer appends events with group commit: whatever is queued while one
// transaction commits goes into the next one, so many decisions share one
// synced write, and a lone decision never waits for a batch to fill.
//
// The queue is a slice under a mutex rather than a channel: the writer is
// woken once per batch (when the queue stops being empty, or someone
// waits), not once per event, since waking a goroutine per audited read
// costs about as much as writing it.
type Writer struct {
	Store store.Store
	Log   *slog.Logger

	once    sync.Once
	mu      sync.Mutex
	room    *sync.Cond // signalled when the queue shrinks or the writer closes
	queue   []pending
	waiters int // queued entries somebody waits for
	// hurry counts waits begun on queued entries (Queue) since the last
	// batch was taken: the writer then stops gathering.
	hurry  int
	closed bool // no more events are taken
	// busy says a batch is being committed, by the writer or by an
	// Append committing its own entry; batches are committed one at a
	// time, in queue order.
	busy bool
	wake chan struct{}
	done chan struct{}
}

type pending struct {
	ev   Event
	at   time.Time
	errc chan error // nil: nobody waits
	// later says nobody waits for it yet (Queue): it gathers like an
	// entry nobody waits for until its wait begins.
	later bool
}

// ErrClosed is returned for events appended after Close.
var ErrClosed = errors.New("audit: the writer is closed")

func (w *Writer) start() {
	w.once.Do(func() {
		w.room = sync.NewCond(&w.mu)
		w.wake = make(chan struct{}, 1)
		w.done = make(chan struct{})
		go w.loop()
	})
}

// signal wakes the writer; a wake already pending is enough.
func (w *Writer) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// enqueue adds p; false once closed. An entry nobody waits for waits for
// room while the queue is full; one somebody waits for goes in at once, so
// that its caller's deadline bounds the whole wait (callers that wait are
// few: each holds a request).
func (w *Writer) enqueue(p pending) bool {
	w.start()
	w.mu.Lock()
	defer w.mu.Unlock()
	for (p.errc == nil || p.later) && len(w.queue) >= maxQueued && !w.closed {
		w.room.Wait()
	}
	if w.closed {
		return false
	}
	w.queue = append(w.queue, p)
	if p.errc != nil && !p.later {
		w.waiters++
		w.signal()
	} else if len(w.queue) == 1 {
		w.signal()
	}
	return true
}

// Append records ev and returns once it is durable in the chain, or why it
// is not.
func (w *Writer) Append(ctx context.Context, ev Event) error {
	p := pending{ev: ev, at: time.Now(), errc: make(chan error, 1)}
	if done, err := w.appendAlone(ctx, p); done {
		return err
	}
	if !w.enqueue(p) {
		return ErrClosed
	}
	select {
	case err := <-p.errc:
		return err
	case <-ctx.Done():
		// The entry may still be written; the caller treats it as not.
		return ctx.Err()
	}
}

// appendAlone commits p in the caller's goroutine when nothing is queued
// or being committed: handing a lone entry to the writer and back costs
// two wake-ups, which were a fifth of a hook's wait for a write's entry.
// false: the writer is busy, and p is for the queue.
func (w *Writer) appendAlone(ctx context.Context, p pending) (bool, error) {
	w.start()
	w.mu.Lock()
	if w.closed || w.busy || len(w.queue) > 0 {
		w.mu.Unlock()
		return false, nil
	}
	w.busy = true
	w.mu.Unlock()
	err := w.write(ctx, []pending{p})
	w.mu.Lock()
	w.busy = false
	if len(w.queue) > 0 || w.closed {
		w.signal()
	}
	w.mu.Unlock()
	return true, err
}

// Queue records ev like Append, but returns at once: wait returns once ev
// is durable, or why it is not. It is for a caller that holds the effect
// of what ev records (an open transaction) until wait returns nil, and
// meanwhile gets on with it. Until wait is called, ev gathers with the
// entries nobody waits for, so that a transaction's writes share one
// commit with its COMMIT's wait. wait may be called once.
func (w *Writer) Queue(ev Event) (wait func(context.Context) error) {
	p := pending{ev: ev, at: time.Now(), errc: make(chan error, 1), later: true}
	if !w.enqueue(p) {
		return func(context.Context) error { return ErrClosed }
	}
	return func(ctx context.Context) error {
		w.mu.Lock()
		w.hurry++
		w.signal()
		w.mu.Unlock()
		select {
		case err := <-p.errc:
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Post records ev without waiting for it to be durable; a failure is
// logged as an unaudited event. It waits only while the queue is full.
func (w *Writer) Post(ev Event) {
	if !w.enqueue(pending{ev: ev, at: time.Now()}) {
		w.unaudited(ev, ErrClosed)
	}
}

// Close writes what is queued and stops.
func (w *Writer) Close() {
	w.start()
	w.mu.Lock()
	w.closed = true
	w.room.Broadcast()
	w.signal()
	w.mu.Unlock()
	<-w.done
}

func (w *Writer) loop() {
	defer close(w.done)
	gathering := time.NewTimer(time.Hour)
	gathering.Stop()
	for {
		w.mu.Lock()
		for (len(w.queue) == 0 || w.busy) && !w.closed {
			w.mu.Unlock()
			<-w.wake
			w.mu.Lock()
		}
		for w.busy { // closing: let the Append that commits finish
			w.mu.Unlock()
			<-w.wake
			w.mu.Lock()
		}
		if len(w.queue) == 0 {
			w.mu.Unlock()
			return
		}
		if w.waiters == 0 && w.hurry == 0 && !w.closed && len(w.queue) < maxBatch {
			// Nobody waits: let reads gather until the first has waited
			// postDelay, or someone comes who waits.
			select {
			case <-w.wake: // stale: the queue was seen non-empty above
			default:
			}
			wait := postDelay - time.Since(w.queue[0].at)
			w.mu.Unlock()
			if wait > 0 {
				gathering.Reset(wait)
				select {
				case <-gathering.C:
				case <-w.wake:
					gathering.Stop()
				}
			}
			w.mu.Lock()
		}
		batch := w.take()
		w.busy = true
		w.mu.Unlock()
		w.commit(batch)
		w.mu.Lock()
		w.busy = false
		w.mu.Unlock()
	}
}

// take removes up to maxBatch entries from the front of the queue; w.mu is
// held.
func (w *Writer) take() []pending {
	n := min(len(w.queue), maxBatch)
	batch := make([]pending, n)
	copy(batch, w.queue)
	rest := copy(w.queue, w.queue[n:])
	clear(w.queue[rest:])
	w.queue = w.queue[:rest]
	w.waiters, w.hurry = 0, 0
	for _, p := range w.queue {
		if p.errc != nil && !p.later {
			w.waiters++
		}
	}
	w.room.Broadcast()
	return batch
}

func (w *Writer) commit(batch []pending) {
	err := w.write(context.Background(), batch)
	if err != nil && len(batch) > 1 {
		// One bad event (say, one that does not encode) must not take its
		// neighbours down with it.
		for _, p := range batch {
			w.commit([]pending{p})
		}
		return
	}
	for _, p := range batch {
		if p.errc != nil {
			p.errc <- err
		} else if err != nil {
			w.unaudited(p.ev, err)
		}
	}
}

// write appends batch in one transaction.
func (w *Writer) write(ctx context.Context, batch []pending) error {
	evs, times := make([]Event, len(batch)), make([]time.Time, len(batch))
	for i, p := range batch {
		evs[i], times[i] = p.ev, p.at
	}
	return w.Store.Update(ctx, func(tx store.Tx) error {
		_, err := AppendAll(tx, evs, times)
		return err
	})
}

func (w *Writer) unaudited(ev Event, err error) {
	if w.Log != nil {
		w.Log.Error("unaudited event: the audit log could not record it", "type", ev.Type, "actor", ev.Actor, "err", err)
	}
}
