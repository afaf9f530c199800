-- A meeting in the list shows the size of its agenda and how many of its
-- concerns are decided. Counted per row, that read every agenda item of the
-- page's meetings and looked up each one's concern: about 380 a meeting on
-- M, for a page of 25. The meeting now carries both counts, kept by triggers
-- in the transaction of the change: an agenda item added or removed
-- (store::triage, retention), and a concern decided or reopened. The counts
-- are read, never counted. (PostgreSQL's migration says how it orders the
-- locks; SQLite has one writer.)
ALTER TABLE meetings ADD COLUMN agenda_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE meetings ADD COLUMN decided_count INTEGER NOT NULL DEFAULT 0;
UPDATE meetings SET
    agenda_count = (SELECT COUNT(*) FROM agenda_items ai WHERE ai.meeting_id = meetings.id),
    decided_count = (SELECT COUNT(*) FROM agenda_items ai JOIN concerns c ON c.id = ai.concern_id
                     WHERE ai.meeting_id = meetings.id AND c.decided_at IS NOT NULL);

CREATE TRIGGER meeting_counts_agenda_insert AFTER INSERT ON agenda_items
BEGIN
    UPDATE meetings
       SET agenda_count = agenda_count + 1,
           decided_count = decided_count
               + (SELECT c.decided_at IS NOT NULL FROM concerns c WHERE c.id = NEW.concern_id)
     WHERE id = NEW.meeting_id;
END;
CREATE TRIGGER meeting_counts_agenda_delete AFTER DELETE ON agenda_items
BEGIN
    UPDATE meetings
       SET agenda_count = agenda_count - 1,
           decided_count = decided_count
               - (SELECT c.decided_at IS NOT NULL FROM concerns c WHERE c.id = OLD.concern_id)
     WHERE id = OLD.meeting_id;
END;
CREATE TRIGGER meeting_counts_decided AFTER UPDATE OF decided_at ON concerns
    WHEN (OLD.decided_at IS NULL) <> (NEW.decided_at IS NULL)
BEGIN
    UPDATE meetings
       SET decided_count = decided_count + CASE WHEN NEW.decided_at IS NULL THEN -1 ELSE 1 END
     WHERE id IN (SELECT meeting_id FROM agenda_items WHERE concern_id = NEW.id);
END;
