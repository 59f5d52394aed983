// Package audit keeps a tamper-evident log: every entry carries the hash of the
// one before it, so an edit, deletion or reordering breaks the chain where it
// happened.
package audit

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/chaperone/chaperone/internal/store"
)

// Event types, stable for consumers of the exported log.
const (
	TokenCreated = "token.created"
	TokenRevoked = "token.revoked"
	Decision     = "decision"
	// BackupSnapshot: a snapshot was taken (before destruction, by
	// schedule or by hand); BackupSkipped: approved destruction ran where
	// no snapshot can be taken (an HTTP API's resources), and why.
	BackupSnapshot = "backup.snapshot"
	BackupSkipped  = "backup.skipped"
	BackupFailed   = "backup.failed"
	BackupPruned   = "backup.pruned"
	BackupRestored = "backup.restored"
	// BackupVerified: a restore drill proved a snapshot restores.
	BackupVerified = "backup.verified"

	// PGConnect: a token opened a session through the SQL gateway;
	// PGRefused: a connection was refused; PGRefusedStatement: a
	// statement was refused before it was judged (it does not lex).
	PGConnect          = "pg.connect"
	PGRefused          = "pg.refused"
	PGRefusedStatement = "pg.refused-statement"
	// HTTPRefused: a token was used on an HTTP upstream it does not
	// cover; CredentialRefused: a credential that is not a Chaperone
	// token was presented.
	HTTPRefused       = "http.refused"
	CredentialRefused = "credential.refused"
	// ProxyRefused: the forward proxy refused a host or a request before
	// any upstream was chosen (a host not allowed, a token that covers no
	// upstream or several at a host, a TLS name that differs).
	ProxyRefused = "proxy.refused"

	// ApprovalPrefix starts every approval event; a request's move to a
	// state is ApprovalPrefix + the state (approved, denied, expired).
	ApprovalPrefix    = "approval."
	ApprovalRequested = ApprovalPrefix + "requested"
	ApprovalVoted     = ApprovalPrefix + "voted"
	ApprovalApproved  = ApprovalPrefix + "approved"
	ApprovalDenied    = ApprovalPrefix + "denied"
	ApprovalExpired   = ApprovalPrefix + "expired"
	ApprovalConsumed  = ApprovalPrefix + "consumed"
	// ApprovalReserved: an approved statement started running;
	// ApprovalReleased: its transaction did not commit, so the approval is
	// good again.
	ApprovalReserved = ApprovalPrefix + "reserved"
	ApprovalReleased = ApprovalPrefix + "released"

	ApproverAdded        = "approver.added"
	ApproverRemoved      = "approver.removed"
	ApproverCodeFailed   = "approver.code_failed"
	ApproverPasskeyAdded = "approver.passkey_added"

	// GrantCreated and GrantRevoked: a time-boxed elevation given to one
	// token on one upstream, and its end.
	GrantCreated = "grant.created"
	GrantRevoked = "grant.revoked"
)

// Event is something worth recording. Data is any JSON-encodable value.
type Event struct {
	Type  string
	Actor string // who caused it: "cli:alice", "token:tok_..."
	Data  any
}

const headKey = "audit.head"

// Append adds ev to the chain inside tx, so that it commits with the state
// change it records, or not at all.
func Append(tx store.Tx, ev Event, now time.Time) (store.AuditEntry, error) {
	es, err := AppendAll(tx, []Event{ev}, []time.Time{now})
	if err != nil {
		return store.AuditEntry{}, err
	}
	return es[0], nil
}

// AppendAll adds events in order inside tx, evs[i] at times[i]: the chain
// head is read and the head checkpoint written once for all of them.
func AppendAll(tx store.Tx, evs []Event, times []time.Time) ([]store.AuditEntry, error) {
	last, ok, err := tx.LastAudit()
	if err != nil {
		return nil, fmt.Errorf("audit: reading chain head: %w", err)
	}
	es := make([]store.AuditEntry, len(evs))
	for i, ev := range evs {
		data, err := json.Marshal(ev.Data)
		if err != nil {
			return nil, fmt.Errorf("audit: encoding %s: %w", ev.Type, err)
		}
		e := store.AuditEntry{Seq: 1, Time: times[i].UTC(), Type: ev.Type, Actor: ev.Actor, Data: data}
		if ok {
			e.Seq, e.PrevHash = last.Seq+1, last.Hash
		}
		e.Hash = Hash(e)
		es[i], last, ok = e, e, true
	}
	if err := tx.AppendAudit(es...); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	// The head checkpoint lets verify notice entries cut off the end.
	if err := tx.SetMeta(headKey, strconv.FormatInt(last.Seq, 10)+":"+last.Hash); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return es, nil
}

// Record appends one event in its own transaction.
func Record(ctx context.Context, st store.Store, ev Event) error {
	return st.Update(ctx, func(tx store.Tx) error {
		_, err := Append(tx, ev, time.Now())
		return err
	})
}

// Hash is the entry's chain hash: SHA-256 over its length-prefixed fields and
// its predecessor's hash. The sequence number is left out on purpose: order is
// carried by PrevHash, so renumbering cannot hide a deletion or a move.
func Hash(e store.AuditEntry) string {
	// One buffer, hashed at once: writing each field through the hash
	// interface copied every string twice. Most entries fit the one on
	// the stack.
	var stack [1024]byte
	b := stack[:0]
	b = append(b, "chaperone-audit-v1"...)
	at := len(b)
	b = binary.BigEndian.AppendUint64(b, 0) // the time's length, once known
	b = e.Time.UTC().AppendFormat(b, time.RFC3339Nano)
	binary.BigEndian.PutUint64(b[at:], uint64(len(b)-at-8))
	for _, f := range []string{e.Type, e.Actor} {
		b = binary.BigEndian.AppendUint64(b, uint64(len(f)))
		b = append(b, f...)
	}
	b = binary.BigEndian.AppendUint64(b, uint64(len(e.Data)))
	b = append(b, e.Data...)
	b = binary.BigEndian.AppendUint64(b, uint64(len(e.PrevHash)))
	b = append(b, e.PrevHash...)
	sum := sha256.Sum256(b)
	var out [2 * sha256.Size]byte
	hex.Encode(out[:], sum[:])
	return string(out[:])
}

func parseHead(s string) (seq int64, hash string, err error) {
	n, hash, ok := strings.Cut(s, ":")
	if !ok {
		return 0, "", fmt.Errorf("bad audit head %q", s)
	}
	seq, err = strconv.ParseInt(n, 10, 64)
	return seq, hash, err
}
