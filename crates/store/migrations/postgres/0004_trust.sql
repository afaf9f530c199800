-- Trust: API tokens expire and can be revoked; sessions have an absolute end;
-- the readiness probe has a scratch table whose writes are always rolled back.

ALTER TABLE api_tokens ADD COLUMN expires_at BIGINT;
CREATE INDEX api_tokens_user ON api_tokens(user_id);

CREATE TABLE health_probe (
    filler BYTEA NOT NULL
);
