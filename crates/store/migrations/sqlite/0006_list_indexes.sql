-- The concern list reads three index ranges instead of sorting the table:
-- running open concerns by deadline, paused ones by the time they have left,
-- decided ones newest first.
CREATE INDEX concerns_running ON concerns(triage_deadline_at, case_number)
    WHERE decided_at IS NULL AND paused_at IS NULL;
CREATE INDEX concerns_paused ON concerns((triage_deadline_at - paused_at), case_number)
    WHERE decided_at IS NULL AND paused_at IS NOT NULL;
CREATE INDEX concerns_decided ON concerns(decided_at, case_number)
    WHERE decided_at IS NOT NULL;
DROP INDEX concerns_open_deadline;
-- A list row's first person without sorting its persons.
CREATE INDEX concern_persons_position ON concern_persons(concern_id, position);
-- The follow-up worklist and the meeting list in index order, ties included.
CREATE INDEX follow_ups_open ON follow_ups(due_on, id) WHERE recorded_at IS NULL;
CREATE INDEX meetings_date_id ON meetings(meeting_date, id);
DROP INDEX meetings_date;
-- The course list in index order: active, planned, ended.
CREATE INDEX courses_active_order ON courses(started_on, id) WHERE status = 'active';
CREATE INDEX courses_planned_order ON courses(id) WHERE status = 'planned';
CREATE INDEX courses_ended_order ON courses(ended_on, started_on, id)
    WHERE status IN ('completed', 'discontinued');
-- Replaced by courses_ended_order (the outcome figures read its range).
DROP INDEX courses_ended;
-- An agency's courses in the same order (the coordination unit's course list).
CREATE INDEX courses_agency_active ON courses(agency_id, started_on, id) WHERE status = 'active';
CREATE INDEX courses_agency_planned ON courses(agency_id, id) WHERE status = 'planned';
CREATE INDEX courses_agency_ended ON courses(agency_id, ended_on, started_on, id)
    WHERE status IN ('completed', 'discontinued');
