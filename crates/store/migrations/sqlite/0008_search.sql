-- The search box. A person's name is found by the start of any of its parts:
-- each part, folded (domain::search::fold), is one row here, and a typed word
-- is one index range. Filled by store::person::insert_person; persons made
-- before this migration are filled once at start-up (search_backfill).
CREATE TABLE person_name_tokens (
    token TEXT NOT NULL,
    person_id BLOB NOT NULL REFERENCES persons(id),
    PRIMARY KEY (token, person_id)
) WITHOUT ROWID;
CREATE INDEX person_name_tokens_person ON person_name_tokens(person_id, token);
CREATE INDEX persons_birth ON persons(birth);
-- Which persons already have a course from a concern (several persons in one
-- concern), and the course of a case number.
CREATE INDEX courses_concern ON courses(concern_id, person_id);
CREATE TABLE search_backfill (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    done BOOLEAN NOT NULL
);
INSERT INTO search_backfill (id, done) VALUES (1, FALSE);
