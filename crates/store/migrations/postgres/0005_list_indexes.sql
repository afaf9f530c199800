-- Index-driven audit queries: by record and by actor, newest first.
CREATE INDEX audit_log_actor_seq ON audit_log(actor_id, seq);
CREATE INDEX audit_log_record_seq ON audit_log(record_id, seq);
DROP INDEX audit_log_record;
