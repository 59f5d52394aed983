CREATE TABLE tokens (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    env         TEXT NOT NULL,
    upstreams   TEXT NOT NULL,          -- JSON array of names
    scope       TEXT NOT NULL,
    hash        BLOB NOT NULL UNIQUE,   -- SHA-256 of the token
    scram       TEXT NOT NULL,          -- SCRAM-SHA-256 verifier
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL DEFAULT '',
    revoked_at  TEXT NOT NULL DEFAULT ''
);

CREATE TABLE audit (
    seq         INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    type        TEXT NOT NULL,
    actor       TEXT NOT NULL,
    data        BLOB NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);

CREATE TABLE meta (
    key         TEXT PRIMARY KEY,
    value       TEXT NOT NULL
);
