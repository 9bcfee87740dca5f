-- Up Migration
-- Engine tables and the narrow, audited doors weft_app gets into owner-only machinery.
-- See ARCHITECTURE.md "## Engine".

-- step_runs: why a dispatched step is waiting (lock / rate limit), so the wait event is written once.
ALTER TABLE step_runs ADD COLUMN waiting_reason text;
-- Which step attempt of compensation ran (rollback is durable and resumable).
ALTER TABLE step_runs ADD COLUMN compensated_at timestamptz;
ALTER TABLE step_runs ADD COLUMN compensation_error text;
CREATE INDEX step_runs_status_idx ON step_runs (workspace_id, execution_id, status);
ALTER TABLE step_attempts DROP CONSTRAINT step_attempts_status_check;
ALTER TABLE step_attempts ADD CONSTRAINT step_attempts_status_check
  CHECK (status IN ('RUNNING', 'SUCCEEDED', 'FAILED', 'LOST', 'CANCELLED', 'REJECTED'));
ALTER TABLE step_attempts ADD COLUMN kind text NOT NULL DEFAULT 'run' CHECK (kind IN ('run', 'compensate'));
ALTER TABLE step_attempts DROP CONSTRAINT step_attempts_pkey;
ALTER TABLE step_attempts ADD PRIMARY KEY (workspace_id, execution_id, step_id, kind, attempt);

-- ---------------------------------------------------------------- smart cache
CREATE TABLE step_cache (
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  tool         text NOT NULL,
  tool_version text NOT NULL,
  input_hash   text NOT NULL,
  output       jsonb,
  expires_at   timestamptz NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workspace_id, tool, tool_version, input_hash)
);

-- ---------------------------------------------------------------- messages between steps
CREATE TABLE step_messages (
  workspace_id uuid NOT NULL,
  execution_id uuid NOT NULL,
  channel      text NOT NULL,
  id           bigint GENERATED ALWAYS AS IDENTITY,
  step_id      text,
  body         jsonb,
  at           timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workspace_id, execution_id, channel, id),
  FOREIGN KEY (workspace_id, execution_id) REFERENCES executions (workspace_id, id) ON DELETE CASCADE
);

-- ---------------------------------------------------------------- resource locks (Postgres backend)
CREATE TABLE resource_locks (
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  key          text NOT NULL,
  holder       text NOT NULL,
  expires_at   timestamptz NOT NULL,
  PRIMARY KEY (workspace_id, key)
);

-- ---------------------------------------------------------------- rate limits (Postgres backend)
CREATE TABLE rate_buckets (
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  key          text NOT NULL,
  tokens       double precision NOT NULL,
  updated_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (workspace_id, key)
);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['step_cache', 'step_messages', 'resource_locks', 'rate_buckets']
  LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (workspace_id = weft_current_workspace())
                    WITH CHECK (workspace_id = weft_current_workspace())', t);
  END LOOP;
END
$$;

-- ---------------------------------------------------------------- step leases (NOT tenant data)
-- The lease sweeper must see every workspace's expired leases. A non-superuser owner is bound by
-- FORCE RLS like anyone else, so leases live in this small table without RLS that weft_app cannot
-- touch directly; tenant transactions change it only through the SECURITY DEFINER functions below,
-- which pin the row to the workspace in scope. Only the owner pool reads it across workspaces.
CREATE TABLE step_leases (
  workspace_id uuid NOT NULL,
  execution_id uuid NOT NULL,
  step_id      text NOT NULL,
  kind         text NOT NULL DEFAULT 'run' CHECK (kind IN ('run', 'compensate')),
  fence        bigint NOT NULL,
  worker_id    text NOT NULL,
  expires_at   timestamptz NOT NULL,
  PRIMARY KEY (workspace_id, execution_id, step_id)
);
CREATE INDEX step_leases_expires_idx ON step_leases (expires_at);
REVOKE ALL ON step_leases FROM weft_app;

