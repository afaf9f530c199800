-- A decision is never dated before the receipt it decides (less the five
-- minutes a receipt may lie ahead of the clock: domain::concern::FUTURE_SLACK,
-- in microseconds). The decided list relies on it: a concern received in a
-- period was decided after the period began, so a period's walk of the
-- decision order stops there instead of reading the whole history.
-- SQLite cannot add a CHECK to a table: triggers hold every write to it, and
-- a row already breaking it fails this migration (through the CHECK of a
-- scratch table, SQLite's way to abort a plain statement).
CREATE TRIGGER concerns_decided_after_receipt_insert BEFORE INSERT ON concerns
    WHEN NEW.decided_at IS NOT NULL AND NEW.decided_at < NEW.received_at - 300000000
BEGIN
    SELECT RAISE(ABORT, 'concerns_decided_after_receipt');
END;
CREATE TRIGGER concerns_decided_after_receipt_update
    BEFORE UPDATE OF decided_at, received_at ON concerns
    WHEN NEW.decided_at IS NOT NULL AND NEW.decided_at < NEW.received_at - 300000000
BEGIN
    SELECT RAISE(ABORT, 'concerns_decided_after_receipt');
END;
CREATE TEMP TABLE decided_after_receipt_probe (broken INTEGER CHECK (broken = 0));
INSERT INTO decided_after_receipt_probe
    SELECT 1 FROM concerns
     WHERE decided_at IS NOT NULL AND decided_at < received_at - 300000000 LIMIT 1;
DROP TABLE decided_after_receipt_probe;
