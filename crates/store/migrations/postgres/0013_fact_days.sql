-- A period's partial months read a daily rollup kept by the folding job,
-- not an index over facts: one index less for every intake to write
-- (issue 10's intake target). PostgreSQL keeps the `folded` flag and its
-- partial index: its ids do not commit in order, so a watermark would skip
-- a fact committed late.
CREATE TABLE fact_days (
    day TEXT NOT NULL,
    kind TEXT NOT NULL,
    code TEXT NOT NULL,
    detail TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (day, kind, code, detail)
);
INSERT INTO fact_days (day, kind, code, detail, n)
    SELECT day, kind, code, detail, SUM(n) FROM facts WHERE folded GROUP BY day, kind, code, detail;
DROP INDEX facts_kind_day;
-- Unfolded facts are found by id order now (the fold takes the oldest).
-- The planner needs statistics that know most facts are folded: after a
-- bulk load, ANALYZE after the fold (`vink bench-data` does).
DROP INDEX facts_unfolded;
CREATE INDEX facts_unfolded ON facts(id) WHERE NOT folded;
