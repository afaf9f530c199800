-- How many concerns are decided, kept current by the database in the
-- transaction of each change, so that the whole list's total is a read of
-- one row, not a count. Decided concerns are nearly all of the table; the
-- list counted them only up to a cap ("at least 1 000"), and even that walk
-- of 1 001 index entries was a fifth of the database's work per list page
-- (M). Filtered and scoped lists keep the capped count. The triggers fire
-- only when a row's decidedness changes, so intake (an open concern) writes
-- nothing more; a decision waits for another's commit on the one row, in
-- the order every writer takes (the concern first, then the tally).
LOCK TABLE concerns IN SHARE ROW EXCLUSIVE MODE;
CREATE TABLE concern_tally (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    decided BIGINT NOT NULL
);
INSERT INTO concern_tally (id, decided)
    SELECT 1, COUNT(*) FROM concerns WHERE decided_at IS NOT NULL;
CREATE FUNCTION concern_tally_keep() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    step BIGINT;
BEGIN
    IF TG_OP = 'INSERT' THEN
        step := 1;
    ELSIF TG_OP = 'DELETE' THEN
        step := -1;
    ELSIF NEW.decided_at IS NULL THEN
        step := -1;
    ELSE
        step := 1;
    END IF;
    UPDATE concern_tally SET decided = decided + step WHERE id = 1;
    RETURN NULL;
END
$$;
CREATE TRIGGER concern_tally_insert AFTER INSERT ON concerns
    FOR EACH ROW WHEN (NEW.decided_at IS NOT NULL)
    EXECUTE FUNCTION concern_tally_keep();
CREATE TRIGGER concern_tally_update AFTER UPDATE OF decided_at ON concerns
    FOR EACH ROW WHEN ((OLD.decided_at IS NULL) <> (NEW.decided_at IS NULL))
    EXECUTE FUNCTION concern_tally_keep();
CREATE TRIGGER concern_tally_delete AFTER DELETE ON concerns
    FOR EACH ROW WHEN (OLD.decided_at IS NOT NULL)
    EXECUTE FUNCTION concern_tally_keep();
