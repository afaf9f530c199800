-- The tally also counts the concerns not yet decided, so that the whole
-- list's total is read, never counted, however many concerns wait for
-- triage (on PostgreSQL M, tens of thousands of open concerns made that
-- count most of every list page). SQLite has one writer, so the tally stays
-- one row; PostgreSQL stripes it (no hot row for concurrent intakes).
ALTER TABLE concern_tally ADD COLUMN undecided INTEGER NOT NULL DEFAULT 0;
UPDATE concern_tally
   SET undecided = (SELECT COUNT(*) FROM concerns WHERE decided_at IS NULL)
 WHERE id = 1;
DROP TRIGGER concern_tally_insert;
CREATE TRIGGER concern_tally_insert AFTER INSERT ON concerns
BEGIN
    UPDATE concern_tally
       SET decided = decided + (NEW.decided_at IS NOT NULL),
           undecided = undecided + (NEW.decided_at IS NULL)
     WHERE id = 1;
END;
DROP TRIGGER concern_tally_update;
CREATE TRIGGER concern_tally_update AFTER UPDATE OF decided_at ON concerns
    WHEN (OLD.decided_at IS NULL) <> (NEW.decided_at IS NULL)
BEGIN
    UPDATE concern_tally
       SET decided = decided + CASE WHEN NEW.decided_at IS NULL THEN -1 ELSE 1 END,
           undecided = undecided + CASE WHEN NEW.decided_at IS NULL THEN 1 ELSE -1 END
     WHERE id = 1;
END;
DROP TRIGGER concern_tally_delete;
CREATE TRIGGER concern_tally_delete AFTER DELETE ON concerns
BEGIN
    UPDATE concern_tally
       SET decided = decided - (OLD.decided_at IS NOT NULL),
           undecided = undecided - (OLD.decided_at IS NULL)
     WHERE id = 1;
END;
