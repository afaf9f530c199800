-- Anonymous facts, the one ground of every key figure (issue 10; see
-- domain::fact): a kind, a Copenhagen day, two glossary codes and a count.
-- Never a person, a record id or free text, so deleting personal data never
-- changes a figure. Appended in the transaction of the event they count.
CREATE TABLE facts (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    day TEXT NOT NULL,
    code TEXT NOT NULL,
    detail TEXT NOT NULL,
    n BIGINT NOT NULL
);
-- A period's sums read this index only (kind, then a range of days).
CREATE INDEX facts_kind_day ON facts(kind, day, code, detail, n);
-- Facts of what was recorded before this table existed are made once at
-- start-up (store::fact::backfill).
CREATE TABLE facts_backfill (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    done BOOLEAN NOT NULL
);
INSERT INTO facts_backfill (id, done) VALUES (1, FALSE);
