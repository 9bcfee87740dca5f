-- Up Migration

-- ---------------------------------------------------------------- tracing
-- The W3C traceparent of the span that started the run: each step attempt's span is its child,
-- whichever worker process runs it (executions.trace_id already holds the trace id alone).
ALTER TABLE executions ADD COLUMN trace_parent text;

-- ---------------------------------------------------------------- outbound webhooks
ALTER TABLE webhook_endpoints ADD COLUMN created_by uuid REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE webhook_endpoint_deliveries ADD COLUMN next_attempt_at timestamptz;
ALTER TABLE webhook_endpoint_deliveries ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX webhook_endpoint_deliveries_endpoint_idx
  ON webhook_endpoint_deliveries (workspace_id, endpoint_id, created_at DESC, id);

-- Whether an endpoint listening for `patterns` wants an event of type `t`: no patterns means every
-- event; a pattern is an exact type or a prefix ending in `.*` ("step.*").
CREATE FUNCTION weft_event_type_matches(patterns text[], t text) RETURNS boolean
  LANGUAGE sql IMMUTABLE AS $$
  SELECT cardinality(patterns) = 0 OR EXISTS (
    SELECT 1 FROM unnest(patterns) AS p
     WHERE p = t OR p = '*' OR (right(p, 2) = '.*' AND left(t, length(p) - 1) = left(p, -1)))
$$;

-- Every appended event becomes one delivery per matching endpoint, with its job, in the same
-- transaction as the event: a committed event is never missed and a rolled-back one never sent.
-- Runs as the inserting role, so RLS scopes the endpoints to the event's workspace.
CREATE FUNCTION weft_event_fan_out() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE d record;
BEGIN
  FOR d IN
    INSERT INTO webhook_endpoint_deliveries (workspace_id, endpoint_id, execution_id, event_seq, event_type, payload)
    SELECT NEW.workspace_id, e.id, NEW.execution_id, NEW.seq, NEW.type,
           jsonb_build_object('seq', NEW.seq, 'type', NEW.type, 'stepId', NEW.step_id, 'at', NEW.at, 'data', NEW.data)
      FROM webhook_endpoints e
     WHERE e.workspace_id = NEW.workspace_id AND e.enabled AND weft_event_type_matches(e.event_types, NEW.type)
    RETURNING workspace_id, id
  LOOP
    PERFORM weft_enqueue('weft.webhook_delivery', json_build_object('w', d.workspace_id, 'd', d.id), NULL);
  END LOOP;
  RETURN NULL;
END $$;

CREATE TRIGGER execution_events_fan_out AFTER INSERT ON execution_events
  FOR EACH ROW EXECUTE FUNCTION weft_event_fan_out();

-- ---------------------------------------------------------------- metrics
-- /metrics counts executions and steps of every workspace through the owner pool. FORCE RLS binds
-- the owner too, so it gets a read-only policy of its own (it could lift RLS anyway: it owns the
-- tables); weft_app's view is unchanged.
DO $$
BEGIN
  EXECUTE format('CREATE POLICY owner_metrics ON executions FOR SELECT TO %I USING (true)', current_user);
  EXECUTE format('CREATE POLICY owner_metrics ON step_runs FOR SELECT TO %I USING (true)', current_user);
END
$$;
