CREATE TABLE approvals (
    id           TEXT COLLATE "C" PRIMARY KEY,
    created_at   TEXT COLLATE "C" NOT NULL,
    expires_at   TEXT NOT NULL,
    state        TEXT NOT NULL,          -- pending | approved | denied | expired | consumed
    token_id     TEXT NOT NULL,
    env          TEXT NOT NULL,
    upstream     TEXT NOT NULL,
    kind         TEXT NOT NULL,
    text         TEXT NOT NULL,          -- the exact text; execution binds to text_hash
    text_hash    BYTEA NOT NULL,
    class        TEXT NOT NULL,
    rule         TEXT NOT NULL,
    reason       TEXT NOT NULL,
    required     BIGINT NOT NULL,
    impact       TEXT NOT NULL DEFAULT '',
    decided_at   TEXT NOT NULL DEFAULT '',
    deny_reason  TEXT NOT NULL DEFAULT '',
    consumed_at  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX approvals_binding ON approvals (token_id, upstream, text_hash);
CREATE INDEX approvals_state ON approvals (state, created_at);

CREATE TABLE approval_votes (
    approval_id  TEXT NOT NULL REFERENCES approvals (id),
    approver     TEXT COLLATE "C" NOT NULL,
    approve      BOOLEAN NOT NULL,
    comment      TEXT NOT NULL DEFAULT '',
    at           TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (approval_id, approver)
);

CREATE TABLE approvers (
    name         TEXT COLLATE "C" PRIMARY KEY,
    password     TEXT NOT NULL,          -- argon2id, PHC string
    created_at   TEXT NOT NULL
);
