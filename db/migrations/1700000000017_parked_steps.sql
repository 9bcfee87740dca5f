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

-- Wake jobs of parked steps due in the same bucket of time (a tenth of a second) in one workspace
-- share one graphile-worker job: the job key names the workspace and the bucket, and
-- graphile-worker concatenates array payloads of jobs with the same key that no worker has taken
-- yet. A thousand sleeps due in the same second are then a few jobs, each waking its share in one
-- transaction, instead of a thousand transactions (bench/waits). The key is built here from the
-- workspace in scope, never taken from the caller.
CREATE FUNCTION weft_enqueue_wake(p_payloads json, p_bucket bigint)
  RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE ws uuid := weft_current_workspace();
BEGIN
  IF ws IS NULL OR json_typeof(p_payloads) IS DISTINCT FROM 'array'
     OR EXISTS (SELECT 1 FROM json_array_elements(p_payloads) AS p WHERE (p ->> 'w')::uuid IS DISTINCT FROM ws) THEN
    RAISE EXCEPTION 'job payload is not for the workspace in scope';
  END IF;
  PERFORM graphile_worker.add_job('weft.wake', p_payloads,
    run_at => to_timestamp(p_bucket / 1000.0), max_attempts => 10,
    job_key => 'weft.wake:' || ws::text || ':' || p_bucket::text);
END $$;
REVOKE ALL ON FUNCTION weft_enqueue_wake(json, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION weft_enqueue_wake(json, bigint) TO weft_app;
