-- One-to-one programmes (courses), the mentor and parent-coach corps, the
-- mentor's record (goals, contacts, assessments) and the 6/12-month follow-ups.
-- Calendar dates are TEXT 'YYYY-MM-DD'; instants BIGINT microseconds (UTC).

CREATE TABLE corps_members (
    id BLOB PRIMARY KEY NOT NULL,
    user_id BLOB UNIQUE REFERENCES users(id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    languages TEXT NOT NULL DEFAULT '',
    specialties TEXT NOT NULL DEFAULT '',
    districts TEXT NOT NULL DEFAULT '',
    max_caseload BIGINT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL
);

CREATE TABLE corps_training (
    id BLOB PRIMARY KEY NOT NULL,
    corps_member_id BLOB NOT NULL REFERENCES corps_members(id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    on_date TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX corps_training_member ON corps_training(corps_member_id, on_date);

CREATE TABLE courses (
    id BLOB PRIMARY KEY NOT NULL,
    person_id BLOB NOT NULL REFERENCES persons(id),
    kind TEXT NOT NULL,
    prevention_level TEXT NOT NULL,
    concern_id BLOB REFERENCES concerns(id),
    direct_reason TEXT,
    agency_id BLOB NOT NULL REFERENCES agencies(id),
    legal_basis TEXT,
    language TEXT,
    status TEXT NOT NULL,
    corps_member_id BLOB REFERENCES corps_members(id),
    consent_on TEXT,
    guardian_consent_on TEXT,
    guardian_name TEXT,
    consent_recorded_by BLOB REFERENCES users(id),
    started_on TEXT,
    ended_on TEXT,
    created_at BIGINT NOT NULL,
    created_by BLOB REFERENCES users(id)
);
CREATE INDEX courses_agency ON courses(agency_id);
CREATE INDEX courses_corps_member ON courses(corps_member_id);
CREATE INDEX courses_person ON courses(person_id);
CREATE INDEX courses_ended ON courses(status, ended_on);

CREATE TABLE course_events (
    id BLOB PRIMARY KEY NOT NULL,
    course_id BLOB NOT NULL REFERENCES courses(id),
    at BIGINT NOT NULL,
    actor_id BLOB REFERENCES users(id),
    kind TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT,
    note TEXT
);
CREATE INDEX course_events_course ON course_events(course_id, at);

CREATE TABLE course_goals (
    id BLOB PRIMARY KEY NOT NULL,
    course_id BLOB NOT NULL REFERENCES courses(id),
    position BIGINT NOT NULL,
    text TEXT NOT NULL,
    status TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX course_goals_course ON course_goals(course_id, position);

CREATE TABLE course_contacts (
    id BLOB PRIMARY KEY NOT NULL,
    course_id BLOB NOT NULL REFERENCES courses(id),
    on_date TEXT NOT NULL,
    minutes BIGINT NOT NULL,
    form TEXT NOT NULL,
    note TEXT,
    created_at BIGINT NOT NULL,
    created_by BLOB REFERENCES users(id)
);
CREATE INDEX course_contacts_course ON course_contacts(course_id, on_date);

CREATE TABLE course_assessments (
    id BLOB PRIMARY KEY NOT NULL,
    course_id BLOB NOT NULL REFERENCES courses(id),
    point TEXT NOT NULL,
    on_date TEXT NOT NULL,
    occupation TEXT,
    risk TEXT,
    created_at BIGINT NOT NULL,
    created_by BLOB REFERENCES users(id)
);
CREATE INDEX course_assessments_course ON course_assessments(course_id, on_date);

CREATE TABLE assessment_ratings (
    assessment_id BLOB NOT NULL REFERENCES course_assessments(id),
    area TEXT NOT NULL,
    rating BIGINT NOT NULL,
    comment TEXT,
    PRIMARY KEY (assessment_id, area)
);

CREATE TABLE follow_ups (
    id BLOB PRIMARY KEY NOT NULL,
    course_id BLOB NOT NULL REFERENCES courses(id),
    kind TEXT NOT NULL,
    due_on TEXT NOT NULL,
    assessment_id BLOB REFERENCES course_assessments(id),
    recorded_at BIGINT,
    UNIQUE (course_id, kind)
);
CREATE INDEX follow_ups_due ON follow_ups(recorded_at, due_on);
