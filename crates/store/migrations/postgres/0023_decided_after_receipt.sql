-- A decision is never dated before the receipt it decides (less the five
-- minutes a receipt may lie ahead of the clock: domain::concern::FUTURE_SLACK,
-- in microseconds). The decided list relies on it: a concern received in a
-- period was decided after the period began, so a period's walk of the
-- decision order stops there instead of reading the whole history.
-- Validated against the rows already here: if one broke it, the list could
-- miss it, and the migration fails loudly instead.
ALTER TABLE concerns ADD CONSTRAINT concerns_decided_after_receipt
    CHECK (decided_at IS NULL OR decided_at >= received_at - 300000000) NOT VALID;
ALTER TABLE concerns VALIDATE CONSTRAINT concerns_decided_after_receipt;
