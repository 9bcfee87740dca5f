-- Up Migration
-- Least privilege for what a workspace admin or a plugin author can reach (see docs/security.md):
--  * weft_admin_read: the role /admin/graphql connects as. It may only SELECT the RLS-bound tenant
--    tables listed below (never secrets, ciphertext columns, plugin state, the marketplace, leases,
--    accounts or the queue), so even a write that slipped past the API is refused by PostgreSQL;
--  * the global marketplace (plugins, plugin_versions) is written only through
--    weft_publish_plugin_version(), which checks who may publish under a name and writes an audit
--    row in the same transaction; weft_app keeps SELECT only;
--  * audit_log is append-only for weft_app;
--  * a published plugin version never changes, whichever column is touched.

-- ---------------------------------------------------------------- the admin API's role
-- Roles are cluster-wide: creating it must tolerate another Weft database having created it.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'weft_admin_read') THEN
    CREATE ROLE weft_admin_read LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOINHERIT;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL;
END
$$;

GRANT USAGE ON SCHEMA public TO weft_admin_read;
-- An allow-list: tables added later are not readable until a migration says so (no default privileges).
GRANT SELECT ON workspaces, memberships, plans, plan_versions, executions, step_runs, step_attempts,
  execution_events, approvals, plugin_installations, webhook_deliveries, webhook_endpoint_deliveries,
  audit_log, resource_locks, rate_buckets, planner_usage TO weft_admin_read;
-- Webhook rows without their signing secrets.
GRANT SELECT (workspace_id, id, plan_id, created_by, created_at) ON webhooks TO weft_admin_read;
GRANT SELECT (workspace_id, id, url, event_types, enabled, created_at) ON webhook_endpoints TO weft_admin_read;

-- ---------------------------------------------------------------- audit log: append-only
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM weft_app;

-- ---------------------------------------------------------------- published versions never change
-- Every column is compared. The one change allowed is published_by becoming NULL: that is the
-- foreign key's ON DELETE SET NULL when the publishing account is deleted, and it changes neither
-- the bytes nor the promises installations run on. There are no yank/deprecate flags; if they come,
-- they belong in a separate table so this row stays frozen.
CREATE OR REPLACE FUNCTION weft_plugin_version_immutable() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  IF to_jsonb(NEW) - 'published_by' IS DISTINCT FROM to_jsonb(OLD) - 'published_by'
     OR (NEW.published_by IS DISTINCT FROM OLD.published_by AND NEW.published_by IS NOT NULL) THEN
    RAISE EXCEPTION 'plugin versions are immutable' USING ERRCODE = 'restrict_violation';
  END IF;
  RETURN NEW;
END
$$;

-- ---------------------------------------------------------------- the marketplace's one door
-- Names only first-party plugins may use, whether or not they are published yet on this database.
CREATE TABLE reserved_plugin_names (
  name text PRIMARY KEY
);
INSERT INTO reserved_plugin_names (name) VALUES ('http'), ('transform'), ('calendar'), ('llm');

