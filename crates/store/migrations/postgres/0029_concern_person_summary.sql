-- A list row shows the concern's first person and how many it names. Looked
-- up per row, that was two correlated subqueries (an index walk and a sort of
-- the links, and a count): on M two fifths of the list statement's work in
-- PostgreSQL. The concern now carries both, set when it is written with its
-- persons (store::concern::insert_concern, the only way to link them) and
-- kept by a relink (store::person::relink). No foreign key on the person:
-- deleting a person would then have to search every concern for it, and a
-- concern's persons go with the concern (retention).
ALTER TABLE concerns ADD COLUMN person_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE concerns ADD COLUMN first_person_id UUID;
UPDATE concerns SET
    person_count = (SELECT COUNT(*) FROM concern_persons cp WHERE cp.concern_id = concerns.id),
    first_person_id = (SELECT cp.person_id FROM concern_persons cp
                       WHERE cp.concern_id = concerns.id ORDER BY cp.position LIMIT 1)
WHERE EXISTS (SELECT 1 FROM concern_persons cp WHERE cp.concern_id = concerns.id);
