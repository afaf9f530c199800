-- Activities and the organisations they work with (issue 10). Nothing here
-- is about a person of concern: an activity records what was held and how
-- many took part per target group; an organisation is an association,
-- school, faith community or institution, its contact persons professionals.
CREATE TABLE organisations (
    id UUID PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    district TEXT,
    cvr TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX organisations_name ON organisations(name, id);

CREATE TABLE activities (
    id UUID PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    held_on TEXT NOT NULL,
    status TEXT NOT NULL,
    title TEXT NOT NULL,
    focus_area TEXT NOT NULL,
    prevention_level TEXT,
    district TEXT,
    agency_id UUID NOT NULL REFERENCES agencies(id),
    created_at BIGINT NOT NULL,
    created_by UUID REFERENCES users(id),
    updated_at BIGINT NOT NULL
);
-- The list, newest first, and filtered by kind.
CREATE INDEX activities_held ON activities(held_on, id);
CREATE INDEX activities_kind_held ON activities(kind, held_on, id);

CREATE TABLE activity_participants (
    activity_id UUID NOT NULL REFERENCES activities(id),
    target_group TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (activity_id, target_group)
);

CREATE TABLE activity_organisations (
    activity_id UUID NOT NULL REFERENCES activities(id),
    organisation_id UUID NOT NULL REFERENCES organisations(id),
    PRIMARY KEY (activity_id, organisation_id)
);
CREATE INDEX activity_organisations_org ON activity_organisations(organisation_id, activity_id);

-- Membership of the citizen forum ("medborgerforum"): one period per
-- organisation (from, and to when it left), changed by replacing it.
CREATE TABLE forum_memberships (
    organisation_id UUID PRIMARY KEY NOT NULL REFERENCES organisations(id),
    from_on TEXT NOT NULL,
    to_on TEXT
);

-- Capacity building with a local institution over a period; the target
-- counts distinct institutions engaged in a period.
CREATE TABLE capacity_building (
    id UUID PRIMARY KEY NOT NULL,
    organisation_id UUID NOT NULL REFERENCES organisations(id),
    from_on TEXT NOT NULL,
    to_on TEXT,
    note TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX capacity_building_from ON capacity_building(from_on, organisation_id);
