-- Action plans (issue 11): purposes, focus areas with their prevention
-- level and intended effect, interventions, and annual targets bound to the
-- key-figure catalogue. Nothing here is about a person.
CREATE TABLE plans (
    id BLOB PRIMARY KEY NOT NULL,
    title TEXT NOT NULL,
    from_year INTEGER NOT NULL,
    to_year INTEGER NOT NULL,
    status TEXT NOT NULL,
    -- The purposes, one paragraph each, as a JSON array of strings.
    purposes TEXT NOT NULL,
    -- Bumped by every change: a status move names the version it saw, so
    -- of two racing moves exactly one wins.
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- One row to lock while a plan's years are checked and written
-- (store::Locked::PlanYears).
CREATE TABLE plan_calendar (id INTEGER PRIMARY KEY CHECK (id = 1));
INSERT INTO plan_calendar (id) VALUES (1);
-- The list (newest plan first) and the overlap check read this.
CREATE INDEX plans_years ON plans(from_year, to_year, id);

CREATE TABLE plan_focus_areas (
    id BLOB PRIMARY KEY NOT NULL,
    plan_id BLOB NOT NULL REFERENCES plans(id),
    position INTEGER NOT NULL,
    title TEXT NOT NULL,
    level TEXT NOT NULL,
    effect TEXT
);
CREATE INDEX plan_focus_areas_plan ON plan_focus_areas(plan_id, position);

CREATE TABLE plan_interventions (
    id BLOB PRIMARY KEY NOT NULL,
    focus_area_id BLOB NOT NULL REFERENCES plan_focus_areas(id),
    position INTEGER NOT NULL,
    title TEXT NOT NULL,
    description TEXT,
    target_group TEXT
);
CREATE INDEX plan_interventions_area ON plan_interventions(focus_area_id, position);

-- One target a year. kind: count, distinct, share, qualitative; metric and
-- denominator are codes of the key-figure catalogue; value is the count or
-- the percentage asked for. No actual value is stored: it is counted.
CREATE TABLE plan_targets (
    id BLOB PRIMARY KEY NOT NULL,
    plan_id BLOB NOT NULL REFERENCES plans(id),
    focus_area_id BLOB NOT NULL REFERENCES plan_focus_areas(id),
    intervention_id BLOB REFERENCES plan_interventions(id),
    position INTEGER NOT NULL,
    year INTEGER NOT NULL,
    text TEXT NOT NULL,
    kind TEXT NOT NULL,
    metric TEXT,
    denominator TEXT,
    value BIGINT
);
CREATE INDEX plan_targets_plan ON plan_targets(plan_id, position, year);

-- A person's assessment of a qualitative target, newest last; the latest
-- one is the target's status.
CREATE TABLE target_assessments (
    id BLOB PRIMARY KEY NOT NULL,
    target_id BLOB NOT NULL REFERENCES plan_targets(id),
    status TEXT NOT NULL,
    note TEXT NOT NULL,
    evidence TEXT,
    assessed_by BLOB REFERENCES users(id),
    assessed_at BIGINT NOT NULL
);
CREATE INDEX target_assessments_target ON target_assessments(target_id, assessed_at);
