-- Console sessions (only the cookie's SHA-256) and PostgreSQL cancel keys,
-- kept in the state so that every instance sharing it knows them.
CREATE TABLE console_sessions (
    id_hash      BLOB PRIMARY KEY,
    approver     TEXT NOT NULL,
    csrf         TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_seen    TEXT NOT NULL
);

CREATE TABLE cancel_keys (
    pid              INTEGER PRIMARY KEY,
    secret_hash      BLOB NOT NULL,
    host             TEXT NOT NULL,
    port             INTEGER NOT NULL,
    upstream_pid     INTEGER NOT NULL,
    upstream_secret  BLOB NOT NULL,
    created_at       TEXT NOT NULL
);
