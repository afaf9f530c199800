-- The auditor's filter by action (e.g. every refused read, every search):
-- newest first within one action, without walking the whole log.
CREATE INDEX audit_log_action_seq ON audit_log(action, seq);
