-- Up Migration
-- Durable sleep and wait-for-event steps, and the two step statuses that go with them.
-- QUEUED: dispatched (fence taken, job queued) but no worker has begun an attempt yet; RUNNING now
-- means a worker began one. WAITING: a step parked in the database (sleep, wait; also sub-plan and
-- map steps whose children run). The list is the full one; other migrations re-declare the same.
ALTER TABLE step_runs DROP CONSTRAINT step_runs_status_check;
ALTER TABLE step_runs ADD CONSTRAINT step_runs_status_check
  CHECK (status IN ('PENDING', 'QUEUED', 'RUNNING', 'WAITING', 'SUCCEEDED', 'FAILED', 'SKIPPED',
                    'WAITING_APPROVAL', 'CANCELLED', 'COMPENSATED'));

-- One row per parked step, while it waits: written by `advance` with the step's WAITING status,
-- deleted by whatever ends the wait (the wake job, an event, a cancel) in the same transaction.
-- `fence` is the step's fence when it parked: a wake job of an earlier parking finds another.
-- `began_at` is the transaction's clock when the wait began: events sent before it do not count.
CREATE TABLE parked_steps (
  workspace_id uuid NOT NULL,
  execution_id uuid NOT NULL,
  step_id      text NOT NULL,
  kind         text NOT NULL CHECK (kind IN ('sleep', 'wait')),
  fence        bigint NOT NULL,
  began_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
  -- sleep: when it wakes; wait: when it times out (NULL: never).
  due_at       timestamptz,
  event        text,
  match        jsonb NOT NULL DEFAULT '{}',
  PRIMARY KEY (workspace_id, execution_id, step_id),
  FOREIGN KEY (workspace_id, execution_id) REFERENCES executions (workspace_id, id) ON DELETE CASCADE,
  CHECK ((kind = 'wait') = (event IS NOT NULL))
);
-- deliverEvent looks waits up by workspace and event name.
CREATE INDEX parked_steps_event_idx ON parked_steps (workspace_id, event) WHERE kind = 'wait';

ALTER TABLE parked_steps ENABLE ROW LEVEL SECURITY;
ALTER TABLE parked_steps FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON parked_steps USING (workspace_id = weft_current_workspace())
  WITH CHECK (workspace_id = weft_current_workspace());
-- Since migration 16 nothing is writable by default.
GRANT SELECT, INSERT, UPDATE, DELETE ON parked_steps TO weft_app;
