-- The audit log keyed by its rowid: `seq BIGINT PRIMARY KEY` made SQLite keep
-- a second index beside the table. Rebuilt once, in chain order.
CREATE TABLE audit_log_by_seq (
    seq INTEGER PRIMARY KEY NOT NULL,
    at BIGINT NOT NULL,
    actor_id BLOB,
    actor_kind TEXT NOT NULL,
    action TEXT NOT NULL,
    record_type TEXT,
    record_id BLOB,
    outcome TEXT NOT NULL,
    reason TEXT,
    client TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_log_by_seq (seq, at, actor_id, actor_kind, action, record_type, record_id, outcome, reason, client, prev_hash, hash)
    SELECT seq, at, actor_id, actor_kind, action, record_type, record_id, outcome, reason, client, prev_hash, hash
    FROM audit_log ORDER BY seq;
DROP TABLE audit_log;
ALTER TABLE audit_log_by_seq RENAME TO audit_log;
CREATE INDEX audit_log_actor_seq ON audit_log(actor_id, seq);
CREATE INDEX audit_log_record_seq ON audit_log(record_id, seq);
-- The auditor's period filter.
CREATE INDEX audit_log_at ON audit_log(at);
-- Rows appended but not yet chained. PostgreSQL appends here so that no
-- request holds the chain's head row until its commit; a chainer moves them
-- into audit_log in order. SQLite chains at once (one writer) and leaves it
-- empty; the table exists on both so the schemas stay alike.
CREATE TABLE audit_pending (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at BIGINT NOT NULL,
    actor_id BLOB,
    actor_kind TEXT NOT NULL,
    action TEXT NOT NULL,
    record_type TEXT,
    record_id BLOB,
    outcome TEXT NOT NULL,
    reason TEXT,
    client TEXT
);
