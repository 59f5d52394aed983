-- The snapshot taken before an approved destructive statement ran.
ALTER TABLE approvals ADD COLUMN snapshot TEXT NOT NULL DEFAULT '';
