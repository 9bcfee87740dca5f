-- Up Migration

-- ---------------------------------------------------------------- fallbacks
-- A step whose attempts are exhausted and that has a `fallback` is dispatched once more with the
-- fallback tool; this records that it did (StepRun.fellBack, the step.succeeded event's data), and
-- tells the begin of that dispatch to call the fallback instead of the step's own tool.
ALTER TABLE step_runs ADD COLUMN fell_back boolean NOT NULL DEFAULT false;

-- ---------------------------------------------------------------- idempotency keys
-- startExecution(idempotencyKey): the same key for the same plan within 24 h returns the first
-- execution. The primary key makes two concurrent starts with one key start one run (the second
-- INSERT waits for the first transaction, then conflicts). A key older than 24 h is taken over by
-- the next start that uses it (ON CONFLICT ... DO UPDATE WHERE claimed_at is old), so an expired row
-- never blocks reuse; rows older than that are also pruned per plan as keys are claimed.
CREATE TABLE execution_idempotency_keys (
  workspace_id uuid NOT NULL,
  plan_id      uuid NOT NULL,
  key          text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
  execution_id uuid,
  claimed_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workspace_id, plan_id, key),
  FOREIGN KEY (workspace_id, plan_id) REFERENCES plans (workspace_id, id) ON DELETE CASCADE,
  FOREIGN KEY (workspace_id, execution_id) REFERENCES executions (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX execution_idempotency_keys_age ON execution_idempotency_keys (workspace_id, plan_id, claimed_at);

ALTER TABLE execution_idempotency_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE execution_idempotency_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON execution_idempotency_keys USING (workspace_id = weft_current_workspace())
  WITH CHECK (workspace_id = weft_current_workspace());
GRANT SELECT, INSERT, UPDATE, DELETE ON execution_idempotency_keys TO weft_app;
