-- A period's folded facts are summed from the daily rollup mirrored in
-- memory as running totals (store::fact::mirror): any days of a key are two
-- binary searches, so the monthly and yearly rollups have no reader left.
-- The fold keeps `fact_days` only (the mirror's source at start-up).
DROP TABLE fact_months;
DROP TABLE fact_years;
