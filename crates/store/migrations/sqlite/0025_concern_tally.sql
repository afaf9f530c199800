-- How many concerns are decided, kept current by the database in the
-- transaction of each change, so that the whole list's total is a read of
-- one row, not a count. Decided concerns are nearly all of the table; the
-- list counted them only up to a cap ("at least 1 000"), and even that walk
-- of 1 001 index entries was a fifth of the database's work per list page
-- (M, PostgreSQL). Filtered and scoped lists keep the capped count. The
-- triggers fire only when a row's decidedness changes, so intake (an open
-- concern) writes nothing more.
CREATE TABLE concern_tally (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    decided INTEGER NOT NULL
);
INSERT INTO concern_tally (id, decided)
    SELECT 1, COUNT(*) FROM concerns WHERE decided_at IS NOT NULL;
CREATE TRIGGER concern_tally_insert AFTER INSERT ON concerns
    WHEN NEW.decided_at IS NOT NULL
BEGIN
    UPDATE concern_tally SET decided = decided + 1 WHERE id = 1;
END;
CREATE TRIGGER concern_tally_update AFTER UPDATE OF decided_at ON concerns
    WHEN (OLD.decided_at IS NULL) <> (NEW.decided_at IS NULL)
BEGIN
    UPDATE concern_tally
       SET decided = decided + CASE WHEN NEW.decided_at IS NULL THEN -1 ELSE 1 END
     WHERE id = 1;
END;
CREATE TRIGGER concern_tally_delete AFTER DELETE ON concerns
    WHEN OLD.decided_at IS NOT NULL
BEGIN
    UPDATE concern_tally SET decided = decided - 1 WHERE id = 1;
END;
