-- Up Migration
-- What a dry run was started with besides its plan version: recorded outputs that replace tools
-- and the fixture they came from (a regression replay), and fault injection (`chaos`). NULL for
-- every other run. Set once, when the run starts: weft_app may insert it, never update it
-- (migration 15 grants executions' writable columns one by one).
ALTER TABLE executions ADD COLUMN IF NOT EXISTS dry_run_options jsonb;
GRANT INSERT (dry_run_options) ON executions TO weft_app;
