-- Up Migration
-- Cost that stays flat as history and neighbours grow, continued (docs/perf/engine.md "History
-- and neighbours", docs/operations.md "Fairness").

-- ---------------------------------------------------------------- console list queries
-- (Built in the migration's transaction, as migration 24's: on a large history the upgrade holds
-- writes to executions for the few seconds each takes.)
-- `workspace.executions(planId:)` pages off executions_plan_created_idx, which migration 27 made
-- for the analytics (same columns): without it the page walked executions_created_idx filtering
-- on plan_id, i.e. the whole history for a plan that has not run lately.
-- `workspace.executions(mode: DRY_RUN)`: dry runs are few among live ones, so the same walk read
-- the history to fill a page. Partial: live runs (the many) gain no index entry for it, and
-- `mode: LIVE` pages off executions_created_idx, almost every row matching.
CREATE INDEX executions_dry_run_created_idx ON executions (workspace_id, created_at DESC, id) WHERE mode = 'DRY_RUN';

-- ---------------------------------------------------------------- worker slots per workspace
-- Every engine job carries its workspace as a graphile-worker flag, 'w:<workspace id>': a worker
-- process whose slots hold its share of one workspace's jobs fetches with that flag forbidden
-- (packages/engine/src/workspace-slots.ts). The doors are migration 24's, with the flag added;
-- the priority rule is unchanged.
CREATE OR REPLACE FUNCTION weft_enqueue(p_task text, p_payload json, p_run_at timestamptz)
  RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE ws uuid := weft_current_workspace();
BEGIN
  IF p_task NOT LIKE 'weft.%' THEN RAISE EXCEPTION 'not an engine task: %', p_task; END IF;
  IF ws IS NULL OR (p_payload ->> 'w')::uuid IS DISTINCT FROM ws THEN
    RAISE EXCEPTION 'job payload is not for the workspace in scope';
  END IF;
  PERFORM graphile_worker.add_job(p_task, p_payload, run_at => p_run_at, max_attempts => 10,
    priority => weft_job_priority(weft_queue_waiting(ws), weft_run_priority(ws, p_payload)),
    flags => ARRAY['w:' || ws::text]);
END $$;

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
                          weft_job_priority(waiting + i::integer - 1, run_priority),
                          ARRAY['w:' || ws::text])::graphile_worker.job_spec
                      ORDER BY i)
       FROM unnest(p_payloads) WITH ORDINALITY AS x(p, i)));
  RETURN cardinality(p_payloads);
END $$;

CREATE OR REPLACE FUNCTION weft_enqueue_wake(p_payloads json, p_bucket bigint)
  RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE ws uuid := weft_current_workspace();
BEGIN
  IF ws IS NULL OR json_typeof(p_payloads) IS DISTINCT FROM 'array'
     OR EXISTS (SELECT 1 FROM json_array_elements(p_payloads) AS p WHERE (p ->> 'w')::uuid IS DISTINCT FROM ws) THEN
    RAISE EXCEPTION 'job payload is not for the workspace in scope';
  END IF;
  PERFORM graphile_worker.add_job('weft.wake', p_payloads,
    run_at => to_timestamp(p_bucket / 1000.0), max_attempts => 10,
    job_key => 'weft.wake:' || ws::text || ':' || p_bucket::text,
    flags => ARRAY['w:' || ws::text]);
END $$;
