-- The course list pages by keyset: each stream's sort key must be a value,
-- never NULL, or a cursor's row comparison would skip rows. A course is
-- active only once started, and ended only with its end date (the use cases
-- always set them); the database now holds every row to that, validated
-- against the rows already here.
ALTER TABLE courses ADD CONSTRAINT courses_list_keys CHECK (
    (status <> 'active' OR started_on IS NOT NULL)
    AND (status NOT IN ('completed', 'discontinued') OR ended_on IS NOT NULL)
) NOT VALID;
ALTER TABLE courses VALIDATE CONSTRAINT courses_list_keys;
-- Ended courses in (end date, id) order: a course discontinued before it
-- started has no start date, so the start left the key.
CREATE INDEX courses_ended_key ON courses(ended_on, id)
    WHERE status IN ('completed', 'discontinued');
DROP INDEX courses_ended_order;
CREATE INDEX courses_agency_ended_key ON courses(agency_id, ended_on, id)
    WHERE status IN ('completed', 'discontinued');
DROP INDEX courses_agency_ended;
