-- Activities and the organisations they work with (issue 10). Nothing here
-- is about a person of concern: an activity records what was held and how
-- many took part per target group; an organisation is an association,
-- school, faith community or institution, its contact persons professionals.
CREATE TABLE organisations (
    id BLOB PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    district TEXT,
    cvr TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX organisations_name ON organisations(name, id);

CREATE TABLE activities (
    id BLOB PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    held_on TEXT NOT NULL,
    status TEXT NOT NULL,
    title TEXT NOT NULL,
    focus_area TEXT NOT NULL,
    prevention_level TEXT,
    district TEXT,
    agency_id BLOB NOT NULL REFERENCES agencies(id),
    created_at BIGINT NOT NULL,
    created_by BLOB REFERENCES users(id),
    updated_at BIGINT NOT NULL
);
-- The list, newest first, and filtered by kind.
CREATE INDEX activities_held ON activities(held_on, id);
CREATE INDEX activities_kind_held ON activities(kind, held_on, id);

CREATE TABLE activity_participants (
    activity_id BLOB NOT NULL REFERENCES activities(id),
    target_group TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (activity_id, target_group)
);

CREATE TABLE activity_organisations (
    activity_id BLOB NOT NULL REFERENCES activities(id),
    organisation_id BLOB NOT NULL REFERENCES organisations(id),
    PRIMARY KEY (activity_id, organisation_id)
);
CREATE INDEX activity_organisations_org ON activity_organisations(organisation_id, activity_id);

-- Membership of the citizen forum ("medborgerforum"): one period per
-- organisation (from, and to when it left), changed by replacing it.
CREATE TABLE forum_memberships (
    organisation_id BLOB PRIMARY KEY NOT NULL REFERENCES organisations(id),
    from_on TEXT NOT NULL,
    to_on TEXT
);

-- Capacity building with a local institution over a period; the target
-- counts distinct institutions engaged in a period.
CREATE TABLE capacity_building (
    id BLOB PRIMARY KEY NOT NULL,
    organisation_id BLOB NOT NULL REFERENCES organisations(id),
    from_on TEXT NOT NULL,
    to_on TEXT,
    note TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX capacity_building_from ON capacity_building(from_on, organisation_id);

-- Theme days and network meetings link the corps members who attended.
CREATE TABLE activity_corps_members (
    activity_id BLOB NOT NULL REFERENCES activities(id),
    corps_member_id BLOB NOT NULL REFERENCES corps_members(id),
    PRIMARY KEY (activity_id, corps_member_id)
);
CREATE INDEX activity_corps_members_member ON activity_corps_members(corps_member_id, activity_id);

-- Theme days recorded as corps training become theme-day activities, one
-- per title and day, with their attendees linked and counted. Their facts
-- are written here only where the facts were already made (otherwise the
-- start-up backfill counts them with everything else).
CREATE TEMP TABLE theme_days AS
    SELECT randomblob(16) AS id, title, on_date, COUNT(DISTINCT corps_member_id) AS n, MIN(created_at) AS created_at
    FROM corps_training WHERE kind = 'theme_day' GROUP BY title, on_date;
INSERT INTO activities (id, kind, held_on, status, title, focus_area, prevention_level, district, agency_id, created_at, created_by, updated_at)
    SELECT id, 'theme_day', on_date, 'held', title, 'front_line', NULL, NULL,
           (SELECT a.id FROM agencies a WHERE a.code = 'vink'), created_at, NULL, created_at
    FROM theme_days;
INSERT INTO activity_participants (activity_id, target_group, n) SELECT id, 'corps', n FROM theme_days;
INSERT INTO activity_corps_members (activity_id, corps_member_id)
    SELECT DISTINCT d.id, t.corps_member_id FROM theme_days d
    JOIN corps_training t ON t.kind = 'theme_day' AND t.title = d.title AND t.on_date = d.on_date;
INSERT INTO facts (kind, day, code, detail, n)
    SELECT 'activity_held', on_date, 'theme_day', '', 1 FROM theme_days
    WHERE (SELECT done FROM facts_backfill WHERE id = 1);
INSERT INTO facts (kind, day, code, detail, n)
    SELECT 'participants', on_date, 'theme_day', 'corps', n FROM theme_days
    WHERE (SELECT done FROM facts_backfill WHERE id = 1);
DELETE FROM corps_training WHERE kind = 'theme_day';
DROP TABLE theme_days;
