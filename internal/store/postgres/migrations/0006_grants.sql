-- Time-boxed elevations: an approver lets one token's writes (and, if
-- include_destructive, destructive statements) on one upstream through
-- without a request each, until expires_at or revocation.
CREATE TABLE grants (
    id                   TEXT COLLATE "C" PRIMARY KEY,
    request_id           TEXT NOT NULL,
    token_id             TEXT NOT NULL,
    upstream             TEXT NOT NULL,
    env                  TEXT NOT NULL,
    include_destructive  BOOLEAN NOT NULL,
    granted_by           TEXT NOT NULL,
    created_at           TEXT COLLATE "C" NOT NULL,
    expires_at           TEXT NOT NULL,
    revoked_at           TEXT NOT NULL DEFAULT '',
    revoked_by           TEXT NOT NULL DEFAULT ''
);
CREATE INDEX grants_binding ON grants (token_id, upstream, expires_at);
