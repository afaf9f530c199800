-- A closed plan's figures as they stood when it was closed (issue 11): the
-- plan as read then, as JSON, with its SHA-256 digest. Later corrections
-- to data show as a difference against it; the snapshot never changes.
CREATE TABLE plan_snapshots (
    plan_id BLOB PRIMARY KEY NOT NULL REFERENCES plans(id),
    taken_at BIGINT NOT NULL,
    taken_by BLOB REFERENCES users(id),
    body TEXT NOT NULL,
    digest TEXT NOT NULL
);
