// Package store keeps Chaperone's state: tokens, the audit log and small
// settings. Implementations (SQLite embedded, PostgreSQL shared) satisfy the
// same interface and pass the same conformance tests in storetest.
package store

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned when a looked-up record does not exist.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned when a record with the same key already exists.
var ErrConflict = errors.New("already exists")

// Store opens transactions. Update transactions are serialised across every
// process sharing the store, so read-modify-write sequences (such as appending
// to the audit chain) are atomic.
type Store interface {
	Update(ctx context.Context, fn func(Tx) error) error
	View(ctx context.Context, fn func(Tx) error) error
	Close() error
}

// Tx is one transaction. Its methods must not be used after fn returns.
type Tx interface {
	InsertToken(Token) error
	TokenByHash(hash []byte) (Token, error)
	TokenByID(id string) (Token, error)
	ListTokens() ([]Token, error)
	RevokeToken(id string, at time.Time) error

	// LastAudit returns the newest entry; ok is false when the log is empty.
	LastAudit() (e AuditEntry, ok bool, err error)
	// AppendAudit adds entries in order; several at once cost one round
	// of statements, for group commit.
	AppendAudit(...AuditEntry) error
	// AuditEntries returns up to limit entries with Seq > afterSeq, oldest first.
	AuditEntries(afterSeq int64, limit int) ([]AuditEntry, error)
	// AuditEntriesOfType returns up to limit entries with afterSeq < Seq <=
	// throughSeq whose type starts with typePrefix, oldest first.
	AuditEntriesOfType(afterSeq, throughSeq int64, typePrefix string, limit int) ([]AuditEntry, error)

	Meta(key string) (value string, ok bool, err error)
	SetMeta(key, value string) error

	InsertApproval(Approval) error
	ApprovalByID(id string) (Approval, error)
	// FindApprovals returns the requests bound to one token, upstream and
	// exact text, newest first.
	FindApprovals(tokenID, upstream string, textHash []byte) ([]Approval, error)
	// ListApprovals returns requests in state (every state when empty),
	// newest first, at most limit.
	ListApprovals(state string, limit int) ([]Approval, error)
	// SetApprovalState moves a request from one state to another, and
	// reports false (changing nothing) when it is not in from: the compare-
	// and-set that keeps two approvers or two retries from both winning.
	SetApprovalState(id, from, to string, at time.Time, denyReason string) (bool, error)
	AddVote(Vote) error
	Votes(approvalID string) ([]Vote, error)
	// SetApprovalSnapshot names the snapshot taken before the request ran.
	SetApprovalSnapshot(id, snapshot string) error

	InsertGrant(Grant) error
	GrantByID(id string) (Grant, error)
	// ActiveGrants returns the grants to one token on one upstream that are
	// neither revoked nor expired at at, newest first.
	ActiveGrants(tokenID, upstream string, at time.Time) ([]Grant, error)
	// ListGrants returns the newest grants, at most limit.
	ListGrants(limit int) ([]Grant, error)
	// RevokeGrant ends a grant now; false when it was already revoked.
	RevokeGrant(id string, at time.Time, by string) (bool, error)

	InsertApprover(Approver) error
	ApproverByName(name string) (Approver, error)
	ListApprovers() ([]Approver, error)
	DeleteApprover(name string) error
	// SetApproverFactor records a second-factor attempt's outcome: the last
	// TOTP step accepted, consecutive failures and any lockout.
	SetApproverFactor(name string, lastStep int64, failures int, lockedUntil time.Time) error
	// Passkeys are an approver's WebAuthn credentials, kept as opaque
	// records; PutPasskey inserts or replaces one (its sign count moves).
	PutPasskey(Passkey) error
	Passkeys(approver string) ([]Passkey, error)

	// Console sessions live in the state, so that any instance behind a
	// load balancer knows a signed-in approver; only the cookie's hash is
	// kept. DeleteConsoleSessions removes those idle since idleBefore or
	// created before createdBefore.
	PutConsoleSession(ConsoleSession) error
	ConsoleSession(idHash []byte) (ConsoleSession, error)
	TouchConsoleSession(idHash []byte, at time.Time) error
	DeleteConsoleSession(idHash []byte) error
	DeleteConsoleSessions(idleBefore, createdBefore time.Time) error

	// Cancel keys let a PostgreSQL cancel request that reaches another
	// instance than the one serving the session find the upstream backend
	// it is for. PutCancelKey fails with ErrConflict when the key's
	// process id is taken.
	PutCancelKey(CancelKey) error
	CancelKey(pid uint32) (CancelKey, error)
	DeleteCancelKey(pid uint32) error
	DeleteCancelKeys(createdBefore time.Time) error
}

