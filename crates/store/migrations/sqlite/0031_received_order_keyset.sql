-- The list in order of receipt pages by cursor at any depth, as the list by
-- deadline does, instead of skipping rows by OFFSET (issue 8: no OFFSET
-- beyond the first pages). A keyset needs a total order: two concerns
-- received in the same microsecond were in no defined order before, so a
-- page boundary between them could repeat or drop one. The case number,
-- unique, breaks the tie; the index now holds it, so a page after a cursor
-- is one range of the index in its order, with no sort.
DROP INDEX concerns_received;
CREATE INDEX concerns_received ON concerns(received_at, case_number);