-- Who published what, when, as which database role. Global like the marketplace (no workspace).
CREATE TABLE marketplace_audit_log (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  action            text NOT NULL,
  actor_id          uuid REFERENCES users (id) ON DELETE SET NULL,
  db_role           text NOT NULL,
  plugin_id         uuid NOT NULL,
  plugin_version_id uuid NOT NULL,
  plugin_name       text NOT NULL,
  version           text NOT NULL,
  integrity         text NOT NULL,
  first_party       boolean NOT NULL,
  at                timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX marketplace_audit_log_at_idx ON marketplace_audit_log (at DESC);

-- Publishes one version. Expected refusals come back as an outcome with nothing written:
-- NOT_PUBLISHER (the name belongs to someone else, or is reserved for first-party plugins) and
-- VERSION_EXISTS. Only the database owner (start-up seeding) may publish first-party plugins.
CREATE FUNCTION weft_publish_plugin_version(
  p_name text, p_version text, p_manifest jsonb, p_bundle text, p_integrity text,
  p_capabilities text[], p_optional_capabilities text[], p_description text,
  p_publisher_user_id uuid, p_first_party boolean, p_publisher text)
  RETURNS TABLE (outcome text, plugin_version_id uuid)
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_owner_id uuid;
  v_plugin plugins%ROWTYPE;
  v_label text;
  v_version_id uuid;
BEGIN
  IF p_first_party THEN
    -- current_user is this function's owner here; session_user is who connected.
    IF NOT pg_has_role(session_user, current_user, 'MEMBER') THEN
      RAISE EXCEPTION 'only the database owner publishes first-party plugins' USING ERRCODE = 'insufficient_privilege';
    END IF;
    v_owner_id := NULL;
    v_label := coalesce(p_publisher, 'weft');
    INSERT INTO reserved_plugin_names (name) VALUES (p_name) ON CONFLICT DO NOTHING;
  ELSE
    v_owner_id := p_publisher_user_id;
    SELECT coalesce(u.name, u.email::text) INTO v_label FROM users u WHERE u.id = v_owner_id;
    IF v_label IS NULL THEN
      RAISE EXCEPTION 'unknown publisher' USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF EXISTS (SELECT 1 FROM reserved_plugin_names r WHERE r.name = p_name) THEN
      RETURN QUERY SELECT 'NOT_PUBLISHER'::text, NULL::uuid;
      RETURN;
    END IF;
  END IF;

  -- The first publisher of a name owns it; a concurrent first publish waits here and then sees it.
  INSERT INTO plugins (name, publisher, publisher_user_id, description, first_party)
  VALUES (p_name, v_label, v_owner_id, p_description, p_first_party)
  ON CONFLICT (name) DO NOTHING;
  SELECT * INTO v_plugin FROM plugins WHERE name = p_name FOR UPDATE;
  IF v_plugin.first_party IS DISTINCT FROM p_first_party OR v_plugin.publisher_user_id IS DISTINCT FROM v_owner_id THEN
    RETURN QUERY SELECT 'NOT_PUBLISHER'::text, NULL::uuid;
    RETURN;
  END IF;

  INSERT INTO plugin_versions (plugin_id, version, manifest, bundle, integrity, capabilities, optional_capabilities, published_by)
  VALUES (v_plugin.id, p_version, p_manifest, p_bundle, p_integrity, p_capabilities, p_optional_capabilities, v_owner_id)
  ON CONFLICT (plugin_id, version) DO NOTHING
  RETURNING id INTO v_version_id;
  IF v_version_id IS NULL THEN
    RETURN QUERY SELECT 'VERSION_EXISTS'::text, NULL::uuid;
    RETURN;
  END IF;
  UPDATE plugins SET description = p_description WHERE id = v_plugin.id AND description IS DISTINCT FROM p_description;

  INSERT INTO marketplace_audit_log (action, actor_id, db_role, plugin_id, plugin_version_id, plugin_name, version,
    integrity, first_party)
  VALUES ('plugin.publish', v_owner_id, session_user, v_plugin.id, v_version_id, p_name, p_version, p_integrity,
    p_first_party);
  RETURN QUERY SELECT 'PUBLISHED'::text, v_version_id;
END $$;

REVOKE ALL ON FUNCTION weft_publish_plugin_version(text, text, jsonb, text, text, text[], text[], text, uuid, boolean, text)
  FROM PUBLIC;
GRANT EXECUTE ON FUNCTION weft_publish_plugin_version(text, text, jsonb, text, text, text[], text[], text, uuid, boolean, text)
  TO weft_app;

-- weft_app reads the marketplace; every write goes through the function above. Migration 1's
-- default privileges gave the new tables to weft_app: take those back too.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON plugins, plugin_versions FROM weft_app;
REVOKE ALL ON reserved_plugin_names, marketplace_audit_log FROM weft_app;
GRANT SELECT ON reserved_plugin_names TO weft_app;
