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
