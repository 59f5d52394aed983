-- Approvers' passkeys (WebAuthn credentials), enrolled from the console.
-- data is the credential record as JSON: public key, sign count, flags.
CREATE TABLE approver_passkeys (
    id           BYTEA PRIMARY KEY,
    approver     TEXT NOT NULL REFERENCES approvers (name) ON DELETE CASCADE,
    data         TEXT NOT NULL,
    created_at   TEXT COLLATE "C" NOT NULL
);
CREATE INDEX approver_passkeys_approver ON approver_passkeys (approver);
