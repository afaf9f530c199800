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
