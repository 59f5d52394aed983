-- An approver's second factor: a TOTP secret (sealed with the state's secret
-- key), the last time step accepted (a code is good once), and consecutive
-- failures with the lockout they lead to.
ALTER TABLE approvers ADD COLUMN totp_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE approvers ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;
ALTER TABLE approvers ADD COLUMN failures BIGINT NOT NULL DEFAULT 0;
ALTER TABLE approvers ADD COLUMN locked_until TEXT NOT NULL DEFAULT '';
