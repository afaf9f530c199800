-- Facts are folded by the transaction that wrote them, not by a flag.
-- Setting `folded` made a dead row version and a dead entry in the partial
-- index for every fact; until VACUUM came, each report walked them (7 ms
-- after a national data set's fold, for an index of nothing live). Now a
-- fact is never updated: it records its writer's transaction id, and the
-- fold takes every fact of the transactions that had ended when it began
-- (below its snapshot's xmin, so none can still commit), moving a watermark.
-- What a report reads from `facts` is the range above the watermark.
ALTER TABLE facts ADD COLUMN xid BIGINT NOT NULL DEFAULT 0;
-- Not folded yet: taken by the first fold (watermark 1).
UPDATE facts SET xid = 1 WHERE NOT folded;
ALTER TABLE facts ALTER COLUMN xid SET DEFAULT (pg_current_xact_id()::text::bigint);
CREATE TABLE fact_fold (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    folded_to BIGINT NOT NULL
);
INSERT INTO fact_fold (id, folded_to) VALUES (1, 1);
DROP INDEX facts_unfolded;
ALTER TABLE facts DROP COLUMN folded;
CREATE INDEX facts_xid ON facts(xid);