CREATE FUNCTION weft_lease_take(p_execution uuid, p_step text, p_kind text, p_fence bigint, p_worker text, p_ms integer)
  RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE ws uuid := weft_current_workspace();
BEGIN
  IF ws IS NULL THEN RAISE EXCEPTION 'no workspace in scope'; END IF;
  INSERT INTO step_leases (workspace_id, execution_id, step_id, kind, fence, worker_id, expires_at)
  VALUES (ws, p_execution, p_step, p_kind, p_fence, p_worker, clock_timestamp() + make_interval(secs => p_ms / 1000.0))
  ON CONFLICT (workspace_id, execution_id, step_id) DO UPDATE
    SET kind = excluded.kind, fence = excluded.fence, worker_id = excluded.worker_id, expires_at = excluded.expires_at;
END $$;

-- NULL step: every lease of the execution; NULL fence: whatever fence it carries.
CREATE FUNCTION weft_lease_drop(p_execution uuid, p_step text, p_fence bigint)
  RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  DELETE FROM step_leases
   WHERE workspace_id = weft_current_workspace() AND execution_id = p_execution
     AND (p_step IS NULL OR step_id = p_step) AND (p_fence IS NULL OR fence = p_fence);
END $$;

-- Extends a lease if the caller still holds it (same fence); false means the lease was lost.
CREATE FUNCTION weft_lease_renew(p_execution uuid, p_step text, p_fence bigint, p_ms integer)
  RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  UPDATE step_leases SET expires_at = clock_timestamp() + make_interval(secs => p_ms / 1000.0)
   WHERE workspace_id = weft_current_workspace() AND execution_id = p_execution
     AND step_id = p_step AND fence = p_fence;
  RETURN FOUND;
END $$;

-- Running steps of the workspace in scope (per-workspace concurrency). Leases of dispatched steps
-- still waiting in the queue (worker 'queue') do not count.
CREATE FUNCTION weft_lease_count() RETURNS integer
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT count(*)::integer FROM step_leases WHERE workspace_id = weft_current_workspace() AND worker_id <> 'queue'
$$;

-- ---------------------------------------------------------------- job queue door
-- graphile-worker's schema belongs to the owner. weft_app may enqueue only the engine's own tasks,
-- only for the workspace in scope, and inside its own transaction, so a state change and the job
-- that continues it commit together. (plpgsql: the queue schema is installed after migrations.)
CREATE FUNCTION weft_enqueue(p_task text, p_payload json, p_run_at timestamptz)
  RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF p_task NOT LIKE 'weft.%' THEN RAISE EXCEPTION 'not an engine task: %', p_task; END IF;
  IF weft_current_workspace() IS NULL OR (p_payload ->> 'w')::uuid IS DISTINCT FROM weft_current_workspace() THEN
    RAISE EXCEPTION 'job payload is not for the workspace in scope';
  END IF;
  PERFORM graphile_worker.add_job(p_task, p_payload, run_at => p_run_at, max_attempts => 10);
END $$;

REVOKE ALL ON FUNCTION weft_lease_take(uuid, text, text, bigint, text, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION weft_lease_drop(uuid, text, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION weft_lease_renew(uuid, text, bigint, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION weft_lease_count() FROM PUBLIC;
REVOKE ALL ON FUNCTION weft_enqueue(text, json, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION weft_lease_take(uuid, text, text, bigint, text, integer) TO weft_app;
GRANT EXECUTE ON FUNCTION weft_lease_drop(uuid, text, bigint) TO weft_app;
GRANT EXECUTE ON FUNCTION weft_lease_renew(uuid, text, bigint, integer) TO weft_app;
GRANT EXECUTE ON FUNCTION weft_lease_count() TO weft_app;
GRANT EXECUTE ON FUNCTION weft_enqueue(text, json, timestamptz) TO weft_app;

-- Attempts before the current retry cycle: `maxAttempts` counts from here, while `attempts` (and
-- core.fail's count) runs over the execution's whole life.
ALTER TABLE step_runs ADD COLUMN attempt_base integer NOT NULL DEFAULT 0;
