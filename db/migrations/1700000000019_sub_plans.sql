-- Up Migration
-- Sub-plans and map steps (docs/engine.md "Sub-plans and map"). A `plan` step starts a child
-- execution; a `map` step runs one item per array element, each a row of `map_items` (a tool call
-- run by a `weft.map-item` job, or a child execution). The step waits (WAITING) meanwhile.

-- Who started a run. The schedules work adds the same column with the same rule; either order works.
ALTER TABLE executions ADD COLUMN IF NOT EXISTS trigger text NOT NULL DEFAULT 'MANUAL';
ALTER TABLE executions DROP CONSTRAINT IF EXISTS executions_trigger_check;
ALTER TABLE executions ADD CONSTRAINT executions_trigger_check
  CHECK (trigger IN ('MANUAL', 'SCHEDULE', 'WEBHOOK', 'EVENT', 'PARENT'));

-- A child points at its parent's step (and map item); `depth` bounds recursion (0 = top level).
ALTER TABLE executions ADD COLUMN parent_execution_id uuid;
ALTER TABLE executions ADD COLUMN parent_step_id text;
ALTER TABLE executions ADD COLUMN parent_item integer;
ALTER TABLE executions ADD COLUMN depth integer NOT NULL DEFAULT 0;
ALTER TABLE executions ADD CONSTRAINT executions_parent_fk
  FOREIGN KEY (workspace_id, parent_execution_id) REFERENCES executions (workspace_id, id) ON DELETE CASCADE;
CREATE INDEX executions_parent_idx ON executions (workspace_id, parent_execution_id, created_at)
  WHERE parent_execution_id IS NOT NULL;
-- Migration 15 replaced weft_app's table grants on executions by column grants.
GRANT INSERT (trigger, parent_execution_id, parent_step_id, parent_item, depth) ON executions TO weft_app;
GRANT UPDATE (trigger) ON executions TO weft_app;

-- The full list of step statuses (QUEUED and WAITING are new; the park work writes the same list).
ALTER TABLE step_runs DROP CONSTRAINT IF EXISTS step_runs_status_check;
ALTER TABLE step_runs ADD CONSTRAINT step_runs_status_check CHECK (status IN ('PENDING', 'QUEUED', 'RUNNING',
  'WAITING', 'SUCCEEDED', 'FAILED', 'SKIPPED', 'WAITING_APPROVAL', 'CANCELLED', 'COMPENSATED'));

-- One row per item of a map step's current run (a retry of the step replaces them).
CREATE TABLE map_items (
  workspace_id uuid NOT NULL,
  execution_id uuid NOT NULL,
  step_id      text NOT NULL,
  idx          integer NOT NULL,
  -- The item's resolved input, fixed when the map opened, so a crash cannot change what runs.
  input        jsonb,
  status       text NOT NULL DEFAULT 'PENDING'
                 CHECK (status IN ('PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED')),
  attempts     integer NOT NULL DEFAULT 0,
  -- Every dispatch takes a new token; a job carrying an older one is a no-op.
  fence        integer NOT NULL DEFAULT 0,
  child_execution_id uuid,
  output       jsonb,
  error        text,
  started_at   timestamptz,
  finished_at  timestamptz,
  PRIMARY KEY (workspace_id, execution_id, step_id, idx),
  FOREIGN KEY (workspace_id, execution_id) REFERENCES executions (workspace_id, id) ON DELETE CASCADE
);
ALTER TABLE map_items ENABLE ROW LEVEL SECURITY;
ALTER TABLE map_items FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON map_items USING (workspace_id = weft_current_workspace())
  WITH CHECK (workspace_id = weft_current_workspace());
GRANT SELECT, INSERT, UPDATE, DELETE ON map_items TO weft_app;
GRANT SELECT ON map_items TO weft_admin_read;
