-- PostgreSQL's facts now fold by transaction id (its 0020); SQLite's
-- already fold by a watermark on their ids, which commit in order under the
-- one writer. Kept so both backends count the same migrations.
SELECT 1;
