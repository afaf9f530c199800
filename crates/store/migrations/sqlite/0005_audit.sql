-- The audit log: index-driven queries by record and by actor (newest first),
-- and the client address of the request a row records (none on older rows).
CREATE INDEX audit_log_actor_seq ON audit_log(actor_id, seq);
CREATE INDEX audit_log_record_seq ON audit_log(record_id, seq);
DROP INDEX audit_log_record;
ALTER TABLE audit_log ADD COLUMN client TEXT;
