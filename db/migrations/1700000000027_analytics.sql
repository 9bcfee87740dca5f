-- Up Migration
-- Indexes for the console's analytics and runs list (docs/console.md "Analytics").
-- (Built in the migration's transaction, so not CONCURRENTLY, as in migration 24.)

-- `Plan.stats` reads one plan's runs by creation time, and `workspace.executions(planId:)` pages
-- them by (created_at DESC, id): without this both read the workspace's whole history.
CREATE INDEX executions_plan_created_idx ON executions (workspace_id, plan_id, created_at DESC, id);

-- `workspace.executions(trigger:)`: a page of the rarer triggers (SCHEDULE, WEBHOOK, EVENT) is
-- read straight off the index instead of skipping every manual run in between.
CREATE INDEX executions_trigger_created_idx ON executions (workspace_id, trigger, created_at DESC, id);
