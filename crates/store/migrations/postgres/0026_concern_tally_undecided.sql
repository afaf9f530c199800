-- The tally also counts the concerns not yet decided, so that the whole
-- list's total is read, never counted, however many concerns wait for
-- triage. The list counted them: on M after a load run had added 34 606
-- open concerns, that count was 9 ms of every list page, and the list at 16
-- connections fell from 8.7 to 70 ms p50 (and intake beside four people
-- paging to 0.54x of intake alone).
--
-- Every intake now changes the tally, so it is striped, and intake keeps
-- its promise of no hot row: 64 rows, and a transaction adds to the row of
-- its own backend (`pg_backend_pid() % 64`). Intakes on different
-- connections wait for no one; a reader sums the rows. A transaction only
-- ever touches its own backend's row, so two cannot deadlock on the tally.
--
-- The table is made anew, not altered: its one row of 0025 had been
-- rewritten by every decided concern of a bulk load, 500 versions a
-- transaction, and left 402 pages behind it (3.2 MB for one live row on M
-- after `vink bench-data`); a sum over the rows read them all. The new
-- table holds its 64 rows in one page, and a reader takes them by the key
-- (at most 64 heap pages, however much an update burst has left behind).
LOCK TABLE concerns IN SHARE ROW EXCLUSIVE MODE;
DROP TABLE concern_tally;
CREATE TABLE concern_tally (
    id INTEGER PRIMARY KEY CHECK (id BETWEEN 0 AND 63),
    decided BIGINT NOT NULL,
    undecided BIGINT NOT NULL
);
INSERT INTO concern_tally (id, decided, undecided)
    SELECT s,
           CASE WHEN s = 0 THEN (SELECT COUNT(*) FROM concerns WHERE decided_at IS NOT NULL) ELSE 0 END,
           CASE WHEN s = 0 THEN (SELECT COUNT(*) FROM concerns WHERE decided_at IS NULL) ELSE 0 END
      FROM generate_series(0, 63) AS s;
CREATE OR REPLACE FUNCTION concern_tally_keep() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    decided_step BIGINT;
BEGIN
    IF TG_OP = 'INSERT' THEN
        decided_step := CASE WHEN NEW.decided_at IS NULL THEN 0 ELSE 1 END;
    ELSIF TG_OP = 'DELETE' THEN
        decided_step := CASE WHEN OLD.decided_at IS NULL THEN 0 ELSE -1 END;
    ELSIF NEW.decided_at IS NULL THEN
        decided_step := -1;
    ELSE
        decided_step := 1;
    END IF;
    UPDATE concern_tally
       SET decided = decided + decided_step,
           undecided = undecided
               + CASE TG_OP WHEN 'INSERT' THEN 1 WHEN 'DELETE' THEN -1 ELSE 0 END
               - decided_step
     WHERE id = pg_backend_pid() % 64;
    RETURN NULL;
END
$$;
DROP TRIGGER concern_tally_insert ON concerns;
CREATE TRIGGER concern_tally_insert AFTER INSERT ON concerns
    FOR EACH ROW EXECUTE FUNCTION concern_tally_keep();
DROP TRIGGER concern_tally_delete ON concerns;
CREATE TRIGGER concern_tally_delete AFTER DELETE ON concerns
    FOR EACH ROW EXECUTE FUNCTION concern_tally_keep();
