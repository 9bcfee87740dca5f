-- Up Migration

-- ---------------------------------------------------------------- how a run was started
-- The same idempotent statement may come from another migration (sub-plans add PARENT runs):
-- whichever runs first adds the column with its check, the other is a no-op.
ALTER TABLE executions ADD COLUMN IF NOT EXISTS trigger text NOT NULL DEFAULT 'MANUAL'
  CHECK (trigger IN ('MANUAL', 'SCHEDULE', 'WEBHOOK', 'EVENT', 'PARENT'));
-- executions has column grants (migration 15): a new column must be granted by name.
GRANT INSERT (trigger) ON executions TO weft_app;

-- ---------------------------------------------------------------- schedules
-- A schedule starts its plan's latest version at each time its cron names, in its time zone.
-- `next_run_at` is the claim: a tick is taken by the one transaction that locks the row while it is
-- due and moves it on (engine/src/schedules/fire.ts), so any number of processes fire it once.
-- `buffered` holds the one tick BUFFER_ONE keeps while the previous run is still going.
CREATE TABLE schedules (
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  id           uuid NOT NULL DEFAULT gen_random_uuid(),
  plan_id      uuid NOT NULL,
  cron         text NOT NULL CHECK (length(cron) BETWEEN 1 AND 200),
  timezone     text NOT NULL CHECK (length(timezone) BETWEEN 1 AND 64),
  input        jsonb,
  overlap      text NOT NULL DEFAULT 'SKIP' CHECK (overlap IN ('SKIP', 'BUFFER_ONE', 'ALLOW_ALL', 'CANCEL_OTHER')),
  paused       boolean NOT NULL DEFAULT false,
  buffered     boolean NOT NULL DEFAULT false,
  next_run_at  timestamptz,
  last_run_at  timestamptz,
  created_by   uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workspace_id, id),
  FOREIGN KEY (workspace_id, plan_id) REFERENCES plans (workspace_id, id) ON DELETE CASCADE
);
-- The ticker's scan: active schedules by their next time, across workspaces.
CREATE INDEX schedules_due_idx ON schedules (next_run_at) WHERE NOT paused;
CREATE INDEX schedules_buffered_idx ON schedules (workspace_id, id) WHERE buffered AND NOT paused;

-- Which runs a schedule started, for which tick, and when the tick was actually taken (lateness).
CREATE TABLE schedule_runs (
  workspace_id  uuid NOT NULL,
  schedule_id   uuid NOT NULL,
  execution_id  uuid NOT NULL,
  scheduled_for timestamptz NOT NULL,
  fired_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (workspace_id, execution_id),
  FOREIGN KEY (workspace_id, schedule_id) REFERENCES schedules (workspace_id, id) ON DELETE CASCADE,
  FOREIGN KEY (workspace_id, execution_id) REFERENCES executions (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX schedule_runs_schedule_idx ON schedule_runs (workspace_id, schedule_id, fired_at DESC);

-- ---------------------------------------------------------------- events and event triggers
CREATE TABLE event_triggers (
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  id           uuid NOT NULL DEFAULT gen_random_uuid(),
  plan_id      uuid NOT NULL,
  event        text NOT NULL CHECK (length(event) BETWEEN 1 AND 200),
  match        jsonb,
  created_by   uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workspace_id, id),
  FOREIGN KEY (workspace_id, plan_id) REFERENCES plans (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX event_triggers_event_idx ON event_triggers (workspace_id, event);

-- Every event sent to a workspace (sendEvent, or an inbound webhook naming one): who, when, what
-- it carried and what it did.
CREATE TABLE events (
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  id           uuid NOT NULL DEFAULT gen_random_uuid(),
  name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  data         jsonb,
  source       text NOT NULL DEFAULT 'API' CHECK (source IN ('API', 'WEBHOOK')),
  sent_by      uuid REFERENCES users (id) ON DELETE SET NULL,
  sent_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
  resumed      integer NOT NULL DEFAULT 0,
  started      uuid[] NOT NULL DEFAULT '{}',
  PRIMARY KEY (workspace_id, id)
);
CREATE INDEX events_sent_at_idx ON events (workspace_id, sent_at DESC, id);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['schedules', 'schedule_runs', 'event_triggers', 'events'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (workspace_id = weft_current_workspace())
                    WITH CHECK (workspace_id = weft_current_workspace())', t);
  END LOOP;
END
$$;

-- Ids come from the defaults (migration 15's rule): every column but `id` is granted by name.
GRANT INSERT (workspace_id, plan_id, cron, timezone, input, overlap, paused, next_run_at, created_by)
  ON schedules TO weft_app;
GRANT UPDATE (cron, timezone, input, overlap, paused, buffered, next_run_at, last_run_at, updated_at)
  ON schedules TO weft_app;
GRANT DELETE ON schedules TO weft_app;
GRANT INSERT (workspace_id, schedule_id, execution_id, scheduled_for) ON schedule_runs TO weft_app;
GRANT INSERT (workspace_id, plan_id, event, match, created_by) ON event_triggers TO weft_app;
GRANT DELETE ON event_triggers TO weft_app;
GRANT INSERT (workspace_id, name, data, source, sent_by) ON events TO weft_app;
GRANT UPDATE (resumed, started) ON events TO weft_app;

-- ---------------------------------------------------------------- the ticker's scan
-- Ticks are found across workspaces, which weft_app (one workspace per transaction) cannot do.
-- The scan runs on the owner pool, as the lease sweeper's does, and only through this function: it
-- returns which (workspace, schedule) pairs are due (or due within `horizon_ms`, so the caller can
-- wait for the exact time) and nothing of their content; each tick is then taken in a tenant
-- transaction as weft_app, under RLS. FORCE RLS binds the owner too, hence its read-only policy
-- (as migration 6 does for metrics). Not executable by weft_app or weft_admin_read.
DO $$
BEGIN
  EXECUTE format('CREATE POLICY owner_ticker ON schedules FOR SELECT TO %I USING (true)', current_user);
END
$$;

-- Two index scans (due soon; buffered), so a scan costs what is due, not how many schedules exist.
CREATE FUNCTION weft_due_schedules(horizon_ms integer, max_rows integer)
  RETURNS TABLE (workspace_id uuid, id uuid, next_run_at timestamptz, buffered boolean)
  LANGUAGE sql STABLE SET search_path = public, pg_temp AS $$
  (SELECT s.workspace_id, s.id, s.next_run_at, s.buffered FROM schedules s
    WHERE NOT s.paused AND s.next_run_at <= now() + make_interval(secs => horizon_ms / 1000.0)
    ORDER BY s.next_run_at
    LIMIT least(max_rows, 1000))
  UNION
  (SELECT s.workspace_id, s.id, s.next_run_at, s.buffered FROM schedules s
    WHERE s.buffered AND NOT s.paused
    LIMIT least(max_rows, 1000))
$$;
REVOKE ALL ON FUNCTION weft_due_schedules(integer, integer) FROM PUBLIC;

-- ---------------------------------------------------------------- inbound webhooks that send events
-- `POST /hooks/:id?event=NAME` records an event instead of starting the webhook's plan; a repeated
-- Weft-Delivery answers with the first delivery's event (as it answers with its execution otherwise).
ALTER TABLE webhook_deliveries ADD COLUMN event_id uuid;