// ConsoleSession is an approver signed in to the console.
type ConsoleSession struct {
	IDHash    []byte // SHA-256 of the cookie value
	Approver  string
	CSRF      string
	CreatedAt time.Time
	LastSeen  time.Time
}

// CancelKey maps the backend key Chaperone gave a PostgreSQL client to the
// upstream backend serving it.
type CancelKey struct {
	PID            uint32
	SecretHash     []byte // SHA-256 of the key's secret the client holds
	Host           string // the upstream: host (or socket directory) and port
	Port           uint16
	UpstreamPID    uint32
	UpstreamSecret []byte
	CreatedAt      time.Time
}

// Passkey is one WebAuthn credential of an approver.
type Passkey struct {
	ID        []byte
	Approver  string
	Data      string // the credential record, JSON
	CreatedAt time.Time
}

// Approval is an action held for humans to approve, bound to the token,
// upstream and exact text that asked for it.
type Approval struct {
	ID         string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	State      string
	TokenID    string
	Env        string
	Upstream   string
	Kind       string
	Text       string
	TextHash   []byte
	Class      string
	Rule       string
	Reason     string
	Required   int
	Impact     string
	DecidedAt  time.Time
	DenyReason string
	ConsumedAt time.Time
	Snapshot   string // the backup taken before it ran, if any
}

// Grant is a time-boxed elevation a human gave one token on one upstream:
// its writes, and with IncludeDestructive its destructive statements, run
// without a request each until ExpiresAt or revocation.
type Grant struct {
	ID                 string
	RequestID          string // the request it was granted on
	TokenID            string
	Upstream           string
	Env                string
	IncludeDestructive bool
	GrantedBy          string
	CreatedAt          time.Time
	ExpiresAt          time.Time
	RevokedAt          time.Time
	RevokedBy          string
}

// Vote is one human's approval or denial of a request.
type Vote struct {
	ApprovalID string
	Approver   string
	Approve    bool
	Comment    string
	At         time.Time
}

// Approver is a human who may approve; only a password hash is stored, and
// the TOTP secret only sealed.
type Approver struct {
	Name         string
	Password     string // argon2id PHC string
	CreatedAt    time.Time
	TOTPSecret   string // sealed (secret.Box)
	TOTPLastStep int64  // the last 30-second step whose code was accepted
	Failures     int    // consecutive failed second-factor attempts
	LockedUntil  time.Time
}

// Token is an agent token as stored: never the token itself, only a hash (for
// bearer lookups) and a SCRAM-SHA-256 verifier (for the PostgreSQL gateway).
type Token struct {
	ID        string
	Name      string
	Env       string
	Upstreams []string
	Scope     string
	Hash      []byte
	SCRAM     string
	CreatedAt time.Time
	ExpiresAt time.Time // zero: never
	RevokedAt time.Time // zero: not revoked
}

// AuditEntry is one link of the hash chain. The audit package computes Hash;
// the store keeps entries exactly as given.
type AuditEntry struct {
	Seq      int64
	Time     time.Time
	Type     string
	Actor    string
	Data     []byte // canonical JSON
	PrevHash string
	Hash     string
}
