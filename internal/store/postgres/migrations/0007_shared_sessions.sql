-- Console sessions (only the cookie's SHA-256) and PostgreSQL cancel keys,
-- kept in the state so that every instance sharing it knows them.
CREATE TABLE console_sessions (
    id_hash      BYTEA PRIMARY KEY,
    approver     TEXT NOT NULL,
    csrf         TEXT NOT NULL,
    created_at   TEXT COLLATE "C" NOT NULL,
    last_seen    TEXT COLLATE "C" NOT NULL
);

CREATE TABLE cancel_keys (
    pid              BIGINT PRIMARY KEY,
    secret_hash      BYTEA NOT NULL,
    host             TEXT NOT NULL,
    port             BIGINT NOT NULL,
    upstream_pid     BIGINT NOT NULL,
    upstream_secret  BYTEA NOT NULL,
    created_at       TEXT COLLATE "C" NOT NULL
);
