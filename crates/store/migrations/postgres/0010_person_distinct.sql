-- "Not the same person": a suggested match a case worker has looked at and
-- rejected is not suggested again. Both directions are stored, so the
-- suggestion query checks one index.
CREATE TABLE person_distinct (
    person_id UUID NOT NULL REFERENCES persons(id),
    other_id UUID NOT NULL REFERENCES persons(id),
    decided_at BIGINT NOT NULL,
    decided_by UUID REFERENCES users(id),
    PRIMARY KEY (person_id, other_id)
);
