-- PostgreSQL's `fact_days` key now carries the sums (its 0027); SQLite's
-- table is clustered on that key (WITHOUT ROWID), so its reads were
-- index-only already. Kept so both backends count the same migrations.
SELECT 1;
