package backup

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Every approved DROP takes a pg_dump. Dozens started at once on a small
// machine each get a sliver of it: the server then takes longer to accept
// their connections than pg_dump waits, and every one of them ends later
// than in a queue. So snapshots take turns, as many at once as there are
// cores, and the wait for a turn is bounded. The snapshots of one database
// that wait for the same turn share it: one pg_dump of every table they
// name, taken before any of their actions runs, so it precedes each of
// them. A burst of approvals then costs a few dumps, not one each.

// DefaultQueueWait bounds how long a snapshot waits for its turn.
const DefaultQueueWait = 2 * time.Minute

// DefaultParallel is how many snapshots run at once: one per core.
func DefaultParallel() int { return max(1, runtime.NumCPU()) }

// errNoTurn ends the error of a wait for a turn that ran out.
var errNoTurn = errors.New("try again")

// batch is the snapshots of one database that share a turn.
type batch struct {
	key           string
	upstream, env string
	dsn           string
	targets       []string
	whole         bool     // some action's damage is not bounded by table
	reasons       []string // one per member that joined
	waiting       int      // members still waiting for the result
	ctx           context.Context
	cancel        context.CancelFunc
	done          chan struct{}
	m             Manifest
	bs            Store
	err           error
}

// join adds an action's snapshot to the batch forming for its database,
// starting one (and the goroutine that takes it) if none is.
func (b *Before) join(upstream, env, dsn string, targets []string, reason string) *batch {
	key := upstream + "\x00" + env + "\x00" + dsn
	b.mu.Lock()
	defer b.mu.Unlock()
	bt := b.forming[key]
	if bt == nil {
		ctx, cancel := context.WithCancel(context.Background())
		bt = &batch{key: key, upstream: upstream, env: env, dsn: dsn, ctx: ctx, cancel: cancel, done: make(chan struct{})}
		if b.forming == nil {
			b.forming = map[string]*batch{}
		}
		b.forming[key] = bt
		go b.run(bt)
	}
	bt.waiting++
	bt.reasons = append(bt.reasons, reason)
	if len(targets) == 0 {
		bt.whole = true
	}
	for _, t := range targets {
		if !slices.Contains(bt.targets, t) {
			bt.targets = append(bt.targets, t)
		}
	}
	return bt
}

// leave withdraws a member that stopped waiting; the snapshot is abandoned
// when none waits for it.
func (b *Before) leave(bt *batch) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if bt.waiting--; bt.waiting == 0 {
		bt.cancel()
		if b.forming[bt.key] == bt {
			delete(b.forming, bt.key)
		}
	}
}

// run waits for the batch's turn, closes it to newcomers and takes its
// snapshot.
func (b *Before) run(bt *batch) {
	defer bt.cancel()
	defer close(bt.done)
	done, err := b.turn(bt.ctx)
	b.mu.Lock()
	if b.forming[bt.key] == bt {
		delete(b.forming, bt.key)
	}
	targets := bt.targets
	if bt.whole {
		targets = nil
	}
	reason := strings.Join(bt.reasons, "; ")
	b.mu.Unlock()
	if err != nil {
		bt.err = err
		return
	}
	defer done()
	bt.m, bt.bs, bt.err = b.take(bt.ctx, bt.upstream, bt.env, bt.dsn, targets, reason)
}

// turn waits for a snapshot's turn; done gives it back.
func (b *Before) turn(ctx context.Context) (done func(), err error) {
	b.once.Do(func() {
		n := b.Parallel
		if n <= 0 {
			n = DefaultParallel()
		}
		b.turns = make(chan struct{}, n)
	})
	wait := b.QueueWait
	if wait <= 0 {
		wait = DefaultQueueWait
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case b.turns <- struct{}{}:
		return func() { <-b.turns }, nil
	case <-timer.C:
		return nil, fmt.Errorf("the snapshot waited %s for its turn while %d others were being taken; %w", wait, cap(b.turns), errNoTurn)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
