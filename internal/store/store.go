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
	AppendAudit(AuditEntry) error
	// AuditEntries returns up to limit entries with Seq > afterSeq, oldest first.
	AuditEntries(afterSeq int64, limit int) ([]AuditEntry, error)

	Meta(key string) (value string, ok bool, err error)
	SetMeta(key, value string) error
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
