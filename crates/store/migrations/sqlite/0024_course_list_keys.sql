-- The course list pages by keyset: each stream's sort key must be a value,
-- never NULL, or a cursor's row comparison would skip rows. A course is
-- active only once started, and ended only with its end date (the use cases
-- always set them). SQLite cannot add a CHECK to a table: triggers hold
-- every write to it, and a row already breaking it fails this migration
-- (through the CHECK of a scratch table).
CREATE TRIGGER courses_list_keys_insert BEFORE INSERT ON courses
    WHEN (NEW.status = 'active' AND NEW.started_on IS NULL)
      OR (NEW.status IN ('completed', 'discontinued') AND NEW.ended_on IS NULL)
BEGIN
    SELECT RAISE(ABORT, 'courses_list_keys');
END;
CREATE TRIGGER courses_list_keys_update
    BEFORE UPDATE OF status, started_on, ended_on ON courses
    WHEN (NEW.status = 'active' AND NEW.started_on IS NULL)
      OR (NEW.status IN ('completed', 'discontinued') AND NEW.ended_on IS NULL)
BEGIN
    SELECT RAISE(ABORT, 'courses_list_keys');
END;
CREATE TEMP TABLE course_list_keys_probe (broken INTEGER CHECK (broken = 0));
INSERT INTO course_list_keys_probe
    SELECT 1 FROM courses
     WHERE (status = 'active' AND started_on IS NULL)
        OR (status IN ('completed', 'discontinued') AND ended_on IS NULL)
     LIMIT 1;
DROP TABLE course_list_keys_probe;
-- Ended courses in (end date, id) order: a course discontinued before it
-- started has no start date, so the start left the key.
CREATE INDEX courses_ended_key ON courses(ended_on, id)
    WHERE status IN ('completed', 'discontinued');
DROP INDEX courses_ended_order;
CREATE INDEX courses_agency_ended_key ON courses(agency_id, ended_on, id)
    WHERE status IN ('completed', 'discontinued');
DROP INDEX courses_agency_ended;
