-- Intake pays for one B-tree per fact, not three (issue 10's intake target):
-- a period's partial months read a daily rollup kept by the folding job,
-- not an index over facts, and SQLite (one writer, so fact ids commit in
-- order) finds what is not folded yet above a watermark instead of through
-- a partial index and a flag the fold had to update.
CREATE TABLE fact_days (
    day TEXT NOT NULL,
    kind TEXT NOT NULL,
    code TEXT NOT NULL,
    detail TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (day, kind, code, detail)
) WITHOUT ROWID;
-- Whatever was not folded yet is folded now, so the watermark can start
-- above every fact.
INSERT INTO fact_months (kind, code, detail, month, n)
    SELECT kind, code, detail, substr(day, 1, 7), SUM(n) FROM facts WHERE NOT folded
     GROUP BY kind, code, detail, substr(day, 1, 7)
    ON CONFLICT (kind, code, detail, month) DO UPDATE SET n = fact_months.n + excluded.n;
INSERT INTO fact_days (day, kind, code, detail, n)
    SELECT day, kind, code, detail, SUM(n) FROM facts WHERE TRUE GROUP BY day, kind, code, detail;
-- The highest fact id the folding job has counted (store::fact::fold).
CREATE TABLE fact_fold (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    folded_to BIGINT NOT NULL
);
INSERT INTO fact_fold (id, folded_to) SELECT 1, COALESCE(MAX(id), 0) FROM facts;
DROP INDEX facts_kind_day;
DROP INDEX facts_unfolded;
ALTER TABLE facts DROP COLUMN folded;
