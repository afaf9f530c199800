-- A meeting in the list shows the size of its agenda and how many of its
-- concerns are decided. Counted per row, that read every agenda item of the
-- page's meetings and looked up each one's concern: about 380 a meeting on
-- M and 950 on L, 4.4-7.8 ms of the database's time for a page of 25. The
-- meeting now carries both counts, kept by triggers in the transaction of
-- the change: an agenda item added or removed (store::triage, retention),
-- and a concern decided or reopened. The counts are read, never counted.
--
-- A decision adds to every meeting holding the concern. Those rows are
-- locked in the order of their ids, so two decisions whose concerns share
-- meetings wait for each other instead of deadlocking. The lock taken here
-- keeps a decision or an agenda change from slipping between the count
-- and the triggers.
LOCK TABLE concerns, agenda_items IN SHARE ROW EXCLUSIVE MODE;
ALTER TABLE meetings
    ADD COLUMN agenda_count BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN decided_count BIGINT NOT NULL DEFAULT 0;
UPDATE meetings m SET
    agenda_count = k.n,
    decided_count = k.decided
FROM (SELECT ai.meeting_id,
             COUNT(*) AS n,
             COUNT(*) FILTER (WHERE c.decided_at IS NOT NULL) AS decided
        FROM agenda_items ai JOIN concerns c ON c.id = ai.concern_id
       GROUP BY ai.meeting_id) k
WHERE m.id = k.meeting_id;

CREATE FUNCTION meeting_counts_agenda() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    item agenda_items;
    step BIGINT;
    decided BIGINT;
BEGIN
    IF TG_OP = 'INSERT' THEN
        item := NEW;
        step := 1;
    ELSE
        item := OLD;
        step := -1;
    END IF;
    -- FOR SHARE: a decision of this concern running beside us either
    -- committed first (we read it decided) or waits for us (and its
    -- trigger then sees this item). The foreign key's own lock would let
    -- the decision through.
    SELECT CASE WHEN c.decided_at IS NULL THEN 0 ELSE 1 END INTO decided
      FROM concerns c WHERE c.id = item.concern_id FOR SHARE;
    UPDATE meetings
       SET agenda_count = agenda_count + step,
           decided_count = decided_count + step * COALESCE(decided, 0)
     WHERE id = item.meeting_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER meeting_counts_agenda_insert AFTER INSERT ON agenda_items
    FOR EACH ROW EXECUTE FUNCTION meeting_counts_agenda();
CREATE TRIGGER meeting_counts_agenda_delete AFTER DELETE ON agenda_items
    FOR EACH ROW EXECUTE FUNCTION meeting_counts_agenda();

CREATE FUNCTION meeting_counts_decided() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM meetings
      WHERE id IN (SELECT meeting_id FROM agenda_items WHERE concern_id = NEW.id)
      ORDER BY id FOR UPDATE;
    UPDATE meetings
       SET decided_count = decided_count + CASE WHEN NEW.decided_at IS NULL THEN -1 ELSE 1 END
     WHERE id IN (SELECT meeting_id FROM agenda_items WHERE concern_id = NEW.id);
    RETURN NULL;
END
$$;
CREATE TRIGGER meeting_counts_decided AFTER UPDATE OF decided_at ON concerns
    FOR EACH ROW WHEN ((OLD.decided_at IS NULL) <> (NEW.decided_at IS NULL))
    EXECUTE FUNCTION meeting_counts_decided();
