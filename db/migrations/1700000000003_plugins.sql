-- Up Migration
-- Plugins and the marketplace (see ARCHITECTURE.md, "Plugins").
--  * plugins.first_party marks the plugins Weft publishes at start-up (nobody may publish over them);
--  * plugin_versions.capabilities holds the REQUIRED capabilities, optional_capabilities the ones an
--    admin may withhold; published versions are immutable (trigger below);
--  * plugin_installations may be looked up by version (upgrades, "who uses this version").

ALTER TABLE plugins ADD COLUMN first_party boolean NOT NULL DEFAULT false;

ALTER TABLE plugin_versions
  ADD COLUMN optional_capabilities text[] NOT NULL DEFAULT '{}',
  ADD COLUMN published_by uuid REFERENCES users (id) ON DELETE SET NULL;

CREATE INDEX plugin_versions_plugin_idx ON plugin_versions (plugin_id, created_at DESC);
CREATE INDEX plugin_installations_version_idx ON plugin_installations (workspace_id, plugin_version_id);

-- A published version is what installations run: its bytes and promises never change.
CREATE FUNCTION weft_plugin_version_immutable() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.bundle IS DISTINCT FROM OLD.bundle OR NEW.manifest IS DISTINCT FROM OLD.manifest
     OR NEW.integrity IS DISTINCT FROM OLD.integrity OR NEW.version IS DISTINCT FROM OLD.version
     OR NEW.capabilities IS DISTINCT FROM OLD.capabilities
     OR NEW.optional_capabilities IS DISTINCT FROM OLD.optional_capabilities THEN
    RAISE EXCEPTION 'plugin versions are immutable' USING ERRCODE = 'restrict_violation';
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER plugin_versions_immutable BEFORE UPDATE ON plugin_versions
  FOR EACH ROW EXECUTE FUNCTION weft_plugin_version_immutable();
