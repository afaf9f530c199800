-- A follow-up the reminder job has handled is marked, so each pass reads only
-- new work. Before, every pass (each minute) re-read every due, unrecorded
-- follow-up and tried one notification per follow-up and recipient, about
-- 20 600 no-op inserts in one write transaction on the national data set.
ALTER TABLE follow_ups ADD COLUMN reminded_at BIGINT;
-- Follow-ups already reminded before this migration keep their reminders.
UPDATE follow_ups SET reminded_at = n.at
  FROM (SELECT follow_up_id, MIN(created_at) AS at FROM notifications
         WHERE follow_up_id IS NOT NULL GROUP BY follow_up_id) AS n
 WHERE follow_ups.id = n.follow_up_id;
-- Open, unreminded follow-ups by due date: equality on both markers, so
-- SQLite prefers it to follow_ups_due (which would walk every reminded,
-- overdue follow-up a pass).
CREATE INDEX follow_ups_to_remind ON follow_ups(reminded_at, recorded_at, due_on);
