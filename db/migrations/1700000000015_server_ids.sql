-- Up Migration
-- Ids of tenant rows are chosen by the server, never by a client. Ids are unique only within a
-- workspace (primary keys are `(workspace_id, id)`, Citus-ready), so a workspace able to give its
-- row the id of another workspace's row could make id-keyed state stand for the other's. The
-- engine keys its in-process state by workspace as well; this closes the door in the database:
-- `weft_app` (every request, the admin API included) may not write the `id` column of tables whose
-- ids come from their `gen_random_uuid()` default, nor change any tenant row's `id` afterwards.
-- No unique constraint on `id` alone is added (it would not survive distribution by workspace).
--
-- Column privileges only narrow what a table-level grant does not already allow, so the table's
-- INSERT/UPDATE grant is replaced by grants on every column but `id`, listed when this runs.
-- A later migration that adds a column to one of these tables must grant it to weft_app too.
DO $$
DECLARE
  t text;
  cols text;
  -- Inserted with their default id only.
  generated text[] := ARRAY['plans', 'plan_versions', 'executions', 'approvals', 'plugin_installations',
                            'audit_log', 'webhook_endpoint_deliveries', 'planner_usage'];
  -- Inserted with an id the server draws first (randomUUID), as the sealed secret is bound to it.
  drawn text[] := ARRAY['webhooks', 'webhook_endpoints'];
BEGIN
  FOREACH t IN ARRAY generated || drawn LOOP
    SELECT string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position) INTO cols
      FROM information_schema.columns
     WHERE table_schema = 'public' AND table_name = t AND column_name <> 'id';
    -- Only narrow what weft_app holds: a table it may not update at all (audit_log is
    -- append-only since migration 10) must not gain column grants here.
    IF has_table_privilege('weft_app', format('public.%I', t), 'UPDATE') THEN
      EXECUTE format('REVOKE UPDATE ON %I FROM weft_app', t);
      EXECUTE format('GRANT UPDATE (%s) ON %I TO weft_app', cols, t);
    END IF;
    IF t = ANY (generated) AND has_table_privilege('weft_app', format('public.%I', t), 'INSERT') THEN
      EXECUTE format('REVOKE INSERT ON %I FROM weft_app', t);
      EXECUTE format('GRANT INSERT (%s) ON %I TO weft_app', cols, t);
    END IF;
  END LOOP;
END
$$;
