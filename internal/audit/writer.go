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

// postDelay is how long entries nobody waits for (reads) may gather before
// they are committed: a synced commit per read would cost more than the
// read. An entry someone waits for is committed at once, with whatever has
// gathered.
const postDelay = 5 * time.Millisecond

// Writer appends events with group commit: whatever is queued while one
// transaction commits goes into the next one, so many decisions share one
// synced write, and a lone decision never waits for a batch to fill.
type Writer struct {
	Store store.Store
	Log   *slog.Logger

	once  sync.Once
	queue chan *pending
	stop  chan struct{}
	done  chan struct{}
}

type pending struct {
	ev   Event
	at   time.Time
	errc chan error // nil: nobody waits
}

// ErrClosed is returned for events appended after Close.
var ErrClosed = errors.New("audit: the writer is closed")

func (w *Writer) start() {
	w.once.Do(func() {
		w.queue = make(chan *pending, 4*maxBatch)
		w.stop = make(chan struct{})
		w.done = make(chan struct{})
		go w.loop()
	})
}

// Append records ev and returns once it is durable in the chain, or why it
// is not.
func (w *Writer) Append(ctx context.Context, ev Event) error {
	w.start()
	p := &pending{ev: ev, at: time.Now(), errc: make(chan error, 1)}
	select {
	case w.queue <- p:
	case <-w.stop:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-p.errc:
		return err
	case <-ctx.Done():
		// The entry may still be written; the caller treats it as not.
		return ctx.Err()
	}
}

// Post records ev without waiting for it to be durable; a failure is
// logged as an unaudited event. It waits only while the queue is full, so a
// flood slows down instead of going unrecorded.
func (w *Writer) Post(ev Event) {
	w.start()
	select {
	case w.queue <- &pending{ev: ev, at: time.Now()}:
	case <-w.stop:
		w.unaudited(ev, ErrClosed)
	}
}

// Close writes what is queued and stops.
func (w *Writer) Close() {
	w.start()
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	<-w.done
}

func (w *Writer) loop() {
	defer close(w.done)
	batch := make([]*pending, 0, maxBatch)
	for {
		select {
		case p := <-w.queue:
			batch = append(batch[:0], p)
		case <-w.stop:
			// Drain what was queued before Close.
			for {
				select {
				case p := <-w.queue:
					w.commit([]*pending{p})
				default:
					return
				}
			}
		}
	fill:
		for len(batch) < maxBatch {
			select {
			case p := <-w.queue:
				batch = append(batch, p)
			default:
				break fill
			}
		}
		if !waited(batch) {
			w.gather(&batch)
		}
		w.commit(batch)
	}
}

// gather adds entries to a batch nobody waits for, until postDelay has
// passed, the batch is full, someone waits, or the writer stops.
func (w *Writer) gather(batch *[]*pending) {
	t := time.NewTimer(postDelay)
	defer t.Stop()
	for len(*batch) < maxBatch {
		select {
		case p := <-w.queue:
			*batch = append(*batch, p)
			if p.errc != nil {
				return
			}
		case <-t.C:
			return
		case <-w.stop:
			return
		}
	}
}

func waited(batch []*pending) bool {
	for _, p := range batch {
		if p.errc != nil {
			return true
		}
	}
	return false
}

func (w *Writer) commit(batch []*pending) {
	evs, times := make([]Event, len(batch)), make([]time.Time, len(batch))
	for i, p := range batch {
		evs[i], times[i] = p.ev, p.at
	}
	err := w.Store.Update(context.Background(), func(tx store.Tx) error {
		_, err := AppendAll(tx, evs, times)
		return err
	})
	if err != nil && len(batch) > 1 {
		// One bad event (say, one that does not encode) must not take its
		// neighbours down with it.
		for _, p := range batch {
			w.commit([]*pending{p})
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

func (w *Writer) unaudited(ev Event, err error) {
	if w.Log != nil {
		w.Log.Error("unaudited event: the audit log could not record it", "type", ev.Type, "actor", ev.Actor, "err", err)
	}
}
