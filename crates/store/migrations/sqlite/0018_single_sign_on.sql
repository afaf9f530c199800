-- Single sign-on through an OpenID Connect provider.

-- A log-in (or re-authentication) sent to the provider and not yet back:
-- what the callback must match. Keyed by the SHA-256 of the state, taken
-- once (deleted) by the callback, so a replayed callback finds nothing;
-- swept after ten minutes.
CREATE TABLE sign_on_attempts (
    state_hash TEXT PRIMARY KEY NOT NULL,
    nonce TEXT NOT NULL,
    verifier TEXT NOT NULL,
    purpose TEXT NOT NULL,
    -- For a re-authentication: the session it confirms (its id's hash).
    session_hash TEXT,
    next_path TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX sign_on_attempts_created ON sign_on_attempts (created_at);

-- A person at the provider (issuer and subject, never reassigned there)
-- and the vink user they log in as. Only an administrator's grant or a
-- role mapped from the provider's claims makes one; never a matching name
-- or e-mail address.
CREATE TABLE external_identities (
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    user_id BLOB NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    last_login_at BIGINT NOT NULL,
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX external_identities_user ON external_identities (user_id);

-- Someone the provider vouched for who has no vink user yet, where roles
-- are assigned in vink: the administrator grants or dismisses it.
CREATE TABLE access_requests (
    id BLOB PRIMARY KEY NOT NULL,
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    display_name TEXT NOT NULL,
    username_hint TEXT,
    email TEXT,
    requested_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    UNIQUE (issuer, subject)
);
CREATE INDEX access_requests_requested ON access_requests (requested_at);
