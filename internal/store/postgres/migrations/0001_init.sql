-- Times are RFC 3339 text in UTC with nanoseconds, as in the SQLite store:
-- the audit chain hashes them, and timestamptz keeps only microseconds.
-- Columns that are ordered on use the "C" collation, so that order is byte
-- order whatever the database's locale, the same as SQLite's.
CREATE TABLE tokens (
    id          TEXT COLLATE "C" PRIMARY KEY,
    name        TEXT NOT NULL,
    env         TEXT NOT NULL,
    upstreams   TEXT NOT NULL,          -- JSON array of names
    scope       TEXT NOT NULL,
    hash        BYTEA NOT NULL UNIQUE,  -- SHA-256 of the token
    scram       TEXT NOT NULL,          -- SCRAM-SHA-256 verifier
    created_at  TEXT COLLATE "C" NOT NULL,
    expires_at  TEXT NOT NULL DEFAULT '',
    revoked_at  TEXT NOT NULL DEFAULT ''
);

CREATE TABLE audit (
    seq         BIGINT PRIMARY KEY,
    at          TEXT NOT NULL,
    type        TEXT NOT NULL,
    actor       TEXT NOT NULL,
    data        BYTEA NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);

CREATE TABLE meta (
    key         TEXT COLLATE "C" PRIMARY KEY,
    value       TEXT NOT NULL
);
