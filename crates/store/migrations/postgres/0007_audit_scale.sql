-- The auditor's period filter.
CREATE INDEX audit_log_at ON audit_log(at);
-- Rows appended but not yet chained: a request inserts here (no shared row to
-- lock, so concurrent commits do not queue behind the chain's head), and the
-- chainer moves committed rows into audit_log in order, in batches, under
-- the head's lock.
CREATE TABLE audit_pending (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at BIGINT NOT NULL,
    actor_id UUID,
    actor_kind TEXT NOT NULL,
    action TEXT NOT NULL,
    record_type TEXT,
    record_id UUID,
    outcome TEXT NOT NULL,
    reason TEXT,
    client TEXT
);
