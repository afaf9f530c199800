-- Deletion on schedule: the concerns decided without action (unfounded,
-- advice only), by decision time, so the retention job finds those past
-- their period without reading the cases that are kept.
CREATE INDEX concerns_retention ON concerns (decided_at)
    WHERE decision IN ('unfounded', 'advice_only');
