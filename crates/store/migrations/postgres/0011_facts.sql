-- Anonymous facts, the one ground of every key figure (issue 10; see
-- domain::fact): a kind, a Copenhagen day, two glossary codes and a count.
-- Never a person, a record id or free text, so deleting personal data never
-- changes a figure. Appended in the transaction of the event they count.
CREATE TABLE facts (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind TEXT NOT NULL,
    day TEXT NOT NULL,
    code TEXT NOT NULL,
    detail TEXT NOT NULL,
    n BIGINT NOT NULL,
    -- Counted into fact_months by the folding job (store::fact::fold).
    folded BOOLEAN NOT NULL DEFAULT FALSE
);
-- A period's edges (its partial months) read this index (kind, then days).
CREATE INDEX facts_kind_day ON facts(kind, day, code, detail, n);
-- What the folding job has not counted yet: a few seconds' worth.
CREATE INDEX facts_unfolded ON facts(kind, day, code, detail, n) WHERE NOT folded;
-- Facts summed by calendar month, kept by the folding job, so a period's
-- whole months are a few hundred rows whatever its length; its partial
-- months and the facts not folded yet are read from facts.
CREATE TABLE fact_months (
    kind TEXT NOT NULL,
    code TEXT NOT NULL,
    detail TEXT NOT NULL,
    month TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (kind, code, detail, month)
);
CREATE INDEX fact_months_kind_month ON fact_months(kind, month, code, detail, n);
-- Facts of what was recorded before this table existed are made once at
-- start-up (store::fact::backfill).
CREATE TABLE facts_backfill (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    done BOOLEAN NOT NULL
);
INSERT INTO facts_backfill (id, done) VALUES (1, FALSE);
