-- Up Migration
-- Cost that stays flat as history and neighbours grow (docs/operations.md "Retention", "Fairness").

-- ---------------------------------------------------------------- retention
-- The retention job finds a workspace's finished runs older than EXECUTION_RETENTION_DAYS. Only
-- terminal runs are in this index, so it stays as small as the history the job has to remove.
CREATE INDEX executions_finished_idx ON executions (workspace_id, finished_at)
  WHERE status IN ('SUCCEEDED', 'FAILED', 'CANCELLED', 'ROLLED_BACK');
-- Deliveries name their execution without a foreign key, so nothing cascades to them: the job
-- deletes them by execution, which needs these.
CREATE INDEX webhook_endpoint_deliveries_execution_idx ON webhook_endpoint_deliveries (workspace_id, execution_id);
CREATE INDEX webhook_deliveries_execution_idx ON webhook_deliveries (workspace_id, execution_id);

-- The job runs on the owner pool, one workspace per transaction with that workspace in scope, so
-- RLS bounds each of its statements to one tenant. It needs the list of workspaces to walk:
-- FORCE RLS binds the owner too, hence a read policy of its own (as owner_metrics in migration 6).
-- weft_app's view is unchanged, and it gains no right to delete the audit log (docs/security.md).
DO $$
BEGIN
  EXECUTE format('CREATE POLICY owner_retention ON workspaces FOR SELECT TO %I USING (true)', current_user);
END
$$;

-- ---------------------------------------------------------------- console list queries
-- (Built in the migration's transaction, so not CONCURRENTLY: on a large existing history the
-- upgrade holds writes to executions for the few seconds each index takes.)
-- `workspace.executions` without a status filter pages by (created_at DESC, id): without this the
-- workspace's whole history is read and sorted for every page.
CREATE INDEX executions_created_idx ON executions (workspace_id, created_at DESC, id);
-- With a status filter: the same order in full, so a page is read straight off the index instead
-- of fetching and sorting every run of that status (a workspace's FAILED runs grow with history).
-- It replaces migration 1's (workspace_id, status, created_at DESC), a prefix of it.
CREATE INDEX executions_status_created_idx ON executions (workspace_id, status, created_at DESC, id);
DROP INDEX executions_status_idx;

-- ---------------------------------------------------------------- priority within a workspace
ALTER TABLE executions ADD COLUMN priority smallint NOT NULL DEFAULT 0 CHECK (priority BETWEEN -10 AND 10);
-- Migration 15 grants weft_app column by column on executions: the new column needs its own.
GRANT INSERT (priority), UPDATE (priority) ON executions TO weft_app;

-- ---------------------------------------------------------------- fair dispatch across workspaces
-- graphile-worker runs jobs by (priority, run_at, id), lower first. A job's priority is chosen
-- here from how many steps its workspace already has waiting in the queue (its 'queue' leases),
-- on a log scale: 10 × log2(waiting + 1). A workspace with 3 waiting steps queues at 20, one with
-- 5,000 at 90, so the small one's steps run first while the flood waits its turn; an idle worker
-- still takes the flood (priority orders, it never holds back). The run's own priority (-10..10)
-- adds 4 per step, i.e. it counts the queue as up to 16 times shorter or longer: enough to put an
-- urgent run ahead of most of its own workspace's backlog, bounded so that a workspace marking
-- everything urgent buys at most a constant factor against its neighbours. The count stops at
-- 511 (priority 90): past that a queue is a flood either way, and counting 5,000 leases took ~1 ms
-- on every dispatch of the flooding workspace; 511 take ~0.1 ms.

-- Steps of a workspace waiting in the queue (dispatched, no worker has begun them), up to 511.
CREATE FUNCTION weft_queue_waiting(p_workspace uuid) RETURNS integer
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT count(*)::integer FROM (
    SELECT 1 FROM step_leases WHERE workspace_id = p_workspace AND worker_id = 'queue' LIMIT 511) AS l
$$;

-- The run's own priority: in the payload when the run is being inserted by the same statement
-- (a start), else read from its row.
CREATE FUNCTION weft_run_priority(p_workspace uuid, p_payload json) RETURNS integer
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT greatest(-10, least(10, coalesce(
    (p_payload ->> 'p')::integer,
    (SELECT x.priority::integer FROM executions x
      WHERE x.workspace_id = p_workspace AND x.id = (p_payload ->> 'e')::uuid),
    0)))
$$;

-- A job's priority from the steps waiting before it and its run's priority (see above).
CREATE FUNCTION weft_job_priority(p_waiting integer, p_run_priority integer) RETURNS integer
  LANGUAGE sql IMMUTABLE AS $$
  SELECT floor(10 * log(2, (greatest(p_waiting, 0) + 1)::numeric))::integer + 4 * p_run_priority
$$;

-- Only the queue doors call these (as the owner); weft_app would get them by migration 1's defaults.
REVOKE ALL ON FUNCTION weft_queue_waiting(uuid) FROM PUBLIC, weft_app;
REVOKE ALL ON FUNCTION weft_run_priority(uuid, json) FROM PUBLIC, weft_app;

CREATE OR REPLACE FUNCTION weft_enqueue(p_task text, p_payload json, p_run_at timestamptz)
  RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE ws uuid := weft_current_workspace();
BEGIN
  IF p_task NOT LIKE 'weft.%' THEN RAISE EXCEPTION 'not an engine task: %', p_task; END IF;
  IF ws IS NULL OR (p_payload ->> 'w')::uuid IS DISTINCT FROM ws THEN
    RAISE EXCEPTION 'job payload is not for the workspace in scope';
  END IF;
  PERFORM graphile_worker.add_job(p_task, p_payload, run_at => p_run_at, max_attempts => 10,
    priority => weft_job_priority(weft_queue_waiting(ws), weft_run_priority(ws, p_payload)));
END $$;

-- One count and one priority read per batch (its jobs share a run: a start's or an advance's
-- dispatch); the i-th job is placed as if the i-1 before it were already waiting.
CREATE OR REPLACE FUNCTION weft_enqueue_many(p_task text, p_payloads json[], p_run_at timestamptz)
  RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  ws uuid := weft_current_workspace();
  waiting integer;
  run_priority integer;
BEGIN
  IF p_task NOT LIKE 'weft.%' THEN RAISE EXCEPTION 'not an engine task: %', p_task; END IF;
  IF cardinality(p_payloads) IS NULL OR cardinality(p_payloads) = 0 THEN RETURN 0; END IF;
  IF ws IS NULL OR EXISTS (SELECT 1 FROM unnest(p_payloads) AS p WHERE (p ->> 'w')::uuid IS DISTINCT FROM ws) THEN
    RAISE EXCEPTION 'job payload is not for the workspace in scope';
  END IF;
  waiting := weft_queue_waiting(ws);
  run_priority := weft_run_priority(ws, p_payloads[1]);
  PERFORM graphile_worker.add_jobs(
    (SELECT array_agg(ROW(p_task, p, NULL, p_run_at, 10, NULL,
                          weft_job_priority(waiting + i::integer - 1, run_priority), NULL)::graphile_worker.job_spec
                      ORDER BY i)
       FROM unnest(p_payloads) WITH ORDINALITY AS x(p, i)));
  RETURN cardinality(p_payloads);
END $$;
