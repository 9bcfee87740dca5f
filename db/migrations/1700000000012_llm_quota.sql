-- Up Migration
-- LLM tokens used per workspace and UTC day, counted from the provider's reported usage by both
-- the planner and the `llm` plugin (through the plugin host), so one operator key cannot be drained
-- by one workspace (LLM_TOKENS_PER_DAY). One row per workspace and day, incremented in place.
-- Tenant table: workspace_id first in the key, FORCED RLS.

CREATE TABLE llm_usage_daily (
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  day          date NOT NULL,
  tokens       bigint NOT NULL DEFAULT 0 CHECK (tokens >= 0),
  PRIMARY KEY (workspace_id, day)
);

ALTER TABLE llm_usage_daily ENABLE ROW LEVEL SECURITY;
ALTER TABLE llm_usage_daily FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON llm_usage_daily USING (workspace_id = weft_current_workspace())
  WITH CHECK (workspace_id = weft_current_workspace());
