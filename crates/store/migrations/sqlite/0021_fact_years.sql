-- Facts summed by calendar year, kept by the folding job beside the months
-- and days: a period's whole years, and everything before it that still
-- runs (courses, forum memberships), read ten rows a key for ten years
-- instead of 120 (issue 10's key-figure report at national scale).
CREATE TABLE fact_years (
    kind TEXT NOT NULL,
    code TEXT NOT NULL,
    detail TEXT NOT NULL,
    year TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (kind, code, detail, year)
);
CREATE INDEX fact_years_kind_year ON fact_years(kind, year, code, detail, n);
INSERT INTO fact_years (kind, code, detail, year, n)
    SELECT kind, code, detail, substr(month, 1, 4), SUM(n) FROM fact_months
     GROUP BY kind, code, detail, substr(month, 1, 4);
