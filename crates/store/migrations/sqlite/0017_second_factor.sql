-- Two-factor log-in (TOTP) and re-authentication.
-- A user's authenticator secret: confirmed once a first code from the app is
-- accepted; last_step is the last accepted time step, so no code is accepted
-- twice (RFC 6238, 5.2).
CREATE TABLE second_factors (
    user_id BLOB PRIMARY KEY NOT NULL REFERENCES users(id),
    secret TEXT NOT NULL,
    confirmed_at BIGINT,
    last_step BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

-- One-time recovery codes, stored hashed; shown once at enrolment.
CREATE TABLE recovery_codes (
    user_id BLOB NOT NULL REFERENCES users(id),
    code_hash TEXT NOT NULL,
    used_at BIGINT,
    PRIMARY KEY (user_id, code_hash)
);

-- When the session passed its second factor (NULL: not yet, where one is
-- needed), and when its user last proved who they are (password or code):
-- the re-authentication clock for exports and user administration.
ALTER TABLE sessions ADD COLUMN second_factor_at BIGINT;
ALTER TABLE sessions ADD COLUMN confirmed_at BIGINT;
UPDATE sessions SET confirmed_at = created_at;
