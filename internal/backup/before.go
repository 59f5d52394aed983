package backup

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// ErrNoRecipient is why no snapshot can be taken: there is no key to
// encrypt it to.
var ErrNoRecipient = errors.New("backup.recipient is not set, so no snapshot can be taken before destruction; " +
	"set it (chaperone init writes one), or set backup.before_destructive: false to run destruction without snapshots")

// DefaultLockWait bounds how long a snapshot before destruction waits for a
// table lock: the transaction waiting for it may hold the lock itself.
const DefaultLockWait = 10 * time.Second

// Before takes the snapshot that precedes approved destruction: the tables
// the action touches, or the whole database when the damage cannot be
// bounded by table. The action runs only once the snapshot is written and
// checked.
type Before struct {
	// Open opens the write-once store (credentials resolved by the caller).
	Open      func() (Store, error)
	Recipient string
	Retain    time.Duration
	// LockWait overrides DefaultLockWait.
	LockWait time.Duration
	// Parallel bounds the snapshots taken at once (DefaultParallel when 0);
	// QueueWait bounds a snapshot's wait for its turn (DefaultQueueWait
	// when 0). turns.go says why there are turns.
	Parallel  int
	QueueWait time.Duration

	once    sync.Once
	turns   chan struct{}
	mu      sync.Mutex
	forming map[string]*batch
}

func (b *Before) lockWait() time.Duration {
	if b.LockWait > 0 {
		return b.LockWait
	}
	return DefaultLockWait
}

// Take snapshots what targets name in the database at dsn. It may share
// one snapshot with other actions on the same database waiting at the same
// time (turns.go).
func (b *Before) Take(ctx context.Context, upstream, env, dsn string, targets []string, reason string) (Manifest, Store, error) {
	if b.Recipient == "" {
		return Manifest{}, nil, ErrNoRecipient
	}
	bt := b.join(upstream, env, dsn, targets, reason)
	select {
	case <-bt.done:
	case <-ctx.Done():
		b.leave(bt)
		return Manifest{}, nil, ctx.Err()
	}
	if bt.err != nil && len(bt.reasons) > 1 && !errors.Is(bt.err, errNoTurn) {
		// The snapshot copied other actions' tables too (even of one that
		// stopped waiting), and one action's tables (a lock its own
		// transaction holds, say) must not fail the others': each is
		// tried again alone.
		done, err := b.turn(ctx)
		if err != nil {
			return Manifest{}, nil, err
		}
		defer done()
		return b.take(ctx, upstream, env, dsn, targets, reason)
	}
	return bt.m, bt.bs, bt.err
}

// take snapshots, in a turn the caller holds.
func (b *Before) take(ctx context.Context, upstream, env, dsn string, targets []string, reason string) (Manifest, Store, error) {
	bs, err := b.Open()
	if err != nil {
		return Manifest{}, nil, err
	}
	if err := bs.Check(ctx); err != nil {
		return Manifest{}, nil, fmt.Errorf("the backup store is not usable: %w", err)
	}
	tables, whole, err := AffectedTables(ctx, dsn, targets)
	if err != nil {
		return Manifest{}, nil, err
	}
	if whole {
		tables = nil
	}
	m, err := Snapshot{Upstream: upstream, Env: env, DSN: dsn, Tables: tables, Recipient: b.Recipient,
		Reason: reason, Store: bs, Retain: b.Retain, LockWait: b.lockWait()}.Run(ctx)
	if err != nil && isLockTimeout(err) {
		err = fmt.Errorf("the snapshot waited %s for a lock another session (perhaps the very transaction it protects) holds on a table it must copy; "+
			"run the destructive statement before other changes to its tables in its transaction, or in a transaction of its own: %w", b.lockWait(), err)
	}
	return m, bs, err
}

// Describe is what the audit log says about a manifest.
func Describe(m Manifest, bs Store) map[string]any {
	names := make([]string, 0, len(m.Tables))
	for _, t := range m.Tables {
		names = append(names, t.Name)
	}
	return map[string]any{"object": m.Object.Name, "sha256": m.SHA256, "tables": names,
		"whole_database": m.WholeDB, "store": bs.Describe()}
}

// isLockTimeout reports a wait for a lock that ran out (SQLSTATE 55P03, as
// PostgreSQL and pg_dump report it).
func isLockTimeout(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "55P03") || strings.Contains(msg, "lock timeout") || strings.Contains(msg, "could not obtain lock")
}
