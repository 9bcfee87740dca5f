-- Up Migration
-- A failed attempt's and step's error as data (`StepError` in packages/engine/src/step-error.ts):
-- { code, message, retriable, cause? }. The `error` text columns stay as they are (the message,
-- read by everything that read them before); rows written before this migration have no detail,
-- and readers derive one with code UNKNOWN from their `error`. Both tables are already granted to
-- weft_app table-wide, so the new columns are writable by it like the rest of the row.
ALTER TABLE step_attempts ADD COLUMN error_detail jsonb;
ALTER TABLE step_runs ADD COLUMN error_detail jsonb;
