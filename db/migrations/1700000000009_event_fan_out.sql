-- Up Migration

-- ---------------------------------------------------------------- webhook fan-out, a statement at a time
-- Migration 6 turned every appended event into its deliveries with a row trigger: a PL/pgSQL call
-- and a query of the workspace's endpoints per event, even in the (common) workspace without any.
-- A step appends two events and a finish batch appends several in one statement; bench/engine
-- (pg_stat_user_functions) measured ~33 µs per event that way, ~80 ms a round of 600 steps, and
-- ~30 ms once per statement. The same rules, over the rows the statement inserted: one delivery
-- per matching endpoint and event, with its job, in the event's transaction; run as the inserting
-- role, so RLS scopes the endpoints.
CREATE FUNCTION weft_events_fan_out() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE queued integer; -- only receives the count: PERFORM cannot start with WITH
BEGIN
  WITH d AS (
    INSERT INTO webhook_endpoint_deliveries (workspace_id, endpoint_id, execution_id, event_seq, event_type, payload)
    SELECT n.workspace_id, e.id, n.execution_id, n.seq, n.type,
           jsonb_build_object('seq', n.seq, 'type', n.type, 'stepId', n.step_id, 'at', n.at, 'data', n.data)
      FROM new_events n JOIN webhook_endpoints e ON e.workspace_id = n.workspace_id
     WHERE e.enabled AND weft_event_type_matches(e.event_types, n.type)
     ORDER BY n.execution_id, n.seq, e.id
    RETURNING workspace_id, id
  )
  SELECT count(weft_enqueue('weft.webhook_delivery', json_build_object('w', d.workspace_id, 'd', d.id), NULL))
    INTO queued FROM d;
  RETURN NULL;
END $$;

DROP TRIGGER execution_events_fan_out ON execution_events;
DROP FUNCTION weft_event_fan_out();
CREATE TRIGGER execution_events_fan_out AFTER INSERT ON execution_events
  REFERENCING NEW TABLE AS new_events
  FOR EACH STATEMENT EXECUTE FUNCTION weft_events_fan_out();
