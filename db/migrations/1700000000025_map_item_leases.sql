-- Map tool items get leases like steps, so a worker killed mid-item is noticed within
-- STEP_LEASE_MS instead of graphile-worker's 4 h job lock. They live in step_leases (the sweeper
-- already reads it across workspaces) under the key '<step id>[<index>]', which no step id can
-- be (step ids are [A-Za-z0-9_-]), with their own kind.
ALTER TABLE step_leases DROP CONSTRAINT IF EXISTS step_leases_kind_check;
ALTER TABLE step_leases ADD CONSTRAINT step_leases_kind_check CHECK (kind IN ('run', 'compensate', 'item'));

-- The per-workspace step concurrency counts running steps only: a map's items are bounded by the
-- map's own `concurrency`, as they were before they had leases.
CREATE OR REPLACE FUNCTION weft_lease_count() RETURNS integer
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT count(*)::integer FROM step_leases
   WHERE workspace_id = weft_current_workspace() AND worker_id <> 'queue' AND kind <> 'item'
$$;
